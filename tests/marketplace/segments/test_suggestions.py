"""Segments suggested from a patent's IPC codes: shown to the owner, accepted in bulk, then seen by search and push."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.core import transaction
from marketplace.core.errors import Forbidden, NotFound
from marketplace.core.models import AuditEntry
from marketplace.extensions import db
from marketplace.patents.models import Patent
from marketplace.patents.queries import PatentFilters
from marketplace.push import services as push
from marketplace.push.models import DigestEntry
from marketplace.segments import suggestions
from tests import factories


@pytest.fixture
def battery():
    """Real battery-powered farm machines; their true IPC subclasses are A01B/A01C/A01D."""
    return factories.load_fixture("battery_patents.jsonl")


@pytest.fixture
def stock(app, university, battery):
    """Three of the university's patents: A01C without segments, A01C already in TM-H11, one without IPC."""
    with app.test_request_context():
        bare = factories.make_patent(university, battery[2])
        partly = factories.make_patent(university, battery[3], segments=["TM-H11"])
        no_ipc = factories.make_patent(university, battery[4], ipc_codes=[], ipc_main=None)
        return bare, partly, no_ipc


def _segments(patent_id: int) -> list[str]:
    db.session.expire_all()
    return db.session.get(Patent, patent_id).segments


def test_suggestions_come_from_ipc_and_skip_segments_already_there(ctx, stock):
    bare, partly, no_ipc = stock
    patents = [db.session.get(Patent, ref.id) for ref in stock]
    found = suggestions.suggestions_by_patent(patents)
    assert [(s.segment, s.ipc, s.basis, s.sei) for s in found[bare.id]] == [
        ("TM-H11", "A01C", "sei2021", "2.1"), ("SEI-02", "A01C", "sei2021", "2.1")]
    assert [s.segment for s in found[partly.id]] == ["SEI-02"]
    assert no_ipc.id not in found  # no IPC, no suggestion: a segment is never invented


def test_accepting_adds_segments_audits_and_tells_search_and_push(ctx, university, stock):
    bare, partly, no_ipc = stock
    outcome = suggestions.accept_suggestions(university.load(), [bare.id, partly.id, no_ipc.id])
    assert (outcome.patents, outcome.segments) == (2, 3)
    assert _segments(bare.id) == ["SEI-02", "TM-H11"] and _segments(partly.id) == ["SEI-02", "TM-H11"]
    assert _segments(no_ipc.id) == []
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "patent.segments_suggested_accepted",
                                                       AuditEntry.entity_id == bare.id))
    assert entry.changes["segments"] == [[], ["TM-H11", "SEI-02"]] and entry.changes["from"][0]["ipc"] == "A01C"
    from marketplace.core.models import OutboxEvent
    consumers = set(db.session.scalars(select(OutboxEvent.consumer).where(
        OutboxEvent.entity_type == "patent", OutboxEvent.entity_id == bare.id, OutboxEvent.processed_at.is_(None))))
    assert {"search", "push"} <= consumers
    assert suggestions.suggestions_for(db.session.get(Patent, bare.id)) == []  # nothing left to accept


def test_a_foreign_patent_refuses_the_whole_selection(ctx, university, other_university, stock):
    foreign = factories.make_patent(other_university, factories.load_fixture("battery_patents.jsonl")[5])
    with pytest.raises(NotFound):
        suggestions.accept_suggestions(university.load(), [stock[0].id, foreign.id])
    db.session.rollback()
    assert _segments(stock[0].id) == []


def test_accept_all_takes_every_patent_the_filter_finds(ctx, university, stock):
    outcome = suggestions.accept_all_suggestions(university.load(), PatentFilters(q="锂离子"))
    assert outcome.patents == 1  # the bare A01C planter; the other 锂离子 patent has no IPC
    assert _segments(stock[0].id) == ["SEI-02", "TM-H11"]
    outcome = suggestions.accept_all_suggestions(university.load())
    assert outcome.patents == 1 and _segments(stock[1].id) == ["SEI-02", "TM-H11"]


def test_an_agency_has_no_inventory_to_accept_for(ctx, agency):
    with pytest.raises(Forbidden):
        suggestions.accept_all_suggestions(agency.load())


