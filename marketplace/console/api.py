"""API: the agency console — ledger statistics, what is not counted yet, the funnel, targets, events, exports.

An agency sees its own scope (deals and pledges it brokered; data of
organisations that accepted it, for the days and the permissions they
granted); platform admins see everything, or one agency with ``agency_id``;
everyone else gets 403.
"""
from __future__ import annotations

from flask import Response
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from marketplace.api.common import ErrorSchema, Money, api_user
from marketplace.console import events, exports, funnel, listing, pending, statistics, targets
from marketplace.core.spreadsheets import CSV_MIMETYPE, XLSX_MIMETYPE, attachment
from marketplace.console.ledger import FEE_TYPES, MODES, Filters
from marketplace.accounts.permissions import require_organisation
from marketplace.accounts.models import OrganisationKind
from marketplace.core.dates import local_today

DEFINITIONS = (
    "How figures are counted. "
    "**Transfer, license, equity**: deals that bind (signed, recorded or completed, i.e. every party consented), "
    "dated by contract date, for the contract amount; deals in negotiation or awaiting a party's consent are not "
    "counted (see `/stats/pending`), cancelled deals never. "
    "**Auction**: like a transfer, for the hammer price; a mode of its own in tables, counted as a transfer toward "
    "targets. **Entrusted operation**: never counted (a mandate moves no right; the deals the operator brokers "
    "count). "
    "**Open license**: licenses obtained through an open license that took effect, dated by the effective date; "
    "the amount is the part of the fixed fee (lump sum or entry fee) paid and confirmed by the licensor; what is "
    "not effective, unpaid, unconfirmed or overdue is not counted (see `/stats/pending`); royalties are not a "
    "contract amount; free licenses count 0. "
    "**Pledge**: registered pledges (also once released), dated by registration date, for the amount financed. "
    "**Agency scope**: the deals and pledges the agency brokered, plus the open licenses whose licensor or "
    "licensee had granted the agency the `open_licenses` permission on the effective date, and (funnel) the "
    "matches pushed while the need's or patent's owner had granted `funnel` (see `/agency-relationships`). "
    "Inviting an organisation to an event or naming it in a deal never brings its data in. "
    "**Organisations served**: organisations with an accepted relationship in force on some day of the period. "
    "**Region**: the buyer's, licensee's or pledgor's; **segment**: each segment of the item's patents (an item "
    "counts once per segment); **by university**: items whose holder is a university or institute.")

blp = Blueprint("console_api", __name__, description="Agency console: statistics, targets, events. " + DEFINITIONS)


class FilterArgs(Schema):
    from_ = fields.Date(data_key="from", metadata={"description": "first day, YYYY-MM-DD (inclusive)"})
    to = fields.Date(metadata={"description": "last day, YYYY-MM-DD (inclusive)"})
    mode = fields.String(validate=validate.OneOf(MODES))
    segment = fields.String(metadata={"description": f"segment code; `{statistics.UNCLASSIFIED}` for none"})
    region = fields.String(validate=validate.Regexp(r"^\d{6}$"), metadata={"description": "the acquirer's region"})
    organisation = fields.Integer(metadata={"description": "a university or institute holding the patents"})
    sme = fields.Boolean(metadata={"description": "only SMEs acquiring university/institute patents"})
    fee_type = fields.String(validate=validate.OneOf(FEE_TYPES))
    agency_id = fields.Integer(metadata={"description": "platform admins: one agency's scope"})


class StatsArgs(FilterArgs):
    group_by = fields.String(required=True, validate=validate.OneOf(statistics.GROUPINGS))


class FigureSchema(Schema):
    items = fields.Integer()
    amount = Money()
    filters = fields.Dict(keys=fields.String(), values=fields.String(),
                          metadata={"description": "the query that lists the items behind the figure"})


class StatsRowSchema(FigureSchema):
    key = fields.String()
    label = fields.String()
    by_mode = fields.Dict(keys=fields.String(), values=fields.Nested(FigureSchema))


