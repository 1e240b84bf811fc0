"""Push decisions taken a batch at a time: exactly what one-by-one decisions give, each pair once with two workers.

The world: three subscribed companies (one with two battery needs, one
whose subscription keeps only mowers, one without needs) and a university
publishing six battery patents plus one in a segment nobody follows. The
drafts are published with the push jobs held back, then decided by hand.
"""
from __future__ import annotations

import pytest
from sqlalchemy import delete, event, func, select

from marketplace.core import transaction
from marketplace.core.jobs import JobRunner, run_job
from marketplace.extensions import db
from marketplace.patents import services as patents
from marketplace.push import decide, jobs
from marketplace.push.models import DigestEntry, Notification, NotificationKind
from marketplace.search.models import Match
from tests import factories
from tests.marketplace.openlicense.concurrency import run_together
from tests.marketplace.push.conftest import PLANTER_NEED

BATTERY = (2, 3, 4, 7, 8, 9)  # planters, harvesters and mowers driven by batteries
MOWER_NEED = {"title": "锂电割草机", "segments": ["TM-F1"], "modes": ["license"],
              "description": "我们需要锂电池驱动的割草机技术，替代汽油割草机。"}
PUSH_JOBS = {"push_patent", "push_patents", "push_need", "push_needs"}

Decisions = tuple[list[tuple[int, int, int]], list[tuple[int, str, int]]]


def hold_back_pushes(monkeypatch) -> None:
    """Publishing still indexes, but its push jobs are dropped (as if queued for later)."""
    enqueue = JobRunner.enqueue

    def without_pushes(self, func, *args, job_id=None):
        return True if func.__name__ in PUSH_JOBS else enqueue(self, func, *args, job_id=job_id)

    monkeypatch.setattr(JobRunner, "enqueue", without_pushes)


def build_world(app, company, university, subscribe, monkeypatch, battery) -> tuple[list[int], dict[str, int]]:
    """Needs and subscriptions committed, then the drafts published without pushes; returns patent ids, orgs."""
    with app.test_request_context():
        mower_company = factories.make_user("company", org_name="割草机制造有限公司")
        idle_company = factories.make_user("company", org_name="观望科技有限公司")
        factories.make_need(company, **PLANTER_NEED)
        factories.make_need(company, **{**MOWER_NEED, "title": "锂电池割草机动力"})
        factories.make_need(mower_company, **MOWER_NEED)
    subscribe(company)
    subscribe(mower_company, keywords=["割草机"])
    subscribe(idle_company)
    with app.test_request_context():
        common = {"grade": "A", "legal_status": "granted", "modes": ["license"]}
        ids = [factories.make_patent(university, battery[i], segments=["TM-F1"], **common).id for i in BATTERY]
        ids.append(factories.make_patent(university, battery[5], segments=["TM-E1"], **common).id)  # unfollowed
        hold_back_pushes(monkeypatch)
        patents.set_published(university.load(), ids, True)
        transaction.commit()
        monkeypatch.undo()
    orgs = {"company": company.organisation_id, "mower": mower_company.organisation_id,
            "idle": idle_company.organisation_id}
    return ids, orgs


def decisions() -> Decisions:
    """Pushed pairs as (organisation, patent, need) and digest entries as (organisation, type, id), sorted."""
    pushed = sorted((org, patent, need) for org, patent, need in db.session.execute(
        select(Notification.organisation_id, Match.patent_id, Match.need_id)
        .join(Match, Match.id == Notification.match_id).where(Notification.kind == NotificationKind.MATCH_PUSHED)))
    digested = sorted((org, kind, entity) for org, kind, entity in db.session.execute(
        select(DigestEntry.organisation_id, DigestEntry.entity_type, DigestEntry.entity_id)))
    return pushed, digested


def forget() -> None:
    """Undo every push decision (the publications stay published)."""
    db.session.execute(delete(Notification).where(Notification.kind == NotificationKind.MATCH_PUSHED))
    db.session.execute(delete(DigestEntry))
    db.session.execute(delete(Match))
    transaction.commit()


