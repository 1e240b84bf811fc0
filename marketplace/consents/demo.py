"""Consents given by each party through its own account, for the demo data (and tests not about consent)."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.consents.models import Consent, Decision, Proposal, ProposalStatus
from marketplace.consents.services import decide
from marketplace.extensions import db


def approve_as(users: Iterable[User], subject_type: str, subject_id: int, comment: str = "") -> int:
    """Each of ``users`` approves, as its own organisation, what the object's open proposals ask of it.

    Decisions go through ``consents.services.decide`` one by one, with every
    rule applied; parties asked along the way (a proposal that takes effect
    may open none, but a recomputation may add one) are approved in turn.
    Returns how many consents were given.
    """
    by_organisation = {user.organisation_id: user for user in users if user.organisation_id is not None}
    given = 0
    while True:
        waiting = db.session.scalars(
            select(Consent).join(Proposal).where(
                Proposal.subject_type == subject_type, Proposal.subject_id == subject_id,
                Proposal.status == ProposalStatus.PENDING, Consent.decision == Decision.PENDING,
                Consent.organisation_id.in_(list(by_organisation))).order_by(Consent.id)).first()
        if waiting is None:
            return given
        decide(by_organisation[waiting.organisation_id], waiting.id, True, comment)
        given += 1
