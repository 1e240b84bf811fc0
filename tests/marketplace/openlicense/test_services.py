"""Declarations through the services: the builder, publication refused with reasons, re-checks, withdrawal."""
from __future__ import annotations

import pytest

from marketplace.core import transaction
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.core.models import AuditEntry, OutboxEvent
from marketplace.extensions import db
from marketplace.openlicense import licensing, services
from marketplace.legal.refusals import Ineligible
from marketplace.openlicense.models import DeclarationStatus, OpenLicenseDeclaration
from marketplace.patents import services as patents
from tests import factories


def declaration(declaration_id: int) -> OpenLicenseDeclaration:
    return db.session.get(OpenLicenseDeclaration, declaration_id)


def test_publishing_an_eligible_patent_announces_it(ctx, university):
    patent = factories.make_granted_patent(university)
    declaration_id = factories.make_open_license(university, patent)
    published = declaration(declaration_id)
    assert published.status == DeclarationStatus.PUBLISHED and published.announced_on is not None
    assert published.fee_type == "fixed" and str(published.fixed_fee) == "50000.00"
    assert db.session.query(AuditEntry).filter_by(action="open_license.published").count() == 1


def test_draft_then_publish_keeps_one_live_declaration(ctx, university):
    patent = factories.make_granted_patent(university)
    draft_id = factories.make_open_license(university, patent, publish=False, commitment=False)
    assert declaration(draft_id).status == DeclarationStatus.DRAFT
    published_id = factories.make_open_license(university, patent, fixed_fee="60000")
    assert published_id == draft_id and str(declaration(draft_id).fixed_fee) == "60000.00"
    with pytest.raises(Conflict):
        factories.make_open_license(university, patent)


def test_publishing_needs_the_commitment(ctx, university):
    patent = factories.make_granted_patent(university)
    with pytest.raises(ValidationFailed) as caught:
        factories.make_open_license(university, patent, commitment=False)
    assert "commitment" in caught.value.fields


@pytest.mark.parametrize("overrides, reason", [
    ({"legal_status": "pending"}, "not_granted"),
    ({"legal_status": "fee_overdue"}, "fees_unpaid"),
    ({"legal_status": "terminated"}, "lapsed"),
    ({"legal_status": "invalidated"}, "lapsed"),
    ({"proceedings_suspended": True}, "suspended"),
    ({"co_owners": ["贵州某某科技有限公司"]}, "co_owner_not_on_platform"),
])
def test_publishing_is_refused_with_the_reason(ctx, university, overrides, reason):
    patent = factories.make_granted_patent(university, publish=False, **overrides)
    with pytest.raises(Ineligible) as caught:
        factories.make_open_license(university, patent)
    assert reason in caught.value.fields
    transaction.rollback()
    assert db.session.query(OpenLicenseDeclaration).count() == 0


@pytest.mark.parametrize("patent_type", ["utility_model", "design"])
def test_utility_model_and_design_need_a_positive_evaluation_report(ctx, university, patent_type):
    patent = factories.make_granted_patent(university, patent_type, evaluation_report="negative")
    with pytest.raises(Ineligible) as caught:
        factories.make_open_license(university, patent)
    assert list(caught.value.fields) == ["no_positive_evaluation"]


def test_a_co_owned_declaration_is_announced_once_every_co_owner_consented(ctx, university):
    first = factories.make_user("company", org_name="贵州某某科技有限公司")
    second = factories.make_user("institute", org_name="贵州某某研究院")
    patent = factories.make_granted_patent(university, co_owners=["贵州某某科技有限公司", "贵州某某研究院"])
    factories.link_co_owner(university, patent, "贵州某某科技有限公司", first)
    factories.link_co_owner(university, patent, "贵州某某研究院", second)
    declaration_id = factories.make_open_license(university, patent)
    assert declaration(declaration_id).status == DeclarationStatus.DRAFT
    factories.approve("open_license", declaration_id, first)
    assert declaration(declaration_id).status == DeclarationStatus.DRAFT
    factories.approve("open_license", declaration_id, second)
    assert declaration(declaration_id).status == DeclarationStatus.PUBLISHED


def test_editing_the_draft_invalidates_the_co_owners_consent(ctx, university):
    co_owner = factories.make_user("company", org_name="贵州某某科技有限公司")
    patent = factories.make_granted_patent(university, co_owners=["贵州某某科技有限公司"])
    factories.link_co_owner(university, patent, "贵州某某科技有限公司", co_owner)
    declaration_id = factories.make_open_license(university, patent)
    services.save_declaration(university.load(), patent.id, factories.open_license_terms(fixed_fee="1.00"))
    transaction.commit()
    assert factories.approve("open_license", declaration_id, co_owner) == 0, "nothing left to consent to"
    assert declaration(declaration_id).status == DeclarationStatus.DRAFT and declaration(declaration_id).terms_version == 2
    factories.make_open_license(university, patent, fixed_fee="1.00")
    factories.approve("open_license", declaration_id, co_owner)
    assert declaration(declaration_id).status == DeclarationStatus.PUBLISHED


