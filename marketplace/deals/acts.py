"""The deal's two-sided acts: who must consent to each step, the legal checks, and what each step does.

| step (``ConsentAct``) | who may propose | who must approve | takes effect |
| --- | --- | --- | --- |
| signing (``deal_signing``) | seller, buyer, brokering agency (recording or editing the deal) | seller, buyer, every co-owner of every patent (transfer, equity, exclusive or sole license), the pledgee of a pledged patent (license, Civil Code art. 444) | deal *signed* (and, if the entry asked for it, *recorded*/*completed* at once) |
| recordal (``deal_recordal``) | seller, buyer, agency | seller and the co-owners above | deal *recorded* with the registration number |
| completion (``deal_completion``) | seller, buyer, agency | seller and the co-owners above | deal *completed*; a transfer or equity deal moves the patents to the buyer |
| cancellation of a signed deal (``deal_cancellation``) | seller, buyer, agency | seller and buyer | deal *cancelled* |
| amendment (``deal_amendment``) | seller, buyer, agency | seller and buyer | the correction is applied and kept |

A deal still negotiating binds nobody: any party or its agency cancels it
alone. The proposing organisation approves by proposing when it is a party;
an agency or a platform admin never is. Every step re-applies the legal rules
under a lock on the patents, so a refusal names the rule and the record.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from marketplace.accounts.models import User
from marketplace.consents import services as consents
from marketplace.consents.models import ConsentAct, ConsentRole, Proposal
from marketplace.consents.services import ActRules, Party
from marketplace.core.audit import diff, record_audit
from marketplace.core.dates import local_today, parse_date
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.locking import lock_row
from marketplace.core.outbox import record_change
from marketplace.core.text import require_plain
from marketplace.deals import brokering
from marketplace.deals.models import Deal, DealAmendment, DealMode, DealStatus, LicenseKind, OwnershipChange
from marketplace.deals.terms import AMENDABLE, check_mode_fields, check_term, clean_fields
from marketplace.extensions import db
from marketplace.legal.conflicts import LicenseTerm, license_conflicts
from marketplace.legal.eligibility import assignment_refusals, co_owner_refusals
from marketplace.legal.refusals import Ineligible, Refusal
from marketplace.legal.term import has_lapsed
from marketplace.openlicense.facts import license_terms, lock_patents, patent_facts, pledgees
from marketplace.openlicense.services import recheck_patent
from marketplace.patents.models import Patent

SUBJECT = "deal"
PAGE = ("deals.detail", "deal_id")
ORDER = [DealStatus.NEGOTIATING, DealStatus.SIGNED, DealStatus.RECORDED, DealStatus.COMPLETED]
TRANSITIONS = {
    DealStatus.NEGOTIATING: {DealStatus.SIGNED, DealStatus.CANCELLED},
    DealStatus.SIGNED: {DealStatus.RECORDED, DealStatus.COMPLETED, DealStatus.CANCELLED},
    DealStatus.RECORDED: {DealStatus.COMPLETED},
}
STEP_ACTS = {DealStatus.RECORDED: ConsentAct.DEAL_RECORDAL, DealStatus.COMPLETED: ConsentAct.DEAL_COMPLETION,
             DealStatus.CANCELLED: ConsentAct.DEAL_CANCELLATION}


def lock_deal(deal_id: int) -> Deal:
    """The deal ``FOR UPDATE``: edits and decisions on it take turns."""
    return lock_row(Deal, deal_id, _("交易不存在"))


def needs_co_owners(deal: Deal) -> bool:
    """Transfers, equity and exclusive or sole licenses need every co-owner; an ordinary license does not
    (Patent Law art. 14: a co-owner may grant an ordinary license alone, sharing the fee)."""
    return deal.mode.assigns or (deal.mode == DealMode.LICENSE
                                 and deal.license_kind in (LicenseKind.EXCLUSIVE, LicenseKind.SOLE))


def _co_owner_parties(deal: Deal) -> list[Party]:
    if not needs_co_owners(deal):
        return []
    ids = [org_id for patent in deal.patents for org_id in patent.co_owner_organisations().values() if org_id]
    return [Party(org_id, ConsentRole.CO_OWNER) for org_id in dict.fromkeys(ids) if org_id != deal.seller_id]


def _pledgee_parties(deal: Deal) -> list[Party]:
    """A pledged patent is licensed only with the pledgee's consent (Civil Code art. 444)."""
    if deal.mode != DealMode.LICENSE:
        return []
    return [Party(org_id, ConsentRole.PLEDGEE) for org_id in pledgees(deal.patent_ids)]


def seller_side(proposal: Proposal | None, deal: Deal) -> list[Party]:
    """The seller and, where the law wants them, the co-owners: they confirm recordal and completion."""
    return [Party(deal.seller_id, ConsentRole.SELLER), *_co_owner_parties(deal)]


def signing_parties(proposal: Proposal | None, deal: Deal) -> list[Party]:
    """Everyone whose rights the contract changes: seller side, buyer, and pledgees of pledged patents."""
    return [*seller_side(proposal, deal), Party(deal.buyer_id, ConsentRole.BUYER), *_pledgee_parties(deal)]


