"""Open-license pages: catalogue, builder, accept, notice, payments, the admins' flagged list."""
from __future__ import annotations

import io

import pytest

from marketplace.core import transaction
from marketplace.extensions import db
from marketplace.openlicense.models import LicenseGrant, OpenLicenseDeclaration
from marketplace.patents import services as patents
from tests import factories


@pytest.fixture
def patent(app, university):
    with app.app_context():
        return factories.make_granted_patent(university)


@pytest.fixture
def declaration_id(app, university, patent):
    with app.app_context():
        return factories.make_open_license(university, patent, trial_months=6, installments=2)


def test_catalogue_is_public_and_shows_terms(client, declaration_id):
    page = client.get("/open-licenses")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and f'data-declaration-id="{declaration_id}"' in html
    assert "¥50,000.00" in html and "先使用后付费" in html
    assert client.get("/open-licenses?fee_type=free").get_data(as_text=True).count("data-declaration-id") == 0
    assert client.get(f"/open-licenses/{declaration_id}").status_code == 200


def test_builder_shows_reasons_and_publishes(app, client, login, university):
    with app.app_context():
        pledged = factories.make_granted_patent(university, legal_status="fee_overdue")
        eligible = factories.make_granted_patent(university)
    login(university)
    refused = client.get(f"/patents/{pledged.id}/open-license").get_data(as_text=True)
    assert 'data-reason="fees_unpaid"' in refused
    terms = factories.open_license_terms()
    form = {**terms, "commitment": "y", "action": "publish", "royalty_base": "sales", "trial_months": "0",
            "installments": "1", "installment_interval_months": "12"}
    response = client.post(f"/patents/{eligible.id}/open-license", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        assert db.session.query(OpenLicenseDeclaration).filter_by(patent_id=eligible.id).one().is_published
    refused_post = client.post(f"/patents/{pledged.id}/open-license", data=form)
    assert refused_post.status_code == 200 and "年费未缴纳" in refused_post.get_data(as_text=True)


def test_builder_is_the_owners_only(client, login, other_university, patent):
    login(other_university)
    assert client.get(f"/patents/{patent.id}/open-license").status_code == 404


def test_accept_notice_payment_recordal(app, client, login, company, university, declaration_id):
    login(company)
    response = client.post(f"/open-licenses/{declaration_id}/accept")
    assert response.status_code == 302
    with app.app_context():
        grant = db.session.query(LicenseGrant).one()
        license_id, first = grant.id, grant.installments[0]
        assert grant.is_effective and first.amount is not None
        first_id, first_amount = first.id, str(first.amount)
    page = client.get(f"/licenses/{license_id}").get_data(as_text=True)
    assert "3个月内" in page or "前向国家知识产权局办理" in page
    notice = client.get(f"/licenses/{license_id}/notice").get_data(as_text=True)
    assert "专利开放许可实施通知书" in notice and "测试科技有限公司" in notice and "测试大学" in notice
    paid = client.post(f"/licenses/{license_id}/payments", data={
        "installment_id": str(first_id), "amount": first_amount, "reference": "HK-001",
        "evidence": (io.BytesIO(b"%PDF-1.4 receipt"), "回单.pdf", "application/pdf")},
        content_type="multipart/form-data")
    assert paid.status_code == 302
    client.post(f"/licenses/{license_id}/recordal", data={"recordal_number": "X2026520000777"})
    with app.app_context():
        grant = db.session.get(LicenseGrant, license_id)
        assert str(grant.paid_total) == "0.00" and grant.recordal_number == "X2026520000777"
        [payment] = grant.payments
        payment_id, consent_id = payment.id, payment.proposals[0].consents[0].id
        assert payment.status == "reported" and payment.evidence_name == "回单.pdf"
    page = client.get(f"/licenses/{license_id}").get_data(as_text=True)
    assert "待收款方确认" in page and f"/payments/{payment_id}/evidence" in page
    assert f'formaction="/consents/{consent_id}/approve"' not in page, "the licensee does not confirm its payment"
    assert client.get(f"/payments/{payment_id}/evidence").data == b"%PDF-1.4 receipt"
    client.post("/logout")
    login(university)
    page = client.get(f"/licenses/{license_id}").get_data(as_text=True)
    assert f'formaction="/consents/{consent_id}/approve"' in page
    client.post(f"/consents/{consent_id}/approve", data={"comment": "已到账"})
    with app.app_context():
        assert str(db.session.get(LicenseGrant, license_id).paid_total) == first_amount
    listing = client.get("/licenses").get_data(as_text=True)
    assert f'data-license-id="{license_id}"' in listing


def test_license_pages_hidden_from_others(app, client, login, company, other_university, declaration_id):
    with app.app_context():
        from marketplace.openlicense import licensing
        license_id = licensing.accept_open_license(company.load(), declaration_id).id
        transaction.commit()
    login(other_university)
    assert client.get(f"/licenses/{license_id}").status_code == 404
    assert client.get(f"/licenses/{license_id}/notice").status_code == 404


def test_owner_and_admin_see_flags(app, client, login, university, platform_admin, patent, declaration_id):
    with app.app_context():
        patents.update_patent(university.load(), patent.id, {"legal_status": "fee_overdue"})
        transaction.commit()
    assert "暂停受理" in client.get("/open-licenses").get_data(as_text=True), "listed as suspended"
    login(university)
    mine = client.get("/open-licenses/mine").get_data(as_text=True)
    assert "暂停受理" in mine and "年费未缴纳" in mine
    client.post("/logout")
    login(platform_admin)
    flagged = client.get("/open-licenses/mine").get_data(as_text=True)
    assert f'data-declaration-id="{declaration_id}"' in flagged


def test_a_terminated_patent_ends_its_declaration(app, client, login, university, patent, declaration_id):
    with app.app_context():
        patents.update_patent(university.load(), patent.id, {"legal_status": "terminated"})
        transaction.commit()
    assert f'href="/open-licenses/{declaration_id}"' not in client.get("/open-licenses").get_data(as_text=True)
    page = client.get(f"/open-licenses/{declaration_id}").get_data(as_text=True)
    assert "已终止" in page and "已获得的许可继续有效" in page and "接受开放许可" not in page


def test_withdraw_page_action(app, client, login, university, declaration_id):
    login(university)
    assert client.post(f"/open-licenses/{declaration_id}/withdraw", data={"reason": "转让"}).status_code == 302
    with app.app_context():
        assert db.session.get(OpenLicenseDeclaration, declaration_id).status == "withdrawn"


def test_patent_badge_snippet(app, university, company, patent, declaration_id):
    with app.test_request_context():
        from flask import render_template_string

        from marketplace.openlicense import licensing
        licensing.accept_open_license(company.load(), declaration_id)
        db.session.flush()
        html = render_template_string('{% include "openlicense/_patent_badge.html" %}', patent=patent.load())
    assert "开放许可" in html and "1 家被许可人" in html
