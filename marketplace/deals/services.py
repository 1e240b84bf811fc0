"""The deal ledger: record transfers, licenses and equity deals, edit them while negotiating, propose each step.

Deals are what agencies are measured on, so each is recorded once, with its
money exact, and seen only by its parties, its agency and platform admins. A
party or the brokering agency records a deal; it binds only when every party
whose rights it changes has signed through its own account, and each later
step (recordal, completion, cancellation, amendment) waits for the consents
``deals.acts`` names. Recorded deals are immutable; corrections are
amendments both parties agree to, kept with their reasons.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import Organisation, OrganisationKind, User
from marketplace.consents import services as consents
from marketplace.consents.models import ConsentAct, Proposal
from marketplace.core.audit import jsonable, diff, record_audit
from marketplace.core.dates import local_today, parse_date
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.accounts.permissions import get_visible, require_organisation
from marketplace.deals import acts
from marketplace.deals.models import Deal, DealMode, DealPatent, DealStatus, LicenseKind, OwnershipChange
from marketplace.deals.terms import (
    AMENDABLE, EDITABLE, check_mode_fields, check_term, clean_fields, foreign_mode_fields, parse_member,
)
from marketplace.extensions import db
from marketplace.deals.records import BINDING
from marketplace.openlicense.facts import lock_patents
from marketplace.patents.models import Patent
from marketplace.push.models import NotificationKind
from marketplace.push.messages import N_, message
from marketplace.push.notify import notify_organisation
from marketplace.patents.numbers import normalise_application_number

ENTITY = acts.SUBJECT
STEP_FIELDS = ("recordal_number",)  # given with a status, it belongs to the step (the registration), not an edit


def parse_ids(raw: Any, field: str = "patent_ids") -> list[int]:
    """Patent ids from a list or a form's comma-separated text, deduplicated and sorted."""
    parts = raw.replace("，", ",").split(",") if isinstance(raw, str) else list(raw or [])
    try:
        return sorted({int(str(p).strip()) for p in parts if str(p).strip()})
    except ValueError:
        raise ValidationFailed.field(field, _("应为专利编号列表")) from None


def _organisation(raw: Any, field: str, kinds: tuple[OrganisationKind, ...] = ()) -> Organisation:
    try:
        organisation = db.session.get(Organisation, int(raw))
    except (TypeError, ValueError):
        organisation = None
    if organisation is None:
        raise ValidationFailed.field(field, _("机构不存在"))
    if kinds and organisation.kind not in kinds:
        raise ValidationFailed.field(field, _("须为运营机构"))
    return organisation


def _check_auction_house(values: Mapping[str, Any]) -> None:
    if values.get("auction_house_id") is not None:
        _organisation(values["auction_house_id"], "auction_house_id")


def get_deal(user: User, deal_id: int) -> Deal:
    """A deal seen by its parties, its agency, the organisations asked to consent to it (co-owners, pledgees)
    and platform admins; 404 for everyone else."""
    return get_visible(user, Deal, deal_id, Deal.party_ids, _("交易不存在"),
                       also=lambda deal: consents.was_asked(ENTITY, deal.id, user.organisation_id))


def _deal_for_change(user: User, deal_id: int) -> Deal:
    """Only the parties and the agency act on a deal (others asked to consent only decide); locked for the change."""
    deal = get_deal(user, deal_id)
    if user.organisation_id not in deal.party_ids():
        raise NotFound(_("交易不存在"))
    return acts.lock_deal(deal.id)


