"""Fixtures shared by the whole suite: app, database, clients and users per organisation kind.

The database is SQLite in a temporary folder unless ``DATABASE_URL`` points to
PostgreSQL, in which case the same tests run there. ``REQUIRE_SERVICES=1``
turns every skip for a missing server into a failure (CI sets it).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text

from marketplace import create_app
from marketplace.config import Settings
from marketplace.extensions import db
from tests import factories

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def require_service(name: str, reason: str) -> None:
    """Skip a test whose server is missing, or fail it when CI requires every service."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{name} required (REQUIRE_SERVICES=1) but unavailable: {reason}")
    pytest.skip(f"{name} unavailable: {reason}")


def test_settings(tmp_path: Path, **overrides: object) -> Settings:
    """Settings for a test app: the suite's database and search server (``ES_URL``), jobs inline."""
    environ = {"MARKETPLACE_ENV": "testing", "SECRET_KEY": "test-secret", "DEMO_MODE": "true",
               "ES_INDEX_PREFIX": f"test{os.getpid()}"}
    if os.environ.get("ES_URL"):
        environ["ES_URL"] = os.environ["ES_URL"]
    if os.environ.get("DATABASE_URL"):
        environ["DATABASE_URL"] = os.environ["DATABASE_URL"]
    else:
        environ["DATABASE_URL"] = f"sqlite:///{tmp_path / 'test.sqlite'}"
    settings = Settings.from_env(tmp_path, environ)
    return settings.replace(**overrides) if overrides else settings


test_settings.__test__ = False  # a helper, not a test, in the modules that import it


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory):
    """One app and schema per test session; rows are cleared after every test."""
    tmp_path = tmp_path_factory.mktemp("app")
    application = create_app({"SETTINGS": test_settings(tmp_path), "TESTING": True, "WTF_CSRF_ENABLED": False,
                              "SERVER_NAME": "localhost"})
    with application.app_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        db.drop_all()
        db.create_all()
    yield application
    with application.app_context():
        backend = application.extensions.get("search")
        if backend is not None:
            backend.drop()
            backend.close()


@pytest.fixture(autouse=True)
def _clean_database(request: pytest.FixtureRequest):
    """Empty every table and search index after each test that used the app, so tests never see each other's rows."""
    yield
    if "app" not in request.fixturenames:
        return
    application = request.getfixturevalue("app")
    with application.app_context():
        backend = application.extensions.get("search")
        if backend is not None:
            backend.drop()
        db.session.rollback()
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
        db.session.remove()


@pytest.fixture
def ctx(app):
    """An application context for service-level tests (no HTTP)."""
    with app.test_request_context():
        yield
        db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def csrf_app(app):
    """The same app with CSRF enforced, for tests proving forms need the token."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield app
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def university(app):
    """A university's owner account (with its organisation)."""
    with app.app_context():
        return factories.make_user("university", email="owner@tsinghua.test", org_name="测试大学")


@pytest.fixture
def other_university(app):
    with app.app_context():
        return factories.make_user("university", email="owner@other-univ.test", org_name="另一所大学")


@pytest.fixture
def company(app):
    with app.app_context():
        return factories.make_user("company", email="owner@company.test", org_name="测试科技有限公司", is_sme=True)


@pytest.fixture
def agency(app):
    with app.app_context():
        return factories.make_user("agency", email="owner@agency.test", org_name="测试知识产权运营中心")


@pytest.fixture
def bank(app):
    with app.app_context():
        return factories.make_user("bank", email="owner@bank.test", org_name="测试银行")


@pytest.fixture
def platform_admin(app):
    with app.app_context():
        return factories.make_platform_admin("admin@platform.test")


@pytest.fixture
def login(client):
    """``login(user)`` signs the test client in through the real form."""
    def sign_in(user: factories.UserRef, test_client=None):
        target = test_client or client
        response = target.post("/login", data={"email": user.email, "password": factories.PASSWORD})
        assert response.status_code == 302, response.data[:500]
        return target
    return sign_in


@pytest.fixture
def token_for(app):
    """``token_for(user)`` returns ``{"Authorization": "Bearer …"}`` for API calls."""
    def issue(user: factories.UserRef) -> dict[str, str]:
        with app.test_request_context():
            headers = factories.bearer(user)
            db.session.commit()
            return headers
    return issue
