"""Pieces every API blueprint shares: who is calling, pagination, money fields, the error schema."""
from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import INCLUDE, Schema, ValidationError, fields, validate

from marketplace.core.dates import YEARS, parse_year
from marketplace.core.errors import Unauthorized, ValidationFailed
from marketplace.core.money import parse_money

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
_NO_TOKEN = object()


def api_user(required: bool = True):
    """The caller: a bearer token's user, or the signed-in session for read-only requests.

    Writes need a bearer token, so a cookie alone can never change data through
    the API (the API is exempt from CSRF tokens for that reason).
    """
    from marketplace.accounts.services import authenticate_token

    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        user = g.get("api_token_user", _NO_TOKEN)
        if user is _NO_TOKEN:
            user = g.api_token_user = authenticate_token(header[len("Bearer "):].strip())
        if user is None:
            raise Unauthorized(_("API 令牌无效或已吊销"))
        return user
    if request.method in SAFE_METHODS and current_user.is_authenticated:
        return current_user._get_current_object()
    if required:
        raise Unauthorized(_("需要 API 令牌"))
    return None


def is_public_operation(view: object) -> bool:
    """Operations documented with ``security=[]`` (``@blp.doc(security=[])``) need no credentials."""
    return getattr(view, "_apidoc", {}).get("manual_doc", {}).get("security") == []


def authenticate_writes_first() -> None:
    """``before_request``: an API write without a valid bearer token is a 401 before its body is parsed.

    Otherwise an anonymous caller would learn from the 422 what a valid body
    looks like, and the documented 401 would depend on the body's content.
    """
    if not request.path.startswith("/api/") or request.method in SAFE_METHODS or request.endpoint is None:
        return
    if not is_public_operation(current_app.view_functions.get(request.endpoint)):
        api_user()


MONEY_PATTERN = r"^\d{1,13}\.\d{2}$"


class Money(fields.Decimal):
    """CNY with two places, serialised as a string so no client parses it as a float.

    Documented as a string with ``MONEY_PATTERN`` (what responses carry, at
    most ¥10¹²); requests may also send a number or a string with separators
    or a ¥ sign, which ``parse_money`` reads.
    """

    def __init__(self, **kwargs):
        metadata = {"pattern": MONEY_PATTERN, "example": "150000.00", **kwargs.pop("metadata", {})}
        super().__init__(places=2, as_string=True, allow_nan=False, metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return parse_money(value, attr or "amount")
        except ValidationFailed as error:
            raise ValidationError(next(iter(error.fields.values()), error.message)) from None


class Year(fields.Integer):
    """A four-digit year, read by ``core.dates.parse_year`` as the pages read it: same bounds, same words."""

    def __init__(self, **kwargs):
        metadata = {"minimum": YEARS[0], "maximum": YEARS[1], **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            year = parse_year(value, attr or "year")
        except ValidationFailed as error:
            raise ValidationError(next(iter(error.fields.values()), error.message)) from None
        if year is None:
            raise self.make_error("required")
        return year


class RefSchema(Schema):
    """A row named in another's representation: its id and name (an organisation, a user)."""

    id = fields.Integer()
    name = fields.String()


DECIMAL_PATTERN = r"^-?\d+(\.\d+)?$"


def document_decimal_strings(converter: object, field: fields.Field, **kwargs: object) -> dict[str, object]:
    """apispec attribute function: a ``fields.Decimal(as_string=True)`` is a string in the document, as on the wire."""
    if isinstance(field, fields.Decimal) and field.as_string and not isinstance(field, Money):
        return {"type": "string", "pattern": DECIMAL_PATTERN}
    return {}


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class PageMeta(Schema):
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()


class ErrorSchema(Schema):
    """Every error the API answers: a machine code, a message, and the wrong fields with their reasons."""

    class Meta:
        ordered = True
        unknown = INCLUDE  # some errors add context: retry_after, an import's report

    error = fields.String(required=True, metadata={"example": "validation_failed"})
    message = fields.String(required=True)
    fields = fields.Dict(keys=fields.String(), values=fields.String(), required=True,  # type: ignore[assignment]
                         metadata={"description": "field name → reason (empty when no single field is to blame)"})


def _iso_utc(value: datetime) -> str:
    """ISO 8601 with an offset; the database keeps naive UTC (``core.models.utcnow``)."""
    return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).isoformat()


def serialise_naive_datetimes_as_utc() -> None:
    """Make every ``fields.DateTime`` answer timezone-aware ISO 8601 (``…+00:00``), as the document's date-time says."""
    fields.DateTime.SERIALIZATION_FUNCS = {**fields.DateTime.SERIALIZATION_FUNCS, "iso": _iso_utc,
                                           "iso8601": _iso_utc}


def page_meta(page: int, per_page: int, total: int) -> dict[str, int]:
    return {"page": page, "per_page": per_page, "total": total, "pages": max(1, -(-total // per_page))}

