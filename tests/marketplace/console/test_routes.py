"""Console pages: who may open them, what they show, and that downloads equal the screen."""
from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tests.marketplace.console.conftest import AGENCY_TOTAL
from tests.marketplace.test_i18n import english_ready  # noqa: F401  (fixture)

PAGES = ["/console", "/console/report", "/console/items", "/console/funnel", "/console/events", "/console/targets"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_need_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", ["/console", "/console/items", "/console/funnel", "/console/stats.xlsx"])
def test_companies_are_refused(client, login, company, path):
    login(company)
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", PAGES)
def test_agency_pages_render(client, login, agency, ledger, path):
    login(agency)
    response = client.get(path)
    assert response.status_code == 200, response.data[:2000]


def test_dashboard_shows_this_years_figures_with_drill_down_links(client, login, agency, ledger):
    login(agency)
    html = client.get("/console").get_data(as_text=True)
    assert f'data-total-amount="{AGENCY_TOTAL}"' in html
    assert "另一家运营机构" not in html and "别家机构的许可" not in html
    assert "chart.umd.min.js" in html and 'data-chart="chart-monthly-data"' in html
    link = re.search(r'<tr data-key="pledge">.*?href="([^"]+)"', html, re.S).group(1).replace("&amp;", "&")
    listed = client.get(link).get_data(as_text=True)
    assert "共 1 笔，合计 ¥2,000,000.00" in listed


def test_platform_admin_sees_every_agency_and_can_pick_one(client, login, platform_admin, agency, ledger):
    login(platform_admin)
    everything = client.get("/console").get_data(as_text=True)
    assert f'data-total-amount="{AGENCY_TOTAL + Decimal("50000.00")}"' in everything
    one = client.get(f"/console?agency_id={agency.organisation_id}").get_data(as_text=True)
    assert f'data-total-amount="{AGENCY_TOTAL}"' in one


def test_item_exports_equal_the_list_on_screen(client, login, agency, ledger):
    login(agency)
    page = client.get("/console/items?mode=license").get_data(as_text=True)
    shown = re.findall(r'data-item="([a-z_]+-\d+)"', page)
    assert shown == [f"deal-{ledger.license_deal}"]
    rows = list(csv.reader(io.StringIO(client.get("/console/items.csv?mode=license").get_data(as_text=True)
                                       .lstrip("\ufeff"))))
    assert [(r[0], r[1]) for r in rows[1:-1]] == [("交易", str(ledger.license_deal))]
    assert rows[-1][0] == "合计" and rows[-1][10] == "120000.00"
    book = load_workbook(io.BytesIO(client.get("/console/items.xlsx?mode=license").data))
    sheet = book.active
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)][:-1] == [ledger.license_deal]


def test_statistics_workbook_holds_the_dashboard_tables(client, login, agency, ledger):
    login(agency)
    book = load_workbook(io.BytesIO(client.get("/console/stats.xlsx").data))
    assert "按方式" in book.sheetnames and "目标进度" in book.sheetnames
    by_mode = {row[0]: row for row in book["按方式"].iter_rows(min_row=2, values_only=True)}
    assert Decimal(str(by_mode["质押融资"][2])) == Decimal("2000000.00")
    assert Decimal(str(by_mode["合计"][2])) == AGENCY_TOTAL


def test_items_refuse_bad_dates(client, login, agency):
    login(agency)
    response = client.get("/console/items?from=2025-05-01&to=2025-01-01")
    assert response.status_code == 422


def test_targets_form_saves_and_the_dashboard_measures_against_them(client, login, agency, ledger):
    login(agency)
    year = ledger.today.year
    response = client.post(f"/console/targets?year={year}", data={"pledge_amount": "20000000", "pledge_count": "5",
                                                                   "events_count": "2"})
    assert response.status_code == 302
    html = client.get(f"/console?year={year}").get_data(as_text=True)
    row = re.search(r'<tr data-metric="pledge_amount">(.*?)</tr>', html, re.S).group(1)
    assert "¥20,000,000.00" in row and "¥2,000,000.00" in row
    target, forecast = re.findall(r'<td class="text-end">\s*(¥[\d,.]+)', row)
    assert target == "¥20,000,000.00" and re.fullmatch(r"¥[\d,]+", forecast), forecast  # an estimate: whole yuan
    refused = client.post(f"/console/targets?year={year}", data={"pledge_amount": "-1"})
    assert refused.status_code == 200 and "金额不能为负" in refused.get_data(as_text=True)


def test_exports_are_named_by_what_they_hold_and_their_period(client, login, agency, ledger):
    login(agency)
    year = ledger.today.year
    names = [client.get(path).headers["Content-Disposition"] for path in (
        f"/console/items.csv?from={year}-01-01&to={year}-03-31", f"/console/stats.xlsx?year={year}",
        f"/console/stats.csv?group_by=mode&from={year}-01-01")]
    assert names == [f'attachment; filename="console-items-{year}-01-01-{year}-03-31.csv"',
                     f'attachment; filename="console-{year}.xlsx"',
                     f'attachment; filename="console-stats-mode-{year}-01-01.csv"']


def test_the_funnel_chart_counts_in_whole_numbers(client, login, agency, ledger):
    login(agency)
    html = client.get("/console/funnel").get_data(as_text=True)
    spec = json.loads(re.search(r'<script type="application/json" id="funnel-data">(.*?)</script>', html, re.S).group(1))
    assert spec["counts"] is True
    assert all(isinstance(n, int) for n in spec["datasets"][0]["data"])


def test_agency_records_an_event_and_its_attendance(client, login, agency, company, ledger):
    login(agency)
    response = client.post("/console/events", data={
        "title": "新能源专利供需对接会", "held_on": ledger.today.isoformat(), "place": "贵阳市观山湖区",
        "segments": ["TM-F1"], "invited": [str(company.organisation_id)]})
    assert response.status_code == 302
    event_path = response.headers["Location"]
    event_id = int(event_path.rstrip("/").split("/")[-1])
    assert client.post(f"/console/events/{event_id}/attendance",
                       data={"attended": [str(company.organisation_id)]}).status_code == 302
    page = client.get(event_path).get_data(as_text=True)
    assert "（1/1）" in page
    assert client.post(f"/console/events/{event_id}/outcomes",
                       data={"kind": "deal", "deal_id": str(ledger.transfer_deal)}).status_code == 302
    assert "无人机专利转让" in client.get(event_path).get_data(as_text=True)


def test_another_agency_cannot_open_the_event(client, login, agency, other_agency, ledger):
    login(agency)
    response = client.post("/console/events", data={"title": "线上对接会", "held_on": ledger.today.isoformat(),
                                                     "online": "y"})
    event_path = response.headers["Location"]
    client.post("/logout")
    login(other_agency)
    assert client.get(event_path).status_code == 404


DATA_NAMES = ("测试知识产权运营中心", "测试大学", "测试科技有限公司", "另一家运营机构", "测试银行", "锂电池负极材料许可",
              "无人机专利转让")


@pytest.mark.parametrize("path", ["/console", "/console/report", "/console/funnel"])
def test_english_console_shows_no_chinese_labels(english_ready, client, login, agency, ledger, path):
    """Labels, headings, regions, figure definitions and the pending list are English; only data (names) is not."""
    from tests.marketplace.test_i18n import HAN, visible_text

    login(agency)
    client.get("/")  # the sign-in greeting is shown (and spent) here
    client.get("/lang/en")
    text = visible_text(client.get(path))
    for name in DATA_NAMES:
        text = text.replace(name, "")
    assert HAN.findall(text.replace("简体中文", "")) == [], text
