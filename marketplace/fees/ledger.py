"""Keeping the annual-fee ledger: one row per patent and fee year, its amount explained, paid or not.

``sync_patents`` writes the rows a granted patent needs (the year of grant,
paid with the grant; every year falling due within the next twelve months)
and recomputes the open ones, since a reduction may have begun or ended
since (the owner recorded its fee-reduction status, a license of the
patent's open license was recorded). A patent first seen long after grant
starts at its next due fee: one still in force has paid the earlier ones,
one whose fee is overdue starts at that fee. ``apply_fee_status`` lets the
legal status follow the ledger: a fee unpaid on its due date makes a granted
patent ``fee_overdue`` (which suspends its open license), unpaid when the
grace period ends makes it ``terminated`` (which ends it); paying restores
``granted``. Both run from the periodic job ``annual-fees``; every status
change goes through ``patents.services.save_patent``, so the declaration
rules, the search index and the audit trail follow as for any other edit.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import User
from marketplace.core.audit import record_audit
from marketplace.core.dates import local_today, require_date
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.locking import lock_row
from marketplace.core.money import format_cny, parse_money
from marketplace.extensions import db
from marketplace.fees.models import AnnualFee, FeeReductionStatus, FeeState
from marketplace.fees.schedule import fee_schedule
from marketplace.legal import annual_fees as rules
from marketplace.legal.annual_fees import FeeQuote, FeeScheduleGap
from marketplace.legal.term import has_lapsed
from marketplace.openlicense.models import LicenseGrant
from marketplace.patents.models import Patent
from marketplace.patents.validation import PatentValues
from marketplace.patents.vocab import LegalStatus
from marketplace.accounts.permissions import get_visible

ENTITY = "annual_fee"
HORIZON = timedelta(days=366)  # rows exist for every fee due within the next year
IN_FORCE = (LegalStatus.GRANTED, LegalStatus.FEE_OVERDUE, LegalStatus.INVALIDATION_PENDING)
CHUNK = 1000


@dataclass(frozen=True)
class PatentTerms:
    """What a patent's fees depend on besides the patent: the owner's reduction and its recorded licenses."""

    reduction: str | None = None
    reduction_refused: str = ""
    licenses: tuple[tuple[str, date, date], ...] = ()  # (recordal number, effective on, term end)

    def open_license_on(self, day: date) -> str | None:
        """The recordal number of a license of the patent's open license in implementation on ``day``."""
        return next((number for number, start, end in self.licenses if start <= day <= end), None)


def _terms_for(patents: list[Patent]) -> dict[int, PatentTerms]:
    """Reduction and recorded licenses of many patents in two queries."""
    if not patents:
        return {}
    holders = {p.owner_id for p in patents} | {link.organisation_id for p in patents for link in p.co_owner_links
                                               if link.organisation_id}
    reduced = set(db.session.scalars(select(FeeReductionStatus.organisation_id)
                                     .where(FeeReductionStatus.organisation_id.in_(holders))))
    licenses: dict[int, list[tuple[str, date, date]]] = defaultdict(list)
    for patent_id, number, start, end in db.session.execute(
            select(LicenseGrant.patent_id, LicenseGrant.recordal_number, LicenseGrant.effective_on,
                   LicenseGrant.term_end)
            .where(LicenseGrant.patent_id.in_([p.id for p in patents]), LicenseGrant.recordal_number.is_not(None),
                   LicenseGrant.effective_on.is_not(None)).order_by(LicenseGrant.recorded_on)):
        licenses[patent_id].append((number, start, end))
    found: dict[int, PatentTerms] = {}
    for patent in patents:
        kind, refused = None, ""
        if patent.owner_id in reduced:
            co_owners = patent.co_owner_organisations()
            missing = [name for name, org_id in co_owners.items() if org_id not in reduced]
            if not co_owners:
                kind = rules.SINGLE
            elif missing:
                refused = str(_("、")).join(missing)
            else:
                kind = rules.JOINT
        found[patent.id] = PatentTerms(kind, refused, tuple(licenses.get(patent.id, ())))
    return found


def quote_for(patent: Patent, year: int, terms: PatentTerms, today: date) -> FeeQuote:
    """The fee of ``year`` as it stands today (the open-license reduction counts if a recorded license is in
    implementation on the due date, or today for a fee already due)."""
    due = rules.due_date(patent.application_date, patent.grant_date, year)
    return rules.quote(fee_schedule(), patent.patent_type.value, patent.application_date, patent.grant_date, year,
                       reduction=terms.reduction, reduction_refused=terms.reduction_refused,
                       open_license=terms.open_license_on(max(due, today)))


