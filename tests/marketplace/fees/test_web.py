"""Annual-fee pages and API: the owner's months and totals, exports with formulas neutralised, access by role."""
from __future__ import annotations

import io
from datetime import timedelta

from flask import g
from openpyxl import load_workbook

from marketplace.core.dates import local_today
from marketplace.extensions import db
from marketplace.fees.models import AnnualFee
from sqlalchemy import select


def period_args(day) -> str:
    return f"year={day.year}&month={day.month}"


def test_owner_sees_fees_due_by_month_with_totals_and_exports(client, login, fee_patent, university):
    patent = fee_patent(due_in_days=3, title="=HYPERLINK(\"http://evil\")")
    due = local_today() + timedelta(days=3)
    login(university)
    page = client.get(f"/fees?{period_args(due)}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-fee-id=' in html and patent.application_number in html
    assert 'data-total="year-amount">¥1,200.00' in html
    exported = client.get(f"/fees.csv?{period_args(due)}")
    csv = exported.get_data(as_text=True)
    assert "'=HYPERLINK" in csv and "1200.00" in csv
    assert exported.headers["Content-Disposition"] == f'attachment; filename="annual-fees-{due.year}-{due.month:02d}.csv"'
    quarter = client.get(f"/fees.csv?year={due.year}&quarter=4").headers["Content-Disposition"]
    assert quarter == f'attachment; filename="annual-fees-{due.year}-q4.csv"'
    sheet = load_workbook(io.BytesIO(client.get(f"/fees.xlsx?{period_args(due)}").data)).active
    assert sheet.cell(2, 2).value.startswith("'=") and sheet.cell(2, 9).value == 1200
    ledger_page = client.get(f"/patents/{patent.id}/fees").get_data(as_text=True)
    assert 'id="ledger"' in ledger_page and "登记缴费" in ledger_page
    assert client.get("/fees?month=13").status_code == 422


def test_owner_pays_through_the_page(client, login, fee_patent, university):
    patent = fee_patent(due_in_days=3)
    fee = db.session.scalar(select(AnnualFee).where(AnnualFee.patent_id == patent.id, AnnualFee.fee_year == 5))
    login(university)
    response = client.post(f"/fees/{fee.id}/payment", data={"patent_id": patent.id, "reference": "JF-9"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(AnnualFee, fee.id).paid_amount == 1200


def test_other_roles_see_no_foreign_ledger(client, login, fee_patent, other_university, bank):
    patent = fee_patent()
    login(other_university)
    assert client.get(f"/patents/{patent.id}/fees").status_code == 404
    assert patent.application_number not in client.get("/fees").get_data(as_text=True)
    client.get("/logout")
    login(bank)
    assert client.get("/fees").status_code == 403
    assert client.get("/fees/review").status_code == 403


def test_api_ledger_payment_and_bad_input(client, token_for, fee_patent, university, other_university):
    patent = fee_patent(due_in_days=3)
    due = local_today() + timedelta(days=3)
    headers = token_for(university)
    found = client.get(f"/api/v1/fees?year={due.year}&month={due.month}", headers=headers).get_json()
    assert found["totals"]["amount"] == "1200.00" and found["items"][0]["patent_id"] == patent.id
    assert len(found["months"]) == 12
    bad = client.get("/api/v1/fees?quarter=5", headers=headers)
    assert bad.status_code == 422 and "quarter" in str(bad.get_json())
    fee_id = found["items"][0]["id"]
    wrong = client.post(f"/api/v1/fees/{fee_id}/payment", json={"amount": "1000"}, headers=headers)
    assert wrong.status_code == 422 and "amount" in wrong.get_json()["fields"]
    g.pop("api_token_user", None)  # the test's app context is shared by its requests: forget the last caller
    assert client.post(f"/api/v1/fees/{fee_id}/payment", json={}, headers=token_for(other_university)).status_code == 404
    g.pop("api_token_user", None)
    paid = client.post(f"/api/v1/fees/{fee_id}/payment", json={"amount": "1200.00"}, headers=headers)
    assert paid.status_code == 200 and paid.get_json()["state"] == "paid"
    ledger = client.get(f"/api/v1/patents/{patent.id}/fees", headers=headers).get_json()
    assert [row["fee_year"] for row in ledger["rows"]] == [5]


def test_review_page_abandon_and_decision_page(client, login, fee_patent, university, other_university):
    patent = fee_patent(grade="D")
    year = (local_today() + timedelta(days=20)).year
    login(university)
    page = client.get(f"/fees/review?year={year}").get_data(as_text=True)
    assert f'data-review-patent="{patent.id}"' in page
    response = client.post(f"/patents/{patent.id}/fee-decision",
                           data={"decision": "abandon", "reason": "D 级，无转化前景", "review_year": str(year)})
    assert response.status_code == 302 and "/fee-decisions/" in response.location
    decision_page = client.get(response.location).get_data(as_text=True)
    assert 'data-status="effective"' in decision_page and 'data-field="decided_by"' in decision_page
    assert client.get("/fees/review?year=20x6").status_code == 422
    client.get("/logout")
    login(other_university)
    assert client.get(response.location).status_code == 404


def test_the_review_year_is_read_alike_by_page_and_api(client, login, token_for, university):
    """One parser for ``year`` (core.dates.parse_year): the page and the API give the same reason for it."""
    login(university)
    for bad in ("20x6", "1900", "二〇二六"):
        page = client.get(f"/fees/review?year={bad}")
        api = client.get(f"/api/v1/fees/review?year={bad}", headers=token_for(university))
        assert page.status_code == api.status_code == 422
        assert list(api.json["fields"]) == ["year"] and api.json["fields"]["year"] == "应为四位年份（1985–2200）"
        assert f'<li data-field="year">{api.json["fields"]["year"]}</li>' in page.get_data(as_text=True)
