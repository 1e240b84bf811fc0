"""The conversion funnel: pushed matches → viewed → interested → contacted → deal, and why companies said no.

A match enters the funnel when it is pushed (``pushed_at``). Its current
status says how far it went; the feedback history of the push feature
(``push.models.MatchFeedback``, one row per reaction) keeps the stages a
match passed before the company dismissed it, so a dismissed match still
counts as viewed, and as interested or contacted if it ever was. A deal is a
counted deal (signed or beyond) recorded with the match's id. By segment a
match counts under each segment of its patent; by university under the
patent's owner when that is a university or institute.

An agency's funnel holds the matches that led to deals it brokered, and the
matches pushed while the need's or the patent's owner had granted it the
``funnel`` permission (``marketplace.agencies``); nothing else.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Date, cast, func, literal_column, or_, select

from marketplace.accounts.models import Organisation
from marketplace.agencies.access import authorised_clause
from marketplace.agencies.models import AgencyPermission
from marketplace.console.ledger import ACADEMIC, COUNTED_DEALS, Filters, Scope
from marketplace.console.statistics import segment_label
from marketplace.core.i18n import gettext as _
from marketplace.core.i18n import lazy_gettext as _l
from marketplace.deals.models import Deal
from marketplace.extensions import db
from marketplace.needs.models import Need
from marketplace.patents.models import Patent, PatentSegment
from marketplace.push.models import FeedbackReason, MatchFeedback
from marketplace.search.models import Match, MatchStatus

STAGES = ("pushed", "viewed", "interested", "contacted", "deal")
STAGE_LABELS = {"pushed": _l("已推送"), "viewed": _l("已查看"), "interested": _l("有意向"), "contacted": _l("已洽谈"),
                "deal": _l("已成交")}
_REACHED = {
    "viewed": (MatchStatus.VIEWED, MatchStatus.INTERESTED, MatchStatus.CONTACTED, MatchStatus.DISMISSED),
    "interested": (MatchStatus.INTERESTED, MatchStatus.CONTACTED),
    "contacted": (MatchStatus.CONTACTED,),
}


@dataclass
class FunnelRow:
    key: str
    label: str
    stages: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES, 0))

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, **self.stages}


@dataclass
class Funnel:
    total: FunnelRow
    by_segment: list[FunnelRow]
    by_university: list[FunnelRow]
    reasons: list[tuple[str, str, int]]

    def as_dict(self) -> dict[str, Any]:
        return {"stages": list(STAGES), "total": self.total.as_dict(),
                "by_segment": [r.as_dict() for r in self.by_segment],
                "by_university": [r.as_dict() for r in self.by_university],
                "reasons": [{"reason": k, "label": label, "count": n} for k, label, n in self.reasons]}


def _beijing_day(moment: Any) -> ColumnElement:
    """The Beijing date of a stored (naive UTC) timestamp: the day the permission periods are written in."""
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(moment + literal_column("interval '8 hours'"), Date)
    return func.date(moment, "+8 hours")


def _scoped_matches(scope: Scope, filters: Filters):
    stmt = select(Match.id).where(Match.pushed_at.is_not(None))
    if filters.start is not None:
        stmt = stmt.where(Match.pushed_at >= datetime.combine(filters.start, time.min))
    if filters.end is not None:
        stmt = stmt.where(Match.pushed_at < datetime.combine(filters.end + timedelta(days=1), time.min))
    if scope.agency_id is not None:
        brokered = select(Deal.match_id).where(Deal.agency_id == scope.agency_id, Deal.match_id.is_not(None))
        stmt = stmt.join(Need, Need.id == Match.need_id).join(Patent, Patent.id == Match.patent_id).where(or_(
            Match.id.in_(brokered),
            *(authorised_clause(scope.agency_id, owner, AgencyPermission.FUNNEL, _beijing_day(Match.pushed_at))
              for owner in (Need.organisation_id, Patent.owner_id))))
    return stmt


def _stage_flags(match_ids) -> dict[int, set[str]]:
    """Which stages each match reached."""
    reached: dict[int, set[str]] = defaultdict(lambda: {"pushed"})
    for match_id, status in db.session.execute(select(Match.id, Match.status).where(Match.id.in_(match_ids))):
        flags = reached[match_id]
        flags.update(stage for stage, statuses in _REACHED.items() if status in statuses)
    for match_id, status in db.session.execute(
            select(MatchFeedback.match_id, MatchFeedback.status).distinct()
            .where(MatchFeedback.match_id.in_(match_ids))):
        reached[match_id].update(stage for stage, statuses in _REACHED.items()
                                 if status in statuses and status != MatchStatus.DISMISSED)
    dealt = select(Deal.match_id).where(Deal.match_id.in_(match_ids), Deal.status.in_(COUNTED_DEALS))
    for (match_id,) in db.session.execute(dealt):
        reached[match_id].add("deal")
    return reached


def conversion_funnel(scope: Scope, filters: Filters) -> Funnel:
    """Stage counts overall, by segment and by university, and the reasons given for dismissing."""
    match_ids = _scoped_matches(scope, filters).subquery()
    ids = select(match_ids.c.id)
    reached = _stage_flags(ids)
    total = FunnelRow("total", _("合计"))
    for flags in reached.values():
        for stage in flags:
            total.stages[stage] += 1

    segments: dict[str, FunnelRow] = {}
    for match_id, code in db.session.execute(
            select(Match.id, PatentSegment.segment_code).join(PatentSegment, PatentSegment.patent_id == Match.patent_id)
            .where(Match.id.in_(ids))):
        row = segments.setdefault(code, FunnelRow(code, segment_label(code)))
        for stage in reached.get(match_id, ()):
            row.stages[stage] += 1
    universities: dict[int, FunnelRow] = {}
    for match_id, org_id, name in db.session.execute(
            select(Match.id, Organisation.id, Organisation.name).join(Patent, Patent.id == Match.patent_id)
            .join(Organisation, Organisation.id == Patent.owner_id)
            .where(Match.id.in_(ids), Organisation.kind.in_(ACADEMIC))):
        row = universities.setdefault(org_id, FunnelRow(str(org_id), name))
        for stage in reached.get(match_id, ()):
            row.stages[stage] += 1
    reasons: dict[str, int] = dict.fromkeys((r.value for r in FeedbackReason), 0)
    for (reason,) in db.session.execute(select(MatchFeedback.reason).where(
            MatchFeedback.match_id.in_(ids), MatchFeedback.reason.is_not(None))):
        reasons[reason.value] += 1
    order = lambda row: (-row.stages["pushed"], row.label)  # noqa: E731
    return Funnel(total, sorted(segments.values(), key=order), sorted(universities.values(), key=order),
                  [(key, FeedbackReason(key).label, n) for key, n in reasons.items()])

