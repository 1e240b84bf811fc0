"""API: subscriptions, the inbox, feedback on matches and their message threads."""
from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from marketplace.api.common import ErrorSchema, PageArgs, PageMeta, api_user, page_meta
from marketplace.deals import brokering
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
    match_id = fields.Integer(allow_none=True, metadata={"description": "the match the thread is about, if any"})
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
    """A thread and its messages, oldest first (its two organisations and the agencies both admitted)."""
    thread, patent, messages = contact.get_thread(api_user(), thread_id)
    return {"id": thread.id, "patent_id": patent.id, "match_id": thread.match_id,
            "organisation_id": contact.thread_parties(thread)[0], "messages": messages}


@blp.post("/threads/<int:thread_id>/messages")
@blp.arguments(MessageCreateSchema)
@blp.response(201, ContactMessageSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(429, schema=ErrorSchema)
def reply(body: dict, thread_id: int):
    """Answer in a thread (its two organisations and the agencies both admitted)."""
    return contact.reply(api_user(), thread_id, body["body"])


# --- the brokering agency in a thread (deals.brokering) ------------------------------------------------------------

class ThreadAgencySchema(Schema):
    organisation_id = fields.Integer()
    name = fields.String(attribute="organisation.name")
    status = fields.Function(lambda m: m.status.value, metadata={
        "description": "requested (awaiting both parties' consent), active, refused or removed"})
    status_label = fields.Function(lambda m: m.status.label)
    requested_at = fields.DateTime()
    joined_at = fields.DateTime(allow_none=True)
    removed_at = fields.DateTime(allow_none=True)


class BrokeredThreadSchema(Schema):
    id = fields.Integer(attribute="thread.id")
    patent_id = fields.Integer(attribute="patent.id")
    patent_title = fields.String(attribute="patent.title")
    enquirer = fields.String(attribute="enquirer.name", allow_none=True)
    owner = fields.String(attribute="owner.name", allow_none=True)
    membership = fields.Nested(ThreadAgencySchema, attribute="member", allow_none=True)


@blp.get("/threads/<int:thread_id>/agencies")
@blp.response(200, ThreadAgencySchema(many=True))
@blp.alt_response(404, schema=ErrorSchema)
def thread_agencies(thread_id: int):
    """The agencies that asked to join a thread and where each stands (the thread's readers)."""
    thread, _patent, _messages = contact.get_thread(api_user(), thread_id)
    return [row.member for row in brokering.panel(api_user(), thread.id)]


@blp.post("/threads/<int:thread_id>/agencies")
@blp.response(201, ThreadAgencySchema)
@blp.alt_response(403, schema=ErrorSchema, description="the caller is no agency")
@blp.alt_response(404, schema=ErrorSchema, description="no such thread, or the caller's agency does not broker it")
@blp.alt_response(409, schema=ErrorSchema, description="already in the thread, or already asked")
def request_to_join(thread_id: int):
    """The caller's agency asks to join a thread it brokers; both parties consent through their own accounts
    (``/api/v1/consents``), and until then it reads nothing."""
    return brokering.request_to_join(api_user(), thread_id)


@blp.delete("/threads/<int:thread_id>/agencies/<int:agency_id>")
@blp.response(200, ThreadAgencySchema)
@blp.alt_response(404, schema=ErrorSchema)
def remove_agency(thread_id: int, agency_id: int):
    """A party removes the agency from the thread (or withdraws its request); the agency may leave."""
    return brokering.remove(api_user(), thread_id, agency_id)


@blp.get("/brokered-threads")
@blp.response(200, BrokeredThreadSchema(many=True))
@blp.alt_response(403, schema=ErrorSchema, description="the caller is no agency")
def brokered_threads():
    """The threads of the organisations the caller's agency serves, and those it asked to join (no messages)."""
    return brokering.brokered_threads(api_user())


@blp.get("/patents/<int:patent_id>/feedback")
@blp.response(200, PatentFeedbackSchema)
@blp.alt_response(404, schema=ErrorSchema)
def patent_feedback(patent_id: int):
    """How companies reacted to this patent's pushes (its owner only)."""
    return feedback.patent_feedback(api_user(), patent_id).to_dict()