def test_pledged_patent_is_refused_and_the_report_names_it(ctx, university, bank):
    patent = factories.make_granted_patent(university)
    factories.make_pledge(university, bank, [patent], proposer=university)
    report = services.check_eligibility(university.load(), patent.id)
    assert not report.eligible and [r.code for r in report.refusals] == ["pledged_without_consent"]
    with pytest.raises(Ineligible) as caught:
        factories.make_open_license(university, patent)
    assert "pledged_without_consent" in caught.value.fields


def test_term_past_expiry_is_refused(ctx, university):
    patent = factories.make_granted_patent(university, patent_type="utility_model")
    with pytest.raises(ValidationFailed) as caught:
        factories.make_open_license(university, patent, term_end="2099-01-01")
    assert "term_end" in caught.value.fields


def test_only_the_patentee_declares(ctx, university, other_university, company):
    patent = factories.make_granted_patent(university)
    with pytest.raises(NotFound):
        services.save_declaration(other_university.load(), patent.id, factories.open_license_terms(), publish=True)
    with pytest.raises(NotFound):
        services.check_eligibility(company.load(), patent.id)


def test_legal_status_change_flags_the_declaration_and_restoring_clears_it(ctx, university):
    patent = factories.make_granted_patent(university)
    declaration_id = factories.make_open_license(university, patent)
    patents.update_patent(university.load(), patent.id, {"legal_status": "fee_overdue"})
    transaction.commit()
    flagged = declaration(declaration_id)
    assert flagged.needs_withdrawal and [r["code"] for r in flagged.flag_reasons] == ["fees_unpaid"]
    assert [d.id for d in services.flagged_declarations()] == [declaration_id]
    patents.update_patent(university.load(), patent.id, {"legal_status": "granted"})
    transaction.commit()
    assert not declaration(declaration_id).needs_withdrawal and services.flagged_declarations() == []


def test_flagged_declarations_accept_no_new_licensee(ctx, university, company):
    patent = factories.make_granted_patent(university)
    declaration_id = factories.make_open_license(university, patent)
    patents.update_patent(university.load(), patent.id, {"proceedings_suspended": True})
    transaction.commit()
    with pytest.raises(Conflict):
        licensing.accept_open_license(company.load(), declaration_id)


def test_withdrawal_keeps_licenses_already_obtained(ctx, university, company):
    patent = factories.make_granted_patent(university)
    declaration_id = factories.make_open_license(university, patent, payment_method="free")
    grant = licensing.accept_open_license(company.load(), declaration_id)
    transaction.commit()
    services.withdraw_declaration(university.load(), declaration_id, "转为独占许可洽谈")
    transaction.commit()
    withdrawn = declaration(declaration_id)
    assert withdrawn.status == DeclarationStatus.WITHDRAWN and withdrawn.withdrawn_on is not None
    kept = licensing.get_license(company.load(), grant.id)
    assert kept.is_effective and kept.declaration_id == declaration_id
    assert services.patent_summary(patent.id) is None
    with pytest.raises(Conflict):
        services.withdraw_declaration(university.load(), declaration_id)
    with pytest.raises(Conflict):
        licensing.accept_open_license(company.load(), declaration_id)


def test_only_the_owner_withdraws(ctx, university, other_university):
    patent = factories.make_granted_patent(university)
    declaration_id = factories.make_open_license(university, patent)
    with pytest.raises(NotFound):
        services.withdraw_declaration(other_university.load(), declaration_id)


def test_changes_reach_the_search_outbox(ctx, university):
    patent = factories.make_granted_patent(university)
    declaration_id = factories.make_open_license(university, patent)
    assert db.session.query(OutboxEvent).filter_by(consumer="search", entity_type="open_license",
                                                   entity_id=declaration_id).count() == 1


def test_catalogue_lists_published_declarations_with_filters(ctx, university, company):
    lump = factories.make_open_license(university, factories.make_granted_patent(university))
    free = factories.make_open_license(university, factories.make_granted_patent(university), payment_method="free")
    factories.make_open_license(university, factories.make_granted_patent(university), publish=False)
    licensing.accept_open_license(company.load(), free)
    transaction.commit()
    items, total = services.search_catalogue({}, 1, 20)
    assert total == 2 and {d.id for d in items} == {lump, free}
    items, total = services.search_catalogue({"fee_type": "free"}, 1, 20)
    assert [d.id for d in items] == [free] and items[0].licensee_count == 1
    title = declaration(lump).patent.title
    assert [d.id for d in services.search_catalogue({"q": title[:6]}, 1, 20)[0]] == [lump]
    with pytest.raises(ValidationFailed):
        services.search_catalogue({"fee_type": "barter"}, 1, 20)


def test_a_co_owner_unlinked_after_the_announcement_does_not_suspend_it(ctx, university):
    co_owner = factories.make_user("company", org_name="贵州某某科技有限公司")
    patent = factories.make_granted_patent(university, co_owners=["贵州某某科技有限公司"])
    factories.link_co_owner(university, patent, "贵州某某科技有限公司", co_owner)
    declaration_id = factories.make_open_license(university, patent)
    factories.approve("open_license", declaration_id, co_owner)
    from marketplace.patents import co_owners
    co_owners.link_co_owner(university.load(), patent.id, "贵州某某科技有限公司", None)
    services.recheck_patent(patent.id)
    transaction.commit()
    assert declaration(declaration_id).is_published and not declaration(declaration_id).needs_withdrawal
