"""The deal ledger: record transfers, licenses and equity deals, move them through their statuses, amend them.

Deals are what agencies are measured on, so each is recorded once, with its
money exact, and seen only by its parties, its agency and platform admins.
The law enters at three points: no exclusive or sole license while an open
license is declared; no assignment before the open license is withdrawn (or
while pledged); a completed assignment moves the patent, history kept.
Recorded deals are immutable; corrections are amendments with an audit trail.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import Organisation, OrganisationKind, User
from marketplace.core.audit import diff, record_audit
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.core.money import parse_money
from marketplace.core.outbox import record_change
from marketplace.core.permissions import require_organisation
from marketplace.core.text import require_plain
from marketplace.deals.models import Deal, DealAmendment, DealMode, DealPatent, DealStatus, LicenseKind, OwnershipChange
from marketplace.extensions import db
from marketplace.openlicense.eligibility import LAPSED, Ineligible, Refusal, assignment_refusals, license_refusals
from marketplace.core.dates import local_today, parse_date
from marketplace.openlicense.facts import lock_patents, patent_facts
from marketplace.openlicense.services import recheck_patent
from marketplace.patents.models import Patent
from marketplace.patents.numbers import normalise_application_number

ENTITY = "deal"
ORDER = [DealStatus.NEGOTIATING, DealStatus.SIGNED, DealStatus.RECORDED, DealStatus.COMPLETED]
TRANSITIONS = {
    DealStatus.NEGOTIATING: {DealStatus.SIGNED, DealStatus.CANCELLED},
    DealStatus.SIGNED: {DealStatus.RECORDED, DealStatus.COMPLETED, DealStatus.CANCELLED},
    DealStatus.RECORDED: {DealStatus.COMPLETED},
}
EDITABLE = ("title", "amount", "contract_date", "term_start", "term_end", "recordal_number", "match_id", "notes")
AMENDABLE = ("title", "amount", "contract_date", "term_start", "term_end", "recordal_number", "recorded_on", "notes")


def _enum(enum_cls: type, raw: Any, field: str) -> Any:
    member = raw if isinstance(raw, enum_cls) else enum_cls.parse(str(raw or ""))
    if member is None:
        allowed = ", ".join(m.value for m in enum_cls)
        raise ValidationFailed.field(field, f"无效取值，可选：{allowed} / must be one of {allowed}")
    return member


def parse_ids(raw: Any, field: str = "patent_ids") -> list[int]:
    """Patent ids from a list or a form's comma-separated text, deduplicated and sorted."""
    parts = raw.replace("，", ",").split(",") if isinstance(raw, str) else list(raw or [])
    try:
        return sorted({int(str(p).strip()) for p in parts if str(p).strip()})
    except ValueError:
        raise ValidationFailed.field(field, "应为专利编号列表 / expected a list of patent ids") from None


def _organisation(raw: Any, field: str, kinds: tuple[OrganisationKind, ...] = ()) -> Organisation:
    try:
        organisation = db.session.get(Organisation, int(raw))
    except (TypeError, ValueError):
        organisation = None
    if organisation is None:
        raise ValidationFailed.field(field, "机构不存在 / organisation not found")
    if kinds and organisation.kind not in kinds:
        raise ValidationFailed.field(field, f"须为{'、'.join(k.value for k in kinds)}机构 / must be a {kinds[0].value}")
    return organisation


