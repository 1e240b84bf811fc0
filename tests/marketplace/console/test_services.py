"""Console services without HTTP: forecast, progress, scope, funnel, the rollup kept fresh, event rules."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from marketplace.console import dashboard, events, funnel, rollup, statistics, targets
from marketplace.console.cells import ONE_PASS, cells, live_cells, memoised, month_end
from marketplace.console.models import PLATFORM, MonthlyRollup, StaleMonth
from marketplace.console.ledger import DIMENSIONS, Filters, Scope
from marketplace.core import transaction
from marketplace.core.errors import Forbidden, NotFound, ValidationFailed
from marketplace.deals import services as deals
from marketplace.agencies.models import AgencyPermissionPeriod
from marketplace.deals.models import Deal, DealStatus
from marketplace.extensions import db
from marketplace.openlicense.models import LicenseGrant, LicensePayment
from marketplace.patents.models import PatentSegment
from marketplace.push.models import FeedbackReason, MatchFeedback
from marketplace.search.models import Match, MatchStatus
from tests import factories
from tests.jobs import deferred_jobs  # noqa: F401  (the in-process job queue, held until drain())
from tests.marketplace.console.conftest import AGENCY_TOTAL


@pytest.mark.parametrize("actual, today, expected", [
    (10, date(2025, 7, 2), 20),  # day 183 of 365: doubles, rounded
    (Decimal("100.00"), date(2025, 12, 31), Decimal("100.00")),
    (Decimal("1.00"), date(2024, 1, 1), Decimal("366.00")),  # leap year, first day
    (Decimal("100.00"), date(2025, 7, 2), Decimal("199")),  # amounts in whole yuan (199.45 → 199)
    (5, date(2026, 3, 1), 5),  # the year is over: the forecast is the actual
])
def test_linear_forecast(actual, today, expected):
    year = 2025 if today.year != 2024 else 2024
    assert targets.linear_forecast(actual, year, today) == expected


def test_no_forecast_before_the_year_starts():
    assert targets.linear_forecast(0, 2026, date(2025, 12, 31)) is None


def test_growth_pct():
    assert statistics.growth_pct(12, 10) == Decimal("20.0")
    assert statistics.growth_pct(Decimal("50.00"), Decimal("200.00")) == Decimal("-75.0")
    assert statistics.growth_pct(3, 0) is None


def test_scope_for_refuses_other_kinds(ctx, company, agency, platform_admin):
    with pytest.raises(Forbidden):
        statistics.scope_for(company.load())
    assert statistics.scope_for(agency.load()) == Scope(agency.organisation_id)
    assert statistics.scope_for(platform_admin.load()) == Scope(None)
    assert statistics.scope_for(platform_admin.load(), 7) == Scope(7)


def test_agency_scope_counts_its_deals_pledges_and_the_open_licenses_it_was_authorised_to_see(ctx, agency, ledger):
    table = statistics.deal_statistics(Scope(agency.organisation_id), Filters(), "mode")
    figures = {row.key: (row.figure.items, row.figure.amount) for row in table.rows}
    assert figures == {"transfer": (1, Decimal("800000.00")), "license": (1, Decimal("120000.00")),
                       "open_license": (1, Decimal("50000.00")), "equity": (0, Decimal("0.00")),
                       "auction": (0, Decimal("0.00")), "pledge": (1, Decimal("2000000.00"))}
    assert table.total.amount == AGENCY_TOTAL


def test_cancelled_and_negotiating_deals_do_not_count(ctx, agency, university, company, ledger):
    deals.update_deal(agency.load(), ledger.transfer_deal, {"status": "cancelled"})
    transaction.commit()
    factories.approve("deal", ledger.transfer_deal, university, company)  # a signed deal ends with both parties
    patent = factories.make_granted_patent(university)
    deals.record_deal(agency.load(), {"mode": "license", "license_kind": "ordinary", "patent_ids": [patent.id],
                                      "seller_id": university.organisation_id, "buyer_id": company.organisation_id,
                                      "amount": "9.99"})
    table = statistics.deal_statistics(Scope(), Filters(), "mode")
    assert {row.key: row.figure.items for row in table.rows}["transfer"] == 0
    assert table.total.amount == AGENCY_TOTAL - Decimal("800000.00") + Decimal("50000.00")


def test_platform_figures_follow_every_ledger_change(ctx, agency, university, company, ledger):
    """The rollup answers platform figures: a changed amount, a moved date, a new segment all show at once."""
    before = statistics.deal_statistics(Scope(), Filters(), "segment")
    deal = db.session.get(Deal, ledger.license_deal)
    deals.amend_deal(agency.load(), deal.id, {"reason": "合同金额更正", "changes": {"amount": "150000.00"}})
    transaction.commit()
    factories.approve("deal", deal.id, university, company)  # a correction both parties agreed to
    after = statistics.deal_statistics(Scope(), Filters(), "mode")
    assert {r.key: r.figure.amount for r in after.rows}["license"] == Decimal("200000.00")
    db.session.add(PatentSegment(patent_id=deal.patent_ids[0], segment_code="SEI-08"))
    transaction.commit()
    segments = statistics.deal_statistics(Scope(), Filters(), "segment")
    assert "SEI-08" in {row.key for row in segments.rows}
    assert "SEI-08" not in {row.key for row in before.rows}
    moved = Filters(start=date(2000, 1, 1), end=date(2000, 12, 31))
    deal.contract_date = date(2000, 5, 5)
    transaction.commit()
    assert statistics.deal_statistics(Scope(), moved, "mode").total.amount == Decimal("150000.00")


def test_target_progress_and_forecast(ctx, agency, ledger):
    user = agency.load()
    year = ledger.today.year
    targets.create_targets(user, {"year": year, "pledge_amount": "4000000", "pledge_count": 1, "events_count": 4})
    progress = {p.metric: p for p in targets.target_progress(agency.organisation_id, year, ledger.today)}
    pledge = progress["pledge_amount"]
    assert pledge.target == Decimal("4000000.00") and pledge.actual == Decimal("2000000.00")
    assert pledge.forecast == targets.linear_forecast(Decimal("2000000.00"), year, ledger.today)
    assert pledge.percent == Decimal("50.0")
    assert progress["pledge_count"].on_track is True
    assert progress["conversion_count"].actual == 3  # license, transfer and the open license, all from the university
    assert progress["conversion_amount"].actual == Decimal("970000.00")
    assert progress["transfer_license_count"].actual == 2
    assert progress["open_license_count"].actual == 1
    assert progress["events_count"].actual == 0 and progress["events_count"].on_track is False
    assert progress["organisations_served"].actual == 1  # the SME accepted it; brokering for the university did not
    assert progress["conversion_count"].target is None


def test_full_year_in_the_past_needs_no_projection(ctx, agency, ledger):
    past = {p.metric: p for p in targets.target_progress(agency.organisation_id, ledger.today.year - 1, ledger.today)}
    assert past["pledge_amount"].actual == Decimal("0.00") == past["pledge_amount"].forecast


def test_scheduled_events_raise_the_events_forecast(ctx, agency, company, ledger):
    year = ledger.today.year
    events.create_event(agency.load(), {"title": "年末对接会", "held_on": date(year, 12, 31), "online": True,
                                        "invited_organisation_ids": [company.organisation_id]})
    progress = {p.metric: p for p in targets.target_progress(agency.organisation_id, year, ledger.today)}
    assert progress["events_count"].forecast >= 1


def test_targets_validation_names_the_field(ctx, agency):
    user = agency.load()
    with pytest.raises(ValidationFailed) as caught:
        targets.create_targets(user, {"year": 2025, "conversion_amount": "-1", "sme_growth_pct": "-20"})
    assert set(caught.value.fields) == {"conversion_amount", "sme_growth_pct"}
    with pytest.raises(ValidationFailed) as caught:
        targets.create_targets(user, {"year": 1800})
    assert "year" in caught.value.fields


def test_inviting_an_organisation_serves_nothing_until_it_accepts(ctx, company, ledger):
    """The attack of issue 9: an agency invited the SME to an event and would see its open licenses. It sees
    nothing, and the SME does not count as served, until the SME accepts it."""
    newcomer = factories.make_user("agency", email="owner@agency3.test", org_name="新成立的运营机构")
    scope = Scope(newcomer.organisation_id)
    events.create_event(newcomer.load(), {"title": "企业专场", "held_on": ledger.today, "online": True,
                                          "invited_organisation_ids": [company.organisation_id]})
    transaction.commit()
    table = statistics.deal_statistics(scope, Filters(), "mode")
    assert (table.total.items, table.total.amount) == (0, Decimal("0.00"))
    progress = {p.metric: p for p in targets.target_progress(newcomer.organisation_id, ledger.today.year,
                                                              ledger.today)}
    assert progress["organisations_served"].actual == 0


def test_attendance_rules(ctx, agency, other_agency, company, ledger):
    event = events.create_event(agency.load(), {"title": "对接会", "held_on": date(2100, 1, 1), "place": "贵阳",
                                                "invited_organisation_ids": [company.organisation_id]})
    with pytest.raises(ValidationFailed) as caught:
        events.record_attendance(agency.load(), event.id, {"attended": [company.organisation_id]})
    assert "attended" in caught.value.fields
    with pytest.raises(NotFound):
        events.get_event(other_agency.load(), event.id)
    with pytest.raises(ValidationFailed) as caught:
        events.add_outcome(agency.load(), event.id, {"kind": "deal", "deal_id": ledger.other_agency_deal})
    assert "deal_id" in caught.value.fields


def _match(need_id: int, patent_id: int, status: MatchStatus, pushed: bool = True) -> Match:
    match = Match(need_id=need_id, patent_id=patent_id, score=0.8, status=status,
                  pushed_at=datetime(2025, 3, 1, 9) if pushed else None)
    db.session.add(match)
    db.session.flush()
    return match


def test_funnel_counts_each_stage_reached(ctx, agency, university, company, ledger):
    need_id = factories.make_need(company, title="锂电池负极材料需求")
    patents = [factories.make_granted_patent(university, segments=["TM-F1"]) for _ in range(4)]
    viewed = _match(need_id, patents[0].id, MatchStatus.VIEWED)
    contacted = _match(need_id, patents[1].id, MatchStatus.CONTACTED)
    dismissed = _match(need_id, patents[2].id, MatchStatus.DISMISSED)
    _match(need_id, patents[3].id, MatchStatus.SUGGESTED, pushed=False)
    organisation = company.organisation_id
    db.session.add_all([
        MatchFeedback(match_id=dismissed.id, organisation_id=organisation, status=MatchStatus.INTERESTED),
        MatchFeedback(match_id=dismissed.id, organisation_id=organisation, status=MatchStatus.DISMISSED,
                      reason=FeedbackReason.TOO_EARLY),
        MatchFeedback(match_id=contacted.id, organisation_id=organisation, status=MatchStatus.CONTACTED)])
    deal = db.session.get(Deal, ledger.license_deal)
    deal.match_id = contacted.id
    db.session.flush()
    brokered_only = funnel.conversion_funnel(Scope(agency.organisation_id), Filters())
    assert brokered_only.total.stages == {"pushed": 1, "viewed": 1, "interested": 1, "contacted": 1, "deal": 1}
    factories.authorise_agency(agency, university, ("funnel",), start_on="2025-01-01")
    result = funnel.conversion_funnel(Scope(agency.organisation_id), Filters())
    assert result.total.stages == {"pushed": 3, "viewed": 3, "interested": 2, "contacted": 1, "deal": 1}
    assert funnel.conversion_funnel(Scope(), Filters()).total.stages == result.total.stages
    assert dict((k, n) for k, _label, n in result.reasons)["too_early"] == 1
    assert [(r.key, r.stages["pushed"]) for r in result.by_segment] == [("TM-F1", 3)]
    assert [r.stages["deal"] for r in result.by_university] == [1]
    assert viewed.id
    outsider = funnel.conversion_funnel(Scope(999999), Filters())
    assert outsider.total.stages["pushed"] == 0
    march = funnel.conversion_funnel(Scope(), Filters(start=date(2025, 3, 2)))
    assert march.total.stages["pushed"] == 0


def test_reading_figures_never_writes_stale_months_are_read_live_until_the_job(ctx, ledger, deferred_jobs):
    """Issue 11: console reads refreshed the rollup (GET wrote). Now a job does, and reads take stale months live."""
    moved = Filters(start=date(2000, 1, 1), end=date(2000, 12, 31))
    everything = statistics.deal_statistics(Scope(), Filters(), "mode").total
    deal = db.session.get(Deal, ledger.license_deal)
    deal.contract_date = date(2000, 5, 5)
    transaction.commit()  # marks May 2000 (and the old month) stale; the refresh job waits in the queue
    assert deferred_jobs.waiting >= 1
    stale = set(db.session.scalars(select(StaleMonth.month)))
    assert date(2000, 5, 1) in stale
    rollup_rows = db.session.scalar(select(func.count()).select_from(MonthlyRollup))
    assert statistics.deal_statistics(Scope(), moved, "mode").total.items == 1  # read live: already exact
    assert statistics.deal_statistics(Scope(), Filters(), "mode").total == everything
    assert not db.session.new and not db.session.dirty and not db.session.deleted
    assert set(db.session.scalars(select(StaleMonth.month))) == stale  # the reads wrote nothing
    assert db.session.scalar(select(func.count()).select_from(MonthlyRollup)) == rollup_rows
    deferred_jobs.drain()  # the refresh job
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(StaleMonth)) == 0
    assert statistics.deal_statistics(Scope(), moved, "mode").total.items == 1
    assert statistics.deal_statistics(Scope(), Filters(), "mode").total == everything


def test_the_rollup_refresh_is_a_periodic_job(app):
    from marketplace.console import rollup
    from marketplace.core.scheduler import periodic_jobs
    assert {p.name: p.job for p in periodic_jobs()}["console-rollup"] is rollup.refresh_rollup


def _stored_rollup() -> dict[tuple, tuple[int, int]]:
    return {(r.agency_id, r.month, r.mode, r.dimension, r.key): (r.items, r.cents)
            for r in db.session.scalars(select(MonthlyRollup))}


def _live_rollup() -> dict[tuple, tuple[int, int]]:
    """What the rollup must hold, aggregated in Python from the ledger's live cells (no INSERT … SELECT)."""
    expected = {}
    for dimension in DIMENSIONS:
        for by_agency in (False, True):
            for c in live_cells(Scope(), Filters(), dimension, by_agency=by_agency):
                expected[(c.agency_id, date(c.year, c.month, 1), c.mode, dimension, c.key)] = (c.items, c.cents)
    return expected