def _first_year(patent: Patent, today: date) -> int:
    """Where a patent's ledger starts when it has no rows yet (see the module docstring)."""
    granted_in = rules.fee_year_of(patent.application_date, patent.grant_date)
    current = rules.fee_year_of(patent.application_date, today)
    if granted_in >= current:
        return granted_in
    if patent.legal_status == LegalStatus.FEE_OVERDUE or rules.fee_year_start(patent.application_date,
                                                                              current) == today:
        return current  # overdue, or falling due today: not paid yet
    return current + 1


def _last_year(patent: Patent, today: date) -> int:
    """The last fee year due within the horizon, not beyond the term of protection."""
    return min(rules.last_year(patent.patent_type.value),
               rules.fee_year_of(patent.application_date, today + HORIZON))


@dataclass
class SyncResult:
    created: int = 0
    updated: int = 0
    closed: int = 0
    gaps: list[tuple[int, str, int]] = field(default_factory=list)  # (patent id, type, year)


def _apply_quote(row: AnnualFee, found: FeeQuote) -> bool:
    values = {"due_date": found.due, "grace_end": found.grace_end, "standard": found.standard, "amount": found.amount,
              "lines": [line.as_dict() for line in found.lines]}
    changed = any(getattr(row, name) != value for name, value in values.items())
    for name, value in values.items():
        setattr(row, name, value)
    return changed


def _close(patent: Patent, rows: Iterable[AnnualFee], today: date) -> int:
    """A patent no longer in force pays nothing more: the fee whose grace ended unpaid is marked as what ended
    it; any other open fee is closed."""
    closed = 0
    for row in rows:
        if row.state != FeeState.OPEN:
            continue
        lapsed = patent.legal_status == LegalStatus.TERMINATED and row.grace_end < today
        row.state = FeeState.LAPSED if lapsed else FeeState.CLOSED
        closed += 1
    return closed


def _sync_one(patent: Patent, rows: dict[int, AnnualFee], terms: PatentTerms, today: date,
              result: SyncResult) -> None:
    if patent.legal_status not in IN_FORCE or has_lapsed(patent.legal_status, patent.expiry, today):
        result.closed += _close(patent, rows.values(), today)
        return
    granted_in = rules.fee_year_of(patent.application_date, patent.grant_date)
    first = min(rows) if rows else _first_year(patent, today)
    for year in range(first, _last_year(patent, today) + 1):
        row = rows.get(year)
        if row is not None and row.state != FeeState.OPEN:
            continue
        try:
            found = quote_for(patent, year, terms, today)
        except FeeScheduleGap:
            result.gaps.append((patent.id, patent.patent_type.value, year))
            continue
        if row is None:
            row = AnnualFee(patent_id=patent.id, owner_id=patent.owner_id, fee_year=year)
            _apply_quote(row, found)
            if year == granted_in:
                row.state, row.with_grant, row.paid_on = FeeState.PAID, True, patent.grant_date
                row.paid_amount, row.surcharge = found.amount, Decimal("0.00")
            db.session.add(row)
            result.created += 1
        else:
            owner_changed = row.owner_id != patent.owner_id
            row.owner_id = patent.owner_id
            if _apply_quote(row, found) or owner_changed:
                result.updated += 1


def sync_patents(patent_ids: Iterable[int] | None = None, today: date | None = None) -> SyncResult:
    """Bring the ledger of these patents (all granted ones when None) up to date; flushes, never commits."""
    day = today or local_today()
    result = SyncResult()
    wanted = None if patent_ids is None else sorted(set(patent_ids))
    last_id = 0
    while True:
        stmt = (select(Patent).where(Patent.grant_date.is_not(None), Patent.application_date.is_not(None),
                                     Patent.id > last_id)
                .options(selectinload(Patent.co_owner_links)).order_by(Patent.id).limit(CHUNK))
        if wanted is not None:
            stmt = stmt.where(Patent.id.in_(wanted))
        patents = list(db.session.scalars(stmt))
        if not patents:
            break
        last_id = patents[-1].id
        existing: dict[int, dict[int, AnnualFee]] = defaultdict(dict)
        for row in db.session.scalars(select(AnnualFee).where(AnnualFee.patent_id.in_([p.id for p in patents]))):
            existing[row.patent_id][row.fee_year] = row
        terms = _terms_for(patents)
        for patent in patents:
            _sync_one(patent, existing[patent.id], terms[patent.id], day, result)
        db.session.flush()
    return result


