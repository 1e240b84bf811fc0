"""Royalty pages, API and reminders: who may file and read, the statement downloads, both parties told."""
from __future__ import annotations

import io
from datetime import timedelta

from flask import g
from openpyxl import load_workbook
from sqlalchemy import select

from marketplace.core import transaction
from marketplace.core.dates import local_today
from marketplace.extensions import db
from marketplace.push.models import Notification, NotificationKind
from marketplace.royalties import jobs, services
from tests import factories


def test_licensee_files_a_report_on_the_license_page(client, login, royalty_license, company, university):
    grant = royalty_license()
    period = grant.installments[0]
    login(company)
    page = client.get(f"/licenses/{grant.id}").get_data(as_text=True)
    assert 'id="royalties"' in page and "提交提成报告" in page
    response = client.post(f"/licenses/{grant.id}/royalty-reports",
                           data={"installment_id": str(period.id), "base_amount": "-5"})
    assert response.status_code == 302 and db.session.get(type(period), period.id).amount is None
    response = client.post(f"/licenses/{grant.id}/royalty-reports",
                           data={"installment_id": str(period.id), "base_amount": "200000", "units": "12"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(period), period.id).amount == 7000
    client.get("/logout")
    login(university)
    page = client.get(f"/licenses/{grant.id}").get_data(as_text=True)
    assert "¥7,000.00" in page and "提交提成报告" not in page  # the licensor reads, the licensee reports


def test_statement_page_and_exports_for_the_parties_only(client, login, royalty_license, company, university,
                                                          other_university):
    grant = royalty_license()
    report = services.file_report(company.load(), grant.id, {"base_amount": "100000", "note": "=HYPERLINK(1)"})
    transaction.commit()
    year = report.period_end.year
    login(university)
    page = client.get(f"/licenses/{grant.id}/royalties?year={year}")
    assert page.status_code == 200 and 'data-total="royalty">¥3,500.00' in page.get_data(as_text=True)
    csv = client.get(f"/licenses/{grant.id}/royalties.csv?year={year}")
    assert csv.status_code == 200 and "3500.00" in csv.get_data(as_text=True)
    xlsx = client.get(f"/licenses/{grant.id}/royalties.xlsx?year={year}")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert [c.value for c in sheet[sheet.max_row]][0] == "合计"
    assert client.get(f"/licenses/{grant.id}/royalties?year=20x6").status_code == 422
    client.get("/logout")
    login(other_university)
    assert client.get(f"/licenses/{grant.id}/royalties").status_code == 404
    assert client.get(f"/licenses/{grant.id}/royalties.csv").status_code == 404


def test_api_files_reports_and_names_bad_fields(client, token_for, royalty_license, company, university):
    grant = royalty_license()
    headers = token_for(company)
    bad = client.post(f"/api/v1/licenses/{grant.id}/royalty-reports", json={"base_amount": "-1"}, headers=headers)
    assert bad.status_code == 422 and "base_amount" in bad.get_json()["fields"]
    too_high = client.post(f"/api/v1/licenses/{grant.id}/royalty-reports",
                           json={"base_amount": "1000", "royalty_rate": "4"}, headers=headers)
    assert too_high.status_code == 422 and "royalty_rate" in too_high.get_json()["fields"]
    made = client.post(f"/api/v1/licenses/{grant.id}/royalty-reports", json={"base_amount": "1000.50", "units": 3},
                       headers=headers)
    assert made.status_code == 201 and made.get_json()["royalty"] == "35.02"
    again = client.post(f"/api/v1/licenses/{grant.id}/royalty-reports",
                        json={"base_amount": "1000", "installment_id": made.get_json()["installment_id"]},
                        headers=headers)
    assert again.status_code == 409 and "installment_id" in again.get_json()["fields"]
    year = made.get_json()["period_end"][:4]
    g.pop("api_token_user", None)  # the test's app context is shared by its requests: forget the last caller
    found = client.get(f"/api/v1/licenses/{grant.id}/royalty-statement?year={year}", headers=token_for(university))
    assert found.status_code == 200 and found.get_json()["royalty_total"] == "35.02"
    assert client.get(f"/api/v1/licenses/{grant.id}/royalty-reports", headers=headers).get_json()[0]["units"] == 3


def test_missing_reports_and_overdue_royalties_tell_both_parties_once(royalty_license, company, university):
    grant = royalty_license()  # the first period ended a month ago and its 30 days have passed
    first = grant.installments[0]
    assert first.due_date < local_today()
    jobs.remind_royalties()
    jobs.remind_royalties()
    told = db.session.scalars(select(Notification).where(
        Notification.kind == NotificationKind.ROYALTY_REPORT_DUE)).all()
    assert sorted(n.organisation_id for n in told) == sorted([company.organisation_id, university.organisation_id])
    services.file_report(company.load(), grant.id, {"base_amount": "1000"})
    transaction.commit()
    jobs.remind_royalties(local_today() + timedelta(days=1))
    overdue = db.session.scalars(select(Notification).where(
        Notification.kind == NotificationKind.PAYMENT_OVERDUE)).all()
    assert sorted(n.organisation_id for n in overdue) == sorted([company.organisation_id, university.organisation_id])
    factories.pay_license(company, university, grant.id, "35.00")
    jobs.remind_royalties(local_today() + timedelta(days=2))
    assert len(db.session.scalars(select(Notification).where(
        Notification.kind == NotificationKind.PAYMENT_OVERDUE)).all()) == 2
