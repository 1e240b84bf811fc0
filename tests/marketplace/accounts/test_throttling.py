"""Sign-in throttling that cannot be turned against users (issue 11).

Failures count per (account, address) with exponential backoff, the owner gets
a CAPTCHA-free unlock link by e-mail, unknown accounts are answered alike and
cost the same hashing, 429 carries Retry-After on the page and the API, and the
client address comes from trusted proxy headers only when configured.
"""
from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from flask import request

from marketplace import create_app
from sqlalchemy import update

from marketplace.accounts import services
from marketplace.accounts.models import LoginAttempt
from marketplace.accounts.services import BACKOFF_BASE, BACKOFF_CAP, FREE_FAILURES, Backoff
from marketplace.core import transaction
from marketplace.core.errors import TooManyRequests, Unauthorized
from marketplace.core.models import utcnow
from marketplace.extensions import db
from tests import factories
from tests.conftest import test_settings


def fail(email: str, address: str, times: int = 1) -> None:
    for _ in range(times):
        with pytest.raises(Unauthorized):
            services.authenticate(email, "wrong-password", address)


def test_backoff_grows_exponentially_and_is_capped():
    now = utcnow()
    assert Backoff(FREE_FAILURES - 1, now).wait(now) == 0
    assert Backoff(FREE_FAILURES, now).wait(now) == BACKOFF_BASE.total_seconds()
    assert Backoff(FREE_FAILURES + 2, now).wait(now) == 4 * BACKOFF_BASE.total_seconds()
    assert Backoff(FREE_FAILURES + 40, now).wait(now) == BACKOFF_CAP.total_seconds()
    assert Backoff(FREE_FAILURES, now - timedelta(hours=1)).wait(now) == 0


def test_failures_slow_down_only_that_account_from_that_address(ctx, university, company):
    """Issue 11: five wrong passwords locked any known account for 15 minutes, wherever its owner was."""
    fail(university.email, "203.0.113.7", FREE_FAILURES)
    with pytest.raises(TooManyRequests) as caught:
        services.authenticate(university.email, factories.PASSWORD, "203.0.113.7")
    assert 0 < caught.value.retry_after <= BACKOFF_BASE.total_seconds()
    # the owner elsewhere, and another account at the attacker's address, sign in as usual
    assert services.authenticate(university.email, factories.PASSWORD, "198.51.100.1").id == university.id
    assert services.authenticate(company.email, factories.PASSWORD, "203.0.113.7").id == company.id


def test_many_accounts_failing_from_one_address_block_nobody_else(ctx, university):
    """Issue 11: thirty failures from one address blocked everyone behind it (a NAT, or the proxy itself)."""
    for number in range(40):
        fail(f"guess{number}@nowhere.test", "192.0.2.1")
    assert services.authenticate(university.email, factories.PASSWORD, "192.0.2.1").id == university.id


def test_a_waiting_try_does_not_look_at_the_password_nor_extend_the_wait(ctx, university, monkeypatch):
    fail(university.email, "203.0.113.8", FREE_FAILURES)
    calls: list[str] = []
    monkeypatch.setattr(services, "check_password_hash", lambda *args: calls.append("hash") or True)
    for _ in range(3):
        with pytest.raises(TooManyRequests):
            services.authenticate(university.email, factories.PASSWORD, "203.0.113.8")
    assert calls == [] and services.login_backoff(university.email, "203.0.113.8").failures == FREE_FAILURES


def test_unknown_accounts_are_answered_alike_and_hash_a_dummy_password(ctx, university, monkeypatch):
    """Issue 11: the token endpoint answered in 28 ms for unknown e-mails and 628 ms for known ones."""
    checked: list[str] = []
    real = services.check_password_hash
    monkeypatch.setattr(services, "check_password_hash",
                        lambda stored, password: checked.append(stored) or real(stored, password))
    with pytest.raises(Unauthorized) as known:
        services.authenticate(university.email, "wrong-password", "10.1.1.1")
    with pytest.raises(Unauthorized) as unknown:
        services.authenticate("nobody@nowhere.test", "wrong-password", "10.1.1.1")
    assert known.value.message == unknown.value.message
    assert len(checked) == 2 and checked[0] != checked[1]  # one real hash, one dummy of the same method
    assert checked[0].split("$")[0] == checked[1].split("$")[0]