class StatsSchema(Schema):
    group_by = fields.String()
    from_ = fields.Date(data_key="from", attribute="from", allow_none=True)
    to = fields.Date(allow_none=True)
    total = fields.Nested(FigureSchema)
    rows = fields.List(fields.Nested(StatsRowSchema))


PendingItemSchema = Schema.from_dict({
    "source": fields.String(metadata={"description": "deal or open_license"}), "id": fields.Integer(),
    "day": fields.Date(), **{name: fields.String() for name in ("mode", "title", "holder", "acquirer")},
    "amount": Money(metadata={"description": "contract amount, or the license's declared fixed fee"}),
    "counted": Money(metadata={"description": "the part already counted in the figures"}),
    "outstanding": Money(metadata={"description": "the part not counted"}),
    "reasons": fields.List(fields.String())}, name="PendingItem")


class PendingSchema(Schema):
    total = fields.Integer()
    outstanding = Money()
    items = fields.List(fields.Nested(PendingItemSchema))


class FunnelRowSchema(Schema):
    key = fields.String()
    label = fields.String()
    pushed = fields.Integer()
    viewed = fields.Integer()
    interested = fields.Integer()
    contacted = fields.Integer()
    deal = fields.Integer()


class ReasonSchema(Schema):
    reason = fields.String()
    label = fields.String()
    count = fields.Integer()


class FunnelSchema(Schema):
    stages = fields.List(fields.String())
    total = fields.Nested(FunnelRowSchema)
    by_segment = fields.List(fields.Nested(FunnelRowSchema))
    by_university = fields.List(fields.Nested(FunnelRowSchema))
    reasons = fields.List(fields.Nested(ReasonSchema))


class TargetFieldsSchema(Schema):
    conversion_count = fields.Integer(allow_none=True)
    conversion_amount = Money(allow_none=True)
    transfer_license_count = fields.Integer(allow_none=True)
    open_license_count = fields.Integer(allow_none=True)
    pledge_count = fields.Integer(allow_none=True)
    pledge_amount = Money(allow_none=True)
    pledge_growth_pct = fields.Decimal(places=2, as_string=True, allow_none=True)
    sme_growth_pct = fields.Decimal(places=2, as_string=True, allow_none=True)
    events_count = fields.Integer(allow_none=True)
    organisations_served = fields.Integer(allow_none=True)


class TargetCreateSchema(TargetFieldsSchema):
    year = fields.Integer(required=True)


class TargetSchema(TargetCreateSchema):
    id = fields.Integer()
    agency_id = fields.Integer()


class ProgressSchema(Schema):
    metric = fields.String()
    label = fields.String()
    target = fields.Raw(allow_none=True)
    actual = fields.Raw(allow_none=True)
    forecast = fields.Raw(allow_none=True)
    percent = fields.Raw(allow_none=True)
    on_track = fields.Boolean(allow_none=True)


class ProgressArgs(Schema):
    year = fields.Integer(validate=validate.Range(2000, 2100))
    agency_id = fields.Integer()


class InvitationSchema(Schema):
    organisation_id = fields.Integer()
    organisation_name = fields.String(attribute="organisation.name")
    attended = fields.Boolean(allow_none=True)


class OutcomeSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    organisation_id = fields.Integer(allow_none=True)
    patent_id = fields.Integer(allow_none=True)
    deal_id = fields.Integer(allow_none=True)
    note = fields.String()


class EventSchema(Schema):
    id = fields.Integer()
    agency_id = fields.Integer()
    title = fields.String()
    held_on = fields.Date()
    online = fields.Boolean()
    place = fields.String(allow_none=True)
    segments = fields.List(fields.String())
    description = fields.String()
    attendance = fields.Integer()
    invitations = fields.List(fields.Nested(InvitationSchema))
    outcomes = fields.List(fields.Nested(OutcomeSchema))


