"""Office roles, approval workflows, reviews with their steps, publicity notices and objections."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation, User
from marketplace.core.models import TimestampMixin, portable_enum, utcnow
from marketplace.extensions import db
from marketplace.patents.vocab import LabelledEnum

MONEY = Numeric(16, 2)
LEGAL_PUBLICITY_DAYS = 15  # DOMAIN.md §9: at least 15 days before signing, when the price was negotiated


class Pricing(LabelledEnum):
    """How the price was set (促进科技成果转化法 art. 18). A price found by listing on a technology exchange or
    by auction is public already and is not publicised again; any other act is, when its workflow says so."""

    NEGOTIATED = "negotiated", "协议定价"
    LISTED = "listed", "在技术交易市场挂牌交易"
    AUCTION = "auction", "拍卖"
    NONE = "none", "不涉及议价"

    @property
    def needs_publicity(self) -> bool:
        return self not in (Pricing.LISTED, Pricing.AUCTION)


class ReviewStatus(LabelledEnum):
    IN_PROGRESS = "in_progress", "审批中"
    APPROVED = "approved", "审批通过"
    REJECTED = "rejected", "未通过"
    OBJECTION_UPHELD = "objection_upheld", "异议成立"
    SUPERSEDED = "superseded", "已重新发起"


class StepDecision(LabelledEnum):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "同意"
    REJECTED = "rejected", "不同意"


class ObjectionStatus(LabelledEnum):
    OPEN = "open", "待处理"
    DISMISSED = "dismissed", "异议不成立"
    UPHELD = "upheld", "异议成立"


class OfficeRole(db.Model):
    """A role inside the institution that approves steps: 发明人团队负责人, 学院, 技术转移办公室, 校领导 …"""

    __tablename__ = "office_roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500), default="")

    members: Mapped[list["OfficeRoleMember"]] = relationship(cascade="all, delete-orphan",
                                                             order_by="OfficeRoleMember.user_id")

    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    @property
    def user_ids(self) -> set[int]:
        return {member.user_id for member in self.members}


class OfficeRoleMember(db.Model):
    __tablename__ = "office_role_members"

    role_id: Mapped[int] = mapped_column(ForeignKey("office_roles.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)

    user: Mapped[User] = relationship()


class Workflow(TimestampMixin, db.Model):
    """The institution's approval path for one act (``act``: a ``ConsentAct`` value, any registered act).

    ``roles`` lists the consent roles it applies to (the institution as
    seller, patentee, co-owner …); ``publicity_days`` 0 means no publicity.
    Objections are resolved by ``objection_role`` (else the organisation's
    owners and admins).
    """

    __tablename__ = "approval_workflows"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    act: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    roles: Mapped[str] = mapped_column(String(200), default="seller,patentee,co_owner")
    publicity_days: Mapped[int] = mapped_column(default=LEGAL_PUBLICITY_DAYS)
    objection_role_id: Mapped[int | None] = mapped_column(ForeignKey("office_roles.id", ondelete="SET NULL"))
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    active: Mapped[bool] = mapped_column(default=True)

    organisation: Mapped[Organisation] = relationship()
    objection_role: Mapped[OfficeRole | None] = relationship()
    steps: Mapped[list["WorkflowStep"]] = relationship(cascade="all, delete-orphan", order_by="WorkflowStep.position")

    __table_args__ = (UniqueConstraint("organisation_id", "act"),)

    @property
    def role_values(self) -> list[str]:
        return [part for part in (self.roles or "").split(",") if part]


class WorkflowStep(db.Model):
    """One step: who approves it (an office role, or one member)."""

    __tablename__ = "approval_workflow_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    workflow_id: Mapped[int] = mapped_column(ForeignKey("approval_workflows.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(100))
    role_id: Mapped[int | None] = mapped_column(ForeignKey("office_roles.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    role: Mapped[OfficeRole | None] = relationship()
    user: Mapped[User | None] = relationship()


class Review(db.Model):
    """One run of a workflow for one act on one object, for one version of its terms (审批单).

    The steps are copied from the workflow when it starts, so changing the
    workflow later does not change a review under way.
    """

    __tablename__ = "approval_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    workflow_id: Mapped[int | None] = mapped_column(ForeignKey("approval_workflows.id", ondelete="SET NULL"))
    act: Mapped[str] = mapped_column(String(32))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int]
    terms_version: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(String(300))
    pricing: Mapped[Pricing] = mapped_column(portable_enum(Pricing, "review_pricing"), default=Pricing.NONE)
    price: Mapped[Decimal | None] = mapped_column(MONEY)
    publicity_days: Mapped[int] = mapped_column(default=0)
    status: Mapped[ReviewStatus] = mapped_column(portable_enum(ReviewStatus, "review_status"),
                                                 default=ReviewStatus.IN_PROGRESS)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship()
    workflow: Mapped[Workflow | None] = relationship()
    started_by: Mapped[User | None] = relationship()
    steps: Mapped[list["ReviewStep"]] = relationship(cascade="all, delete-orphan", order_by="ReviewStep.position")
    notice: Mapped["PublicityNotice | None"] = relationship(back_populates="review", uselist=False)

    __table_args__ = (Index("ix_approval_reviews_subject", "organisation_id", "subject_type", "subject_id", "act",
                            "terms_version"),)

    @property
    def current_step(self) -> "ReviewStep | None":
        """The first step not yet approved, while the review is under way."""
        if self.status != ReviewStatus.IN_PROGRESS:
            return None
        return next((step for step in self.steps if step.decision != StepDecision.APPROVED), None)

    @property
    def needs_publicity(self) -> bool:
        return self.publicity_days > 0 and self.pricing.needs_publicity


class ReviewStep(db.Model):
    """A step of a review: who may decide it, and the decision, comment and time once given."""

    __tablename__ = "approval_review_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("approval_reviews.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(100))
    role_id: Mapped[int | None] = mapped_column(ForeignKey("office_roles.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decision: Mapped[StepDecision] = mapped_column(portable_enum(StepDecision, "review_step_decision"),
                                                   default=StepDecision.PENDING)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    comment: Mapped[str] = mapped_column(String(1000), default="")

    role: Mapped[OfficeRole | None] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def assignee(self) -> str:
        if self.role is not None:
            return self.role.name
        return self.user.name if self.user is not None else "—"


class PublicityNotice(db.Model):
    """The public notice (公示) of a reviewed act: achievement, parties, proposed price, period, objections channel.

    Published when the review's last step approves; the act may be confirmed
    from ``ends_on`` (the day after the last day of the period) on.
    ``shortened`` marks a demo run whose period was cut short.
    """

    __tablename__ = "publicity_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("approval_reviews.id", ondelete="CASCADE"), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    achievement: Mapped[str] = mapped_column(Text)
    parties: Mapped[str] = mapped_column(Text)
    act_label: Mapped[str] = mapped_column(String(100))
    pricing: Mapped[Pricing] = mapped_column(portable_enum(Pricing, "notice_pricing"))
    price: Mapped[Decimal | None] = mapped_column(MONEY)
    price_note: Mapped[str] = mapped_column(String(500), default="")
    starts_on: Mapped[date] = mapped_column(index=True)
    ends_on: Mapped[date]
    days: Mapped[int]
    shortened: Mapped[bool] = mapped_column(default=False)
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    published_at: Mapped[datetime] = mapped_column(default=utcnow)

    review: Mapped[Review] = relationship(back_populates="notice")
    organisation: Mapped[Organisation] = relationship()
    objections: Mapped[list["Objection"]] = relationship(back_populates="notice", cascade="all, delete-orphan",
                                                        order_by="Objection.id")

    def running(self, today: date) -> bool:
        return self.starts_on <= today < self.ends_on

    @property
    def open_objections(self) -> list["Objection"]:
        return [o for o in self.objections if o.status == ObjectionStatus.OPEN]


class Objection(db.Model):
    """An objection to a notice, filed online by a signed-in user or recorded by the institution (letter, phone)."""

    __tablename__ = "publicity_objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("publicity_notices.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    contact: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text)
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[ObjectionStatus] = mapped_column(portable_enum(ObjectionStatus, "objection_status"),
                                                    default=ObjectionStatus.OPEN)
    resolution: Mapped[str] = mapped_column(String(2000), default="")
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None]

    notice: Mapped[PublicityNotice] = relationship(back_populates="objections")
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])
