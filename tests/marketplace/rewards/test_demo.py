"""The demo university sees each inventor's reward and exports its yearly report."""
from __future__ import annotations

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.core.dates import local_today
from marketplace.extensions import db
from marketplace.rewards import report, services


def test_demo_university_has_inventors_rewards_and_a_report(ctx, demo_counts):
    created = demo_counts
    assert created["inventors"] > 0 and created["rewards_paid"] == 1
    university = db.session.scalar(select(User).where(User.email == "university@demo.local"))
    found = services.overview(university, local_today().year)
    assert found.incomes and not found.policy.statutory
    paid = [income for income in found.incomes if income.paid_on is not None]
    assert len(paid) == 1 and None not in paid[0].parts and paid[0].costs > 0
    assert report.authority_report(university, local_today().year).rewards_paid == paid[0].reward
