"""Fixtures shared by the whole suite: app, database, clients and users per organisation kind.

The database is SQLite in a temporary folder unless ``DATABASE_URL`` points to
PostgreSQL, in which case the same tests run there. ``REQUIRE_SERVICES=1``
turns every skip for a missing server into a failure (CI sets it).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import werkzeug.security
from hypothesis import settings
from sqlalchemy import text

from marketplace import create_app
from marketplace.config import Settings
from marketplace.demo import DEMO_PASSWORD
from marketplace.extensions import db
from marketplace.search.backend import search_backend
from tests import demo, factories, isolation, parallel
from tests.parallel import pytest_runtest_protocol  # noqa: F401 (a hook: xdist workers take turns at Elasticsearch)

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"

# Hypothesis: the default profile sizes the property tests for a 2-core machine;
# HYPOTHESIS_PROFILE=thorough runs ten times the examples of the same properties.
settings.register_profile("default", deadline=None)
settings.register_profile("thorough", deadline=None, max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
EXAMPLE_SCALE = 10 if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else 1


def examples(default: int) -> int:
    """``@settings(max_examples=examples(n))``: n examples by default, 10 n with HYPOTHESIS_PROFILE=thorough."""
    return default * EXAMPLE_SCALE


def _cheap_scrypt(hash_internal):
    """Password hashes stay real scrypt, at a test cost factor (N=2^10 instead of 2^15: 32x cheaper).

    Every test signs users up and in; at the production factor the hashing alone was
    a sixth of the suite. A hash records its own factor, so checks follow it.
    """
    def hash_with_test_factor(method: str, salt: str, password: str) -> tuple[str, str]:
        return hash_internal("scrypt:1024:8:1" if method == "scrypt" else method, salt, password)
    return hash_with_test_factor


werkzeug.security._hash_internal = _cheap_scrypt(werkzeug.security._hash_internal)


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
        environ["DATABASE_URL"] = parallel.worker_database_url(os.environ["DATABASE_URL"])
    else:
        environ["DATABASE_URL"] = f"sqlite:///{tmp_path / 'test.sqlite'}"
    settings = Settings.from_env(tmp_path, environ)
    return settings.replace(**overrides) if overrides else settings


test_settings.__test__ = False  # a helper, not a test, in the modules that import it


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory):
    """One app, schema and search indices per test session; each test's writes are rolled back after it."""
    tmp_path = tmp_path_factory.mktemp("app")
    settings = test_settings(tmp_path)
    parallel.create_worker_database(settings.database_url)
    application = create_app({"SETTINGS": settings, "TESTING": True, "WTF_CSRF_ENABLED": False,
                              "SERVER_NAME": "localhost"})
    with application.app_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        db.drop_all()
        db.create_all()
        db.session.remove()
        isolation.install(db.engine)
        backend = search_backend()
        backend.drop()  # a crashed earlier session of this pid (containers reuse pids) left nothing behind
        backend.ensure_indices()
        isolation.track_writes(backend)
    yield application
    with application.app_context():
        backend = application.extensions.get("search")
        if backend is not None:
            backend.drop()
            backend.close()
        db.engine.dispose()
    parallel.drop_worker_database(settings.database_url)


@pytest.fixture(autouse=True)
def _isolation(request: pytest.FixtureRequest):
    """Run each test that uses the app inside one transaction rolled back afterwards (see tests/README.md).

    Every session the test opens (``app_context``, requests, ``ctx``) joins that
    transaction through a SAVEPOINT, so the app's commits stay visible to the
    test and vanish at its end. Tests marked ``committed`` (and the ``redis``
    and ``postgres`` tests: worker subprocesses and threads need rows other
    connections can see) commit for real and find every table emptied afterwards.
    """
    if "app" not in request.fixturenames:
        yield
        return
    application = request.getfixturevalue("app")
    committed = any(request.node.get_closest_marker(name) for name in isolation.COMMITTED_MARKERS)
    if committed:
        yield
        with application.app_context():
            isolation.empty_database()
            isolation.empty_search(application.extensions["search"])
        return
    with application.app_context():
        engine = db.engine
    with isolation.rolled_back(engine):
        yield
    isolation.empty_search_if_written(application)


@pytest.fixture(scope="session")
def demo_snapshot(app) -> demo.DemoSnapshot:
    """The demo world as seeded once in this process (see tests/demo.py)."""
    return demo.take_snapshot(app)


@pytest.fixture
def demo_world(app, demo_snapshot) -> str:
    """The demo organisations with their patents, needs, matches, deals, pledges, licenses and console data,
    copied into this test's transaction; the demo users' password."""
    with app.app_context():
        demo.restore(demo_snapshot)
    return DEMO_PASSWORD


@pytest.fixture
def demo_counts(demo_world, demo_snapshot) -> dict[str, int]:
    """What ``seed`` reported creating, for tests of the demo world itself."""
    return demo_snapshot.counts


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
def mailbox(monkeypatch):
    """Every e-mail handed over at a commit, as (to, subject, body)."""
    sent: list[tuple[str, str, str]] = []
    from marketplace.core import mail
    take = mail.take_queued_mail

    def recording() -> list[tuple[str, str, str]]:
        taken = take()
        sent.extend(taken)
        return taken

    monkeypatch.setattr(mail, "take_queued_mail", recording)
    return sent


@pytest.fixture
def token_for(app):
    """``token_for(user)`` returns ``{"Authorization": "Bearer …"}`` for API calls."""
    def issue(user: factories.UserRef) -> dict[str, str]:
        with app.test_request_context():
            headers = factories.bearer(user)
            db.session.commit()
            return headers
    return issue