def one_by_one(ids: list[int]) -> Decisions:
    for patent_id in ids:
        decide.push_patent(patent_id)
        transaction.commit()
    return decisions()


@pytest.mark.parametrize("cap", [20, 2])
def test_a_batch_decides_exactly_what_one_by_one_decisions_decide(ctx, app, company, university, subscribe,
                                                                   monkeypatch, battery, cap):
    ids, orgs = build_world(app, company, university, subscribe, monkeypatch, battery)
    monkeypatch.setitem(app.config, "PUSH_DAILY_CAP", cap)
    assert decisions() == ([], [])
    expected = one_by_one(ids)
    forget()
    outcome = decide.push_patents(reversed(ids))  # the order a batch arrives in does not matter
    transaction.commit()
    assert decisions() == expected
    pushed, digested = expected
    assert len(outcome.pushed) == len(pushed) and len(set(outcome.pushed)) == len(pushed)
    # the world exercises every branch: pushes, filters, the cap, digests and an unfollowed segment
    per_org = {name: [p for p in pushed if p[0] == org] for name, org in orgs.items()}
    assert per_org["idle"] == [] and per_org["mower"] and len(per_org["company"]) <= cap
    assert {patent for _, patent, _ in per_org["mower"]} < set(ids[:-1])  # only the patents naming 割草机
    assert (orgs["idle"], "patent", ids[0]) in digested and all(entity != ids[-1] for _, _, entity in digested)
    if cap == 2:
        assert len(per_org["company"]) == 2 and outcome.capped
        assert any(org == orgs["company"] for org, _, _ in digested)  # held back for the digest
    # decided again (a retried job): nothing new
    again = decide.push_patents(ids)
    transaction.commit()
    assert (again.pushed, again.digested) == ([], []) and decisions() == expected


def test_a_batch_costs_the_same_statements_as_one_publication(ctx, app, company, university, subscribe,
                                                              monkeypatch, battery):
    """One subscriber query, one look-up per table and one write per kind of row, whatever the batch size
    (the engine's ranking aside: that is one call per publication unless the backend ranks a batch)."""
    ids, _orgs = build_world(app, company, university, subscribe, monkeypatch, battery)
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    def cost(batch: list[int]) -> int:
        forget()
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            decide.push_patents(batch)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len([s for s in statements if "SAVEPOINT" not in s.upper()])

    single, whole = cost(ids[:1]), cost(ids)
    assert whole == single, (single, whole)


@pytest.mark.committed
@pytest.mark.parametrize("overlap", ["same", "partial"])
def test_two_workers_deciding_overlapping_batches_push_each_pair_once(app, company, university, subscribe,
                                                                       monkeypatch, battery, overlap):
    ids, _orgs = build_world(app, company, university, subscribe, monkeypatch, battery)
    with app.app_context():
        expected = one_by_one(ids)
        forget()
        db.session.remove()
    first, second = (ids, ids[::-1]) if overlap == "same" else (ids[:5], ids[2:])
    results = run_together(app, lambda: run_job(jobs.push_patents, (first,), "worker-1"),
                           lambda: run_job(jobs.push_patents, (second,), "worker-2"))
    assert results == [True, True]
    with app.app_context():
        assert decisions() == expected
        assert db.session.scalar(select(func.count(Notification.id)).where(
            Notification.kind == NotificationKind.MATCH_PUSHED)) == len(expected[0])


@pytest.mark.committed
def test_two_workers_never_slip_past_the_daily_cap_together(app, company, university, subscribe, monkeypatch,
                                                            battery):
    ids, orgs = build_world(app, company, university, subscribe, monkeypatch, battery)
    monkeypatch.setitem(app.config, "PUSH_DAILY_CAP", 1)
    results = run_together(app, lambda: run_job(jobs.push_patents, (ids[:3],), "worker-1"),
                           lambda: run_job(jobs.push_patents, (ids[3:],), "worker-2"))
    assert results == [True, True]
    with app.app_context():
        pushed, _digested = decisions()
        for org in orgs.values():
            assert len([p for p in pushed if p[0] == org]) <= 1
        assert len([p for p in pushed if p[0] == orgs["company"]]) == 1
