"""Two registrations of one patent taking effect at the same moment: exactly one pledge exists afterwards."""
from __future__ import annotations

import pytest

from marketplace.consents import services as consents
from marketplace.core import transaction
from marketplace.extensions import db
from marketplace.legal.refusals import Ineligible
from marketplace.legal.term import add_months
from marketplace.core.dates import local_today
from marketplace.pledges import services
from marketplace.pledges.models import Pledge, PledgePatent
from tests import factories
from tests.marketplace.openlicense.concurrency import require_postgres, run_together


@pytest.mark.postgres
@pytest.mark.parametrize("round_", range(3))
def test_two_pledges_of_one_patent_at_once_exactly_one_succeeds(app, university, bank, round_):
    require_postgres(app)
    with app.app_context():
        shared = factories.make_granted_patent(university)
        other = factories.make_granted_patent(university)
        second_bank = factories.make_user("bank", org_name="第二银行")

    def propose(pledgee, patents, number) -> int:
        """The pledgee proposes; the university's consent, given last, is what makes the pledge take effect."""
        with app.app_context():
            pledge = services.register_pledge(pledgee.load(), {
                "pledgor_id": university.organisation_id, "pledgee_id": pledgee.organisation_id,
                "patent_ids": [p.id for p in patents], "amount": "1000000.00",
                "term_end": add_months(local_today(), 12).isoformat(), "registration_number": number})
            transaction.commit()
            [consent] = [c for p in pledge.proposals for c in p.consents
                         if c.organisation_id == university.organisation_id]
            return consent.id

    first = propose(bank, [shared, other], f"Y-A-{round_}")
    second = propose(second_bank, [other, shared], f"Y-B-{round_}")

    # Different patent orders in each pledge: locks taken in id order cannot deadlock.
    results = run_together(app, *(lambda consent_id=consent_id: consents.decide(
        university.load(), consent_id, True).id for consent_id in (first, second)))
    successes = [r for r in results if isinstance(r, int)]
    refusals = [r for r in results if isinstance(r, Ineligible)]
    assert len(successes) == 1 and len(refusals) == 1, results
    assert "already_pledged" in refusals[0].fields
    with app.app_context():
        assert db.session.query(Pledge).filter_by(status="registered").count() == 1
        assert db.session.query(PledgePatent).filter_by(patent_id=shared.id, active=True).count() == 1
