"""The yearly keep-or-abandon review: the owner's patents whose fee falls due in the year, D grade first.

For each patent the owner keeps it (the fee will be paid), offers it (listed
to companies for a last period as a transfer or an open license at a reduced
price) or abandons it (``fees.abandonment``, the one entry point). Every
decision records who took it and when; a patent on offer carries a badge and
is listed at ``/patents/last-call`` until ``listed_until``.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import DEFAULT_GRADE_LABELS, User
from marketplace.core.audit import diff, record_audit
from marketplace.core.dates import local_today, parse_date
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.models import utcnow
from marketplace.core.money import parse_money
from marketplace.accounts.permissions import get_visible, require_organisation
from marketplace.deals.terms import parse_member
from marketplace.extensions import db
from marketplace.fees import abandonment
from marketplace.fees.ledger import IN_FORCE
from marketplace.fees.models import AnnualFee, Decision, DecisionStatus, FeeDecision, FeeState, OfferMode
from marketplace.navigation import SUPPLY
from marketplace.patents.models import Patent
from marketplace.patents.vocab import PublicationState

ENTITY = "fee_decision"
PER_PAGE = 100


@dataclass(frozen=True)
class ReviewItem:
    patent: Patent
    fee: AnnualFee
    decision: FeeDecision | None


def grade_order(labels: list[str] | None) -> list[str]:
    """The owner's grades, lowest first (D before C …): candidates to drop are reviewed first."""
    return list(reversed(labels or DEFAULT_GRADE_LABELS))


def review(user: User, year: int, grade: str | None = None, page: int = 1,
           per_page: int = PER_PAGE) -> tuple[list[ReviewItem], int]:
    """The owner's in-force patents with a fee still unpaid that falls due in ``year``, lowest grade first
    (ungraded last), each with this year's decision; and how many there are."""
    organisation = require_organisation(user, SUPPLY)
    order = grade_order(organisation.grade_labels)
    first_fee = (select(AnnualFee.patent_id, func.min(AnnualFee.due_date).label("due"))
                 .where(AnnualFee.owner_id == organisation.id, AnnualFee.state == FeeState.OPEN,
                        AnnualFee.due_date >= date(year, 1, 1), AnnualFee.due_date <= date(year, 12, 31))
                 .group_by(AnnualFee.patent_id).subquery())
    rank = case({label: index for index, label in enumerate(order)}, value=Patent.grade, else_=len(order))
    stmt = (select(Patent, AnnualFee).join(first_fee, first_fee.c.patent_id == Patent.id)
            .join(AnnualFee, (AnnualFee.patent_id == Patent.id) & (AnnualFee.due_date == first_fee.c.due))
            .where(Patent.owner_id == organisation.id, Patent.legal_status.in_(IN_FORCE)))
    if grade:
        stmt = stmt.where(Patent.grade == grade)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.execute(stmt.order_by(rank, first_fee.c.due, Patent.id)
                              .limit(per_page).offset((page - 1) * per_page)).all()
    decisions = {d.patent_id: d for d in db.session.scalars(select(FeeDecision).where(
        FeeDecision.patent_id.in_([patent.id for patent, _fee in rows]), FeeDecision.review_year == year)
        .options(selectinload(FeeDecision.decided_by)))}
    return [ReviewItem(patent, fee, decisions.get(patent.id)) for patent, fee in rows], total


def _owned(user: User, patent_id: int) -> Patent:
    require_organisation(user, SUPPLY)
    return get_visible(user, Patent, patent_id, lambda row: [row.owner_id], _("专利不存在"), admins=False)


def _year(raw: Any, patent: Patent) -> int:
    if raw in (None, ""):
        return abandonment.review_year_of(patent)
    try:
        year = int(str(raw))
    except ValueError:
        raise ValidationFailed.field("review_year", _("应为整数")) from None
    if not 2000 <= year <= 2200:
        raise ValidationFailed.field("review_year", _("应在 %(low)d–%(high)d 之间", low=2000, high=2200))
    return year