def test_the_owner_is_mailed_an_unlock_link_once(ctx, university, caplog):
    caplog.set_level(logging.INFO)
    fail(university.email, "203.0.113.9", FREE_FAILURES)
    db.session.execute(update(LoginAttempt).values(at=LoginAttempt.at - timedelta(hours=1)))  # the wait is over
    transaction.commit()
    fail(university.email, "203.0.113.9")  # a sixth failure: a longer wait, but no second mail
    mails = [r.getMessage() for r in caplog.records if "/login/unlock/" in r.getMessage()]
    assert len(mails) == 1 and "203.0.113.9" in mails[0] and f"to={university.email}" in mails[0]
    raw = re.search(r"/login/unlock/(\S+)", mails[0]).group(1)
    assert services.unlock_login(raw).id == university.id
    transaction.commit()
    assert services.authenticate(university.email, factories.PASSWORD, "203.0.113.9").id == university.id


def test_unlock_page_asks_before_it_writes_and_links_are_single_use(client, university, caplog, app):
    caplog.set_level(logging.INFO)
    for _ in range(FREE_FAILURES):
        client.post("/login", data={"email": university.email, "password": "wrong-password"})
    raw = re.search(r"/login/unlock/(\S+)", next(r.getMessage() for r in caplog.records
                                                 if "/login/unlock/" in r.getMessage())).group(1)
    assert client.post("/login", data={"email": university.email, "password": factories.PASSWORD}).status_code == 429
    assert client.get(f"/login/unlock/{raw}").status_code == 200  # GET shows a button, changes nothing
    assert client.post("/login", data={"email": university.email, "password": factories.PASSWORD}).status_code == 429
    assert client.post(f"/login/unlock/{raw}").status_code == 302
    assert client.post(f"/login/unlock/{raw}").status_code == 404
    assert client.post("/login", data={"email": university.email, "password": factories.PASSWORD}).status_code == 302


def test_html_login_answers_429_with_retry_after(client, university):
    """Issue 11: the HTML login answered 200 when throttled."""
    for _ in range(FREE_FAILURES):
        assert client.post("/login", data={"email": university.email, "password": "wrong-password"}).status_code == 200
    response = client.post("/login", data={"email": university.email, "password": factories.PASSWORD})
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert "登录失败次数过多".encode() in response.data


def test_token_endpoint_answers_429_with_retry_after(client, university):
    for _ in range(FREE_FAILURES):
        response = client.post("/api/v1/auth/token", json={"email": university.email, "password": "wrong-password"})
        assert response.status_code == 401
    response = client.post("/api/v1/auth/token", json={"email": university.email, "password": factories.PASSWORD})
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert response.get_json()["error"] == "too_many_requests"


@pytest.fixture
def address_echo():
    """``address_echo(hops)``: a client of an app trusting ``hops`` proxies, whose /_addr answers the client address."""
    def build(tmp_path, hops: int):
        application = create_app({"SETTINGS": test_settings(tmp_path, trusted_proxy_hops=hops), "TESTING": True})
        application.add_url_rule("/_addr", "addr", lambda: request.remote_addr or "-")
        return application.test_client()
    return build


def test_forwarded_addresses_count_only_behind_trusted_proxies(tmp_path, address_echo):
    """Issue 11: without ProxyFix every client behind the README's reverse proxy had the proxy's address."""
    headers = {"X-Forwarded-For": "203.0.113.50, 10.0.0.2"}
    direct = address_echo(tmp_path / "direct", 0)
    assert direct.get("/_addr", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.1"}).data == b"10.0.0.1"
    proxied = address_echo(tmp_path / "proxied", 1)
    assert proxied.get("/_addr", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.1"}).data == b"10.0.0.2"
    two_hops = address_echo(tmp_path / "two", 2)
    assert two_hops.get("/_addr", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.1"}).data == b"203.0.113.50"
