"""The demo university's office story: graded patents, a workflow, a running notice, a review to click through."""
from __future__ import annotations

from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.approvals import publicity, reviews
from marketplace.approvals.models import ReviewStatus
from marketplace.consents import services as consents
from marketplace.extensions import db
from marketplace.grading.models import GradeChange


def test_demo_office_story_runs_through_to_a_confirmed_transfer(ctx, demo_counts):
    created = demo_counts
    assert created["notices"] == 1 and created["grades"] >= 4
    university = db.session.scalar(select(User).where(User.email == "university@demo.local"))
    assert db.session.scalar(select(func.count()).select_from(GradeChange).where(
        GradeChange.source == "criteria")) >= 4
    [notice] = publicity.public_notices()[0]
    [waiting] = reviews.awaiting_me(university)
    assert waiting.status == ReviewStatus.IN_PROGRESS
    publicity.shorten(None, notice.id, 0)  # what `flask shorten-publicity` does
    consent = reviews.consent_for(notice.review)
    consents.decide(university, consent.id, True, "公示期满无异议")
    assert consent.decision.value == "approved"