def decide(user: User, patent_id: int, raw: Mapping[str, Any]) -> FeeDecision:
    """Record this year's decision on a patent: keep, offer (mode, reduced price, listed until) or abandon."""
    patent = _owned(user, patent_id)
    choice = parse_member(Decision, raw.get("decision"), "decision")
    year = _year(raw.get("review_year"), patent)
    reason = str(raw.get("reason") or "").strip()
    if len(reason) > 500:
        raise ValidationFailed.field("reason", _("最多 %(n)d 字", n=500))
    if choice == Decision.ABANDON:
        return abandonment.abandon_patent(user, patent.id, year=year, reason=reason)
    if patent.legal_status not in IN_FORCE:
        raise Conflict(_("专利权已不在有效期内，无需决定"), {"legal_status": patent.legal_status.value})
    today = local_today()
    values: dict[str, Any] = {"decision": choice, "reason": reason, "offer_mode": None, "offer_price": None,
                              "listed_until": None, "status": DecisionStatus.RECORDED}
    if choice == Decision.OFFER:
        values["offer_mode"] = parse_member(OfferMode, raw.get("offer_mode"), "offer_mode")
        values["offer_price"] = parse_money(raw.get("offer_price"), "offer_price", allow_zero=False) \
            if raw.get("offer_price") not in (None, "") else None
        if values["offer_price"] is None and values["offer_mode"] == OfferMode.TRANSFER:
            raise ValidationFailed.field("offer_price", _("转让须填写推介价格"))
        listed_until = parse_date(raw.get("listed_until"), "listed_until") or abandonment.next_due(patent)
        if listed_until is None or listed_until < today:
            raise ValidationFailed.field("listed_until", _("推介截止日不能早于今天"))
        last = abandonment.last_day_to_keep(patent)
        if last is not None and listed_until > last:
            raise ValidationFailed.field("listed_until", _("推介截止日不能晚于下一年度年费滞纳期届满日 %(date)s",
                                                           date=last.isoformat()))
        values["listed_until"] = listed_until
    found = abandonment.lock_decision_for(patent, year)
    if found is not None and found.decision == Decision.ABANDON and found.status in (DecisionStatus.PENDING,
                                                                                     DecisionStatus.EFFECTIVE):
        raise Conflict(_("放弃专利权已提出或已生效，不能再改为其他决定"), {"decision": found.status.value})
    decision = found or FeeDecision(patent_id=patent.id, owner_id=patent.owner_id, review_year=year)
    if found is None:
        db.session.add(decision)
    changes = diff(decision, values)
    decision.decided_by_id, decision.decided_at = user.id, utcnow()
    db.session.flush()
    record_audit(f"fee_decision.{choice.value}", ENTITY, decision.id,
                 {"patent_id": patent.id, "review_year": year, **changes}, actor=user)
    return decision


def get_decision(user: User, decision_id: int) -> FeeDecision:
    """A decision, for its owner, the co-owners asked to consent to an abandonment, and platform admins."""
    from marketplace.consents.services import was_asked

    return get_visible(user, FeeDecision, decision_id, lambda row: [row.owner_id], _("决定不存在"),
                       also=lambda row: was_asked(abandonment.SUBJECT, row.id, user.organisation_id))


def _listed(today: date):
    return (select(FeeDecision).join(Patent, Patent.id == FeeDecision.patent_id)
            .where(FeeDecision.decision == Decision.OFFER, FeeDecision.listed_until >= today,
                   Patent.legal_status.in_(IN_FORCE), Patent.state == PublicationState.PUBLISHED))


def last_call(page: int = 1, per_page: int = 20) -> tuple[list[FeeDecision], int]:
    """Patents their owners will drop unless someone takes them: published, in force, listed until a date not past,
    soonest deadline first."""
    today = local_today()
    stmt = _listed(today)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = list(db.session.scalars(stmt.options(selectinload(FeeDecision.patent).selectinload(Patent.owner))
                                    .order_by(FeeDecision.listed_until, FeeDecision.id)
                                    .limit(per_page).offset((page - 1) * per_page)))
    return items, total


def last_call_offers(patent_ids: list[int]) -> dict[int, FeeDecision]:
    """The live offer of each of these patents (for badges on lists and the patent page), in one query."""
    if not patent_ids:
        return {}
    return {d.patent_id: d for d in db.session.scalars(_listed(local_today())
                                                        .where(FeeDecision.patent_id.in_(patent_ids)))}
