"""Whom an operation agency serves: relationships an organisation accepted, and the permissions it granted.

An agency serves an organisation only once that organisation accepted it
through its own account. The relationship keeps its whole history (who asked,
who decided, when it started and ended); what the agency may see or do is a
series of permission periods, so every question "was the agency allowed
this, on that day?" has one answer that never changes afterwards.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation
from marketplace.core.models import TimestampMixin, portable_enum, utcnow
from marketplace.extensions import db
from marketplace.core.i18n import lazy_gettext as _l
from marketplace.patents.vocab import LabelledEnum, lazy_labels


class RelationshipStatus(LabelledEnum):
    """Requested, then decided by the side that did not ask (active or declined) or withdrawn by the side that
    asked; an active relationship ends only by the organisation's revocation."""

    REQUESTED = "requested", "待确认"
    ACTIVE = "active", "已生效"
    DECLINED = "declined", "已拒绝"
    WITHDRAWN = "withdrawn", "已撤回"
    REVOKED = "revoked", "已撤销"


class AgencyPermission(LabelledEnum):
    """What an organisation lets an agency that serves it see or do.

    ``serve`` is the relationship itself (the organisation counts among those
    the agency serves); the others are the scope flags the organisation grants.
    """

    SERVE = "serve", "服务关系"
    OPEN_LICENSES = "open_licenses", "开放许可与费用统计"
    FUNNEL = "funnel", "推送转化漏斗"
    CONFIRM_PAYMENTS = "confirm_payments", "代为确认收款"


PERMISSION_LABELS = lazy_labels(AgencyPermission, {
    AgencyPermission.SERVE: _l("服务关系"),
    AgencyPermission.OPEN_LICENSES: _l("开放许可与费用统计"),
    AgencyPermission.FUNNEL: _l("推送转化漏斗"),
    AgencyPermission.CONFIRM_PAYMENTS: _l("代为确认收款"),
})

GRANTABLE = (AgencyPermission.OPEN_LICENSES, AgencyPermission.FUNNEL, AgencyPermission.CONFIRM_PAYMENTS)


class RequestSide(LabelledEnum):
    """Who asked: the other side decides."""

    AGENCY = "agency", "运营机构申请"
    ORGANISATION = "organisation", "机构委托"


class AgencyRelationship(TimestampMixin, db.Model):
    """One request for an agency to serve an organisation, its decision and, once accepted, its term.

    ``permissions`` are the scope flags asked for (while requested) or granted
    (while active, the same as the open permission periods); ``start_on`` is
    the start the organisation chose when it asked (``None``: the day the
    relationship is accepted). ``ended_on`` is the first day it no longer
    applies: the relationship covers ``started_on <= day < ended_on``.
    """

    __tablename__ = "agency_relationships"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    status: Mapped[RelationshipStatus] = mapped_column(portable_enum(RelationshipStatus, "agency_relationship_status"),
                                                       default=RelationshipStatus.REQUESTED)
    requested_by_side: Mapped[RequestSide] = mapped_column(portable_enum(RequestSide, "agency_request_side"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    message: Mapped[str] = mapped_column(String(500), default="")
    permissions: Mapped[list[str]] = mapped_column(JSON, default=list)
    start_on: Mapped[date | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decision_comment: Mapped[str] = mapped_column(String(500), default="")
    started_on: Mapped[date | None]
    ended_on: Mapped[date | None]
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    end_reason: Mapped[str] = mapped_column(String(500), default="")

    agency: Mapped[Organisation] = relationship(foreign_keys=[agency_id])
    organisation: Mapped[Organisation] = relationship(foreign_keys=[organisation_id])
    periods: Mapped[list["AgencyPermissionPeriod"]] = relationship(
        back_populates="relation", cascade="all, delete-orphan",
        order_by="(AgencyPermissionPeriod.started_on, AgencyPermissionPeriod.id)")

    __table_args__ = (
        # At most one live (requested or active) relationship per agency and organisation.
        Index("uq_agency_relationships_live_pair", "agency_id", "organisation_id", unique=True,
              sqlite_where=text("status IN ('requested', 'active')"),
              postgresql_where=text("status IN ('requested', 'active')")),
    )

    @property
    def granted(self) -> list[AgencyPermission]:
        return [AgencyPermission(p) for p in self.permissions or []]


class AgencyPermissionPeriod(db.Model):
    """One permission an organisation granted an agency, from ``started_on`` up to (not including) ``ended_on``.

    Never edited except to close it (``ended_on``, ``ended_by_id``): a
    permission removed and granted again is a new period, so the history of
    what the agency was allowed stays readable.
    """

    __tablename__ = "agency_permission_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    relationship_id: Mapped[int] = mapped_column(ForeignKey("agency_relationships.id", ondelete="CASCADE"),
                                                 index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    permission: Mapped[AgencyPermission] = mapped_column(portable_enum(AgencyPermission, "agency_permission"))
    started_on: Mapped[date]
    ended_on: Mapped[date | None]
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    relation: Mapped[AgencyRelationship] = relationship(back_populates="periods")

    __table_args__ = (
        # is_authorised and an agency's scope: one agency's permission over organisations and days.
        Index("ix_agency_permission_periods_agency", "agency_id", "permission", "organisation_id", "started_on"),
        # The rollup: which agencies may see an organisation's items.
        Index("ix_agency_permission_periods_organisation", "organisation_id", "permission", "agency_id"),
    )

    def covers(self, day: date) -> bool:
        return self.started_on <= day and (self.ended_on is None or day < self.ended_on)
