"""Console API: statistics, funnel, targets, events and exports — scoping and refusals endpoint by endpoint."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tests.marketplace.console.conftest import AGENCY_TOTAL


def test_stats_by_mode_are_the_agencys_own(client, token_for, agency, ledger):
    body = client.get("/api/v1/stats/deals?group_by=mode", headers=token_for(agency)).get_json()
    rows = {row["key"]: row for row in body["rows"]}
    assert rows["license"]["items"] == 1 and rows["license"]["amount"] == "120000.00"
    assert rows["transfer"]["amount"] == "800000.00"
    assert rows["pledge"]["amount"] == "2000000.00"
    assert rows["open_license"]["items"] == 1 and rows["open_license"]["amount"] == "50000.00"
    assert Decimal(body["total"]["amount"]) == AGENCY_TOTAL


def test_an_agency_never_sees_another_agencys_deals(client, token_for, other_agency, ledger):
    """Its own license only: naming the SME and the university in a deal did not make it serve them, so the open
    license between them (which the SME let ``agency`` see) stays out."""
    body = client.get("/api/v1/stats/deals?group_by=mode", headers=token_for(other_agency)).get_json()
    assert body["total"] == {"items": 1, "amount": "50000.00", "filters": {}}
    exported = client.get("/api/v1/exports/deals.csv", headers=token_for(other_agency)).get_data(as_text=True)
    rows = [(row[0], row[1]) for row in csv.reader(io.StringIO(exported.lstrip("\ufeff")))][1:-1]
    assert rows == [("交易", str(ledger.other_agency_deal))]


def test_admin_sees_everything_and_may_narrow_to_one_agency(client, token_for, platform_admin, agency, ledger):
    headers = token_for(platform_admin)
    everything = client.get("/api/v1/stats/deals?group_by=year", headers=headers).get_json()
    assert Decimal(everything["total"]["amount"]) == AGENCY_TOTAL + Decimal("50000.00")
    one = client.get(f"/api/v1/stats/deals?group_by=year&agency_id={agency.organisation_id}", headers=headers)
    assert Decimal(one.get_json()["total"]["amount"]) == AGENCY_TOTAL


@pytest.mark.parametrize("group_by", ["month", "quarter", "year", "mode", "segment", "region", "organisation"])
def test_every_grouping_answers_and_rows_carry_their_filters(client, token_for, agency, ledger, group_by):
    year = ledger.today.year
    body = client.get(f"/api/v1/stats/deals?group_by={group_by}&from={year}-01-01&to={year}-12-31",
                      headers=token_for(agency)).get_json()
    assert body["group_by"] == group_by and body["from"] == f"{year}-01-01"
    for row in body["rows"]:
        if row["items"]:
            listed = client.get("/api/v1/exports/deals.csv", query_string=row["filters"], headers=token_for(agency))
            lines = list(csv.reader(io.StringIO(listed.get_data(as_text=True).lstrip("\ufeff"))))
            assert lines[-1][1] == str(row["items"]) and lines[-1][10] == row["amount"]


def test_unknown_group_by_is_refused_by_name(client, token_for, agency):
    response = client.get("/api/v1/stats/deals?group_by=colour", headers=token_for(agency))
    assert response.status_code == 422 and "group_by" in response.get_json()["fields"]


def test_from_after_to_is_refused_by_name(client, token_for, agency):
    response = client.get("/api/v1/stats/deals?group_by=month&from=2025-06-01&to=2025-01-01",
                          headers=token_for(agency))
    assert response.status_code == 422 and "from" in response.get_json()["fields"]


@pytest.mark.parametrize("path", ["/api/v1/stats/deals?group_by=mode", "/api/v1/stats/funnel", "/api/v1/events",
                                  "/api/v1/exports/deals.csv", "/api/v1/targets"])
def test_companies_get_403_and_strangers_401(client, token_for, company, path):
    assert client.get(path).status_code == 401
    assert client.get(path, headers=token_for(company)).status_code == 403


def test_targets_are_created_patched_and_refused_when_negative(client, token_for, agency, other_agency, ledger):
    headers = token_for(agency)
    year = ledger.today.year
    created = client.post("/api/v1/targets", json={"year": year, "pledge_amount": "20000000.00", "pledge_count": 5},
                          headers=headers)
    assert created.status_code == 201 and created.get_json()["pledge_amount"] == "20000000.00"
    target_id = created.get_json()["id"]
    assert client.post("/api/v1/targets", json={"year": year}, headers=headers).status_code == 409
    patched = client.patch(f"/api/v1/targets/{target_id}", json={"events_count": 3, "pledge_count": None},
                           headers=headers)
    assert patched.get_json()["events_count"] == 3 and patched.get_json()["pledge_count"] is None
    negative = client.patch(f"/api/v1/targets/{target_id}", json={"conversion_amount": "-5.00"}, headers=headers)
    assert negative.status_code == 422 and "conversion_amount" in negative.get_json()["fields"]
    negative_count = client.post("/api/v1/targets", json={"year": year + 1, "pledge_count": -1}, headers=headers)
    assert negative_count.status_code == 422 and "pledge_count" in negative_count.get_json()["fields"]
    assert client.patch(f"/api/v1/targets/{target_id}", json={"events_count": 1},
                        headers=token_for(other_agency)).status_code == 404
    listed = client.get("/api/v1/targets", headers=headers).get_json()
    assert [t["year"] for t in listed] == [year]
    progress = client.get(f"/api/v1/targets/progress?year={year}", headers=headers).get_json()
    pledge_amount = next(p for p in progress if p["metric"] == "pledge_amount")
    assert pledge_amount["target"] == "20000000.00" and pledge_amount["actual"] == "2000000.00"


def test_events_are_created_attended_and_scoped(client, token_for, agency, other_agency, company, university, ledger):
    headers = token_for(agency)
    created = client.post("/api/v1/events", json={
        "title": "新材料供需对接会", "held_on": ledger.today.isoformat(), "online": True, "segments": ["TM-D"],
        "invited_organisation_ids": [company.organisation_id]}, headers=headers)
    assert created.status_code == 201, created.get_json()
    event_id = created.get_json()["id"]
    attended = client.post(f"/api/v1/events/{event_id}/attendance",
                           json={"attended": [company.organisation_id, university.organisation_id]}, headers=headers)
    body = attended.get_json()
    assert body["attendance"] == 2 and len(body["invitations"]) == 2
    assert client.post(f"/api/v1/events/{event_id}/attendance", json={"attended": [1]},
                       headers=token_for(other_agency)).status_code == 404
    assert [e["id"] for e in client.get("/api/v1/events", headers=token_for(other_agency)).get_json()] == []
    assert [e["id"] for e in client.get("/api/v1/events", headers=headers).get_json()] == [event_id]
    missing_place = client.post("/api/v1/events", json={"title": "线下会", "held_on": "2025-03-01"}, headers=headers)
    assert missing_place.status_code == 422 and "place" in missing_place.get_json()["fields"]


def test_event_writes_need_a_token(client, login, agency):
    login(agency)
    assert client.post("/api/v1/events", json={"title": "x", "held_on": "2025-01-01", "online": True}).status_code == 401


def test_xlsx_export_equals_the_csv(client, token_for, agency, ledger):
    headers = token_for(agency)
    rows = list(csv.reader(io.StringIO(client.get("/api/v1/exports/deals.csv", headers=headers)
                                       .get_data(as_text=True).lstrip("\ufeff"))))
    book = load_workbook(io.BytesIO(client.get("/api/v1/exports/deals.xlsx", headers=headers).data))
    xlsx_rows = list(book.active.iter_rows(values_only=True))
    # the XLSX stores every number as a double (an id 2 reads back 2.0): the same ids in the same order
    assert [r[1] for r in xlsx_rows[1:]] == [int(r[1]) for r in rows[1:]]
    assert Decimal(rows[-1][10]) == AGENCY_TOTAL and Decimal(str(xlsx_rows[-1][10])) == AGENCY_TOTAL


def test_funnel_endpoint_answers(client, token_for, agency, ledger):
    body = client.get("/api/v1/stats/funnel", headers=token_for(agency)).get_json()
    assert body["stages"] == ["pushed", "viewed", "interested", "contacted", "deal"]
    assert body["total"]["pushed"] == 0
    assert {r["reason"] for r in body["reasons"]} >= {"too_early", "benefit_unclear", "commercial_route_unclear"}