def both_parties(proposal: Proposal | None, deal: Deal) -> list[Party]:
    return [Party(deal.seller_id, ConsentRole.SELLER), Party(deal.buyer_id, ConsentRole.BUYER)]


def _license_term(deal: Deal) -> LicenseTerm:
    return LicenseTerm(deal.license_kind.value, deal.term_start or deal.contract_date, deal.term_end, deal.buyer_id,
                       _("交易 #%(id)s", id=deal.id) if deal.id else "")


def legal_check(deal: Deal, patents: list[Patent], target: DealStatus) -> None:
    """The rules a deal must meet to reach ``target``, per patent, all reasons named at once.

    From signing on, an assignment needs the open license withdrawn, no
    pledge and every co-owner on the platform; an exclusive or sole license
    every co-owner; a license no conflicting license over its term.
    """
    today = local_today()
    refusals: list[tuple[str, Refusal]] = []
    binding = target in (DealStatus.SIGNED, DealStatus.RECORDED, DealStatus.COMPLETED)
    for patent in patents:
        found: list[Refusal] = []
        if patent.owner_id != deal.seller_id:
            found.append(Refusal("seller_not_patentee"))
        if has_lapsed(patent.legal_status, patent.expiry, today):
            found.append(Refusal("lapsed"))
        facts = patent_facts(patent, today)
        if deal.mode == DealMode.LICENSE and deal.license_kind:
            found += license_conflicts(_license_term(deal), license_terms(patent.id, excluding_deal=deal.id))
        if binding and deal.mode.assigns:
            found += assignment_refusals(facts)
        elif binding and needs_co_owners(deal):
            found += co_owner_refusals(facts)
        refusals += [(patent.application_number, r) for r in found]
    if refusals:
        raise Ineligible(_("该交易不符合法定条件"), refusals)


def next_statuses(deal: Deal) -> list[DealStatus]:
    """The statuses a deal may be proposed to move to; signing happens only through every party's consent."""
    allowed = TRANSITIONS.get(deal.status, set()) - {DealStatus.SIGNED}
    if deal.status == DealStatus.SIGNED and deal.mode.assigns:
        allowed = allowed - {DealStatus.COMPLETED}  # an assignment takes effect on registration
    if deal.mode == DealMode.ENTRUSTED:
        # no CNIPA recordal; the owner ends the mandate alone (services.end_entrustment), both may cancel it
        allowed = allowed - {DealStatus.RECORDED, DealStatus.COMPLETED}
    return [s for s in DealStatus if s in allowed]


def step_details(target: DealStatus, raw: Mapping[str, Any], deal: Deal | None = None) -> dict[str, Any]:
    """What a step records beyond the status (registration number and dates), validated, as stored details.

    ``deal`` None: a new entry, which passes through every status up to ``target``.
    """
    details: dict[str, Any] = {"target": target.value}
    number = require_plain(str(raw.get("recordal_number") or "").strip(), "recordal_number") or None
    if number and len(number) > 64:
        raise ValidationFailed.field("recordal_number", _("最多 %(n)d 字", n=64))
    registers = target == DealStatus.RECORDED or (target == DealStatus.COMPLETED and deal is None)
    if registers and not (number or (deal is not None and deal.recordal_number)):
        raise ValidationFailed.field("recordal_number", _("登记须填写登记/备案号"))
    if number:
        details["recordal_number"] = number
    for name in ("recorded_on", "completed_on"):
        day = parse_date(raw.get(name), name)
        if day is not None:
            if day > local_today():
                raise ValidationFailed.field(name, _("不能晚于今天"))
            details[name] = day.isoformat()
    return details


def transition(user: User | None, deal: Deal, target: DealStatus, details: Mapping[str, Any]) -> None:
    """Move the deal one status on, applying the rules of that status and what the step recorded."""
    if target not in TRANSITIONS.get(deal.status, set()) or (
            target == DealStatus.COMPLETED and deal.status == DealStatus.SIGNED and deal.mode.assigns) or (
            deal.mode == DealMode.ENTRUSTED and target in (DealStatus.RECORDED, DealStatus.COMPLETED)):
        raise Conflict(_("不能从“%(old)s”变为“%(new)s”", old=deal.status.label, new=target.label),
                       {"status": "invalid transition"})
    today = local_today()
    patents = lock_patents(deal.patent_ids)
    if target != DealStatus.CANCELLED:
        legal_check(deal, patents, target)
    if target == DealStatus.SIGNED:
        deal.contract_date = deal.contract_date or parse_date(details.get("contract_date"), "contract_date") or today
    elif target == DealStatus.RECORDED:
        deal.recordal_number = details.get("recordal_number") or deal.recordal_number
        deal.recorded_on = parse_date(details.get("recorded_on"), "recorded_on") or today
    elif target == DealStatus.COMPLETED:
        if details.get("recordal_number") and not deal.recordal_number:
            deal.recordal_number = details["recordal_number"]
        deal.completed_on = parse_date(details.get("completed_on"), "completed_on") or today
        if deal.mode.assigns:
            _assign(deal, patents)
    else:
        deal.cancelled_on = today
        consents.lapse_pending(SUBJECT, deal.id)
    previous, deal.status = deal.status, target
    db.session.flush()
    record_audit("deal.status_changed", SUBJECT, deal.id, {"status": [previous, target]}, actor=user)
    if deal.mode == DealMode.LICENSE and deal.license_kind in (LicenseKind.EXCLUSIVE, LicenseKind.SOLE):
        for patent in patents:
            recheck_patent(patent.id)


