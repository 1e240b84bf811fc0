"""One schema per input: deciding a consent on its page and through the API reads the comment through the same
schema (``consents.api.DecisionSchema``), so an over-long comment is refused alike, and not decided."""
from __future__ import annotations

import html

from marketplace.consents.models import Consent
from marketplace.core import transaction
from marketplace.deals import services as deals
from marketplace.extensions import db
from tests import factories


def test_an_over_long_comment_is_refused_alike_by_page_and_api(app, client, login, token_for, agency, university,
                                                               company):
    with app.app_context():
        patent = factories.make_granted_patent(university)
        deal = deals.record_deal(agency.load(), {
            "mode": "transfer", "seller_id": university.organisation_id, "buyer_id": company.organisation_id,
            "patent_ids": [patent.id], "amount": "300000"})
        transaction.commit()
        [consent_id] = [c.id for p in deal.proposals for c in p.consents if c.organisation_id == company.organisation_id]
    for action in ("approve", "reject"):
        api = client.post(f"/api/v1/consents/{consent_id}/{action}", json={"comment": "意" * 1001},
                          headers=token_for(company))
        assert api.status_code == 422 and list(api.json["fields"]) == ["comment"], api.json
        login(company)
        client.post(f"/consents/{consent_id}/{action}", data={"comment": "意" * 1001})
        assert api.json["message"] in html.unescape(client.get("/consents").get_data(as_text=True))
        client.post("/logout")
        with app.app_context():
            assert db.session.get(Consent, consent_id).decision == "pending"
