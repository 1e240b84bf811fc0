"""The demo ledger tells the issue's story with the real services."""
from __future__ import annotations

from marketplace.core import transaction
from marketplace.deals.models import Deal
from marketplace.extensions import db
from marketplace.openlicense import services
from marketplace.openlicense.demo import seed_open_license_story
from marketplace.openlicense.models import LicenseGrant
from marketplace.patents.models import Patent
from tests import factories


def test_open_license_story(ctx, university, company, agency, bank):
    second_company = factories.make_user("company", org_name="第二家公司")
    patents = [factories.make_granted_patent(university) for _ in range(4)]
    users = {"univ1": university.load(), "comp1": company.load(), "comp2": second_company.load(),
             "agency": agency.load(), "bank": bank.load()}
    assert seed_open_license_story(users) == {"open_licenses": 1, "licenses": 1, "pledges": 1, "deals": 2}
    transaction.commit()
    grant = db.session.query(LicenseGrant).one()
    assert grant.is_effective and grant.recordal_number and grant.installments[0].amount is not None
    pledged_report = services.check_eligibility(university.load(), patents[1].id)
    assert [r.code for r in pledged_report.refusals] == ["pledged_without_consent"]
    completed, prepared = db.session.query(Deal).order_by(Deal.id)
    assert completed.status == "completed" and prepared.status == "negotiating"
    assert db.session.get(Patent, patents[2].id).owner_id == second_company.organisation_id
    waiting = {c.organisation_id for p in prepared.proposals for c in p.consents if c.awaiting}
    assert waiting == {university.organisation_id, company.organisation_id}


def test_open_license_story_needs_patents(ctx, university, company, agency, bank):
    users = {"univ1": university.load(), "comp1": company.load(), "comp2": company.load(),
             "agency": agency.load(), "bank": bank.load()}
    assert seed_open_license_story(users) == {}