def test_the_refresh_and_the_rebuild_write_exactly_the_live_cells(ctx, ledger, deferred_jobs):
    """The rollup's rows are written by the database (INSERT … SELECT): per month, mode, dimension, key and
    agency they equal the ledger's live aggregation, after the job refreshed a changed month and after a rebuild."""
    deferred_jobs.drain()
    deal = db.session.get(Deal, ledger.transfer_deal)
    deal.amount = Decimal("800000.01")
    transaction.commit()  # marks the deal's month stale
    assert db.session.scalar(select(func.count()).select_from(StaleMonth)) >= 1
    deferred_jobs.drain()
    db.session.expire_all()
    expected = _live_rollup()
    assert expected[(None, ledger.today.replace(day=1), "transfer", "all", "")][1] == 80000001
    assert _stored_rollup() == expected
    assert rollup.rebuild() == len(expected)
    assert _stored_rollup() == expected


def test_one_dashboard_shows_the_figures_each_query_gives_alone(ctx, ledger, agency):
    """The dashboard runs each identical aggregation once (memoised); each table is still the one asked alone."""
    scope, year, today = Scope(agency.organisation_id), ledger.today.year, ledger.today
    board = dashboard.build_dashboard(scope, year, today)
    period = Filters(start=date(year, 1, 1), end=date(year, 12, 31))
    assert board.monthly == statistics.deal_statistics(scope, period, "month")
    assert board.breakdowns["organisation"] == statistics.deal_statistics(scope, period, "organisation")
    assert board.smes == statistics.sme_summary(scope, year, today)
    assert board.progress == targets.target_progress(agency.organisation_id, year, today)
    assert board.monthly.total.amount == AGENCY_TOTAL


