"""Asking, accepting, declining, withdrawing and revoking an agency's authority to serve an organisation.

Either side may ask: an agency asks to serve an organisation, or an
organisation asks an agency to serve it. The other side decides through its
own account; nothing takes effect on one side's word. Only the organisation
chooses what the agency may see or do (``GRANTABLE`` permissions) and from
which day, changes it, and revokes it at any time. Every step is audited and
the other side is told in its inbox and by e-mail.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import Organisation, OrganisationKind, User
from marketplace.accounts.services import require_org_manager
from marketplace.agencies.models import (
    GRANTABLE, AgencyPermission, AgencyPermissionPeriod, AgencyRelationship, RelationshipStatus, RequestSide,
)
from marketplace.core.audit import record_audit
from marketplace.core.dates import local_today, parse_date
from marketplace.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.core.i18n import gettext as _
from marketplace.core.models import utcnow
from marketplace.accounts.permissions import get_visible, require_organisation
from marketplace.extensions import db
from marketplace.push.models import Notification, NotificationKind
from marketplace.push.messages import N_, Line, Message, listing, text
from marketplace.push.messages import message as stored
from marketplace.push.notify import notify_organisation

ENTITY = "agency_relationship"
EARLIEST_START = date(2000, 1, 1)
LATEST_START_DAYS = 366  # a start may be set up to a year ahead


# --- reading ---------------------------------------------------------------------------------------------

def relationships_of(user: User) -> list[AgencyRelationship]:
    """The relationships of the user's organisation, on either side, newest first (all of them for admins)."""
    stmt = (select(AgencyRelationship)
            .options(selectinload(AgencyRelationship.periods), selectinload(AgencyRelationship.agency),
                     selectinload(AgencyRelationship.organisation))
            .order_by(AgencyRelationship.requested_at.desc(), AgencyRelationship.id.desc()))
    if not user.is_platform_admin:
        organisation = require_organisation(user)
        stmt = stmt.where(or_(AgencyRelationship.agency_id == organisation.id,
                              AgencyRelationship.organisation_id == organisation.id))
    return list(db.session.scalars(stmt))


def get_relationship(user: User, relationship_id: int, *, lock: bool = False) -> AgencyRelationship:
    """A relationship, for its two organisations and platform admins; 404 for anyone else. ``lock`` holds its
    row until the commit, so two decisions on it cannot both pass the status check."""
    return get_visible(user, AgencyRelationship, relationship_id, lambda r: (r.agency_id, r.organisation_id),
                       _("运营机构授权不存在"), lock=lock)


def agencies() -> list[Organisation]:
    """Agencies an organisation may ask to serve it, by name."""
    return list(db.session.scalars(select(Organisation).where(Organisation.kind == OrganisationKind.AGENCY)
                                   .order_by(Organisation.name)))


def servable_organisations() -> list[Organisation]:
    """Organisations an agency may ask to serve: every kind but agencies, by kind and name."""
    return list(db.session.scalars(select(Organisation).where(Organisation.kind != OrganisationKind.AGENCY)
                                   .order_by(Organisation.kind, Organisation.name)))


# --- parsing ---------------------------------------------------------------------------------------------

def parse_permissions(raw: Any) -> list[str]:
    """Scope flags as a list of ``GRANTABLE`` values (a list, or a comma-separated string), in standard order."""
    parts = raw.replace("，", ",").split(",") if isinstance(raw, str) else list(raw or [])
    chosen = {str(p).strip() for p in parts if str(p).strip()}
    unknown = sorted(chosen - {p.value for p in GRANTABLE})
    if unknown:
        raise ValidationFailed.field("permissions", _("授权范围无效：%(values)s", values=_("、").join(unknown)))
    return [p.value for p in GRANTABLE if p.value in chosen]