def set_status(patent: Patent, status: LegalStatus, since: date | None) -> None:
    """Change a patent's legal status the way every edit does (audit, search, the open-license re-check)."""
    from marketplace.patents.services import save_patent  # the patent services import the declaration rules

    save_patent(patent.owner, PatentValues({"legal_status": status, "legal_status_on": since}), patent=patent)


def apply_fee_status(today: date | None = None) -> dict[str, int]:
    """Let each tracked patent's legal status follow its ledger (see the module docstring); returns counts."""
    day = today or local_today()
    counts = {"fee_overdue": 0, "terminated": 0, "granted": 0}
    overdue = db.session.execute(
        select(AnnualFee.patent_id, func.min(AnnualFee.due_date), func.min(AnnualFee.grace_end))
        .where(AnnualFee.state == FeeState.OPEN, AnnualFee.due_date < day).group_by(AnnualFee.patent_id)).all()
    late = {patent_id: (due, grace) for patent_id, due, grace in overdue}
    for patent in db.session.scalars(select(Patent).where(Patent.id.in_(list(late)),
                                                          Patent.legal_status.in_(IN_FORCE))):
        due, grace = late[patent.id]
        if day > grace:
            set_status(patent, LegalStatus.TERMINATED, due)
            sync_patents([patent.id], day)
            counts["terminated"] += 1
        elif patent.legal_status == LegalStatus.GRANTED:
            set_status(patent, LegalStatus.FEE_OVERDUE, due)
            counts["fee_overdue"] += 1
    tracked = select(AnnualFee.patent_id)
    for patent in db.session.scalars(select(Patent).where(
            Patent.legal_status == LegalStatus.FEE_OVERDUE, Patent.id.in_(tracked), Patent.id.not_in(list(late)))):
        set_status(patent, LegalStatus.GRANTED, None)
        counts["granted"] += 1
    db.session.flush()
    return counts


# --- reading and paying ------------------------------------------------------------------------------------


def _owned_patent(user: User, patent_id: int) -> Patent:
    return get_visible(user, Patent, patent_id, lambda row: [row.owner_id], _("专利不存在"))


@dataclass(frozen=True)
class PatentFees:
    """A patent's fee ledger: its rows, the next fee and what happens if it stays unpaid."""

    patent: Patent
    rows: list[AnnualFee]
    next_fee: AnnualFee | None
    gap: str | None  # the schedule's honest message when a year's fee is missing

    def payable_today(self, today: date) -> tuple[Decimal, Decimal] | None:
        return payable(self.next_fee, today) if self.next_fee else None


def payable(row: AnnualFee, day: date) -> tuple[Decimal, Decimal] | None:
    """(surcharge, total) for paying ``row`` on ``day``; None once its grace period has ended."""
    return rules.payable(row.standard, row.amount, row.due_date, day, _surcharge_of(row))


def _surcharge_of(row: AnnualFee) -> rules.Surcharge:
    schedule = fee_schedule().in_force(row.due_date)
    if schedule is None:
        raise FeeScheduleGap(row.patent.patent_type.value, row.fee_year, row.due_date)
    return schedule.surcharge


def surcharge_steps(row: AnnualFee) -> list[tuple[date, date, Decimal, Decimal]]:
    """The grace period month by month: (from, to, surcharge, total) — what paying later costs, and until when."""
    rule = _surcharge_of(row)
    steps = []
    for month in range(1, rule.grace_months + 1):
        start = rules.add_months(row.due_date, month - 1) + timedelta(days=1)
        found = payable(row, start)
        if found is not None:
            steps.append((start, rules.add_months(row.due_date, month), *found))
    return steps


def patent_fees(user: User, patent_id: int) -> PatentFees:
    """The ledger of one patent, for its owner and platform admins (404 for anyone else)."""
    patent = _owned_patent(user, patent_id)
    rows = list(db.session.scalars(select(AnnualFee).where(AnnualFee.patent_id == patent.id)
                                   .order_by(AnnualFee.fee_year)))
    gap = None
    if patent.grant_date and patent.application_date and patent.legal_status in IN_FORCE:
        years = {row.fee_year for row in rows}
        first = min(years) if years else _first_year(patent, local_today())
        for year in range(first, _last_year(patent, local_today()) + 1):
            if year not in years:
                try:
                    quote_for(patent, year, PatentTerms(), local_today())
                except FeeScheduleGap as error:
                    gap = error.message
                    break
    next_fee = next((row for row in rows if row.state == FeeState.OPEN), None)
    return PatentFees(patent, rows, next_fee, gap)


