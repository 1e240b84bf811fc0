"""Headers, cookies, the order of 401 and 422, password resets that end everything, the organisation page (issue 11)."""
from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from marketplace.accounts import services
from marketplace.accounts.models import ApiToken, Organisation
from marketplace.config import Settings
from marketplace.core import transaction
from marketplace.core.errors import NotFound
from marketplace.extensions import db
from tests import factories

TEMPLATES = Path(__file__).resolve().parents[3] / "templates"


@pytest.mark.parametrize("path", ["/", "/login", "/api/v1/openapi.json", "/api/v1/patents/1", "/no-such-page",
                                  "/static/css/app.css", "/api/v1/docs"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_templates_hold_no_inline_script():
    """The CSP forbids inline script: behaviour lives in static/js (data-confirm, data-print, data-check-all)."""
    offending = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and 'type="application/json"' not in tag:
                offending.append(f"{template.name}: {tag}")
        offending += [f"{template.name}: {m}" for m in re.findall(r"\son[a-z]+\s*=\s*[\"']", text)]
        offending += [f"{template.name}: javascript:" for _ in re.findall(r"javascript:", text)]
    assert offending == []


def test_remember_cookie_is_samesite_and_secure_in_production(client, university, tmp_path):
    response = client.post("/login", data={"email": university.email, "password": factories.PASSWORD, "remember": "y"})
    cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("remember_token="))
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie
    production = Settings.from_env(tmp_path, {"MARKETPLACE_ENV": "production", "SECRET_KEY": "x" * 32}).flask_config()
    assert production["REMEMBER_COOKIE_SECURE"] is True and production["SESSION_COOKIE_SECURE"] is True
    assert production["REMEMBER_COOKIE_SAMESITE"] == "Lax"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer pmk_not-a-real-token"}, {"Authorization": "Basic eDp5"}])
def test_anonymous_invalid_writes_get_401_before_422(client, headers):
    """Issue 11: an anonymous invalid POST answered 422, telling what a valid body looks like."""
    for method, path in [("post", "/api/v1/patents"), ("post", "/api/v1/deals"), ("patch", "/api/v1/needs/1"),
                         ("post", "/api/v1/patents/import")]:
        response = getattr(client, method)(path, json={"title": 5, "amount": "1e309"}, headers=headers)
        assert response.status_code == 401, (method, path, response.status_code)
        assert response.get_json()["error"] == "unauthorized"


def test_public_writes_still_parse_their_body(client):
    assert client.post("/api/v1/auth/token", json={"email": 5}).status_code == 422


def test_405_names_the_allowed_methods(client):
    response = client.put("/api/v1/auth/token")
    assert response.status_code == 405 and "POST" in response.headers["Allow"]
    assert set(response.get_json()) == {"error", "message", "fields"}


def reset_link(caplog) -> str:
    mails = [r.getMessage() for r in caplog.records if "/password/reset/" in r.getMessage()]
    return mails[-1].split("/password/reset/")[1].split()[0]


def test_password_reset_ends_older_links_other_sessions_and_api_tokens(app, client, university, caplog):
    """Issue 11: an older reset link still worked after a newer one was used; sessions and tokens survived."""
    caplog.set_level(logging.INFO)
    signed_in = app.test_client()
    assert signed_in.post("/login", data={"email": university.email, "password": factories.PASSWORD,
                                          "remember": "y"}).status_code == 302
    remembered = signed_in.get_cookie("remember_token").value
    with app.test_request_context():
        _token, raw_api = services.issue_api_token(university.load(), "script")
        services.request_password_reset(university.email)
        transaction.commit()
        older = reset_link(caplog)
        services.request_password_reset(university.email)
        transaction.commit()
        newer = reset_link(caplog)
    assert client.post(f"/password/reset/{newer}", data={"password": "brand-new-pass-1",
                                                         "confirm": "brand-new-pass-1"}).status_code == 302
    assert client.post(f"/password/reset/{older}", data={"password": "attacker-pass-1",
                                                         "confirm": "attacker-pass-1"}).status_code == 200
    with app.test_request_context():
        with pytest.raises(NotFound):
            services.reset_password(older, "attacker-pass-2")
        assert all(t.revoked_at is not None for t in db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == university.id)))
    assert signed_in.get("/organisation").status_code == 302  # the other session is signed out
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remembered)
    assert fresh.get("/organisation").status_code == 302  # and so is its remember-me cookie
    assert client.get("/api/v1/organisations/me", headers={"Authorization": f"Bearer {raw_api}"}).status_code == 401
    notices = [r.getMessage() for r in caplog.records if "您的密码已重置" in r.getMessage()]
    assert len(notices) == 1 and "1 个 API 令牌已吊销" in notices[0]
    assert client.post("/login", data={"email": university.email, "password": "brand-new-pass-1"}).status_code == 302


def test_a_session_from_before_a_version_change_is_not_loaded(ctx, university):
    user = university.load()
    session_id = user.get_id()
    assert services.load_session_user(session_id).id == university.id
    user.session_version += 1
    transaction.commit()
    assert services.load_session_user(session_id) is None
    assert services.load_session_user(str(university.id)) is None  # the old cookie format, or a forged id
    assert services.load_session_user("9" * 40 + ":1") is None


def test_saving_the_organisation_page_unchanged_keeps_its_grade_labels(client, login, university, app):
    """Issue 11: saving the page unchanged stored "['A'" as a grade label."""
    login(university)
    page = client.get("/organisation").get_data(as_text=True)
    assert 'value="A, B, C, D"' in page
    fields = dict(re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', page))
    fields.pop("csrf_token", None)
    fields.pop("is_sme", None)
    assert client.post("/organisation", data=fields).status_code == 302
    with app.app_context():
        assert db.session.get(Organisation, university.organisation_id).grade_labels == ["A", "B", "C", "D"]


def test_an_organisation_post_without_grade_labels_keeps_them(client, login, university, app):
    """Issue 11: a POST without the field was a 500."""
    login(university)
    response = client.post("/organisation", data={"name": "测试大学", "region_code": "520100"})
    assert response.status_code == 302
    with app.app_context():
        organisation = db.session.get(Organisation, university.organisation_id)
        assert organisation.grade_labels == ["A", "B", "C", "D"] and organisation.name == "测试大学"


def test_grade_labels_are_edited_as_one_text(client, login, university, app):
    login(university)
    assert client.post("/organisation", data={"name": "测试大学", "region_code": "520100",
                                              "grade_labels": "高价值，一般, 放弃"}).status_code == 302
    with app.app_context():
        assert db.session.get(Organisation, university.organisation_id).grade_labels == ["高价值", "一般", "放弃"]
