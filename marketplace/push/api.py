"""API: subscriptions, the inbox, feedback on matches and their message threads."""
from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from marketplace.api.common import ErrorSchema, PageArgs, PageMeta, api_user, page_meta
from marketplace.push import contact, feedback, services
from marketplace.push.feedback import MAX_MESSAGE
from marketplace.push.models import FeedbackReason, SubscriptionTarget

blp = Blueprint("push_api", __name__, url_prefix="", description="推送、订阅与反馈 / push, subscriptions and feedback")


class SubscriptionSchema(Schema):
    id = fields.Integer()
    target = fields.Enum(SubscriptionTarget, by_value=True,
                         metadata={"description": "patents (companies) or needs (universities, institutes)"})
    segments = fields.List(fields.String())
    keywords = fields.List(fields.String())
    min_grade = fields.String(allow_none=True)
    open_license_only = fields.Boolean()
    modes = fields.List(fields.String())
    created_at = fields.DateTime()


class SubscriptionCreateSchema(Schema):
    """The services check segments against the taxonomy and modes against the vocabulary."""

    segments = fields.List(fields.String(), required=True, metadata={"example": ["TM-F1"]})
    keywords = fields.List(fields.String(), load_default=list, metadata={"example": ["锂电池"]})
    min_grade = fields.String(allow_none=True, metadata={"enum": ["A", "B", "C", "D"]})
    open_license_only = fields.Boolean(load_default=False)
    modes = fields.List(fields.String(), load_default=list, metadata={"example": ["license", "open_license"]})


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String(attribute="kind.value")
    title = fields.String(attribute="shown_title", metadata={"description": "in the caller's language"})
    body = fields.String(attribute="shown_body", metadata={"description": "in the caller's language"})
    match_id = fields.Integer(allow_none=True)
    data = fields.Dict(metadata={"description": "for pushes: direction, score, patent_id, need_id, explanation"})
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)
    read = fields.Function(lambda n: n.read_at is not None)


class NotificationArgs(PageArgs):
    unread = fields.Boolean(load_default=False)


class NotificationPage(Schema):
    items = fields.List(fields.Nested(NotificationSchema))
    unread = fields.Integer()
    meta = fields.Nested(PageMeta)


class ReadAllSchema(Schema):
    marked = fields.Integer()


class FeedbackCreateSchema(Schema):
    status = fields.String(required=True, metadata={"enum": ["interested", "contacted", "not_relevant"]})
    reason = fields.String(allow_none=True, metadata={"enum": [r.value for r in FeedbackReason],
                                                      "description": "required for not_relevant"})
    comment = fields.String(load_default="")


class FeedbackSchema(Schema):
    id = fields.Integer()
    match_id = fields.Integer()
    status = fields.String(attribute="status.value")
    reason = fields.Function(lambda f: f.reason.value if f.reason else None)
    comment = fields.String()
    created_at = fields.DateTime()


class MatchViewedSchema(Schema):
    id = fields.Integer()
    status = fields.String(attribute="status.value",
                           metadata={"enum": ["suggested", "pushed", "viewed", "interested", "contacted", "dismissed"]})


class MessageCreateSchema(Schema):
    body = fields.String(required=True, metadata={"description": f"1–{MAX_MESSAGE} characters"})


class MessageSchema(Schema):
    id = fields.Integer()
    organisation_id = fields.Integer()
    organisation = fields.String(attribute="organisation.name")
    body = fields.String()
    created_at = fields.DateTime()


class PatentFeedbackSchema(Schema):
    patent_id = fields.Integer()
    title = fields.String()
    pushed = fields.Integer()
    statuses = fields.Dict(keys=fields.String(), values=fields.Integer())
    reasons = fields.Dict(keys=fields.String(), values=fields.Integer())
    reason_labels = fields.Dict(keys=fields.String(), values=fields.String())


@blp.get("/subscriptions")
@blp.response(200, SubscriptionSchema(many=True))
def list_subscriptions():
    """The caller's organisation's subscriptions."""
    return services.list_subscriptions(api_user())


@blp.post("/subscriptions")
@blp.arguments(SubscriptionCreateSchema)
@blp.response(201, SubscriptionSchema)
@blp.alt_response(403, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema)
def create_subscription(body: dict):
    """Subscribe to industry segments; only what is published afterwards is pushed."""
    return services.subscribe(api_user(), body)


