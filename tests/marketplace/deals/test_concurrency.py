"""The parties of a deal approving at the same moment: it is signed exactly once, by both consents."""
from __future__ import annotations

import pytest

from marketplace.consents import services as consents
from marketplace.consents.models import Proposal
from marketplace.core import transaction
from marketplace.core.models import AuditEntry
from marketplace.deals import services
from marketplace.deals.models import Deal
from marketplace.extensions import db
from tests import factories
from tests.marketplace.openlicense.concurrency import require_postgres, run_together


def transfer(app, recorder, seller, buyer) -> tuple[int, dict[int, int]]:
    """A transfer recorded and committed: its id and each asked organisation's consent id."""
    with app.app_context():
        patent = factories.make_granted_patent(seller)
        deal = services.record_deal(recorder.load(), {
            "mode": "transfer", "seller_id": seller.organisation_id, "buyer_id": buyer.organisation_id,
            "patent_ids": [patent.id], "amount": "1000000.00"})
        transaction.commit()
        return deal.id, {c.organisation_id: c.id for c in deal.proposals[0].consents}


@pytest.mark.postgres
@pytest.mark.parametrize("round_", range(3))
def test_seller_and_buyer_approving_at_once_sign_the_deal_once(app, university, company, agency, round_):
    require_postgres(app)
    deal_id, consent_of = transfer(app, agency, university, company)
    results = run_together(app, *(
        lambda party=party: consents.decide(party.load(), consent_of[party.organisation_id], True).id
        for party in (university, company)))
    assert all(isinstance(result, int) for result in results), results
    with app.app_context():
        assert db.session.get(Deal, deal_id).status == "signed"
        assert db.session.scalar(db.select(Proposal.status).where(Proposal.subject_id == deal_id)) == "effective"
        signed = db.session.query(AuditEntry).filter_by(action="deal.status_changed", entity_id=deal_id).count()
        assert signed == 1


@pytest.mark.postgres
def test_an_edit_racing_the_last_approval_never_signs_terms_not_consented_to(app, university, company):
    require_postgres(app)
    deal_id, consent_of = transfer(app, university, university, company)
    results = run_together(
        app, lambda: consents.decide(company.load(), consent_of[company.organisation_id], True).id,
        lambda: services.update_deal(university.load(), deal_id, {"amount": "2000000.00"}).id)
    with app.app_context():
        signed = db.session.get(Deal, deal_id)
        if signed.status == "signed":  # the approval came first: it signed the first terms, then the edit was refused
            assert str(signed.amount) == "1000000.00" and not isinstance(results[1], int)
        else:  # the edit came first: the approval was of terms no longer current
            assert str(signed.amount) == "2000000.00" and signed.terms_version == 2 and not isinstance(results[0], int)
