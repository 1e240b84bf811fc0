"""The yearly keep-or-abandon review: D grade first; keep and offer are recorded with who decided; abandoning
withdraws the open license first, needs every co-owner, and ends the right; what the law forbids is refused."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.core import transaction
from marketplace.core.dates import local_today
from marketplace.core.errors import Forbidden, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.fees import review
from marketplace.fees.models import AnnualFee, Decision, DecisionStatus, FeeState
from marketplace.legal.refusals import Ineligible
from marketplace.openlicense.models import DeclarationStatus, OpenLicenseDeclaration
from marketplace.patents.vocab import LegalStatus
from tests import factories


def ref(patent):
    return factories.PatentRef(patent.id, patent.application_number, patent.owner_id)


def test_review_lists_the_years_fees_lowest_grade_first(fee_patent, university, company):
    a, d, ungraded = fee_patent(grade="A"), fee_patent(grade="D"), fee_patent()
    year = (local_today() + timedelta(days=20)).year
    items, total = review.review(university.load(), year)
    assert [item.patent.id for item in items] == [d.id, a.id, ungraded.id] and total == 3
    assert [item.patent.id for item in review.review(university.load(), year, "D")[0]] == [d.id]
    with pytest.raises(Forbidden):
        review.review(factories.make_user("bank", org_name="某银行").load(), year)


def test_keep_and_offer_record_who_decided(client, fee_patent, university):
    patent = fee_patent(grade="C")
    kept = review.decide(university.load(), patent.id, {"decision": "keep", "reason": "仍有许可前景"})
    transaction.commit()
    assert kept.decision == Decision.KEEP and kept.decided_by_id == university.id
    with pytest.raises(ValidationFailed) as caught:
        review.decide(university.load(), patent.id, {"decision": "offer", "offer_mode": "transfer"})
    assert "offer_price" in caught.value.fields
    transaction.rollback()
    with pytest.raises(ValidationFailed) as caught:
        review.decide(university.load(), patent.id, {"decision": "maybe"})
    assert "decision" in caught.value.fields
    transaction.rollback()
    offered = review.decide(university.load(), patent.id, {"decision": "offer", "offer_mode": "transfer",
                                                           "offer_price": "20000"})
    transaction.commit()
    assert offered.id == kept.id and offered.listed_until >= local_today() and offered.decided_by_id == university.id
    items, total = review.last_call()
    assert [d.patent_id for d in items] == [patent.id]
    assert patent.title in client.get("/patents/last-call").get_data(as_text=True)


def test_abandoning_withdraws_the_open_license_first_and_ends_the_right(fee_patent, university, company):
    from marketplace.openlicense import licensing
    patent = fee_patent(grade="D")
    declaration_id = factories.make_open_license(university, ref(patent))
    grant = licensing.accept_open_license(company.load(), declaration_id)
    transaction.commit()
    decision = review.decide(university.load(), patent.id, {"decision": "abandon", "reason": "无转化前景"})
    transaction.commit()
    declaration = db.session.get(OpenLicenseDeclaration, declaration_id)
    assert declaration.status == DeclarationStatus.WITHDRAWN
    assert decision.status == DecisionStatus.EFFECTIVE and decision.decided_by_id == university.id
    assert patent.legal_status == LegalStatus.TERMINATED
    fees = db.session.scalars(select(AnnualFee).where(AnnualFee.patent_id == patent.id)).all()
    assert fees and all(fee.state == FeeState.CLOSED for fee in fees)  # nothing more to pay
    assert grant.id  # licenses already obtained stay valid: untouched
    with pytest.raises(NotFound):
        review.decide(company.load(), patent.id, {"decision": "keep"})


def test_a_co_owned_patent_is_abandoned_only_once_every_co_owner_consents(fee_patent, university):
    co_owner = factories.make_user("company", org_name="贵州某某科技有限公司")
    patent = fee_patent(grade="D", co_owners=["贵州某某科技有限公司"])
    factories.link_co_owner(university, ref(patent), "贵州某某科技有限公司", co_owner)
    declaration_id = factories.make_open_license(university, ref(patent))
    factories.approve("open_license", declaration_id, co_owner)
    decision = review.decide(university.load(), patent.id, {"decision": "abandon"})
    transaction.commit()
    assert decision.status == DecisionStatus.PENDING and patent.legal_status == LegalStatus.GRANTED
    factories.approve("open_license", declaration_id, co_owner)  # the withdrawal, asked first
    assert db.session.get(OpenLicenseDeclaration, declaration_id).status == DeclarationStatus.WITHDRAWN
    factories.approve("patent_abandonment", decision.id, co_owner)
    db.session.expire_all()
    assert decision.status == DecisionStatus.EFFECTIVE and patent.legal_status == LegalStatus.TERMINATED


def test_a_pledged_patent_cannot_be_abandoned(fee_patent, university, bank):
    patent = fee_patent(grade="D")
    factories.make_pledge(university, bank, [ref(patent)])
    with pytest.raises(Ineligible) as caught:
        review.decide(university.load(), patent.id, {"decision": "abandon"})
    assert "pledged_cannot_abandon" in caught.value.fields
    transaction.rollback()
    assert patent.legal_status == LegalStatus.GRANTED
