"""Property: on any ledger, every console figure equals a direct SQL aggregation, to the cent.

Hypothesis draws random deals (any mode, status, date, agency), open licenses
obtained (any fee type, effective or not, fee paid in full, in part or not at
all) and pledges, the permission periods organisations granted the agencies
(any permission, any term), plus event invitations (which must change
nothing); each grouping, scope and date range is checked against the
plain-SQL oracle in ``world``, and each row against its drill-down list.
Examples are sized for the suite (``HYPOTHESIS_PROFILE=thorough``: ten times more).
Platform-wide figures go through the monthly rollup (partial months live),
agency figures are live: both paths are checked.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.console import listing, statistics, targets
from marketplace.console.ledger import MODES, Filters, Scope
from marketplace.extensions import db
from tests.conftest import examples
from tests.marketplace.console import world as w

FIRST, LAST = date(2022, 11, 1), date(2024, 3, 31)
days = st.dates(min_value=FIRST, max_value=LAST)
cents = st.one_of(st.integers(0, 10_000_000), st.integers(0, 100_000_000_000_000))
patent_sets = st.lists(st.integers(0, len(w.PATENT_SEGMENTS) - 1), min_size=1, max_size=3, unique=True)

deals = st.fixed_dictionaries({
    "mode": st.sampled_from(["transfer", "license", "equity"]),
    "status": st.sampled_from(["negotiating", "signed", "recorded", "completed", "cancelled"]),
    "seller": st.sampled_from(["u1", "u2", "i1", "c3"]), "buyer": st.sampled_from(["c1", "c2", "c3", "u2"]),
    "agency": st.sampled_from(["a1", "a2", None]), "cents": cents, "day": st.one_of(st.none(), days),
    "patents": patent_sets})
grants = st.fixed_dictionaries({
    "licensor": st.sampled_from(["u1", "u2", "i1", "c3"]), "licensee": st.sampled_from(["c1", "c2", "c3"]),
    "fee": st.sampled_from(["fixed", "royalty", "free"]), "cents": cents, "day": st.one_of(st.none(), days),
    "patent": st.integers(0, len(w.PATENT_SEGMENTS) - 1), "paid_pct": st.sampled_from([0, 37, 100])})


@st.composite
def authorisations(draw):
    start = draw(days)
    end = draw(st.one_of(st.none(), st.dates(min_value=start, max_value=LAST + timedelta(days=40))))
    return {"agency": draw(st.sampled_from(["a1", "a2"])),
            "organisation": draw(st.sampled_from(["u1", "u2", "i1", "c1", "c2", "c3"])),
            "permission": draw(st.sampled_from(["serve", "open_licenses", "open_licenses", "funnel"])),
            "start": start, "end": end}

pledges = st.fixed_dictionaries({
    "pledgor": st.sampled_from(["u1", "i1", "c1", "c3"]), "agency": st.sampled_from(["a1", "a2", None]),
    "cents": st.integers(1, 100_000_000_000), "day": days, "released": st.booleans(), "patents": patent_sets})
ledgers = st.fixed_dictionaries({
    "deals": st.lists(deals, max_size=12), "grants": st.lists(grants, max_size=8,
                                                               unique_by=lambda g: (g["patent"], g["licensee"])),
    "pledges": st.lists(pledges, max_size=5), "guests": st.lists(st.sampled_from(["u2", "c2", "c3"]), unique=True),
    "authorisations": st.lists(authorisations(), max_size=5)})


@st.composite
def ranges(draw):
    start = draw(st.one_of(st.none(), days))
    end = draw(st.one_of(st.none(), st.dates(min_value=start or FIRST, max_value=LAST + timedelta(days=40))))
    return start, end


def _table_key(grouping: str, key: str) -> str:
    if grouping == "month":
        return f"{int(key) // 100}-{int(key) % 100:02d}"
    if grouping == "quarter":
        return f"{int(key) // 10}-Q{int(key) % 10}"
    return key


@pytest.fixture
def world(ctx):
    built = w.build_world()
    db.session.flush()
    return built


def _write(world, ledger) -> None:
    for deal in ledger["deals"]:
        w.add_deal(world, **deal)
    for grant in ledger["grants"]:
        w.add_grant(world, **grant)
    for pledge in ledger["pledges"]:
        w.add_pledge(world, **pledge)
    for authorisation in ledger["authorisations"]:
        w.authorise(world, **authorisation)
    if ledger["guests"]:
        w.invite(world, "a1", ledger["guests"])
    db.session.flush()


@settings(max_examples=examples(8), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ledger=ledgers, period=ranges(), mode=st.one_of(st.none(), st.sampled_from(MODES)))
def test_every_grouping_equals_the_sql_aggregation(world, ledger, period, mode):
    savepoint = db.session.begin_nested()
    try:
        _write(world, ledger)
        start, end = period
        for agency in (None, "a1", "a2"):
            agency_id = world.orgs[agency] if agency else None
            scope = Scope(agency_id)
            filters = Filters(start=start, end=end, mode=mode)
            for grouping in statistics.GROUPINGS:
                table = statistics.deal_statistics(scope, filters, grouping)
                expected = w.oracle(grouping, agency_id, start, end, mode)
                got = {(row.key, m): (f.items, int(f.amount * 100))
                       for row in table.rows for m, f in row.by_mode.items() if f.items}
                assert got == {(_table_key(grouping, k), m): v for (k, m), v in expected.items()}, (agency, grouping)
                if grouping not in ("segment", "organisation"):
                    assert sum(r.figure.items for r in table.rows) == table.total.items
                    assert sum(r.figure.amount for r in table.rows) == table.total.amount
            everything = w.oracle("mode", agency_id, start, end, mode)
            assert table.total.items == sum(n for n, _ in everything.values())
            assert int(table.total.amount * 100) == sum(c for _, c in everything.values())
            if agency_id is not None:
                served = (start or FIRST, end or LAST)
                assert targets.organisations_served_in(agency_id, *served) == w.oracle_served(agency_id, *served)
    finally:
        savepoint.rollback()


@settings(max_examples=examples(6), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ledger=ledgers, period=ranges(), grouping=st.sampled_from(statistics.GROUPINGS))
def test_every_figure_drills_down_to_the_items_it_counts(world, ledger, period, grouping):
    savepoint = db.session.begin_nested()
    try:
        _write(world, ledger)
        for scope in (Scope(), Scope(world.orgs["a1"])):
            table = statistics.deal_statistics(scope, Filters(start=period[0], end=period[1]), grouping)
            for row in table.rows:
                for figure in (row.figure, *row.by_mode.values()):
                    found = listing.list_items(scope, figure.filters, per_page=None)
                    assert (found.total, found.amount) == (figure.items, figure.amount)
                    assert len(found.items) == found.total
                    assert sum(item.amount for item in found.items) == figure.amount
    finally:
        savepoint.rollback()


@settings(max_examples=examples(6), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ledger=ledgers, period=ranges())
def test_smes_and_fee_split_equal_the_sql_aggregation(world, ledger, period):
    savepoint = db.session.begin_nested()
    try:
        _write(world, ledger)
        start, end = period[0] or FIRST, period[1] or LAST
        for agency in (None, "a1"):
            agency_id = world.orgs[agency] if agency else None
            scope = Scope(agency_id)
            smes = statistics.sme_acquirers(scope, Filters(start=start, end=end))
            assert len(smes) == w.oracle_distinct_smes(agency_id, start, end)
            split = statistics.fee_split(scope, Filters(start=start, end=end))
            listed = listing.list_items(scope, Filters(start=start, end=end, mode="open_license"), per_page=None)
            for row in split:
                mine = [i for i in listed.items if i.fee_type == row.key]
                assert row.figure.items == len(mine)
                assert row.figure.amount == sum((i.amount for i in mine), 0)
    finally:
        savepoint.rollback()
