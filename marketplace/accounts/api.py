"""API: obtain a bearer token, read one's organisation."""
from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from marketplace.accounts import services
from marketplace.api.common import api_user
from marketplace.core.views import client_address

blp = Blueprint("accounts_api", __name__, url_prefix="", description="认证与机构 / authentication and organisations")


class TokenRequest(Schema):
    email = fields.Email(required=True)
    password = fields.String(required=True, load_only=True)
    name = fields.String(load_default="API")


class TokenResponse(Schema):
    token = fields.String()
    token_id = fields.Integer()
    name = fields.String()


class OrganisationSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    name = fields.String()
    credit_code = fields.String()
    region_code = fields.String()
    contact_name = fields.String(allow_none=True)
    contact_email = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    is_sme = fields.Boolean()
    grade_labels = fields.List(fields.String())


class MeSchema(Schema):
    user = fields.Dict()
    organisation = fields.Nested(OrganisationSchema, allow_none=True)
    role = fields.String(allow_none=True)


@blp.post("/auth/token")
@blp.arguments(TokenRequest)
@blp.response(201, TokenResponse)
@blp.doc(security=[])
def create_token(body: dict):
    """Exchange e-mail and password for a personal bearer token (shown once)."""
    user = services.authenticate(body["email"], body["password"], client_address())
    token, raw = services.issue_api_token(user, body["name"])
    return {"token": raw, "token_id": token.id, "name": token.name}


@blp.get("/organisations/me")
@blp.response(200, MeSchema)
def my_organisation():
    """The calling user, their organisation and role."""
    user = api_user()
    return {"user": {"id": user.id, "email": user.email, "name": user.name,
                     "is_platform_admin": user.is_platform_admin},
            "organisation": user.organisation, "role": user.role.value if user.role else None}