def _clean_fields(raw: Mapping[str, Any], mode: DealMode, names: tuple[str, ...]) -> dict[str, Any]:
    """Validate the editable fields present in ``raw``, naming every wrong one."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    parsers = {
        "title": lambda v: str(v or "").strip()[:300],
        "notes": lambda v: str(v or "").strip()[:5000],
        "amount": lambda v: parse_money(v, "amount", allow_zero=mode == DealMode.LICENSE),
        "contract_date": lambda v: parse_date(v, "contract_date"),
        "term_start": lambda v: parse_date(v, "term_start"),
        "term_end": lambda v: parse_date(v, "term_end"),
        "recorded_on": lambda v: parse_date(v, "recorded_on"),
        "recordal_number": lambda v: (require_plain(str(v or "").strip(), "recordal_number") or None),
        "match_id": lambda v: None if v in (None, "") else int(v),
    }
    for name in names:
        if name in raw:
            try:
                values[name] = parsers[name](raw[name])
            except ValidationFailed as error:
                errors.update(error.fields)
            except (TypeError, ValueError):
                errors[name] = "应为整数 / expected a whole number"
    if values.get("recordal_number") and len(values["recordal_number"]) > 64:
        errors["recordal_number"] = "最多 64 字 / at most 64 characters"
    if errors:
        raise ValidationFailed("; ".join(f"{k}: {v}" for k, v in errors.items()), errors)
    return values


def _check_term(deal: Deal) -> None:
    if deal.term_start and deal.term_end and deal.term_end < deal.term_start:
        raise ValidationFailed.field("term_end", "不能早于起始日 / may not be before the start")


def _legal_check(deal: Deal, patents: list[Patent], target: DealStatus) -> None:
    """The rules a deal must meet to reach ``target``, per patent, all reasons named at once."""
    today = local_today()
    refusals: list[tuple[str, Refusal]] = []
    for patent in patents:
        if patent.owner_id != deal.seller_id:
            refusals.append((patent.application_number, Refusal("seller_not_patentee")))
        if patent.legal_status in LAPSED:
            refusals.append((patent.application_number, Refusal("lapsed")))
        facts = patent_facts(patent, today)
        if deal.mode == DealMode.LICENSE and deal.license_kind:
            refusals += [(patent.application_number, r) for r in license_refusals(deal.license_kind.value, facts)]
        if deal.mode.assigns and target in (DealStatus.SIGNED, DealStatus.RECORDED, DealStatus.COMPLETED):
            refusals += [(patent.application_number, r) for r in assignment_refusals(facts)]
    if refusals:
        raise Ineligible("该交易不符合法定条件 / the deal breaks a legal rule", refusals)


def _visible(user: User, deal: Deal) -> bool:
    return user.is_platform_admin or user.organisation_id in deal.party_ids()


def get_deal(user: User, deal_id: int) -> Deal:
    """A deal seen by its parties, its agency and platform admins; 404 for everyone else."""
    deal = db.session.get(Deal, deal_id)
    if deal is None or not _visible(user, deal):
        raise NotFound("交易不存在 / deal not found")
    return deal


def _deal_for_change(user: User, deal_id: int) -> Deal:
    """Only the parties and the agency change a deal (platform admins read it)."""
    deal = get_deal(user, deal_id)
    if user.organisation_id not in deal.party_ids():
        raise NotFound("交易不存在 / deal not found")
    return deal


def record_deal(user: User, raw: Mapping[str, Any]) -> Deal:
    """Enter a deal, as one of its parties or as the agency brokering it (which then is its agency).

    ``status`` may be given to record a deal that is already signed, recorded
    or completed; it passes through every intermediate transition and rule.
    """
    organisation = require_organisation(user)
    mode = _enum(DealMode, raw.get("mode"), "mode")
    kind = _enum(LicenseKind, raw.get("license_kind"), "license_kind") if mode == DealMode.LICENSE else None
    seller = _organisation(raw.get("seller_id"), "seller_id")
    buyer = _organisation(raw.get("buyer_id"), "buyer_id")
    if seller.id == buyer.id:
        raise ValidationFailed.field("buyer_id", "买卖双方不能相同 / buyer and seller must differ")
    if organisation.kind == OrganisationKind.AGENCY and organisation.id not in (seller.id, buyer.id):
        agency: Organisation | None = organisation
    elif raw.get("agency_id") not in (None, ""):
        agency = _organisation(raw.get("agency_id"), "agency_id", (OrganisationKind.AGENCY,))
    else:
        agency = None
    if organisation.id not in {seller.id, buyer.id, agency.id if agency else None}:
        raise ValidationFailed.field("seller_id",
                                     "须为交易一方或经办机构 / you must be a party or the brokering agency")
    patent_ids = parse_ids(raw.get("patent_ids"))
    patents = lock_patents(patent_ids)
    if not patent_ids or len(patents) != len(patent_ids):
        raise ValidationFailed.field("patent_ids",
                                     "须选择至少一件存在的专利 / at least one existing patent is required")
    if "amount" not in raw:
        raise ValidationFailed.field("amount", "必填 / required")
    values = _clean_fields(raw, mode, EDITABLE)
    target = _enum(DealStatus, raw.get("status") or "negotiating", "status")
    if target == DealStatus.CANCELLED:
        raise ValidationFailed.field("status", "不能以已取消状态录入 / a deal cannot be entered as cancelled")
    deal = Deal(mode=mode, license_kind=kind, status=DealStatus.NEGOTIATING, seller_id=seller.id, buyer_id=buyer.id,
                agency_id=agency.id if agency else None, created_by_id=user.id,
                patent_links=[DealPatent(patent_id=p.id) for p in patents], **values)
    _check_term(deal)
    _legal_check(deal, patents, DealStatus.NEGOTIATING)
    db.session.add(deal)
    db.session.flush()
    record_audit("deal.recorded", ENTITY, deal.id, {"mode": mode, "amount": deal.amount,
                                                    "patent_ids": patent_ids}, actor=user)
    for status in ORDER[1:ORDER.index(target) + 1]:
        _transition(user, deal, status, raw)
    return deal


def next_statuses(deal: Deal) -> list[DealStatus]:
    """The statuses a deal may move to from where it is, in lifecycle order."""
    allowed = TRANSITIONS.get(deal.status, set())
    if deal.status == DealStatus.SIGNED and deal.mode.assigns:
        allowed = allowed - {DealStatus.COMPLETED}
    return [s for s in DealStatus if s in allowed]


def _transition(user: User, deal: Deal, target: DealStatus, raw: Mapping[str, Any]) -> None:
    if target not in next_statuses(deal):
        raise Conflict(f"不能从“{deal.status.label_zh}”变为“{target.label_zh}”"
                       f" / cannot go from {deal.status.value} to {target.value}", {"status": "invalid transition"})
    today = local_today()
    patents = lock_patents(deal.patent_ids)
    if target != DealStatus.CANCELLED:
        _legal_check(deal, patents, target)
    if target == DealStatus.SIGNED:
        deal.contract_date = deal.contract_date or parse_date(raw.get("contract_date"), "contract_date") or today
    elif target == DealStatus.RECORDED:
        number = require_plain(str(raw.get("recordal_number") or deal.recordal_number or "").strip(), "recordal_number")
        if not number:
            raise ValidationFailed.field("recordal_number", "登记须填写登记/备案号 / a registration number is required")
        deal.recordal_number = number[:64]
        deal.recorded_on = parse_date(raw.get("recorded_on"), "recorded_on") or today
    elif target == DealStatus.COMPLETED:
        deal.completed_on = parse_date(raw.get("completed_on"), "completed_on") or today
        if deal.mode.assigns:
            _assign(deal, patents)
    else:
        deal.cancelled_on = today
    previous, deal.status = deal.status, target
    db.session.flush()
    record_audit("deal.status_changed", ENTITY, deal.id, {"status": [previous, target]}, actor=user)
    if deal.mode == DealMode.LICENSE and deal.license_kind in (LicenseKind.EXCLUSIVE, LicenseKind.SOLE):
        for patent in patents:
            recheck_patent(patent.id)


def _assign(deal: Deal, patents: list[Patent]) -> None:
    """Move each patent to the buyer, keeping who owned it before."""
    for patent in patents:
        db.session.add(OwnershipChange(patent_id=patent.id, from_owner_id=patent.owner_id, to_owner_id=deal.buyer_id,
                                       deal_id=deal.id, changed_on=deal.completed_on))
        record_audit("patent.ownership_changed", "patent", patent.id,
                     {"owner_id": [patent.owner_id, deal.buyer_id], "deal_id": deal.id})
        patent.owner_id = deal.buyer_id
        record_change("patent", patent.id)


def update_deal(user: User, deal_id: int, raw: Mapping[str, Any]) -> Deal:
    """Edit a deal still in negotiation or signed, and/or move it to its next status.

    Once recorded a deal's fields are fixed: a correction is an amendment.
    """
    deal = _deal_for_change(user, deal_id)
    fields = {k: v for k, v in raw.items() if k in EDITABLE}
    if fields:
        if deal.status.immutable:
            raise Conflict("已登记的交易不可直接修改，请提交更正 / a recorded deal is corrected through an amendment",
                           {name: "immutable" for name in fields})
        changes = diff(deal, _clean_fields(fields, deal.mode, EDITABLE))
        _check_term(deal)
        if changes:
            db.session.flush()
            record_audit("deal.updated", ENTITY, deal.id, changes, actor=user)
    if raw.get("status") not in (None, "") and _enum(DealStatus, raw["status"], "status") != deal.status:
        _transition(user, deal, _enum(DealStatus, raw["status"], "status"), raw)
    return deal


def amend_deal(user: User, deal_id: int, raw: Mapping[str, Any]) -> DealAmendment:
    """Correct a recorded or completed deal, keeping what changed, why and by whom."""
    deal = _deal_for_change(user, deal_id)
    if deal.status not in (DealStatus.RECORDED, DealStatus.COMPLETED):
        raise Conflict("只有已登记或已完成的交易需要更正；其他状态请直接修改 / "
                       "only recorded or completed deals take amendments: edit the others directly")
    reason = str(raw.get("reason") or "").strip()
    if not reason or len(reason) > 1000:
        raise ValidationFailed.field("reason", "须说明更正理由（≤1000字）/ a reason (≤1000 characters) is required")
    requested = raw.get("changes") or {}
    unknown = sorted(set(requested) - set(AMENDABLE))
    if unknown:
        raise ValidationFailed.field(unknown[0], "不能更正此字段 / this field cannot be amended")
    changes = diff(deal, _clean_fields(requested, deal.mode, AMENDABLE))
    if not changes:
        raise ValidationFailed.field("changes", "没有实际更正 / nothing would change")
    _check_term(deal)
    amendment = DealAmendment(deal_id=deal.id, changes=changes, reason=reason, created_by_id=user.id,
                              organisation_id=user.organisation_id)
    db.session.add(amendment)
    db.session.flush()
    record_audit("deal.amended", ENTITY, deal.id, {**changes, "amendment_id": amendment.id, "reason": reason},
                 actor=user)
    return amendment


def list_deals(user: User, filters: Mapping[str, Any], page: int = 1, per_page: int = 20) -> tuple[list[Deal], int]:
    """The deals the user may see (parties, agency, or all for a platform admin), newest first."""
    stmt = select(Deal)
    if not user.is_platform_admin:
        org_id = user.organisation_id
        stmt = stmt.where(or_(Deal.seller_id == org_id, Deal.buyer_id == org_id, Deal.agency_id == org_id))
    if filters.get("mode"):
        stmt = stmt.where(Deal.mode == _enum(DealMode, filters["mode"], "mode"))
    if filters.get("status"):
        stmt = stmt.where(Deal.status == _enum(DealStatus, filters["status"], "status"))
    if filters.get("patent_id"):
        stmt = stmt.where(Deal.patent_links.any(DealPatent.patent_id == int(filters["patent_id"])))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    items = list(db.session.scalars(
        stmt.options(selectinload(Deal.patent_links).selectinload(DealPatent.patent),
                     selectinload(Deal.seller), selectinload(Deal.buyer), selectinload(Deal.agency))
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
        raise ValidationFailed.field(field, "必填 / required")
    normalised = [normalise_application_number(n, field) for n in numbers]
    found = dict(db.session.execute(select(Patent.application_number, Patent.id)
                                    .where(Patent.application_number.in_(normalised))).all())
    missing = [n for n in normalised if n not in found]
    if missing:
        raise ValidationFailed.field(
            field, f"平台上没有这些专利：{'、'.join(missing)} / unknown patents: {', '.join(missing)}")
    return sorted(set(found.values()))


def ownership_history(patent_id: int) -> list[OwnershipChange]:
    return list(db.session.scalars(select(OwnershipChange).where(OwnershipChange.patent_id == patent_id)
                                   .order_by(OwnershipChange.id)))
