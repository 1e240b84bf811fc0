"""API: a university's internal approval (roles, workflows, reviews and their steps) and the public notices.

Reviews, roles and workflows are visible to members of the owning institution
only (404 for anyone else); a step is decided only by a member of the role it
is assigned to (403 otherwise). Publicity notices are public; any caller with
a token may object while a notice runs.
"""
from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from marketplace.api.common import ErrorSchema, Money, api_user
from marketplace.approvals import config, publicity, reviews
from marketplace.approvals.models import ObjectionStatus, Pricing, ReviewStatus, StepDecision
from marketplace.consents.models import ConsentAct

blp = Blueprint("approvals_api", __name__, url_prefix="/approvals",
                description="Internal approval and publicity (内部审批与公示) of an institution's acts: a workflow "
                            "per act (`act`: a consent act such as `deal_signing` or `open_license_declaration`) "
                            "of steps assigned to office roles; once every step approved, a notice is public for "
                            "the workflow's period (15 days by default) and the institution may consent to the act "
                            "only after it ended with every objection dismissed.")


class StepSchema(Schema):
    position = fields.Integer()
    name = fields.String()
    assignee = fields.String()
    decision = fields.Enum(StepDecision, by_value=True)
    decided_by = fields.String(attribute="decided_by.name", allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    comment = fields.String()


class ObjectionSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    contact = fields.String()
    text = fields.String()
    filed_at = fields.DateTime()
    status = fields.Enum(ObjectionStatus, by_value=True)
    resolution = fields.String()
    resolved_at = fields.DateTime(allow_none=True)


class NoticeSchema(Schema):
    id = fields.Integer()
    organisation = fields.String(attribute="organisation.name")
    title = fields.String()
    act_label = fields.Function(lambda notice: ConsentAct(notice.review.act).label,
                                metadata={"description": "the act, in the caller's language"})
    achievement = fields.String()
    parties = fields.String()
    pricing = fields.Enum(Pricing, by_value=True)
    price = Money(allow_none=True)
    price_note = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date(metadata={"description": "the first day after the period: the act may be confirmed"})
    days = fields.Integer()
    shortened = fields.Boolean(metadata={"description": "a demo run whose period was cut short"})
    contact_name = fields.String()
    contact_phone = fields.String()
    contact_email = fields.String()


class InternalNoticeSchema(NoticeSchema):
    objections = fields.List(fields.Nested(ObjectionSchema))


class ReviewSchema(Schema):
    id = fields.Integer()
    act = fields.String()
    subject_type = fields.String()
    subject_id = fields.Integer()
    terms_version = fields.Integer()
    title = fields.String()
    pricing = fields.Enum(Pricing, by_value=True)
    price = Money(allow_none=True)
    status = fields.Enum(ReviewStatus, by_value=True)
    started_at = fields.DateTime()
    steps = fields.List(fields.Nested(StepSchema))
    notice = fields.Nested(InternalNoticeSchema, allow_none=True)


class StepDecisionSchema(Schema):
    approve = fields.Boolean(required=True)
    comment = fields.String(validate=validate.Length(max=1000), metadata={"description": "required to refuse"})


class RoleSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String()
    member_ids = fields.List(fields.Integer(), attribute="user_ids")


class RoleInputSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    description = fields.String(validate=validate.Length(max=500))
    member_ids = fields.List(fields.Integer(), validate=validate.Length(max=200))


class WorkflowStepSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    role_id = fields.Integer(allow_none=True)
    user_id = fields.Integer(allow_none=True)


class WorkflowSchema(Schema):
    id = fields.Integer(dump_only=True)
    act = fields.String(required=True, validate=validate.Length(max=32))
    name = fields.String(validate=validate.Length(max=100))
    roles = fields.List(fields.String(validate=validate.Length(max=32)), attribute="role_values",
                        data_key="roles", metadata={"description": "consent roles the workflow applies to"})
    publicity_days = fields.Integer(validate=validate.Range(0, 90))
    objection_role_id = fields.Integer(allow_none=True)
    contact_name = fields.String(validate=validate.Length(max=100))
    contact_phone = fields.String(validate=validate.Length(max=40))
    contact_email = fields.String(validate=validate.Length(max=254))
    steps = fields.List(fields.Nested(WorkflowStepSchema), validate=validate.Length(max=10))


class ObjectionInputSchema(Schema):
    name = fields.String(validate=validate.Length(max=100))
    contact = fields.String(validate=validate.Length(max=200))
    text = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ResolutionSchema(Schema):
    upheld = fields.Boolean(required=True)
    resolution = fields.String(required=True, validate=validate.Length(min=1, max=2000))


@blp.get("/reviews")
@blp.response(200, ReviewSchema(many=True))
@blp.alt_response(403, schema=ErrorSchema, description="not a member of a university or institute")
def list_reviews():
    """The institution's reviews, newest first (first 200)."""
    return reviews.reviews_of(api_user(), None, 1, 200)[0]


@blp.get("/reviews/<int:review_id>")
@blp.response(200, ReviewSchema)
@blp.alt_response(404, schema=ErrorSchema)
def get_review(review_id: int):
    return reviews.get_review(api_user(), review_id)


@blp.post("/reviews/<int:review_id>/decision")
@blp.arguments(StepDecisionSchema)
@blp.response(200, ReviewSchema)
@blp.alt_response(403, schema=ErrorSchema, description="the current step is assigned to another role")
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema, description="no step awaits a decision")
@blp.alt_response(422, schema=ErrorSchema)
def decide(body: dict, review_id: int):
    """Approve or refuse the review's current step; the last approval publishes the notice."""
    return reviews.decide_step(api_user(), review_id, body["approve"], body.get("comment", ""))