def _assign(deal: Deal, patents: list[Patent]) -> None:
    """Move each patent to the buyer, keeping who owned it before; the co-owners assigned their shares too."""
    for patent in patents:
        db.session.add(OwnershipChange(patent_id=patent.id, from_owner_id=patent.owner_id, to_owner_id=deal.buyer_id,
                                       deal_id=deal.id, changed_on=deal.completed_on))
        record_audit("patent.ownership_changed", "patent", patent.id,
                     {"owner_id": [patent.owner_id, deal.buyer_id], "co_owners": [patent.co_owners, []],
                      "deal_id": deal.id})
        patent.owner_id = deal.buyer_id
        patent.co_owners = []
        patent.co_owner_links = []
        record_change("patent", patent.id)


def summary(deal: Deal) -> str:
    """How to-do lists name the deal: its number, its title or first patent, and its amount."""
    title = deal.title or (deal.patents[0].title if deal.patent_links else "")
    return f"#{deal.id} {title[:120]} ¥{deal.amount:,.2f}"


def propose_signing(user: User, deal: Deal, details: Mapping[str, Any]) -> Proposal:
    """Ask every party to sign the deal's current terms (the proposer's own organisation signs by proposing)."""
    return consents.propose(user, ConsentAct.DEAL_SIGNING, deal, summary=summary(deal), details=details)


def propose_step(user: User, deal: Deal, target: DealStatus, raw: Mapping[str, Any]) -> Proposal | None:
    """Propose moving the deal to ``target``; a negotiating deal is cancelled at once (it bound nobody)."""
    if target == DealStatus.SIGNED:
        raise Conflict(_("签约须由各方通过自己的账户同意，请在“待我确认”中同意交易"), {"status": "consent required"})
    if target not in next_statuses(deal):
        raise Conflict(_("不能从“%(old)s”变为“%(new)s”", old=deal.status.label, new=target.label),
                       {"status": "invalid transition"})
    if target == DealStatus.CANCELLED and deal.status == DealStatus.NEGOTIATING:
        transition(user, deal, target, {})
        return None
    details = step_details(target, raw, deal)
    if target != DealStatus.CANCELLED:
        legal_check(deal, lock_patents(deal.patent_ids), target)
    return consents.propose(user, STEP_ACTS[target], deal, summary=summary(deal), details=details)


def _sign(proposal: Proposal, deal: Deal, user: User) -> None:
    """Every party signed: the deal binds, and goes on to the status the entry asked for."""
    target = DealStatus(proposal.details.get("target") or DealStatus.SIGNED.value)
    for status in ORDER[1:ORDER.index(target) + 1]:
        transition(user, deal, status, proposal.details)


def _step(proposal: Proposal, deal: Deal, user: User) -> None:
    transition(user, deal, DealStatus(proposal.details["target"]), proposal.details)


def _amend(proposal: Proposal, deal: Deal, user: User) -> None:
    """Both parties agreed to the correction: apply it, keep what changed, why and who proposed it."""
    changes = diff(deal, clean_fields(proposal.details["changes"], deal.mode, AMENDABLE))
    if not changes:
        raise Conflict(_("更正内容与交易现状相同"), {"changes": "nothing would change"})
    check_term(deal)
    check_mode_fields(deal, deal.patents, local_today())
    if deal.mode == DealMode.LICENSE and deal.status != DealStatus.CANCELLED:
        legal_check(deal, lock_patents(deal.patent_ids), deal.status)
    amendment = DealAmendment(deal_id=deal.id, changes=changes, reason=proposal.details["reason"],
                              created_by_id=proposal.proposed_by_id,
                              organisation_id=proposal.proposer_organisation_id)
    db.session.add(amendment)
    db.session.flush()
    record_audit("deal.amended", SUBJECT, deal.id,
                 {**changes, "amendment_id": amendment.id, "reason": amendment.reason, "proposal_id": proposal.id},
                 actor=user)


def register() -> None:
    """Declare the deal acts' rules to the consents service (called from ``create_app``)."""
    rules = {ConsentAct.DEAL_SIGNING: (signing_parties, _sign), ConsentAct.DEAL_RECORDAL: (seller_side, _step),
             ConsentAct.DEAL_COMPLETION: (seller_side, _step), ConsentAct.DEAL_CANCELLATION: (both_parties, _step),
             ConsentAct.DEAL_AMENDMENT: (both_parties, _amend)}
    for act, (parties, effect) in rules.items():
        consents.register(act, ActRules(SUBJECT, lock_deal, parties, effect, PAGE))
    brokering.register()