def _start(raw: Any, today: date, previous_end: date | None) -> date | None:
    day = parse_date(raw, "start_on")
    if day is None:
        return None
    if day < EARLIEST_START or day > today + timedelta(days=LATEST_START_DAYS):
        raise ValidationFailed.field("start_on", _("开始日期应在 2000 年之后、一年以内"))
    if previous_end is not None and day < previous_end:
        raise ValidationFailed.field("start_on", _("开始日期不能早于上一次授权的终止日 %(day)s",
                                                   day=previous_end.isoformat()))
    return day


def _comment(raw: Any, field: str) -> str:
    text = str(raw or "").strip()
    if len(text) > 500:
        raise ValidationFailed.field(field, _("说明最多 500 字"))
    return text


def _party(raw: Any, field: str, *, agency: bool) -> Organisation:
    """The organisation whose id is ``raw``: an agency (``agency``), or one an agency may serve (any other kind)."""
    organisation = db.session.get(Organisation, int(raw)) if str(raw or "").strip().isdigit() else None
    if organisation is None or (organisation.kind == OrganisationKind.AGENCY) != agency:
        raise ValidationFailed.field(field, _("请选择一家运营机构") if agency else _("请选择要服务的机构（运营机构除外）"))
    return organisation


def _previous_end(agency_id: int, organisation_id: int) -> date | None:
    """The latest end of an earlier accepted relationship of the pair: a new one may not start before it."""
    return db.session.scalar(select(AgencyRelationship.ended_on).where(
        AgencyRelationship.agency_id == agency_id, AgencyRelationship.organisation_id == organisation_id,
        AgencyRelationship.ended_on.is_not(None)).order_by(AgencyRelationship.ended_on.desc()).limit(1))


# --- telling the other side ------------------------------------------------------------------------------

def _tell(relationship: AgencyRelationship, recipient: Organisation, event: str, title: Message,
          body: list[Line]) -> None:
    """Inbox entry (mailed to members who want mail at once) and a mail to the organisation's contact address,
    each in its reader's language (``push.messages``)."""
    notify_organisation(recipient.id, NotificationKind.AGENCY,
                        f"agency:{relationship.id}:{event}:{utcnow().isoformat()}", title, body,
                        data={"relationship_id": relationship.id, "event": event})


def _answered(relationship: AgencyRelationship, organisation: Organisation) -> None:
    """Deciding a request is reading it: its inbox entry at the deciding organisation is marked read."""
    db.session.execute(update(Notification).where(
        Notification.organisation_id == organisation.id, Notification.kind == NotificationKind.AGENCY,
        Notification.dedupe_key.startswith(f"agency:{relationship.id}:requested:"), Notification.read_at.is_(None))
        .values(read_at=utcnow()))


def _counterpart(relationship: AgencyRelationship, side: Organisation) -> Organisation:
    return relationship.organisation if side.id == relationship.agency_id else relationship.agency


def _scope(permissions: Iterable[str]) -> dict[str, Any]:
    """The permissions as a message parameter: their labels, in the reader's language."""
    return listing([AgencyPermission(p) for p in permissions], empty=stored(N_("仅服务关系")))


# --- acts ------------------------------------------------------------------------------------------------

