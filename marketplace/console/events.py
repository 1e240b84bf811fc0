"""Matchmaking events (供需对接活动): an agency invites organisations, records who came and what came of it.

Events held count toward the agency's yearly targets. Inviting an
organisation grants the agency nothing: it serves an organisation only once
that organisation accepts it (``marketplace.agencies``), and an event shows
of its guests only their names and what the agency itself recorded.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import Organisation, OrganisationKind, User
from marketplace.console.ledger import Scope
from marketplace.console.models import EventInvitation, EventOutcome, MatchmakingEvent, OutcomeKind
from marketplace.core.audit import record_audit
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.core.i18n import gettext as _
from marketplace.accounts.permissions import get_visible, require_organisation
from marketplace.deals.models import Deal
from marketplace.extensions import db
from marketplace.core.dates import local_today, require_date
from marketplace.patents.models import Patent

ENTITY = "matchmaking_event"


def _ids(raw: Any, field: str) -> list[int]:
    parts = raw.replace("，", ",").split(",") if isinstance(raw, str) else list(raw or [])
    try:
        return sorted({int(str(p).strip()) for p in parts if str(p).strip()})
    except ValueError:
        raise ValidationFailed.field(field, _("应为机构编号列表")) from None


def _organisations(ids: list[int], field: str) -> list[Organisation]:
    found = list(db.session.scalars(select(Organisation).where(Organisation.id.in_(ids)))) if ids else []
    missing = sorted(set(ids) - {o.id for o in found})
    if missing:
        raise ValidationFailed.field(field, _("机构不存在：%(ids)s", ids=missing))
    return found


def create_event(user: User, raw: Mapping[str, Any]) -> MatchmakingEvent:
    """Record an event the user's agency organises, with the organisations it invites."""
    agency = require_organisation(user, (OrganisationKind.AGENCY,))
    errors: dict[str, str] = {}
    title = str(raw.get("title") or "").strip()
    if not title or len(title) > 200:
        errors["title"] = _("须填写活动名称（≤200字）")
    held_on = None
    try:
        held_on = require_date(raw.get("held_on"), "held_on")
    except ValidationFailed as error:
        errors.update(error.fields)
    online = str(raw.get("online", "")).lower() in ("1", "true", "on", "yes") if not isinstance(raw.get("online"), bool) \
        else raw["online"]
    place = str(raw.get("place") or "").strip() or None
    if not online and not place:
        errors["place"] = _("线下活动须填写地点")
    if place and len(place) > 300:
        errors["place"] = _("地点最多 300 字")
    segments: list[str] = []
    try:
        raw_segments = raw.get("segments") or []
        segments = current_app.extensions["taxonomy"].parse_codes(
            raw_segments.split(",") if isinstance(raw_segments, str) else list(raw_segments))
    except ValidationFailed as error:
        errors.update(error.fields)
    invited: list[Organisation] = []
    try:
        invited = _organisations(_ids(raw.get("invited_organisation_ids"), "invited_organisation_ids"),
                                 "invited_organisation_ids")
    except ValidationFailed as error:
        errors.update(error.fields)
    if errors:
        raise ValidationFailed("; ".join(f"{k}: {v}" for k, v in errors.items()), errors)
    event = MatchmakingEvent(agency_id=agency.id, title=title, held_on=held_on, online=online, place=place,
                             segments=segments, description=str(raw.get("description") or "").strip()[:5000],
                             created_by_id=user.id,
                             invitations=[EventInvitation(organisation_id=o.id) for o in invited if o.id != agency.id])
    db.session.add(event)
    db.session.flush()
    record_audit("event.created", ENTITY, event.id, {"title": title, "held_on": held_on,
                                                     "invited": [o.id for o in invited]}, actor=user)
    return event


def list_events(scope: Scope, year: int | None = None) -> list[MatchmakingEvent]:
    """The scope's events, newest first (an agency's own; all of them for the platform)."""
    stmt = select(MatchmakingEvent).options(selectinload(MatchmakingEvent.invitations),
                                            selectinload(MatchmakingEvent.outcomes))
    if scope.agency_id is not None:
        stmt = stmt.where(MatchmakingEvent.agency_id == scope.agency_id)
    if year is not None:
        stmt = stmt.where(MatchmakingEvent.held_on >= date(year, 1, 1), MatchmakingEvent.held_on <= date(year, 12, 31))
    return list(db.session.scalars(stmt.order_by(MatchmakingEvent.held_on.desc(), MatchmakingEvent.id.desc())))