class EventCreateSchema(Schema):
    title = fields.String(required=True)
    held_on = fields.Date(required=True)
    online = fields.Boolean(load_default=False)
    place = fields.String(allow_none=True)
    segments = fields.List(fields.String(), load_default=list)
    description = fields.String(load_default="")
    invited_organisation_ids = fields.List(fields.Integer(), load_default=list)


class EventArgs(Schema):
    year = fields.Integer(validate=validate.Range(2000, 2100))
    agency_id = fields.Integer()


class AttendanceSchema(Schema):
    attended = fields.List(fields.Integer(), load_default=list)
    absent = fields.List(fields.Integer(), load_default=list)


class InviteSchema(Schema):
    organisation_ids = fields.List(fields.Integer(), required=True)


class OutcomeCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["interest", "deal"]))
    organisation_id = fields.Integer()
    patent_id = fields.Integer()
    deal_id = fields.Integer()
    note = fields.String(load_default="")


def _filters(args: dict):
    raw = {"from": args.get("from_"), "to": args.get("to"), **{k: args.get(k) for k in
                                                             ("mode", "segment", "region", "organisation", "fee_type")}}
    raw["sme"] = "1" if args.get("sme") else ""
    return statistics.parse_filters(raw)


def _statistics(path: str, args: type[Schema], schema: type[Schema]):
    """A read of the console's figures: query arguments, 403 for anyone but agencies and admins, 422 for a bad
    filter."""
    def register(view):
        view = blp.alt_response(422, schema=ErrorSchema)(blp.alt_response(403, schema=ErrorSchema)(view))
        return blp.get(path)(blp.arguments(args, location="query")(blp.response(200, schema)(view)))
    return register


@_statistics("/stats/deals", StatsArgs, StatsSchema)
def stats_deals(args: dict):
    """Counts and amounts of deals, open licenses obtained and pledges, grouped one way; rows split by mode.

    Each figure's `filters` is the query of `/exports/deals.csv` listing the items it counts. What the figures
    count is defined in this section's description; what they do not count yet is `/stats/pending`.
    """
    scope = statistics.scope_for(api_user(), args.get("agency_id"))
    return statistics.deal_statistics(scope, _filters(args), args["group_by"]).as_dict()


@_statistics("/stats/pending", FilterArgs, PendingSchema)
def stats_pending(args: dict):
    """What the figures do not count, listed apart: deals awaiting consent or in negotiation, open licenses not
    effective, not fully paid, with unconfirmed or overdue payments (dates and scope as the figures; `from`/`to`
    only — the other filters do not apply). Never part of any total."""
    scope = statistics.scope_for(api_user(), args.get("agency_id"))
    filters = _filters(args)
    return pending.pending_items(scope, Filters(start=filters.start, end=filters.end),
                                 local_today()).as_dict()


@_statistics("/stats/funnel", FilterArgs, FunnelSchema)
def stats_funnel(args: dict):
    """Pushed matches → viewed → interested → contacted → deal, by segment and university, with dismissal reasons."""
    scope = statistics.scope_for(api_user(), args.get("agency_id"))
    return funnel.conversion_funnel(scope, _filters(args)).as_dict()


@blp.get("/targets")
@blp.response(200, TargetSchema(many=True))
@blp.alt_response(403, schema=ErrorSchema)
def list_targets():
    """The caller's agency's yearly targets (every agency's for platform admins)."""
    return targets.list_targets(api_user())


@blp.post("/targets")
@blp.arguments(TargetCreateSchema)
@blp.response(201, TargetSchema)
@blp.alt_response(403, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema, description="the year's targets exist: PATCH them")
@blp.alt_response(422, schema=ErrorSchema)
def create_targets(body: dict):
    """Enter the agency's targets for a year; an omitted metric has no target."""
    return targets.create_targets(api_user(), body)


@blp.patch("/targets/<int:target_id>")
@blp.arguments(TargetFieldsSchema)
@blp.response(200, TargetSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema)
def update_targets(body: dict, target_id: int):
    """Change some of a year's targets (null clears one)."""
    return targets.update_targets(api_user(), target_id, body)


