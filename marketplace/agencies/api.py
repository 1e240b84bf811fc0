"""API: agency relationships — ask, accept, decline, withdraw, change scope, revoke.

An agency serves an organisation only after the organisation accepted it
through its own account; the organisation alone sets and changes the scope
(``permissions``) and may revoke at any time. Each side sees its own
relationships; platform admins see all of them but decide none.
"""
from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from marketplace.agencies import services
from marketplace.agencies.models import GRANTABLE, AgencyPermission, RelationshipStatus, RequestSide
from marketplace.api.common import ErrorSchema, api_user
from marketplace.api.inputs import Choice, Text

blp = Blueprint("agencies_api", __name__, url_prefix="/agency-relationships",
                description="Operation agencies serving organisations: a relationship takes effect only when the "
                            "organisation accepts it; the organisation grants the scope and may revoke it at any "
                            "time. Scope flags: `open_licenses` (see the organisation's open licenses and fees in "
                            "the console's statistics, drill-downs and exports), `funnel` (see pushes of its "
                            "patents and needs in the conversion funnel), `confirm_payments` (confirm license "
                            "payments on its behalf). A relationship covers `started_on <= day < ended_on`.")



class PeriodSchema(Schema):
    permission = fields.Enum(AgencyPermission, by_value=True)
    started_on = fields.Date()
    ended_on = fields.Date(allow_none=True, metadata={"description": "first day no longer covered"})


class RelationshipSchema(Schema):
    id = fields.Integer()
    agency_id = fields.Integer()
    agency_name = fields.String(attribute="agency.name")
    organisation_id = fields.Integer()
    organisation_name = fields.String(attribute="organisation.name")
    status = fields.Enum(RelationshipStatus, by_value=True)
    requested_by_side = fields.Enum(RequestSide, by_value=True)
    requested_at = fields.DateTime()
    message = fields.String()
    permissions = fields.List(fields.String(), metadata={"description": "asked for (requested) or granted (active)"})
    start_on = fields.Date(allow_none=True, metadata={"description": "the first day the organisation asked for"})
    decided_at = fields.DateTime(allow_none=True)
    decision_comment = fields.String()
    started_on = fields.Date(allow_none=True)
    ended_on = fields.Date(allow_none=True)
    end_reason = fields.String()
    periods = fields.List(fields.Nested(PeriodSchema))


# The inputs below are the API's bodies and the pages' forms alike (``api.inputs.load_form``).
def _permissions(required: bool = False) -> fields.List:
    return fields.List(fields.String(validate=Choice(GRANTABLE)), required=required,
                       metadata={"description": f"scope flags: {', '.join(p.value for p in GRANTABLE)}"})


class RelationshipCreateSchema(Schema):
    organisation_id = fields.Integer(metadata={"description": "an agency asking to serve this organisation"})
    agency_id = fields.Integer(metadata={"description": "an organisation asking this agency to serve it"})
    permissions = _permissions()
    start_on = fields.Date(allow_none=True, metadata={"description": "organisations only; default: the day the "
                                                                     "agency accepts"})
    message = Text(max=500)


class AcceptSchema(Schema):
    permissions = _permissions()
    start_on = fields.Date(allow_none=True, metadata={"description": "organisations only; default: today"})
    comment = Text(max=500)


class CommentSchema(Schema):
    comment = Text(max=500)


class RevokeSchema(Schema):
    reason = Text(max=500)


class PermissionsSchema(Schema):
    permissions = _permissions(required=True)


@blp.get("")
@blp.response(200, RelationshipSchema(many=True))
@blp.alt_response(403, schema=ErrorSchema)
def list_relationships():
    """The caller's organisation's relationships, as agency or as organisation served, newest first."""
    return services.relationships_of(api_user())


@blp.post("")
@blp.arguments(RelationshipCreateSchema)
@blp.response(201, RelationshipSchema)
@blp.alt_response(403, schema=ErrorSchema, description="not an owner or admin of an organisation")
@blp.alt_response(409, schema=ErrorSchema, description="the pair already has a pending or active relationship")
@blp.alt_response(422, schema=ErrorSchema)
def create_relationship(body: dict):
    """Ask: an agency gives `organisation_id`, an organisation gives `agency_id`. The other side is notified and
    decides; nothing is visible to the agency before the organisation has accepted."""
    return services.request_relationship(api_user(), body)


def _act(path: str, schema: type[Schema] | None = None, *refusals: int, method: str = "post"):
    """An act on one relationship: ``path`` under it, its body ``schema``, the relationship back, and its
    refusals (404 is always one: a relationship the caller is no party to does not exist for it)."""
    def register(view):
        for status in sorted({404, *refusals}, reverse=True):
            view = blp.alt_response(status, schema=ErrorSchema)(view)
        view = blp.response(200, RelationshipSchema)(view)
        if schema is not None:
            view = blp.arguments(schema)(view)
        return blp.route(f"/<int:relationship_id>{path}", methods=[method.upper()])(view)
    return register


@_act("", method="get")
def get_relationship(relationship_id: int):
    return services.get_relationship(api_user(), relationship_id)


@_act("/accept", AcceptSchema, 403, 409, 422)
def accept(body: dict, relationship_id: int):
    """The side that did not ask accepts (owners and admins of the organisation); an organisation sets the
    scope and first day here. 409: already decided, or the caller asked and cannot accept."""
    return services.accept_relationship(api_user(), relationship_id, body)


@_act("/decline", CommentSchema, 403, 409)
def decline(body: dict, relationship_id: int):
    """The side that did not ask declines; nothing is granted."""
    return services.decline_relationship(api_user(), relationship_id, body)


@_act("/withdraw", None, 403, 409)
def withdraw(relationship_id: int):
    """The side that asked takes back its pending request."""
    return services.withdraw_request(api_user(), relationship_id)


@_act("/permissions", PermissionsSchema, 403, 409, 422, method="put")
def change_permissions(body: dict, relationship_id: int):
    """The organisation replaces the scope, from today on; the past keeps the scope it had (403 for the agency)."""
    return services.change_permissions(api_user(), relationship_id, body)


@_act("/revoke", RevokeSchema, 403, 409)
def revoke(body: dict, relationship_id: int):
    """The organisation ends the relationship today; the agency sees nothing of it dated from today on
    (403 for the agency)."""
    return services.revoke_relationship(api_user(), relationship_id, body)
