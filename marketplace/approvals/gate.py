"""The institution's internal approval and publicity as a ``consents`` gate, for every act alike."""
from __future__ import annotations

from flask import url_for
from flask_login import current_user

from marketplace.approvals import reviews, subjects
from marketplace.consents.models import Consent
from marketplace.consents.services import Gate, register_gate

NAME = "internal_approval"


def _note(consent: Consent) -> tuple[str, str | None] | None:
    """For the institution's own members: what its consent waits for, and the review's page."""
    if not current_user.is_authenticated or current_user.organisation_id != consent.organisation_id:
        return None
    proposal = consent.proposal
    review = reviews.current_review(consent.organisation_id, proposal)
    if review is None and reviews.config.workflow_for(consent.organisation_id, proposal.act.value,
                                                      consent.role.value) is None:
        return None
    allowed, text = reviews.state(review)
    if review is not None:
        return text, url_for("approvals.review", review_id=review.id)
    return text, url_for("approvals.index")


def register() -> None:
    """Called from ``create_app``: the gate, and what notices say of each kind of object."""
    subjects.register_defaults()
    register_gate(Gate(NAME, refusal=reviews.consent_refusal, asked=reviews.on_consent_asked, note=_note))