@blp.delete("/subscriptions/<int:subscription_id>")
@blp.response(204)
@blp.alt_response(404, schema=ErrorSchema)
def delete_subscription(subscription_id: int):
    services.delete_subscription(api_user(), subscription_id)


@blp.get("/notifications")
@blp.arguments(NotificationArgs, location="query")
@blp.response(200, NotificationPage)
def list_notifications(args: dict):
    """The organisation's inbox, newest first; pushes carry the match explanation in ``data``."""
    user = api_user()
    items, total = services.list_notifications(user, args["page"], args["per_page"], unread_only=args["unread"])
    return {"items": items, "unread": services.unread_count(user),
            "meta": page_meta(args["page"], args["per_page"], total)}


@blp.post("/notifications/<int:notification_id>/read")
@blp.response(200, NotificationSchema)
@blp.alt_response(404, schema=ErrorSchema)
def read_notification(notification_id: int):
    return services.mark_read(api_user(), notification_id)


@blp.post("/notifications/read-all")
@blp.response(200, ReadAllSchema)
def read_all_notifications():
    return {"marked": services.mark_all_read(api_user())}


@blp.post("/matches/<int:match_id>/viewed")
@blp.response(200, MatchViewedSchema)
@blp.alt_response(404, schema=ErrorSchema)
def mark_viewed(match_id: int):
    """The need's company has seen a pushed match: ``pushed`` becomes ``viewed`` (the funnel's second stage)."""
    return feedback.mark_viewed(api_user(), match_id)


@blp.post("/matches/<int:match_id>/feedback")
@blp.arguments(FeedbackCreateSchema)
@blp.response(201, FeedbackSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema)
def give_feedback(body: dict, match_id: int):
    """The need's company reacts: interested (opens a thread, tells the owner), contacted, or not_relevant + reason."""
    return feedback.give_feedback(api_user(), match_id, body)


@blp.get("/matches/<int:match_id>/messages")
@blp.response(200, MessageSchema(many=True))
@blp.alt_response(404, schema=ErrorSchema)
def list_messages(match_id: int):
    """The thread between the need's company and the patent's owner, oldest first."""
    _match, messages = feedback.list_messages(api_user(), match_id)
    return messages


@blp.post("/matches/<int:match_id>/messages")
@blp.arguments(MessageCreateSchema)
@blp.response(201, MessageSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema)
def post_message(body: dict, match_id: int):
    return feedback.post_message(api_user(), match_id, body["body"])


class ContactMessageSchema(MessageSchema):
    thread_id = fields.Integer()


class ThreadSchema(Schema):
    id = fields.Integer()
    patent_id = fields.Integer()
    organisation_id = fields.Integer(metadata={"description": "the organisation that contacted the owner"})
    messages = fields.List(fields.Nested(MessageSchema))


@blp.post("/patents/<int:patent_id>/contact")
@blp.arguments(MessageCreateSchema)
@blp.response(201, ContactMessageSchema)
@blp.alt_response(403, schema=ErrorSchema, description="the caller's own patent, or a platform admin")
@blp.alt_response(404, schema=ErrorSchema, description="no such published patent")
@blp.alt_response(429, schema=ErrorSchema, description="too many contact messages this hour (Retry-After)")
def contact_owner(body: dict, patent_id: int):
    """Write to the owner of a published patent; opens the caller's organisation's thread with it."""
    return contact.contact_owner(api_user(), patent_id, body["body"])


@blp.get("/threads/<int:thread_id>")
@blp.response(200, ThreadSchema)
@blp.alt_response(404, schema=ErrorSchema)
def get_thread(thread_id: int):
    """A contact thread and its messages, oldest first (its two organisations only)."""
    thread, _patent, messages = contact.get_thread(api_user(), thread_id)
    return {"id": thread.id, "patent_id": thread.patent_id, "organisation_id": thread.organisation_id,
            "messages": messages}


@blp.post("/threads/<int:thread_id>/messages")
@blp.arguments(MessageCreateSchema)
@blp.response(201, ContactMessageSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(429, schema=ErrorSchema)
def reply(body: dict, thread_id: int):
    """Answer in a contact thread."""
    return contact.reply(api_user(), thread_id, body["body"])


@blp.get("/patents/<int:patent_id>/feedback")
@blp.response(200, PatentFeedbackSchema)
@blp.alt_response(404, schema=ErrorSchema)
def patent_feedback(patent_id: int):
    """How companies reacted to this patent's pushes (its owner only)."""
    return feedback.patent_feedback(api_user(), patent_id).to_dict()
