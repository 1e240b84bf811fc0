"""Abandoning a patent: one entry point, ``abandon_patent``, and one two-sided act, ``patent_abandonment``.

The law wants an open license withdrawn before the patent is abandoned
(Implementing Rules art. 86), so ``abandon_patent`` first proposes the
withdrawal through the existing act (``openlicense.services.withdraw_declaration``:
the patentee and every co-owner consent; without co-owners it takes effect at
once) and then proposes the abandonment itself, which the patentee and every
co-owner consent to as well. The abandonment takes effect only when every one
has approved *and* the rules pass again under a lock on the patent: still in
force, no published declaration (a withdrawal still waiting for a co-owner
refuses it, naming the rule), not pledged. It then records the decision (who
proposed it, who consented, when), and the patent's status becomes
``terminated`` through the patent services, which ends what depends on it.

An internal approval step (issue 15, the "office" workflow) belongs at the
top of ``abandon_patent``: nothing else abandons a patent.

| act (``ConsentAct``) | who may propose | who must approve | takes effect |
| --- | --- | --- | --- |
| abandonment (``patent_abandonment``) | the patentee (``abandon_patent``) | the patentee and every co-owner | the decision *effective*, the patent *terminated*, its open fees closed |
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.consents import services as consents
from marketplace.consents.models import ConsentAct, ConsentRole, Proposal
from marketplace.consents.services import ActRules, Party
from marketplace.core.audit import record_audit
from marketplace.core.dates import local_today
from marketplace.core.errors import NotFound
from marketplace.core.locking import lock_row
from marketplace.core.models import utcnow
from marketplace.accounts.permissions import require_organisation
from marketplace.extensions import db
from marketplace.fees import ledger
from marketplace.fees.models import AnnualFee, Decision, DecisionStatus, FeeDecision, FeeState
from marketplace.legal.eligibility import abandonment_refusals
from marketplace.legal.refusals import Ineligible
from marketplace.navigation import SUPPLY
from marketplace.openlicense.facts import lock_patents, patent_facts
from marketplace.openlicense.models import DeclarationStatus, OpenLicenseDeclaration
from marketplace.patents.models import Patent
from marketplace.patents.vocab import LegalStatus

SUBJECT = "patent_abandonment"
PAGE = ("fees.decision", "decision_id")
WITHDRAWAL_FIRST = "withdraw_open_license_before_abandoning"

def next_fee(patent: Patent) -> AnnualFee | None:
    return db.session.scalar(select(AnnualFee).where(AnnualFee.patent_id == patent.id,
                                                     AnnualFee.state == FeeState.OPEN)
                             .order_by(AnnualFee.due_date).limit(1))


def next_due(patent: Patent) -> date | None:
    fee = next_fee(patent)
    return fee.due_date if fee else None


def last_day_to_keep(patent: Patent) -> date | None:
    """The end of the grace period of the next fee: after it, unpaid, the right lapses anyway."""
    fee = next_fee(patent)
    return fee.grace_end if fee else None


def review_year_of(patent: Patent) -> int:
    """The review a decision belongs to: the year its next fee falls due (this year when none is due)."""
    due = next_due(patent)
    return due.year if due else local_today().year


def lock_decision_for(patent: Patent, year: int) -> FeeDecision | None:
    return db.session.scalar(select(FeeDecision).where(FeeDecision.patent_id == patent.id,
                                                       FeeDecision.review_year == year).with_for_update())


def _refusals(patent: Patent, today: date, *, withdrawal_pending: bool = False):
    found = abandonment_refusals(patent_facts(patent, today), today)
    return [r for r in found if not (withdrawal_pending and r.code == WITHDRAWAL_FIRST)]


def abandon_patent(user: User, patent_id: int, *, year: int | None = None, reason: str = "") -> FeeDecision:
    """The one way to abandon a patent: withdraw its open license first, then propose the abandonment.

    Refuses at once (409, every reason named) what no consent could cure: a
    lapsed or pending patent, a pledge, a co-owner without an account. The
    withdrawal, when needed, is proposed with the same reason; the
    abandonment waits for it and for every co-owner.
    """
    require_organisation(user, SUPPLY)
    patent = (lock_patents([patent_id]) or [None])[0]
    if patent is None or patent.owner_id != user.organisation_id:
        raise NotFound(_("专利不存在"))
    today = local_today()
    refusals = _refusals(patent, today, withdrawal_pending=True)
    if refusals:
        raise Ineligible(_("该专利目前不能放弃"), [(patent.application_number, r) for r in refusals])
    year = year or review_year_of(patent)
    reason = (reason or "").strip()[:500]
    decision = lock_decision_for(patent, year)
    if decision is None:
        decision = FeeDecision(patent_id=patent.id, owner_id=patent.owner_id, review_year=year)
        db.session.add(decision)
    elif decision.status == DecisionStatus.EFFECTIVE and decision.decision == Decision.ABANDON:
        return decision
    else:
        decision.terms_version += 1  # the consents given to an earlier decision no longer count
    decision.decision, decision.status, decision.reason = Decision.ABANDON, DecisionStatus.PENDING, reason
    decision.offer_mode = decision.offer_price = decision.listed_until = None
    decision.decided_by_id, decision.decided_at = user.id, utcnow()
    db.session.flush()
    record_audit("fee_decision.abandon", "fee_decision", decision.id,
                 {"patent_id": patent.id, "review_year": year, "reason": reason}, actor=user)
    declaration = db.session.scalar(select(OpenLicenseDeclaration).where(
        OpenLicenseDeclaration.patent_id == patent.id, OpenLicenseDeclaration.status == DeclarationStatus.PUBLISHED))
    if declaration is not None:
        from marketplace.openlicense.services import withdraw_declaration
        withdraw_declaration(user, declaration.id, _("拟放弃专利权，先行撤回开放许可声明。%(reason)s", reason=reason))
    consents.propose(user, ConsentAct.PATENT_ABANDONMENT, decision,
                     summary=f"{patent.application_number}《{patent.title[:100]}》", details={"reason": reason})
    return decision


def lock_decision(decision_id: int) -> FeeDecision:
    """The patent, then the decision, ``FOR UPDATE``: the order ``abandon_patent`` takes them in."""
    patent_id = db.session.scalar(select(FeeDecision.patent_id).where(FeeDecision.id == decision_id))
    if patent_id is None:
        raise NotFound(_("决定不存在"))
    lock_patents([patent_id])
    return lock_row(FeeDecision, decision_id, _("决定不存在"))


def parties(proposal: Proposal | None, decision: FeeDecision) -> list[Party]:
    """The patentee and every co-owner linked on the platform (an unlinked one refuses through the rules)."""
    co_owners = [org_id for org_id in decision.patent.co_owner_organisations().values()
                 if org_id and org_id != decision.owner_id]
    return [Party(decision.owner_id, ConsentRole.PATENTEE),
            *[Party(org_id, ConsentRole.CO_OWNER) for org_id in dict.fromkeys(co_owners)]]


def _take_effect(proposal: Proposal, decision: FeeDecision, user: User) -> None:
    """Everyone approved: re-apply the rules under the patent's lock, then the right ends."""
    today = local_today()
    patent = lock_patents([decision.patent_id])[0]
    refusals = _refusals(patent, today)
    if refusals:
        raise Ineligible(_("该专利目前不能放弃"), [(patent.application_number, r) for r in refusals])
    decision.status, decision.effective_on = DecisionStatus.EFFECTIVE, today
    ledger.set_status(patent, LegalStatus.TERMINATED, today)
    ledger.sync_patents([patent.id], today)
    record_audit("patent.abandoned", "patent", patent.id,
                 {"decision_id": decision.id, "proposed_by": proposal.proposed_by_id,
                  "consents": [c.organisation_id for c in proposal.consents if c.is_approved]},
                 actor=user, organisation_id=patent.owner_id)


def _rejected(proposal: Proposal, decision: FeeDecision, user: User) -> None:
    decision.status = DecisionStatus.REJECTED


def register() -> None:
    """Declare the abandonment act's rules to the consents service (called from ``create_app``)."""
    consents.register(ConsentAct.PATENT_ABANDONMENT,
                      ActRules(SUBJECT, lock_decision, parties, _take_effect, PAGE, on_rejected=_rejected))
