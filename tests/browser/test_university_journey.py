"""A person in headless Chromium: sign in as the demo university, import a spreadsheet with one bad row,
read the row report, publish the imported patents and find them listed."""
import csv
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from marketplace import create_app
from marketplace.core import transaction
from marketplace.demo import DEMO_PASSWORD, seed
from marketplace.extensions import db
from tests import factories
from tests.conftest import require_service, test_settings

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def live_server(tmp_path: Path):
    """The real app (CSRF on, demo data) served over HTTP on a free loopback port."""
    settings = test_settings(tmp_path).replace(database_url=f"sqlite:///{tmp_path / 'browser.sqlite'}", es_url=None)
    app = create_app({"SETTINGS": settings})
    with app.test_request_context():
        db.create_all()
        seed()
        transaction.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


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
    chromium = shutil.which("chromium")
    if chromium is None:
        require_service("Chromium", "the chromium package is not installed")
    from playwright.sync_api import expect, sync_playwright

    records = factories.load_fixture("import_records.jsonl")[:3]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(locale="zh-CN")
        page.goto(f"{live_server}/login")
        page.get_by_label("邮箱").fill("university@demo.local")
        page.get_by_label("密码").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_text("欢迎回来")).to_be_visible()

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
