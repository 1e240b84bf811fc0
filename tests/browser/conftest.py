"""The live server every browser test drives: the real app (CSRF on, demo data) over HTTP on a free port."""
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from marketplace import create_app
from marketplace.core import transaction
from marketplace.demo import DEMO_PASSWORD, seed
from marketplace.extensions import db
from tests.conftest import require_service, test_settings

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _site_app(folder: Path) -> Flask:
    """The real app (CSRF on) on a SQLite database and an embedded search index of ``folder``'s own."""
    settings = test_settings(folder).replace(database_url=f"sqlite:///{folder / 'browser.sqlite'}", es_url=None)
    return create_app({"SETTINGS": settings})


@pytest.fixture(scope="session")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo site's database and search index, seeded once per test process: each site starts from a copy."""
    folder = tmp_path_factory.mktemp("demo-site")
    app = _site_app(folder)
    with app.test_request_context():
        db.create_all()
        seed()
        transaction.commit()
    with app.app_context():
        db.engine.dispose()  # the last connection closed checkpoints the write-ahead log into the file
    backend = app.extensions.get("search")
    if backend is not None:
        backend.close()
    return folder


@contextmanager
def demo_site(tmp_path: Path, demo_files: Path) -> Iterator[tuple[str, Flask]]:
    """The real app (CSRF on, a copy of the demo data) served over HTTP on a free loopback port: its URL and
    the app."""
    for seeded in demo_files.glob("*.sqlite*"):
        shutil.copy2(seeded, tmp_path / seeded.name)
    app = _site_app(tmp_path)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def live_server(tmp_path: Path, demo_files: Path):
    """A demo site of the test's own (for tests that change the demo data)."""
    with demo_site(tmp_path, demo_files) as (url, _app):
        yield url


def chromium() -> str:
    """Debian's chromium, or a skip (a failure when CI requires every service)."""
    path = shutil.which("chromium")
    if path is None:
        require_service("Chromium", "the chromium package is not installed")
    assert path is not None
    return path


def sign_in(page, live_server: str, email: str = "university@demo.local") -> None:
    """Sign a Playwright page in as a demo user through the real form."""
    from playwright.sync_api import expect
    page.goto(f"{live_server}/login")
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text("欢迎回来")).to_be_visible()