def request_relationship(user: User, raw: Mapping[str, Any]) -> AgencyRelationship:
    """An agency asks to serve an organisation (``organisation_id``), or an organisation asks an agency
    (``agency_id``) to serve it; ``permissions`` is the scope asked for or offered, ``start_on`` (organisations
    only) the first day. Refused while the pair has a request pending or a relationship in force."""
    organisation = require_org_manager(user)
    today = local_today()
    if organisation.kind == OrganisationKind.AGENCY:
        agency, client = organisation, _party(raw.get("organisation_id"), "organisation_id", agency=False)
        side = RequestSide.AGENCY
        if raw.get("start_on") not in (None, ""):
            raise ValidationFailed.field("start_on", _("开始日期由被服务的机构确定"))
    else:
        agency, client = _party(raw.get("agency_id"), "agency_id", agency=True), organisation
        side = RequestSide.ORGANISATION
    permissions = parse_permissions(raw.get("permissions"))
    start_on = _start(raw.get("start_on"), today, _previous_end(agency.id, client.id)) \
        if side == RequestSide.ORGANISATION else None
    message = _comment(raw.get("message"), "message")
    live = db.session.scalar(select(AgencyRelationship).where(
        AgencyRelationship.agency_id == agency.id, AgencyRelationship.organisation_id == client.id,
        AgencyRelationship.status.in_([RelationshipStatus.REQUESTED, RelationshipStatus.ACTIVE])))
    if live is not None:
        raise Conflict(_("%(agency)s 与 %(organisation)s 已有一项%(status)s的授权（#%(id)d）",
                         agency=agency.name, organisation=client.name, status=live.status.label, id=live.id),
                       {"relationship": str(live.id)})
    relationship = AgencyRelationship(agency_id=agency.id, organisation_id=client.id, requested_by_side=side,
                                      requested_by_id=user.id, message=message, permissions=permissions,
                                      start_on=start_on, agency=agency, organisation=client)
    try:
        with db.session.begin_nested():  # a concurrent request for the same pair loses on the unique index
            db.session.add(relationship)
            db.session.flush()
    except IntegrityError:
        raise Conflict(_("%(agency)s 与 %(organisation)s 已有一项待确认或已生效的授权", agency=agency.name,
                         organisation=client.name), {"relationship": "exists"}) from None
    record_audit("agency.requested", ENTITY, relationship.id,
                 {"agency_id": agency.id, "organisation_id": client.id, "side": side, "permissions": permissions,
                  "start_on": start_on}, actor=user)
    if side == RequestSide.AGENCY:
        _tell(relationship, client, "requested", stored(N_("%(agency)s 申请为本机构提供运营服务"), agency=agency.name),
              [stored(N_("%(agency)s 申请成为本机构的服务运营机构，申请的授权范围：%(scope)s。"), agency=agency.name,
                      scope=_scope(permissions)),
               text(message),
               stored(N_("请在“运营机构授权”页面接受或拒绝；未经接受，该机构看不到本机构的任何数据。"))])
    else:
        _tell(relationship, agency, "requested", stored(N_("%(organisation)s 委托本机构提供运营服务"),
                                                        organisation=client.name),
              [stored(N_("%(organisation)s 请本机构为其提供运营服务，授权范围：%(scope)s。"), organisation=client.name,
                      scope=_scope(permissions)),
               text(message), stored(N_("请在“服务机构”页面接受或拒绝。"))])
    return relationship


def _deciding(user: User, relationship_id: int) -> tuple[AgencyRelationship, Organisation]:
    """The pending relationship and the user's organisation, which must be the side that did not ask."""
    organisation = require_org_manager(user)
    relationship = get_relationship(user, relationship_id, lock=True)
    if organisation.id not in (relationship.agency_id, relationship.organisation_id):
        raise NotFound(_("运营机构授权不存在"))
    if relationship.status != RelationshipStatus.REQUESTED:
        raise Conflict(_("该授权已%(status)s，不能再作决定", status=relationship.status.label),
                       {"status": relationship.status.value})
    asked_by = relationship.agency_id if relationship.requested_by_side == RequestSide.AGENCY \
        else relationship.organisation_id
    if organisation.id == asked_by:
        raise Conflict(_("须由另一方通过其账户接受或拒绝"), {"relationship": "awaiting the other side"})
    return relationship, organisation


def _open_period(relationship: AgencyRelationship, permission: AgencyPermission, start: date, user: User) -> None:
    relationship.periods.append(AgencyPermissionPeriod(
        agency_id=relationship.agency_id, organisation_id=relationship.organisation_id, permission=permission,
        started_on=start, granted_by_id=user.id))


