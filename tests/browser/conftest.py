"""The live server every browser test drives: the real app (CSRF on, demo data) over HTTP on a free port."""
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from marketplace import create_app
from marketplace.core import transaction
from marketplace.demo import DEMO_PASSWORD, seed
from marketplace.extensions import db
from tests.conftest import test_settings

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


def sign_in(page, live_server: str, email: str = "university@demo.local") -> None:
    """Sign a Playwright page in as a demo user through the real form."""
    from playwright.sync_api import expect
    page.goto(f"{live_server}/login")
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text("欢迎回来")).to_be_visible()
