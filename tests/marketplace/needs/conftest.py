"""Fixtures for the needs tests: a second company, a member of the first, and an outbox listener."""
from __future__ import annotations

import pytest

from marketplace.core import outbox
from tests import factories


@pytest.fixture
def other_company(app):
    with app.app_context():
        return factories.make_user("company", email="owner@other-company.test", org_name="另一家制造企业")


@pytest.fixture
def company_member(app, company):
    """A plain member (not owner) of ``company``: membership alone grants editing rights."""
    with app.app_context():
        return factories.add_member(company, "member")


@pytest.fixture
def need_events(app, monkeypatch):
    """Every ``need`` outbox row drained after a commit, as (entity_id, action).

    The test's consumer is the only one, so counts do not depend on which other consumers exist.
    """
    seen: list[tuple[int, str]] = []
    monkeypatch.setattr(outbox.registry(app), "consumers", {})
    outbox.register_consumer("needs-test", {"need"},
                             lambda events: seen.extend((e.entity_id, e.action) for e in events), app=app)
    return seen
