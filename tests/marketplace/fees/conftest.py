"""Patents with known filing and grant dates, their ledger written as the periodic job would."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from marketplace.core import transaction
from marketplace.core.dates import local_today
from marketplace.extensions import db
from marketplace.fees import ledger
from marketplace.legal.term import add_months
from marketplace.patents.models import Patent
from tests import factories


@pytest.fixture
def fee_patent(ctx, university):
    """``fee_patent(due_in_days=20, **overrides)``: a granted invention whose next annual fee (year 5) falls due
    ``due_in_days`` from today (negative: already due), with its ledger synchronised as of before that fee."""
    def make(due_in_days: int = 20, owner=None, **overrides) -> Patent:
        due = local_today() + timedelta(days=due_in_days)
        filed = add_months(due, -48)  # year 5 starts on the fourth anniversary
        ref = factories.make_granted_patent(owner or university, application_date=filed.isoformat(),
                                            grant_date=(filed + timedelta(days=500)).isoformat(), **overrides)
        ledger.sync_patents([ref.id], min(local_today(), due - timedelta(days=1)))
        transaction.commit()
        return db.session.get(Patent, ref.id)
    return make


def sync(patent_id: int, day: date | None = None) -> None:
    ledger.sync_patents([patent_id], day)
    transaction.commit()
