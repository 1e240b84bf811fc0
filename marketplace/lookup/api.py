"""API: type-ahead lookups behind the form pickers (organisations, patents); signed-in callers only."""
from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from marketplace.accounts.models import OrganisationKind
from marketplace.api.common import ErrorSchema, api_user
from marketplace.core.i18n import lazy_gettext as _l
from marketplace.lookup import services

blp = Blueprint("lookup_api", __name__, url_prefix="/lookup", description="输入提示 / type-ahead lookups")


class LookupArgs(Schema):
    q = fields.String(load_default="", validate=validate.Length(max=services.MAX_QUERY), metadata={
        "label": _l("检索词"), "description": "typed text: matched literally (never query syntax)"})
    limit = fields.Integer(load_default=10, validate=validate.Range(1, services.MAX_RESULTS),
                           metadata={"label": _l("条数")})


class OrganisationLookupArgs(LookupArgs):
    kind = fields.List(fields.String(validate=validate.OneOf([k.value for k in OrganisationKind])),
                       load_default=list, metadata={"label": _l("机构类型"), "description": "repeat to allow several"})


class LookupOrganisation(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.Function(lambda o: o.kind.value)
    kind_label = fields.Function(lambda o: o.kind.label)
    credit_code = fields.String()


class LookupOwner(Schema):
    id = fields.Integer()
    name = fields.String()


class LookupPatent(Schema):
    id = fields.Integer()
    application_number = fields.String()
    title = fields.String()
    state = fields.Function(lambda p: p.state.value)
    owner = fields.Nested(LookupOwner)


@blp.get("/organisations")
@blp.arguments(OrganisationLookupArgs, location="query")
@blp.response(200, LookupOrganisation(many=True))
@blp.alt_response(401, schema=ErrorSchema)
@blp.alt_response(429, schema=ErrorSchema, description="too many lookups this minute (Retry-After)")
def organisations(args: dict):
    """Organisations with an active member whose name contains ``q`` or whose credit code starts with it."""
    return services.organisations(api_user(), args["q"], [OrganisationKind(k) for k in args["kind"]],
                                  args["limit"])


@blp.get("/patents")
@blp.arguments(LookupArgs, location="query")
@blp.response(200, LookupPatent(many=True))
@blp.alt_response(401, schema=ErrorSchema)
@blp.alt_response(429, schema=ErrorSchema, description="too many lookups this minute (Retry-After)")
def patents(args: dict):
    """Published patents and the caller's own whose application number starts with ``q`` or title contains it."""
    return services.patents(api_user(), args["q"], args["limit"])