@pytest.mark.parametrize("mode", [None, "transfer"])
def test_a_month_read_live_in_one_pass_gives_each_dimension_its_own_aggregation(ctx, ledger, agency, mode):
    """Within a page, a month read live (stale here) is aggregated for every dimension by one statement over
    its items; each dimension's cells equal that dimension's aggregation alone, for the platform and an agency."""
    month = ledger.today.replace(day=1)
    rollup.mark_stale([(month, PLATFORM), (month, agency.organisation_id)])
    period = Filters(start=month, end=month_end(month), mode=mode)
    for scope in (Scope(), Scope(agency.organisation_id)):
        with memoised():
            together = {d: sorted(cells(scope, period, d), key=repr) for d in ONE_PASS}
        alone = {d: sorted(live_cells(scope, period, d), key=repr) for d in ONE_PASS}
        assert together == alone
        assert together["all"] and together["region"] and together["sme"] != together["organisation"]


def _marks() -> set[tuple[date, int]]:
    return {(month, partition) for month, partition in db.session.execute(select(StaleMonth.month, StaleMonth.agency_id))}


def _changed_partitions(before: dict, after: dict) -> set[tuple[int | None, date]]:
    """(agency or None for the platform, month) of every rollup row added, removed or changed."""
    keys = (before.keys() ^ after.keys()) | {k for k in before.keys() & after.keys() if before[k] != after[k]}
    return {(agency_id, month) for agency_id, month, *_rest in keys}