def record_deal(user: User, raw: Mapping[str, Any]) -> Deal:
    """Enter a deal, as one of its parties or as the agency brokering it (which then is its agency).

    The deal starts negotiating and every party is asked to sign its terms.
    ``status`` (signed, recorded, completed) records a deal that went further
    outside the platform: the parties' signatures then carry it there at once,
    through every intermediate rule.
    """
    organisation = require_organisation(user)
    mode = parse_member(DealMode, raw.get("mode"), "mode")
    kind = parse_member(LicenseKind, raw.get("license_kind"), "license_kind") if mode == DealMode.LICENSE else None
    foreign_mode_fields(raw, mode)
    seller = _organisation(raw.get("seller_id"), "seller_id")
    # an entrusted operation's buyer is its operator, an operation agency
    buyer = _organisation(raw.get("buyer_id"), "buyer_id",
                          (OrganisationKind.AGENCY,) if mode == DealMode.ENTRUSTED else ())
    if seller.id == buyer.id:
        raise ValidationFailed.field("buyer_id", _("买卖双方不能相同"))
    if organisation.kind == OrganisationKind.AGENCY and organisation.id not in (seller.id, buyer.id):
        agency: Organisation | None = organisation
    elif raw.get("agency_id") not in (None, ""):
        agency = _organisation(raw.get("agency_id"), "agency_id", (OrganisationKind.AGENCY,))
    else:
        agency = None
    if organisation.id not in {seller.id, buyer.id, agency.id if agency else None}:
        raise ValidationFailed.field("seller_id", _("须为交易一方或经办机构"))
    patent_ids = parse_ids(raw.get("patent_ids"))
    patents = lock_patents(patent_ids)
    if not patent_ids or len(patents) != len(patent_ids):
        raise ValidationFailed.field("patent_ids", _("须选择至少一件存在的专利"))
    if "amount" not in raw:
        raise ValidationFailed.field("amount", _("必填"))
    values = clean_fields(raw, mode, EDITABLE)
    _check_auction_house(values)
    target = parse_member(DealStatus, raw.get("status") or DealStatus.SIGNED.value, "status")
    if target == DealStatus.CANCELLED:
        raise ValidationFailed.field("status", _("不能以已取消状态录入"))
    if mode == DealMode.ENTRUSTED and target not in (DealStatus.NEGOTIATING, DealStatus.SIGNED):
        raise ValidationFailed.field("status", _("委托运营无须登记，签约即生效"))
    details = acts.step_details(max(target, DealStatus.SIGNED, key=acts.ORDER.index), raw)
    deal = Deal(mode=mode, license_kind=kind, status=DealStatus.NEGOTIATING, seller_id=seller.id, buyer_id=buyer.id,
                agency_id=agency.id if agency else None, created_by_id=user.id,
                patent_links=[DealPatent(patent_id=p.id) for p in patents], **values)
    check_term(deal)
    check_mode_fields(deal, patents, local_today())
    acts.legal_check(deal, patents, DealStatus.NEGOTIATING)
    db.session.add(deal)
    db.session.flush()
    record_audit("deal.recorded", ENTITY, deal.id, {"mode": mode, "amount": deal.amount,
                                                    "patent_ids": patent_ids}, actor=user)
    acts.propose_signing(user, deal, details)
    return deal


def next_statuses(deal: Deal) -> list[DealStatus]:
    """The statuses a party may propose from where the deal is, in lifecycle order."""
    return acts.next_statuses(deal)


def update_deal(user: User, deal_id: int, raw: Mapping[str, Any]) -> Deal:
    """Edit a deal still negotiating (every party is asked again), and/or propose its next status.

    Signing is not a status one sets: it happens when every party has
    approved. Once signed, a deal's fields change only by an amendment.
    """
    deal = _deal_for_change(user, deal_id)
    step = raw.get("status") not in (None, "")
    fields = {k: v for k, v in raw.items() if k in EDITABLE and not (step and k in STEP_FIELDS)}
    if fields:
        if deal.status != DealStatus.NEGOTIATING:
            raise Conflict(_("已签约的交易不可直接修改，请提交更正"), {name: "immutable" for name in fields})
        foreign_mode_fields(fields, deal.mode)
        values = clean_fields(fields, deal.mode, EDITABLE)
        _check_auction_house(values)
        changes = diff(deal, values)
        check_term(deal)
        check_mode_fields(deal, deal.patents, local_today())
        if changes:
            deal.terms_version += 1
            acts.legal_check(deal, lock_patents(deal.patent_ids), DealStatus.NEGOTIATING)
            db.session.flush()
            record_audit("deal.updated", ENTITY, deal.id, {**changes, "terms_version": deal.terms_version},
                         actor=user)
            previous = consents.pending_proposal(ENTITY, deal.id, ConsentAct.DEAL_SIGNING)
            acts.propose_signing(user, deal, previous.details if previous else {"target": "signed"})
    if step:
        target = parse_member(DealStatus, raw["status"], "status")
        if target != deal.status:
            acts.propose_step(user, deal, target, raw)
    return deal