@blp.get("/roles")
@blp.response(200, RoleSchema(many=True))
@blp.alt_response(403, schema=ErrorSchema)
def list_roles():
    return config.roles_of(config.office_of(api_user()).id)


@blp.post("/roles")
@blp.arguments(RoleInputSchema)
@blp.response(201, RoleSchema)
@blp.alt_response(403, schema=ErrorSchema, description="not an owner or admin")
@blp.alt_response(422, schema=ErrorSchema)
def create_role(body: dict):
    return config.save_role(api_user(), body)


@blp.get("/workflows")
@blp.response(200, WorkflowSchema(many=True))
@blp.alt_response(403, schema=ErrorSchema)
def list_workflows():
    return config.workflows_of(config.office_of(api_user()).id)


@blp.put("/workflows")
@blp.arguments(WorkflowSchema)
@blp.response(200, WorkflowSchema)
@blp.alt_response(403, schema=ErrorSchema, description="not an owner or admin")
@blp.alt_response(422, schema=ErrorSchema)
def save_workflow(body: dict):
    """Create or replace the workflow for `act`; reviews under way keep their steps."""
    if "role_values" in body:
        body["roles"] = body.pop("role_values")
    return config.save_workflow(api_user(), body)


@blp.get("/notices")
@blp.doc(security=[])
@blp.response(200, NoticeSchema(many=True))
def list_notices():
    """Notices running today, newest first (public)."""
    return publicity.public_notices(current=True, page=1, per_page=100)[0]


@blp.get("/notices/<int:notice_id>")
@blp.doc(security=[])
@blp.response(200, NoticeSchema)
@blp.alt_response(404, schema=ErrorSchema)
def get_notice(notice_id: int):
    return publicity.get_notice(notice_id)


@blp.post("/notices/<int:notice_id>/objections")
@blp.arguments(ObjectionInputSchema)
@blp.response(201, ObjectionSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema, description="the notice is not running")
@blp.alt_response(422, schema=ErrorSchema)
def object_to(body: dict, notice_id: int):
    """Object to a running notice; the institution resolves it."""
    return publicity.file_objection(api_user(), notice_id, body)


@blp.post("/objections/<int:objection_id>/resolution")
@blp.arguments(ResolutionSchema)
@blp.response(200, ObjectionSchema)
@blp.alt_response(403, schema=ErrorSchema, description="not the workflow's objection role (or owners/admins)")
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema, description="already resolved")
@blp.alt_response(422, schema=ErrorSchema)
def resolve(body: dict, objection_id: int):
    """Dismiss or uphold an objection; upholding ends the review."""
    return publicity.resolve_objection(api_user(), objection_id, body["upheld"], body["resolution"])