def _close_period(period: AgencyPermissionPeriod, day: date, user: User) -> None:
    period.ended_on = max(day, period.started_on)
    period.ended_by_id = user.id


def accept_relationship(user: User, relationship_id: int, raw: Mapping[str, Any] | None = None) -> AgencyRelationship:
    """The side that did not ask accepts. An organisation accepting an agency's request sets the scope
    (``permissions``, default: what was asked) and the first day (``start_on``, default: today); an agency
    accepting an organisation's request takes the scope and start the organisation gave."""
    raw = raw or {}
    relationship, organisation = _deciding(user, relationship_id)
    today = local_today()
    if organisation.id == relationship.organisation_id:
        if "permissions" in raw:
            relationship.permissions = parse_permissions(raw.get("permissions"))
        start = _start(raw.get("start_on"), today,
                       _previous_end(relationship.agency_id, relationship.organisation_id)) or today
    elif raw.get("permissions") not in (None, "", []) or raw.get("start_on") not in (None, ""):
        raise ValidationFailed.field("permissions", _("授权范围与开始日期由被服务的机构确定"))
    else:
        start = relationship.start_on or today
    relationship.status = RelationshipStatus.ACTIVE
    relationship.started_on = start
    relationship.decided_by_id = user.id
    relationship.decided_at = utcnow()
    relationship.decision_comment = _comment(raw.get("comment"), "comment")
    _open_period(relationship, AgencyPermission.SERVE, start, user)
    for permission in relationship.granted:
        _open_period(relationship, permission, start, user)
    db.session.flush()
    _answered(relationship, organisation)
    record_audit("agency.accepted", ENTITY, relationship.id,
                 {"started_on": start, "permissions": relationship.permissions}, actor=user)
    other = _counterpart(relationship, organisation)
    _tell(relationship, other, "accepted", stored(N_("%(organisation)s 已接受运营服务授权"), organisation=organisation.name),
          [stored(N_("%(organisation)s 已接受：%(agency)s 自 %(start)s 起为 %(client)s 提供运营服务，授权范围：%(scope)s。"),
                  organisation=organisation.name, agency=relationship.agency.name, start=start.isoformat(),
                  client=relationship.organisation.name, scope=_scope(relationship.permissions))])
    return relationship


def decline_relationship(user: User, relationship_id: int, raw: Mapping[str, Any] | None = None) -> AgencyRelationship:
    """The side that did not ask declines; nothing is granted."""
    raw = raw or {}
    relationship, organisation = _deciding(user, relationship_id)
    relationship.status = RelationshipStatus.DECLINED
    relationship.decided_by_id = user.id
    relationship.decided_at = utcnow()
    relationship.decision_comment = _comment(raw.get("comment"), "comment")
    db.session.flush()
    _answered(relationship, organisation)
    record_audit("agency.declined", ENTITY, relationship.id, {"comment": relationship.decision_comment}, actor=user)
    _tell(relationship, _counterpart(relationship, organisation), "declined",
          stored(N_("%(organisation)s 拒绝了运营服务授权申请"), organisation=organisation.name),
          [text(relationship.decision_comment)])
    return relationship


def withdraw_request(user: User, relationship_id: int) -> AgencyRelationship:
    """The side that asked takes its request back before the other side decides."""
    organisation = require_org_manager(user)
    relationship = get_relationship(user, relationship_id, lock=True)
    asked_by = relationship.agency_id if relationship.requested_by_side == RequestSide.AGENCY \
        else relationship.organisation_id
    if organisation.id != asked_by:
        if organisation.id in (relationship.agency_id, relationship.organisation_id):
            raise Conflict(_("只有提出申请的一方可以撤回"), {"relationship": "not your request"})
        raise NotFound(_("运营机构授权不存在"))
    if relationship.status != RelationshipStatus.REQUESTED:
        raise Conflict(_("该授权已%(status)s，不能撤回", status=relationship.status.label),
                       {"status": relationship.status.value})
    relationship.status = RelationshipStatus.WITHDRAWN
    relationship.decided_at = utcnow()
    db.session.flush()
    record_audit("agency.withdrawn", ENTITY, relationship.id, {}, actor=user)
    _tell(relationship, _counterpart(relationship, organisation), "withdrawn",
          stored(N_("%(organisation)s 撤回了运营服务授权申请"), organisation=organisation.name), [])
    return relationship


