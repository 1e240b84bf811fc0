"""A person in headless Chromium: sign in as the demo university, import a spreadsheet with one bad row,
read the row report, publish the imported patents and find them listed."""
import csv
from pathlib import Path

import pytest

from tests import factories
from tests.browser.conftest import CHROMIUM_ARGS, chromium, sign_in


@pytest.fixture
def inventory_csv(tmp_path: Path) -> Path:
    """Two real records and one whose application number has a wrong check digit."""
    records = factories.load_fixture("import_records.jsonl")[:3]
    path = tmp_path / "专利清单.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["申请号", "专利名称", "摘要", "分级", "产业领域"])
        for index, record in enumerate(records):
            number = record["app_no"].removeprefix("CN")
            if index == 2:  # corrupt the check digit of the last row
                number = number[:-1] + ("0" if number[-1] != "0" else "1")
            writer.writerow([number, record["title"], (record.get("abstract") or "")[:200], "A", "新能源"])
    return path


@pytest.mark.browser
def test_university_imports_reads_report_publishes_and_sees_listing(live_server, inventory_csv):
    from playwright.sync_api import expect, sync_playwright

    records = factories.load_fixture("import_records.jsonl")[:3]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        page = browser.new_page(locale="zh-CN")
        sign_in(page, live_server)

        page.goto(f"{live_server}/inventory/import")
        page.locator("input[type=file]").set_input_files(str(inventory_csv))
        page.get_by_role("button", name="上传并导入").click()
        expect(page.get_by_role("heading", name="导入报告")).to_be_visible()
        bad_row = page.locator("table tbody tr")
        expect(bad_row).to_have_count(1)
        expect(bad_row.locator("td").first).to_have_text("4")  # header is row 1, the bad record row 4
        expect(bad_row).to_contain_text("校验位错误")

        page.goto(f"{live_server}/inventory?q={records[0]['title']}")
        page.locator(".patent-check").first.check()
        page.locator("#bulk-form select[name=action]").select_option("publish")
        page.locator("#bulk-form button[type=submit]").click()

        page.goto(f"{live_server}/patents")
        expect(page.get_by_text(records[0]["title"]).first).to_be_visible()
        browser.close()