def test_accepted_segment_reaches_a_segment_subscriber(app, company, university, battery):
    with app.test_request_context():
        push.subscribe(company.load(), {"segments": ["TM-H11"]})  # agricultural machinery
        transaction.commit()
        patent = factories.make_patent(university, battery[2], publish=True)  # published without segments
        assert db.session.scalars(select(DigestEntry)).all() == []  # the subscriber cannot hear of it yet
        suggestions.accept_suggestions(university.load(), [patent.id])
        transaction.commit()  # the outbox drains inline: search first, then the push decision
        [entry] = db.session.scalars(select(DigestEntry).where(DigestEntry.organisation_id == company.organisation_id))
        assert (entry.entity_type, entry.entity_id) == ("patent", patent.id)


# --- page -----------------------------------------------------------------------------------------

def test_anonymous_visitors_are_sent_to_log_in(client, stock):
    assert client.get("/inventory").status_code == 302
    assert client.post("/inventory/segment-suggestions/accept", data={"scope": "all"}).status_code == 302
    assert _get_segments(client, stock[0].id) == []


def test_owner_accepts_on_the_inventory_page(client, login, university, stock):
    bare, partly, no_ipc = stock
    login(university)
    page = client.get("/inventory").get_data(as_text=True)
    assert "按 IPC 建议的产业领域" in page and 'data-suggested="TM-H11 SEI-02"' in page
    response = client.post("/inventory/segment-suggestions/accept?next=/inventory",
                           data={"scope": "selected", "patent_ids": [bare.id]})
    assert response.status_code == 302
    assert _get_segments(client, bare.id) == ["SEI-02", "TM-H11"] and _get_segments(client, partly.id) == ["TM-H11"]
    client.post("/inventory/segment-suggestions/accept", data={"scope": "all", "q": ""})
    assert _get_segments(client, partly.id) == ["SEI-02", "TM-H11"]
    assert 'data-suggested' not in client.get("/inventory").get_data(as_text=True)


def _get_segments(client, patent_id: int) -> list[str]:
    with client.application.app_context():
        return _segments(patent_id)


def test_an_agency_may_not_accept_on_the_page(client, login, agency, stock):
    login(agency)
    response = client.post("/inventory/segment-suggestions/accept", data={"scope": "all"})
    assert response.status_code == 403
    assert _get_segments(client, stock[0].id) == []


def test_another_university_cannot_accept_for_my_patents(client, login, other_university, stock):
    login(other_university)
    response = client.post("/inventory/segment-suggestions/accept", data={"patent_ids": [stock[0].id]})
    assert response.status_code == 404
    assert _get_segments(client, stock[0].id) == []


# --- API ------------------------------------------------------------------------------------------

def test_api_lists_reads_and_accepts(client, university, stock, token_for):
    bare, partly, no_ipc = stock
    headers = token_for(university)
    listing = client.get("/api/v1/segments/suggestions", headers=headers).get_json()
    assert listing["meta"]["total"] == 2
    first = next(item for item in listing["items"] if item["patent_id"] == bare.id)
    assert first["suggestions"][0] == {"segment": "TM-H11", "label": "农机", "ipc": "A01C", "rule": "A01C",
                                       "basis": "sei2021", "sei": "2.1"}
    one = client.get(f"/api/v1/segments/suggestions/{partly.id}", headers=headers).get_json()
    assert [s["segment"] for s in one["suggestions"]] == ["SEI-02"]
    accepted = client.post("/api/v1/segments/suggestions/accept", json={"patent_ids": [bare.id]}, headers=headers)
    assert accepted.status_code == 200 and accepted.get_json() == {"patents": 1, "segments": 2}
    accepted = client.post("/api/v1/segments/suggestions/accept", json={"all": True}, headers=headers)
    assert accepted.get_json() == {"patents": 1, "segments": 1}
    assert client.get("/api/v1/segments/suggestions", headers=headers).get_json()["meta"]["total"] == 0


def test_api_access_rules(client, agency, other_university, stock, token_for):
    assert client.get("/api/v1/segments/suggestions").status_code == 401
    assert client.post("/api/v1/segments/suggestions/accept", json={"all": True}).status_code == 401
    assert client.get("/api/v1/segments/suggestions", headers=token_for(agency)).status_code == 403
    other = token_for(other_university)
    assert client.get(f"/api/v1/segments/suggestions/{stock[0].id}", headers=other).status_code == 404
    assert client.post("/api/v1/segments/suggestions/accept", json={"patent_ids": [stock[0].id]},
                       headers=other).status_code == 404
    assert client.post("/api/v1/segments/suggestions/accept", json={"patent_ids": []},
                       headers=other).status_code == 422


def test_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/segments/suggestions", "/api/v1/segments/suggestions/{patent_id}",
            "/api/v1/segments/suggestions/accept", "/api/v1/segments/industries"} <= set(paths)