def get_event(user: User, event_id: int) -> MatchmakingEvent:
    """An event, for its agency and platform admins; 404 for everyone else."""
    return get_visible(user, MatchmakingEvent, event_id, lambda e: (e.agency_id,), _("活动不存在"))


def _own_event(user: User, event_id: int) -> MatchmakingEvent:
    event = get_event(user, event_id)
    if user.organisation_id != event.agency_id:
        raise NotFound(_("活动不存在"))
    return event


def invite(user: User, event_id: int, organisation_ids: Any) -> MatchmakingEvent:
    """Invite more organisations; inviting one twice changes nothing."""
    event = _own_event(user, event_id)
    known = {i.organisation_id for i in event.invitations}
    added = [o.id for o in _organisations(_ids(organisation_ids, "organisation_ids"), "organisation_ids")
             if o.id not in known and o.id != event.agency_id]
    event.invitations.extend(EventInvitation(organisation_id=org_id) for org_id in added)
    db.session.flush()
    if added:
        record_audit("event.invited", ENTITY, event.id, {"organisation_ids": added}, actor=user)
    return event


def record_attendance(user: User, event_id: int, raw: Mapping[str, Any]) -> MatchmakingEvent:
    """Mark who came (``attended``) and who did not (``absent``); a walk-in is added as invited and present."""
    event = _own_event(user, event_id)
    attended = _ids(raw.get("attended"), "attended")
    absent = _ids(raw.get("absent"), "absent")
    both = sorted(set(attended) & set(absent))
    if both:
        raise ValidationFailed.field("absent", _("不能同时出席与缺席：%(ids)s", ids=both))
    if event.held_on > local_today():
        raise ValidationFailed.field("attended", _("活动尚未举行"))
    _organisations(attended + absent, "attended")
    by_org = {i.organisation_id: i for i in event.invitations}
    for org_id in attended + absent:
        invitation = by_org.get(org_id)
        if invitation is None:
            if org_id in absent:
                raise ValidationFailed.field("absent", _("未邀请的机构：%(id)s", id=org_id))
            invitation = EventInvitation(organisation_id=org_id)
            event.invitations.append(invitation)
        invitation.attended = org_id in attended
    db.session.flush()
    record_audit("event.attendance", ENTITY, event.id, {"attended": attended, "absent": absent}, actor=user)
    return event


def add_outcome(user: User, event_id: int, raw: Mapping[str, Any]) -> EventOutcome:
    """Record an interest (an organisation in a patent) or a deal the agency brokered that came out of the event."""
    event = _own_event(user, event_id)
    try:
        kind = OutcomeKind(str(raw.get("kind") or ""))
    except ValueError:
        raise ValidationFailed.field("kind", _("成果类型应为合作意向或促成交易")) from None
    note = str(raw.get("note") or "").strip()
    if len(note) > 500:
        raise ValidationFailed.field("note", _("备注最多 500 字"))
    outcome = EventOutcome(event_id=event.id, kind=kind, note=note)
    if kind == OutcomeKind.DEAL:
        deal = db.session.get(Deal, _one_id(raw.get("deal_id"), "deal_id"))
        if deal is None or deal.agency_id != event.agency_id:
            raise ValidationFailed.field("deal_id", _("须为本机构经办的交易"))
        outcome.deal_id, outcome.organisation_id = deal.id, deal.buyer_id
    else:
        organisation = _organisations([_one_id(raw.get("organisation_id"), "organisation_id")], "organisation_id")[0]
        outcome.organisation_id = organisation.id
        if raw.get("patent_id") not in (None, ""):
            patent = db.session.get(Patent, _one_id(raw.get("patent_id"), "patent_id"))
            if patent is None:
                raise ValidationFailed.field("patent_id", _("专利不存在"))
            outcome.patent_id = patent.id
    event.outcomes.append(outcome)
    db.session.flush()
    record_audit("event.outcome", ENTITY, event.id, {"kind": kind.value, "deal_id": outcome.deal_id,
                                                     "organisation_id": outcome.organisation_id}, actor=user)
    return outcome


def _one_id(raw: Any, field: str) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise ValidationFailed.field(field, _("必填，应为编号")) from None


def invitable_organisations() -> list[Organisation]:
    """Organisations an agency may invite: everyone but agencies, by kind and name."""
    return list(db.session.scalars(select(Organisation).where(Organisation.kind != OrganisationKind.AGENCY)
                                   .order_by(Organisation.kind, Organisation.name)))
