"""Push fixtures: a company with a lithium-battery need subscribed to TM-F1, real battery patents to publish."""
from __future__ import annotations

import pytest

from marketplace.push import services
from tests import factories

# The company's need, worded as companies in tests/fixtures/techmarket_needs.jsonl word theirs.
PLANTER_NEED = {"title": "插秧机锂离子电池动力装置", "segments": ["TM-F1"], "modes": ["license"],
                "description": "我们需要用锂离子电池新能源替代柴油机，为插秧机提供动力装置的技术。"}


@pytest.fixture
def battery(app):
    """Real battery-powered machine patents (tests/fixtures/battery_patents.jsonl)."""
    return factories.load_fixture("battery_patents.jsonl")


@pytest.fixture
def planter_need(app, company):
    with app.test_request_context():
        return factories.make_need(company, **PLANTER_NEED)


@pytest.fixture
def subscribe(app):
    """``subscribe(user, **values)`` creates a subscription through the service, committed; returns its id."""
    def create(user: factories.UserRef, **values) -> int:
        from marketplace.core import transaction
        with app.test_request_context():
            subscription = services.subscribe(user.load(), {"segments": ["TM-F1"], **values})
            transaction.commit()
            return subscription.id
    return create


@pytest.fixture
def publish(app, university, battery):
    """``publish(index, **overrides)`` lists a real battery patent as the university, granted, in TM-F1, grade A."""
    def make(index: int = 2, owner: factories.UserRef | None = None, **overrides) -> factories.PatentRef:
        with app.test_request_context():
            values = {"segments": ["TM-F1"], "grade": "A", "legal_status": "granted", "modes": ["license"],
                      "publish": True, **overrides}
            return factories.make_patent(owner or university, battery[index], **values)
    return make