@pytest.mark.parametrize("change", ["conclude", "cancel", "amend", "move", "rebroker"])
def test_a_deal_marks_and_refreshes_only_its_own_cells(ctx, ledger, agency, other_agency, deferred_jobs, change):
    """A deal concluded, cancelled or amended marks its month for the platform and for its agency only (both
    months and both agencies when it moves): the other agency keeps reading that month from the rollup, and the
    refresh rewrites exactly those partitions, equal to the ledger."""
    mine, theirs = agency.organisation_id, other_agency.organisation_id
    month, moved_to = ledger.today.replace(day=1), date(2000, 5, 1)
    deal = db.session.get(Deal, ledger.transfer_deal)
    if change == "conclude":
        deal.status = DealStatus.NEGOTIATING
        transaction.commit()
    deferred_jobs.drain()
    db.session.expire_all()
    assert _marks() == set()
    before = _stored_rollup()
    deal = db.session.get(Deal, ledger.transfer_deal)
    expected = {(month, rollup.PLATFORM), (month, mine)}
    if change == "conclude":
        deal.status = DealStatus.SIGNED
    elif change == "cancel":
        deal.status = DealStatus.CANCELLED
    elif change == "amend":
        deal.amount = Decimal("800000.01")
    elif change == "move":
        deal.contract_date = moved_to.replace(day=5)
        expected |= {(moved_to, rollup.PLATFORM), (moved_to, mine)}
    else:
        deal.agency_id = theirs
        expected.add((month, theirs))
    transaction.commit()
    assert _marks() == expected
    assert rollup.stale_months(month, month, theirs) == ({month} if change == "rebroker" else set())
    assert rollup.stale_months(month, month, mine) == {month}
    deferred_jobs.drain()
    db.session.expire_all()
    assert _marks() == set()
    after = _stored_rollup()
    assert after == _live_rollup()
    changed = _changed_partitions(before, after)
    assert (mine, month) in changed
    assert changed <= {(None if partition == rollup.PLATFORM else partition, m) for m, partition in expected}