def _own_active(user: User, relationship_id: int) -> AgencyRelationship:
    """An active relationship of the user's organisation, as the organisation served (not the agency)."""
    organisation = require_org_manager(user)
    relationship = get_relationship(user, relationship_id, lock=True)
    if organisation.id == relationship.agency_id:
        raise Forbidden(_("只有被服务的机构可以变更或撤销授权"))
    if organisation.id != relationship.organisation_id:
        raise NotFound(_("运营机构授权不存在"))
    if relationship.status != RelationshipStatus.ACTIVE:
        raise Conflict(_("该授权已%(status)s", status=relationship.status.label), {"status": relationship.status.value})
    return relationship


def change_permissions(user: User, relationship_id: int, raw: Mapping[str, Any]) -> AgencyRelationship:
    """The organisation changes the scope of an agency serving it, from today on (the past keeps its scope)."""
    relationship = _own_active(user, relationship_id)
    wanted = parse_permissions(raw.get("permissions"))
    today = local_today()
    start = max(today, relationship.started_on)
    open_periods = {p.permission: p for p in relationship.periods
                    if p.permission != AgencyPermission.SERVE and p.ended_on is None}
    removed = [p for perm, p in open_periods.items() if perm.value not in wanted]
    added = [AgencyPermission(p) for p in wanted if AgencyPermission(p) not in open_periods]
    for period in removed:
        _close_period(period, today, user)
    for permission in added:
        _open_period(relationship, permission, start, user)
    before = list(relationship.permissions)
    relationship.permissions = wanted
    db.session.flush()
    if removed or added:
        record_audit("agency.permissions_changed", ENTITY, relationship.id,
                     {"permissions": [before, wanted], "from": start}, actor=user)
        _tell(relationship, relationship.agency, "permissions",
              stored(N_("%(organisation)s 变更了授权范围"), organisation=relationship.organisation.name),
              [stored(N_("自 %(start)s 起的授权范围：%(scope)s（此前：%(before)s）。"), start=start.isoformat(),
                      scope=_scope(wanted), before=_scope(before))])
    return relationship


def revoke_relationship(user: User, relationship_id: int, raw: Mapping[str, Any] | None = None) -> AgencyRelationship:
    """The organisation ends the relationship, effective today: from today the agency sees nothing new of it.

    What it saw for the days the relationship was in force stays in its
    figures, as it was; the relationship and its periods are kept as history.
    """
    raw = raw or {}
    relationship = _own_active(user, relationship_id)
    today = local_today()
    relationship.status = RelationshipStatus.REVOKED
    relationship.ended_on = max(today, relationship.started_on)
    relationship.ended_by_id = user.id
    relationship.end_reason = _comment(raw.get("reason"), "reason")
    for period in relationship.periods:
        if period.ended_on is None:
            _close_period(period, today, user)
    db.session.flush()
    record_audit("agency.revoked", ENTITY, relationship.id,
                 {"ended_on": relationship.ended_on, "reason": relationship.end_reason}, actor=user)
    _tell(relationship, relationship.agency, "revoked",
          stored(N_("%(organisation)s 撤销了运营服务授权"), organisation=relationship.organisation.name),
          [stored(N_("自 %(end)s 起，本机构不再为 %(organisation)s 提供运营服务，也不再看到其新的数据。"),
                  end=relationship.ended_on.isoformat(), organisation=relationship.organisation.name),
           text(relationship.end_reason)])
    return relationship
