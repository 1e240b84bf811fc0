"""Account pages and API over HTTP, including CSRF and access rules."""
import re

from sqlalchemy import func, select

from marketplace.accounts.models import Invitation, Membership, Role, User
from marketplace.extensions import db
from tests import factories


def test_register_and_land_signed_in(client):
    response = client.post("/register", data={
        "kind": "company", "name": "遵义精密制造有限公司", "credit_code": factories.credit_code(4242),
        "region_code": "520300", "user_name": "张三", "email": "zhang@zunyi.test",
        "password": "password-123", "confirm": "password-123"})
    assert response.status_code == 302
    assert "遵义精密制造有限公司".encode() in client.get("/organisation").data


def test_register_shows_check_digit_error(client):
    body = factories.credit_code(1)[:17]
    response = client.post("/register", data={
        "kind": "company", "name": "X", "credit_code": body + ("0" if not factories.credit_code(1).endswith("0") else "1"),
        "region_code": "520300", "user_name": "张三", "email": "z@z.test", "password": "password-123",
        "confirm": "password-123"})
    assert response.status_code == 200 and "校验位错误".encode() in response.data


def test_login_logout(client, university, login):
    login(university)
    assert client.get("/organisation").status_code == 200
    client.post("/logout")
    assert client.get("/organisation").status_code == 302


def test_wrong_password_is_rejected(client, university):
    response = client.post("/login", data={"email": university.email, "password": "nope-nope"})
    assert response.status_code == 200 and "邮箱或密码错误".encode() in response.data


def test_forms_require_csrf_token(csrf_app, university):
    client = csrf_app.test_client()
    response = client.post("/login", data={"email": university.email, "password": factories.PASSWORD})
    assert response.status_code == 400  # CSRF token missing
    page = client.get("/login").data.decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": university.email, "password": factories.PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302


def test_token_page_creates_and_revokes(client, university, login):
    login(university)
    page = client.post("/account/tokens", data={"name": "脚本"}).data.decode()
    raw = re.search(r'<code id="new-token"[^>]*>([^<]+)</code>', page).group(1)
    assert client.get("/api/v1/organisations/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    token_id = re.search(r"/account/tokens/(\d+)/revoke", page).group(1)
    client.post(f"/account/tokens/{token_id}/revoke")
    response = client.get("/api/v1/organisations/me", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 401 and response.json["error"] == "unauthorized"


def test_member_cannot_see_invite_form_or_change_roles(client, university, login, app):
    with app.app_context():
        member = factories.add_member(university, "member")
        admin = factories.add_member(university, "admin")
    login(member)
    assert "邀请成员".encode() not in client.get("/organisation/members").data
    client.post("/organisation/members", data={"email": "x@y.test", "role": "member"})
    client.post(f"/organisation/members/{_membership_id(app, admin)}/role", data={"role": "member"})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0
        assert db.session.get(User, admin.id).role == Role.ADMIN


def _membership_id(app, user):
    with app.app_context():
        return db.session.scalar(select(Membership.id).where(Membership.user_id == user.id))


def test_api_token_endpoint_and_me(client, company):
    response = client.post("/api/v1/auth/token", json={"email": company.email, "password": factories.PASSWORD})
    assert response.status_code == 201
    me = client.get("/api/v1/organisations/me", headers={"Authorization": f"Bearer {response.json['token']}"})
    assert me.json["organisation"]["kind"] == "company" and me.json["role"] == "owner"


def test_api_errors_have_one_shape(client, company):
    response = client.post("/api/v1/auth/token", json={"email": company.email, "password": "wrong-wrong"})
    assert response.status_code == 401 and set(response.json) == {"error", "message", "fields"}
    response = client.post("/api/v1/auth/token", json={"password": "x"})
    assert response.status_code == 422 and "email" in response.json["fields"]


def test_api_writes_need_a_bearer_token_not_a_cookie(client, company, login):
    login(company)
    assert client.get("/api/v1/organisations/me").status_code == 200  # reads may use the session
    assert client.get("/api/v1/organisations/me", headers={"Authorization": "Bearer pmk_forged"}).status_code == 401


def test_openapi_document_and_docs_page(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.") and "/api/v1/auth/token" in spec["paths"]
    assert "bearerAuth" in spec["components"]["securitySchemes"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and b"/static/vendor/swagger-ui/" in docs.data


def test_language_toggle(client):
    assert "专利".encode() in client.get("/login").data
    client.get("/lang/en", headers={"Referer": "http://localhost/login"})
    assert b'lang="en"' in client.get("/login").data


def test_health_reports_each_part(client):
    body = client.get("/healthz").json
    assert body["database"]["status"] == "ok" and body["jobs"]["mode"] == "inline"
    assert "search" in body and body["status"] in ("ok", "degraded")