@blp.get("/targets/progress")
@blp.arguments(ProgressArgs, location="query")
@blp.response(200, ProgressSchema(many=True))
@blp.alt_response(403, schema=ErrorSchema)
def target_progress(args: dict):
    """Each metric's target, the year so far and the straight-line forecast for 31 December."""
    user = api_user()
    scope = statistics.scope_for(user, args.get("agency_id"))
    if scope.agency_id is None:
        scope = statistics.Scope(require_organisation(user, (OrganisationKind.AGENCY,)).id)
    today = local_today()
    return [p.as_dict() for p in targets.target_progress(scope.agency_id, args.get("year") or today.year, today)]


@blp.get("/events")
@blp.arguments(EventArgs, location="query")
@blp.response(200, EventSchema(many=True))
@blp.alt_response(403, schema=ErrorSchema)
def list_events(args: dict):
    """The agency's matchmaking events, newest first (all of them for platform admins)."""
    scope = statistics.scope_for(api_user(), args.get("agency_id"))
    return events.list_events(scope, args.get("year"))


@blp.post("/events")
@blp.arguments(EventCreateSchema)
@blp.response(201, EventSchema)
@blp.alt_response(403, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema)
def create_event(body: dict):
    """Record a matchmaking event (date, place or online, segments) and the organisations invited."""
    return events.create_event(api_user(), body)


@blp.get("/events/<int:event_id>")
@blp.response(200, EventSchema)
@blp.alt_response(404, schema=ErrorSchema)
def get_event(event_id: int):
    return events.get_event(api_user(), event_id)


@blp.post("/events/<int:event_id>/attendance")
@blp.arguments(AttendanceSchema)
@blp.response(200, EventSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema)
def record_attendance(body: dict, event_id: int):
    """Who came and who did not; an uninvited organisation that came is added as a walk-in."""
    return events.record_attendance(api_user(), event_id, body)


@blp.post("/events/<int:event_id>/invitations")
@blp.arguments(InviteSchema)
@blp.response(200, EventSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema)
def invite(body: dict, event_id: int):
    return events.invite(api_user(), event_id, body["organisation_ids"])


@blp.post("/events/<int:event_id>/outcomes")
@blp.arguments(OutcomeCreateSchema)
@blp.response(201, OutcomeSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema)
def add_outcome(body: dict, event_id: int):
    """An interest (organisation, patent) or a brokered deal that came out of the event."""
    return events.add_outcome(api_user(), event_id, body)


def _export(args: dict, fmt: str) -> Response:
    scope = statistics.scope_for(api_user(), args.get("agency_id"))
    filters = _filters(args)
    found = listing.list_items(scope, filters, per_page=None)
    if fmt == "csv":
        return Response(exports.listing_csv(found), content_type=CSV_MIMETYPE,
                        headers=attachment("console-items", filters.start, filters.end, fmt="csv"))
    return Response(exports.listing_xlsx(found), content_type=XLSX_MIMETYPE,
                    headers=attachment("console-items", filters.start, filters.end, fmt="xlsx"))


def _file_response(mimetype: str, description: str) -> dict:
    return {"200": {"description": description, "content": {mimetype: {"schema": {"type": "string", "format": "binary"}}}}}


@blp.get("/exports/deals.csv")
@blp.arguments(FilterArgs, location="query")
@blp.alt_response(403, schema=ErrorSchema)
@blp.doc(responses=_file_response("text/csv", "CSV, UTF-8 with BOM"))
def export_deals_csv(args: dict):
    """The ledger items in scope and filter, as CSV (UTF-8 with BOM), with a total row."""
    return _export(args, "csv")


@blp.get("/exports/deals.xlsx")
@blp.arguments(FilterArgs, location="query")
@blp.alt_response(403, schema=ErrorSchema)
@blp.doc(responses=_file_response(XLSX_MIMETYPE, "Excel workbook"))
def export_deals_xlsx(args: dict):
    """The ledger items in scope and filter, as an Excel workbook, with a total row."""
    return _export(args, "xlsx")
