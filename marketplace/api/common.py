"""Pieces every API blueprint shares: who is calling, pagination, money fields, the error schema."""
from __future__ import annotations

from flask import request
from flask_login import current_user
from flask_smorest import Api
from marshmallow import Schema, ValidationError, fields, validate

from marketplace.core.errors import Unauthorized, ValidationFailed
from marketplace.core.money import parse_money

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def api_user(required: bool = True):
    """The caller: a bearer token's user, or the signed-in session for read-only requests.

    Writes need a bearer token, so a cookie alone can never change data through
    the API (the API is exempt from CSRF tokens for that reason).
    """
    from marketplace.accounts.services import authenticate_token

    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        user = authenticate_token(header[len("Bearer "):].strip())
        if user is None:
            raise Unauthorized("API 令牌无效或已吊销 / invalid or revoked API token")
        return user
    if request.method in SAFE_METHODS and current_user.is_authenticated:
        return current_user._get_current_object()
    if required:
        raise Unauthorized("需要 API 令牌 / bearer token required")
    return None


class Money(fields.Decimal):
    """CNY with two places, serialised as a string so no client parses it as a float."""

    def __init__(self, **kwargs):
        super().__init__(places=2, as_string=True, allow_nan=False, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return parse_money(value, attr or "amount")
        except ValidationFailed as error:
            raise ValidationError(next(iter(error.fields.values()), error.message)) from None


class RefSchema(Schema):
    """A row named in another's representation: its id and name (an organisation, a user)."""

    id = fields.Integer()
    name = fields.String()


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class PageMeta(Schema):
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()


class ErrorSchema(Schema):
    error = fields.String(metadata={"example": "validation_failed"})
    message = fields.String()
    fields = fields.Dict(keys=fields.String(), values=fields.String())  # type: ignore[assignment]  # a field named like Schema.fields: marshmallow pops declared fields


def register_error_schema(api: Api) -> None:
    api.spec.components.schema("ApiError", schema=ErrorSchema)


def page_meta(page: int, per_page: int, total: int) -> dict[str, int]:
    return {"page": page, "per_page": per_page, "total": total, "pages": max(1, -(-total // per_page))}

