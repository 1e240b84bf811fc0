"""Role by role, route by route: an agency or a platform admin never completes an act for a party.

One proposal of every act waits for its parties; the agency (which prepared
most of them) and a platform admin then try every way to decide: the API and
the pages, approve and reject. Nothing they do changes a consent, and each
act still takes effect once its own parties decide.
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from marketplace.consents.models import Consent, Decision, Proposal
from marketplace.core import transaction
from marketplace.core.dates import local_today
from marketplace.deals import services as deals
from marketplace.extensions import db
from marketplace.legal.term import add_months
from marketplace.openlicense import licensing, payments
from marketplace.openlicense import services as openlicense
from marketplace.pledges import services as pledges
from tests import factories


@dataclass(frozen=True)
class Acts:
    """The subject of each pending act, keyed by act, and the patents' co-owner."""

    subjects: dict[str, tuple[str, int]]
    co_owner: factories.UserRef


@pytest.fixture
def acts(app, university, company, agency, bank) -> Acts:
    """A deal to sign, a signed deal to record, a pledge to register and one to release, a co-owned
    declaration to announce and one to withdraw, a payment to confirm — each waiting for its parties."""
    with app.app_context():
        co_owner = factories.make_user("institute", org_name="贵州某某研究院")
        p = [factories.make_granted_patent(university, co_owners=["贵州某某研究院"]) for _ in range(2)]
        p += [factories.make_granted_patent(university) for _ in range(5)]
        for patent in p[:2]:
            factories.link_co_owner(university, patent, "贵州某某研究院", co_owner)
        base = {"seller_id": university.organisation_id, "buyer_id": company.organisation_id, "amount": "100000"}
        to_sign = deals.record_deal(agency.load(), {**base, "mode": "transfer", "patent_ids": [p[2].id]})
        to_record = deals.record_deal(agency.load(), {**base, "mode": "license", "license_kind": "ordinary",
                                                      "patent_ids": [p[3].id]})
        pledge_values = {"pledgor_id": university.organisation_id, "pledgee_id": bank.organisation_id,
                         "amount": "1000000", "term_end": add_months(local_today(), 12).isoformat()}
        to_register = pledges.register_pledge(agency.load(), {**pledge_values, "patent_ids": [p[4].id],
                                                              "registration_number": "Y-ACCESS-1"})
        to_release = pledges.register_pledge(agency.load(), {**pledge_values, "patent_ids": [p[5].id],
                                                             "registration_number": "Y-ACCESS-2"})
        transaction.commit()
        factories.approve("deal", to_record.id, university, company)
        deals.update_deal(agency.load(), to_record.id, {"status": "recorded", "recordal_number": "X-ACCESS"})
        factories.approve("pledge", to_release.id, university, bank)
        pledges.release_pledge(agency.load(), to_release.id)
        to_announce = openlicense.save_declaration(university.load(), p[0].id, factories.open_license_terms(),
                                                   publish=True)
        to_withdraw = factories.make_open_license(university, p[1])
        factories.approve("open_license", to_withdraw, co_owner)
        openlicense.withdraw_declaration(university.load(), to_withdraw, "撤回")
        grant = licensing.accept_open_license(company.load(), factories.make_open_license(university, p[6]))
        to_confirm = payments.record_payment(company.load(), grant.id, {"amount": "50000.00"})
        transaction.commit()
        return Acts({"deal_signing": ("deal", to_sign.id), "deal_recordal": ("deal", to_record.id),
                     "pledge_registration": ("pledge", to_register.id),
                     "pledge_release": ("pledge", to_release.id),
                     "open_license_declaration": ("open_license", to_announce.id),
                     "open_license_withdrawal": ("open_license", to_withdraw),
                     "license_payment": ("license_payment", to_confirm.id)}, co_owner)


def pending_consents(app) -> dict[int, str]:
    with app.app_context():
        rows = db.session.execute(db.select(Consent.id, Proposal.act).join(Proposal).where(
            Consent.decision == Decision.PENDING, Proposal.status == "pending"))
        return {consent_id: act.value for consent_id, act in rows}


def test_every_act_waits_for_its_parties(app, acts):
    assert sorted(set(pending_consents(app).values())) == sorted(acts.subjects)


@pytest.mark.parametrize("intruder", ["agency", "platform_admin"])
def test_the_api_never_lets_an_agency_or_admin_decide_for_a_party(app, client, token_for, request, acts, intruder):
    headers = token_for(request.getfixturevalue(intruder))
    before = pending_consents(app)
    assert client.get("/api/v1/consents", headers=headers).json["meta"]["total"] == 0
    for consent_id in before:
        for verb in ("approve", "reject"):
            response = client.post(f"/api/v1/consents/{consent_id}/{verb}", headers=headers, json={})
            assert response.status_code == (404 if intruder == "agency" else 403), (consent_id, verb)
        assert client.get(f"/api/v1/consents/{consent_id}", headers=headers).status_code == 404
    assert pending_consents(app) == before


@pytest.mark.parametrize("intruder", ["agency", "platform_admin"])
def test_the_pages_never_let_an_agency_or_admin_decide_for_a_party(app, client, login, request, acts, intruder):
    login(request.getfixturevalue(intruder))
    before = pending_consents(app)
    for consent_id in before:
        for verb in ("approve", "reject"):
            response = client.post(f"/consents/{consent_id}/{verb}", data={"comment": "代为确认"})
            assert response.status_code == (404 if intruder == "agency" else 403), (consent_id, verb)
    assert pending_consents(app) == before


def test_a_platform_admin_who_is_also_a_member_never_decides_for_the_organisation(app, client, token_for, university,
                                                                                  acts):
    with app.app_context():
        member = factories.add_member(university, email="operator@platform.test")
        member.load().is_platform_admin = True
        transaction.commit()
    headers = token_for(member)
    mine = [c for c in client.get("/api/v1/consents", headers=headers).json["items"]]
    assert mine, "the university has acts waiting"
    for item in mine:
        assert client.post(f"/api/v1/consents/{item['id']}/approve", headers=headers, json={}).status_code == 403


def test_the_agency_cannot_push_a_deal_through_by_its_status(app, client, token_for, agency, acts):
    headers = token_for(agency)
    _subject, deal_id = acts.subjects["deal_signing"]
    for status in ("signed", "recorded", "completed"):
        assert client.patch(f"/api/v1/deals/{deal_id}", headers=headers,
                            json={"status": status, "recordal_number": "ZR1"}).status_code == 409
    _subject, recorded_id = acts.subjects["deal_recordal"]
    assert client.get(f"/api/v1/deals/{recorded_id}", headers=headers).json["status"] == "signed"


def test_each_act_takes_effect_once_its_own_parties_decide(app, university, company, bank, acts):
    with app.app_context():
        for subject_type, subject_id in acts.subjects.values():
            factories.approve(subject_type, subject_id, university, company, bank, acts.co_owner)
    assert pending_consents(app) == {}
    with app.app_context():
        assert {p.status.value for p in db.session.scalars(db.select(Proposal))} <= {"effective", "lapsed"}