def amend_deal(user: User, deal_id: int, raw: Mapping[str, Any]) -> Proposal:
    """Propose a correction of a signed, recorded or completed deal; it applies once seller and buyer agree."""
    deal = _deal_for_change(user, deal_id)
    if deal.status not in BINDING:
        raise Conflict(_("只有已签约的交易需要更正；洽谈中的交易请直接修改"))
    reason = str(raw.get("reason") or "").strip()
    if not reason or len(reason) > 1000:
        raise ValidationFailed.field("reason", _("须说明更正理由（≤1000字）"))
    requested = raw.get("changes") or {}
    unknown = sorted(set(requested) - set(AMENDABLE))
    if unknown:
        raise ValidationFailed.field(unknown[0], _("不能更正此字段"))
    cleaned = clean_fields(requested, deal.mode, AMENDABLE)
    changes = {name: value for name, value in cleaned.items() if getattr(deal, name) != value}
    if not changes:
        raise ValidationFailed.field("changes", _("没有实际更正"))
    check_mode_fields(deal, deal.patents, local_today(), changes)  # a hammer price below the reserve, refused now
    return consents.propose(user, ConsentAct.DEAL_AMENDMENT, deal, summary=acts.summary(deal),
                            details={"changes": {k: jsonable(v) for k, v in changes.items()}, "reason": reason})


def list_deals(user: User, filters: Mapping[str, Any], page: int = 1, per_page: int = 20) -> tuple[list[Deal], int]:
    """The deals the user may see (parties, agency, those asked to consent, or all for a platform admin), newest
    first."""
    stmt = select(Deal)
    if not user.is_platform_admin:
        org_id = user.organisation_id
        stmt = stmt.where(or_(Deal.seller_id == org_id, Deal.buyer_id == org_id, Deal.agency_id == org_id,
                              Deal.id.in_(consents.asked_of(ENTITY, org_id))))
    if filters.get("mode"):
        stmt = stmt.where(Deal.mode == parse_member(DealMode, filters["mode"], "mode"))
    if filters.get("status"):
        stmt = stmt.where(Deal.status == parse_member(DealStatus, filters["status"], "status"))
    if filters.get("patent_id"):
        stmt = stmt.where(Deal.patent_links.any(DealPatent.patent_id == int(filters["patent_id"])))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    items = list(db.session.scalars(
        stmt.options(selectinload(Deal.patent_links).selectinload(DealPatent.patent),
                     selectinload(Deal.seller), selectinload(Deal.buyer), selectinload(Deal.agency),
                     selectinload(Deal.proposals).selectinload(Proposal.consents))
        .order_by(Deal.id.desc()).limit(per_page).offset((page - 1) * per_page)))
    return items, total


def organisations_for_entry(kinds: tuple[OrganisationKind, ...] = ()) -> list[Organisation]:
    """Organisations a deal or pledge form offers as parties, by name."""
    stmt = select(Organisation).order_by(Organisation.name)
    if kinds:
        stmt = stmt.where(Organisation.kind.in_(kinds))
    return list(db.session.scalars(stmt))


