"""Proposed acts and the consents they wait for.

A ``Proposal`` is one act proposed on one object (sign a deal, register or
release a pledge, declare or withdraw an open license, confirm a payment …)
for one version of its terms; a ``Consent`` is one party's decision on it. The
proposal takes effect when every party has approved; a rejection ends it;
editing the terms lapses it and asks again for the new version.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation, User
from marketplace.core.models import portable_enum, utcnow
from marketplace.extensions import db
from marketplace.patents.vocab import LabelledEnum


class ConsentAct(LabelledEnum):
    """The acts that need the consent of the parties whose rights they change."""

    DEAL_SIGNING = "deal_signing", "交易签约"
    DEAL_RECORDAL = "deal_recordal", "交易登记备案"
    DEAL_COMPLETION = "deal_completion", "交易完成"
    DEAL_CANCELLATION = "deal_cancellation", "解除交易"
    DEAL_AMENDMENT = "deal_amendment", "交易更正"
    PLEDGE_REGISTRATION = "pledge_registration", "质押登记"
    PLEDGE_RELEASE = "pledge_release", "质押注销"
    OPEN_LICENSE_DECLARATION = "open_license_declaration", "开放许可声明"
    OPEN_LICENSE_WITHDRAWAL = "open_license_withdrawal", "撤回开放许可声明"
    LICENSE_PAYMENT = "license_payment", "许可使用费付款"
    DEAL_PAYMENT = "deal_payment", "交易价款收款"
    PATENT_ABANDONMENT = "patent_abandonment", "放弃专利权"
    THREAD_AGENCY = "thread_agency", "运营机构加入对话"


class ConsentRole(LabelledEnum):
    """Why an organisation's consent is needed."""

    SELLER = "seller", "转让方/许可方"
    BUYER = "buyer", "受让方/被许可方"
    CO_OWNER = "co_owner", "共有人"
    PATENTEE = "patentee", "专利权人"
    PLEDGOR = "pledgor", "出质人"
    PLEDGEE = "pledgee", "质权人"
    PAYEE = "payee", "收款方（许可人）"
    THREAD_PARTY = "thread_party", "对话一方"


class ProposalStatus(LabelledEnum):
    PENDING = "pending", "待确认"
    EFFECTIVE = "effective", "已生效"
    REJECTED = "rejected", "已拒绝"
    LAPSED = "lapsed", "已失效"


class Decision(LabelledEnum):
    PENDING = "pending", "待确认"
    APPROVED = "approved", "同意"
    REJECTED = "rejected", "拒绝"


class Proposal(db.Model):
    """One act proposed on one object (``subject_type``/``subject_id``) for one version of its terms.

    ``details`` holds what the act adds to the object's terms (a recordal
    number, a release date, an amendment's changes); ``summary`` names the act
    in to-do lists and notifications.
    """

    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    act: Mapped[ConsentAct] = mapped_column(portable_enum(ConsentAct, "consent_act"))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int]
    terms_version: Mapped[int] = mapped_column(default=1)
    summary: Mapped[str] = mapped_column(String(300), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[ProposalStatus] = mapped_column(portable_enum(ProposalStatus, "proposal_status"),
                                                   default=ProposalStatus.PENDING)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    proposer_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    consents: Mapped[list["Consent"]] = relationship(back_populates="proposal", cascade="all, delete-orphan",
                                                     order_by="Consent.id")
    proposed_by: Mapped[User | None] = relationship()
    proposer_organisation: Mapped[Organisation | None] = relationship()

    __table_args__ = (Index("ix_proposals_subject", "subject_type", "subject_id", "status"),)

    @property
    def is_pending(self) -> bool:
        return self.status == ProposalStatus.PENDING

    def consent_of(self, organisation_id: int | None) -> "Consent | None":
        return next((c for c in self.consents if c.organisation_id == organisation_id), None)


class Consent(db.Model):
    """One organisation's decision on a proposal, given by one of its users for ``terms_version``."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    role: Mapped[ConsentRole] = mapped_column(portable_enum(ConsentRole, "consent_role"))
    terms_version: Mapped[int] = mapped_column(default=1)
    decision: Mapped[Decision] = mapped_column(portable_enum(Decision, "consent_decision"), default=Decision.PENDING)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    comment: Mapped[str] = mapped_column(String(1000), default="")

    proposal: Mapped[Proposal] = relationship(back_populates="consents")
    organisation: Mapped[Organisation] = relationship()
    decided_by: Mapped[User | None] = relationship()

    __table_args__ = (
        UniqueConstraint("proposal_id", "organisation_id"),
        Index("ix_consents_organisation_decision", "organisation_id", "decision"),
    )

    @property
    def is_approved(self) -> bool:
        return self.decision == Decision.APPROVED

    @property
    def awaiting(self) -> bool:
        """Still waiting for this organisation: undecided on a proposal that is still open."""
        return self.decision == Decision.PENDING and self.proposal.is_pending