def lock_fee(fee_id: int) -> AnnualFee:
    return lock_row(AnnualFee, fee_id, _("年费记录不存在"))


def record_fee_payment(user: User, fee_id: int, raw: Mapping[str, Any]) -> AnnualFee:
    """Record that the owner paid a fee (on ``paid_on``, default today, with its reference).

    The amount is the fee plus the surcharge for that day; an ``amount`` that
    differs is refused naming the right one. A fee whose grace period had
    ended on that day cannot be paid: the right lapsed. Paying the last
    overdue fee restores a ``fee_overdue`` patent to ``granted``.
    """
    get_visible(user, AnnualFee, fee_id, lambda row: [row.owner_id], _("年费记录不存在"), admins=False)
    row = lock_fee(fee_id)
    if row.state != FeeState.OPEN:
        raise Conflict(_("该年度年费%(state)s", state=row.state.label), {"state": row.state.value})
    today = local_today()
    paid_on = require_date(raw.get("paid_on"), "paid_on", today)
    if paid_on > today:
        raise ValidationFailed.field("paid_on", _("不能晚于今天"))
    found = payable(row, paid_on)
    if found is None:
        raise Conflict(_("滞纳期已于 %(date)s 届满，该年度年费不能再缴纳，专利权终止", date=row.grace_end.isoformat()),
                       {"paid_on": "grace period over"})
    surcharge, total = found
    if raw.get("amount") not in (None, ""):
        amount = parse_money(raw.get("amount"), "amount", allow_zero=False)
        if amount != total:
            raise ValidationFailed.field("amount", _("%(date)s 应缴 %(total)s（年费 %(fee)s + 滞纳金 %(surcharge)s）",
                                                     date=paid_on.isoformat(), total=format_cny(total),
                                                     fee=format_cny(row.amount), surcharge=format_cny(surcharge)))
    reference = str(raw.get("reference") or "").strip()[:100] or None
    row.state, row.paid_on, row.surcharge, row.paid_amount = FeeState.PAID, paid_on, surcharge, total
    row.reference, row.recorded_by_id = reference, user.id
    db.session.flush()
    record_audit("annual_fee.paid", ENTITY, row.id, {"patent_id": row.patent_id, "year": row.fee_year,
                                                     "paid_on": paid_on, "amount": total, "surcharge": surcharge},
                 actor=user)
    patent = row.patent
    still_late = db.session.scalar(select(func.count()).select_from(AnnualFee).where(
        AnnualFee.patent_id == patent.id, AnnualFee.state == FeeState.OPEN, AnnualFee.due_date < today))
    if patent.legal_status == LegalStatus.FEE_OVERDUE and not still_late:
        set_status(patent, LegalStatus.GRANTED, None)
    sync_patents([patent.id], today)
    return row


def reduction_status(organisation_id: int | None) -> FeeReductionStatus | None:
    return db.session.get(FeeReductionStatus, organisation_id) if organisation_id else None


def set_reduction_status(user: User, raw: Mapping[str, Any]) -> FeeReductionStatus | None:
    """Record (or, with ``clear``, remove) the organisation's fee-reduction status; its open fees follow."""
    from marketplace.accounts.permissions import require_organisation
    from marketplace.navigation import SUPPLY

    organisation = require_organisation(user, SUPPLY)
    status = db.session.get(FeeReductionStatus, organisation.id)
    if str(raw.get("clear") or "").lower() in ("1", "true", "yes", "on"):
        if status is not None:
            db.session.delete(status)
            record_audit("fee_reduction.cleared", "organisation", organisation.id, actor=user)
        status = None
    else:
        reference = str(raw.get("reference") or "").strip()
        if not reference or len(reference) > 64:
            raise ValidationFailed.field("reference", _("须填写费减备案号（≤64字）"))
        recorded_on = require_date(raw.get("recorded_on"), "recorded_on", local_today())
        if recorded_on > local_today():
            raise ValidationFailed.field("recorded_on", _("不能晚于今天"))
        if status is None:
            status = FeeReductionStatus(organisation_id=organisation.id, reference=reference, recorded_on=recorded_on)
            db.session.add(status)
        status.reference, status.recorded_on, status.recorded_by_id = reference, recorded_on, user.id
        record_audit("fee_reduction.recorded", "organisation", organisation.id,
                     {"reference": reference, "recorded_on": recorded_on}, actor=user)
    db.session.flush()
    sync_patents(db.session.scalars(select(Patent.id).where(Patent.owner_id == organisation.id)))
    return status