def patent_ids_for_numbers(raw: str, field: str = "patent_numbers") -> list[int]:
    """Resolve application numbers typed in a form (any accepted spelling) to patent ids, naming unknown ones."""
    numbers = [p.strip() for p in re.split(r"[\n,，;；、]+", raw or "") if p.strip()]
    if not numbers:
        raise ValidationFailed.field(field, _("必填"))
    normalised = [normalise_application_number(n, field) for n in numbers]
    found = dict(db.session.execute(select(Patent.application_number, Patent.id)
                                    .where(Patent.application_number.in_(normalised))).all())
    missing = [n for n in normalised if n not in found]
    if missing:
        raise ValidationFailed.field(field, _("平台上没有这些专利：%(numbers)s", numbers=_("、").join(missing)))
    return sorted(set(found.values()))


def ownership_history(patent_id: int) -> list[OwnershipChange]:
    return list(db.session.scalars(select(OwnershipChange).where(OwnershipChange.patent_id == patent_id)
                                   .order_by(OwnershipChange.id)))


def entrustment_in_force(deal: Deal, today: date) -> bool:
    """An entrusted operation signed by owner and operator, not ended, within its term."""
    return (deal.mode == DealMode.ENTRUSTED and deal.status == DealStatus.SIGNED
            and deal.term_start is not None and deal.term_end is not None
            and deal.term_start <= today <= deal.term_end)


def end_entrustment(user: User, deal_id: int, raw: Mapping[str, Any]) -> Deal:
    """The owner (the seller) ends an entrusted operation on ``ended_on`` (default today), alone: the mandate was
    its to give and is its to take back. The operator keeps what it brokered before; the deal is completed."""
    deal = _deal_for_change(user, deal_id)
    if deal.mode != DealMode.ENTRUSTED:
        raise NotFound(_("交易不存在"))
    if user.organisation_id != deal.seller_id:
        raise Conflict(_("只有委托方（专利权人）可以终止委托运营"), {"ended_on": "owner only"})
    if deal.status != DealStatus.SIGNED:
        raise Conflict(_("只有已生效的委托运营可以终止"), {"ended_on": "not in force"})
    today = local_today()
    ended_on = parse_date(raw.get("ended_on"), "ended_on") or today
    if ended_on > today:
        raise ValidationFailed.field("ended_on", _("不能晚于今天"))
    if deal.term_start and ended_on < deal.term_start:
        raise ValidationFailed.field("ended_on", _("不能早于委托期限起始日"))
    previous, deal.status, deal.completed_on = deal.status, DealStatus.COMPLETED, ended_on
    consents.lapse_pending(ENTITY, deal.id)
    db.session.flush()
    record_audit("deal.entrustment_ended", ENTITY, deal.id,
                 {"status": [previous, deal.status], "completed_on": ended_on}, actor=user)
    notify_organisation(deal.buyer_id, NotificationKind.ACT_EFFECTIVE, f"entrustment-ended:{deal.id}",
                        message(N_("委托运营已终止：%(summary)s"), summary=acts.summary(deal)),
                        [message(N_("%(owner)s 已于 %(day)s 终止委托运营；此前经办的交易不受影响。"),
                                 owner=deal.seller.name, day=ended_on.isoformat())], data={"deal_id": deal.id})
    return deal


def brokered_under(deal: Deal) -> list[Deal]:
    """The deals the operator of an entrusted operation brokered for its patents during the entrustment (from
    its start to its end, or to the end of its term): what the mandate produced."""
    if deal.mode != DealMode.ENTRUSTED or deal.status not in BINDING or deal.term_start is None:
        return []
    until = deal.completed_on or deal.term_end
    stmt = (select(Deal).where(Deal.agency_id == deal.buyer_id, Deal.id != deal.id,
                               Deal.patent_links.any(DealPatent.patent_id.in_(deal.patent_ids)),
                               func.coalesce(Deal.contract_date, func.date(Deal.created_at)) >= deal.term_start)
            .order_by(Deal.id))
    if until is not None:
        stmt = stmt.where(func.coalesce(Deal.contract_date, func.date(Deal.created_at)) <= until)
    return list(db.session.scalars(stmt))