def test_an_open_license_marks_the_platform_and_the_agencies_its_parties_authorised(ctx, ledger, agency,
                                                                                   other_agency, deferred_jobs):
    """A payment confirmed on an open license changes the platform's rows and those of the agency the licensee
    authorised; the agency nobody authorised is not marked."""
    deferred_jobs.drain()
    grant = db.session.get(LicenseGrant, ledger.open_license)
    month = grant.effective_on.replace(day=1)
    payment = db.session.scalars(select(LicensePayment).where(LicensePayment.license_id == grant.id)).one()
    payment.amount = Decimal("40000.00")
    transaction.commit()
    assert _marks() == {(month, rollup.PLATFORM), (month, agency.organisation_id)}
    deferred_jobs.drain()
    db.session.expire_all()
    assert _stored_rollup() == _live_rollup()
    assert _stored_rollup()[(agency.organisation_id, month, "open_license", "all", "")] == (1, 4000000)


def test_a_changed_permission_marks_only_that_agencys_months(ctx, ledger, agency, company, deferred_jobs):
    """The SME moving the start of what it granted the agency past its license's effective date takes the license
    out of the agency's rows only: the platform's rows keep it and are not marked."""
    deferred_jobs.drain()
    grant = db.session.get(LicenseGrant, ledger.open_license)
    month = grant.effective_on.replace(day=1)
    before = _stored_rollup()
    for period in db.session.scalars(select(AgencyPermissionPeriod).where(
            AgencyPermissionPeriod.agency_id == agency.organisation_id,
            AgencyPermissionPeriod.organisation_id == company.organisation_id)):
        period.started_on = grant.effective_on + timedelta(days=1)
    transaction.commit()
    assert _marks() == {(month, agency.organisation_id)}
    deferred_jobs.drain()
    db.session.expire_all()
    after = _stored_rollup()
    assert after == _live_rollup()
    assert _changed_partitions(before, after) == {(agency.organisation_id, month)}
    assert (agency.organisation_id, month, "open_license", "all", "") not in after
