"""Internal approval and publicity: workflow steps by role, the notice period, objections, the consent gate,
and who sees and does what."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import select

from marketplace.approvals import config, publicity, reviews
from marketplace.approvals.models import ObjectionStatus, Review, ReviewStatus, StepDecision
from marketplace.consents import services as consents
from marketplace.consents.models import Consent, Decision
from marketplace.core import transaction
from marketplace.core.audit import AuditEntry
from marketplace.core.dates import local_today
from marketplace.core.errors import Conflict, Forbidden, NotFound
from marketplace.deals import services as deals
from marketplace.deals.models import DealStatus
from marketplace.extensions import db
from tests import factories


@pytest.fixture
def office(ctx, university):
    """The university's roles (college, tech-transfer office, leadership) and its deal-signing workflow."""
    college, tto, leader = (factories.add_member(university) for _ in range(3))
    owner = university.load()
    roles = [config.save_role(owner, {"name": name, "member_ids": [member.id]})
             for name, member in (("学院", college), ("技术转移办公室", tto), ("校领导", leader))]
    config.save_workflow(owner, {
        "act": "deal_signing", "publicity_days": 15, "contact_phone": "0851-12345678",
        "steps": [{"name": "学院审核", "role_id": roles[0].id}, {"name": "技转办审核", "role_id": roles[1].id},
                  {"name": "校领导审批", "role_id": roles[2].id}]})
    transaction.commit()
    return {"college": college, "tto": tto, "leader": leader}


@pytest.fixture
def deal(office, university, company, agency):
    patent = factories.make_granted_patent(university)
    recorded = deals.record_deal(agency.load(), {
        "mode": "transfer", "seller_id": university.organisation_id, "buyer_id": company.organisation_id,
        "patent_ids": [patent.id], "amount": "800000.00", "title": "无人机专利转让"})
    transaction.commit()
    return recorded


def _consent(deal, organisation_id) -> Consent:
    return next(c for c in deal.proposals[0].consents if c.organisation_id == organisation_id)


def _review(university) -> Review:
    return db.session.scalar(select(Review).where(Review.organisation_id == university.organisation_id))


def _approve_all_steps(review, office):
    for who in ("college", "tto", "leader"):
        reviews.decide_step(office[who].load(), review.id, True, "同意")


def test_a_consent_request_opens_the_review_and_holds_the_consent_back(deal, university, office):
    review = _review(university)
    assert review.status == ReviewStatus.IN_PROGRESS and [s.name for s in review.steps] == [
        "学院审核", "技转办审核", "校领导审批"]
    assert review.price is not None and review.needs_publicity
    with pytest.raises(Conflict) as refused:
        consents.decide(university.load(), _consent(deal, university.organisation_id).id, True)
    assert "学院审核" in refused.value.message


def test_an_approver_acts_only_on_the_step_assigned_to_its_role(deal, university, office):
    review = _review(university)
    with pytest.raises(Forbidden):  # the leadership cannot skip ahead
        reviews.decide_step(office["leader"].load(), review.id, True)
    with pytest.raises(Forbidden):  # the institution's owner is no approver of this step either
        reviews.decide_step(university.load(), review.id, True)
    reviews.decide_step(office["college"].load(), review.id, True, "材料齐全")
    step = review.steps[0]
    assert (step.decision, step.decided_by_id, step.comment) == (StepDecision.APPROVED, office["college"].id,
                                                                 "材料齐全")
    assert step.decided_at is not None
    with pytest.raises(Forbidden):
        reviews.decide_step(office["college"].load(), review.id, True)  # its step is done


def test_a_refusal_needs_a_reason_and_ends_the_review(deal, university, office):
    review = _review(university)
    from marketplace.core.errors import ValidationFailed
    with pytest.raises(ValidationFailed):
        reviews.decide_step(office["college"].load(), review.id, False, "")
    reviews.decide_step(office["college"].load(), review.id, False, "价格偏低")
    assert review.status == ReviewStatus.REJECTED
    ok, why = reviews.state(review)
    assert not ok
    restarted = reviews.start_review(university.load(), _consent(deal, university.organisation_id).id)
    assert restarted.id != review.id and review.status == ReviewStatus.SUPERSEDED
    assert restarted.current_step.name == "学院审核"


def test_the_notice_runs_fifteen_days_before_the_act_can_be_confirmed(deal, university, company, office):
    review = _review(university)
    _approve_all_steps(review, office)
    notice = review.notice
    assert review.status == ReviewStatus.APPROVED and notice is not None
    assert notice.days == 15 and notice.ends_on == notice.starts_on + timedelta(days=15)
    assert "800,000.00" in notice.price_note or notice.price == deal.amount
    assert notice in publicity.public_notices()[0]
    consent = _consent(deal, university.organisation_id)
    with pytest.raises(Conflict):
        consents.decide(university.load(), consent.id, True)
    assert not reviews.state(review, local_today() + timedelta(days=14))[0]
    assert reviews.state(review, local_today() + timedelta(days=15))[0]


def test_objections_block_until_resolved_then_the_deal_is_signed(deal, university, company, office):
    review = _review(university)
    _approve_all_steps(review, office)
    notice = review.notice
    objection = publicity.file_objection(company.load(), notice.id, {"text": "价格明显低于评估值", "contact": "x"})
    publicity.shorten(university.load(), notice.id, 0)  # demo: the period ends today
    consent = _consent(deal, university.organisation_id)
    with pytest.raises(Conflict) as refused:
        consents.decide(university.load(), consent.id, True)
    assert "异议" in refused.value.message
    with pytest.raises(Forbidden):  # no objection role set: the owners and admins resolve
        publicity.resolve_objection(office["college"].load(), objection.id, False, "不成立")
    publicity.resolve_objection(university.load(), objection.id, False, "价格经第三方评估")
    assert objection.status == ObjectionStatus.DISMISSED
    consents.decide(university.load(), consent.id, True)
    factories.approve("deal", deal.id, company)
    assert deal.status == DealStatus.SIGNED


def test_an_upheld_objection_stops_the_act(deal, university, company, office):
    review = _review(university)
    _approve_all_steps(review, office)
    objection = publicity.file_objection(company.load(), review.notice.id, {"text": "成果权属有争议"})
    publicity.resolve_objection(university.load(), objection.id, True, "权属待核实")
    assert review.status == ReviewStatus.OBJECTION_UPHELD
    with pytest.raises(Conflict):
        consents.decide(university.load(), _consent(deal, university.organisation_id).id, True)
    consents.decide(university.load(), _consent(deal, university.organisation_id).id, False, "异议成立")


def test_refusing_is_never_held_back_and_other_parties_are_not_gated(deal, university, company, office):
    consents.decide(company.load(), _consent(deal, company.organisation_id).id, True)  # no workflow of its own
    assert _consent(deal, company.organisation_id).decision == Decision.APPROVED


def test_only_members_of_the_institution_see_its_reviews(deal, university, other_university, company, platform_admin,
                                                         office):
    review = _review(university)
    for outsider in (other_university, company, platform_admin):
        with pytest.raises(NotFound):
            reviews.get_review(outsider.load(), review.id)
    with pytest.raises(Forbidden):
        reviews.reviews_of(company.load())
    assert reviews.awaiting_me(office["college"].load()) == [review]
    assert reviews.awaiting_me(office["leader"].load()) == []


def test_only_managers_configure_and_demo_shortening_needs_demo_mode(ctx, app, university, office):
    member = office["college"].load()
    with pytest.raises(Forbidden):
        config.save_role(member, {"name": "x"})
    with pytest.raises(Forbidden):
        config.save_workflow(member, {"act": "deal_signing", "steps": []})
    settings = app.config["SETTINGS"]
    app.config["SETTINGS"] = settings.replace(demo_mode=False)
    try:
        from marketplace.core.errors import ValidationFailed
        with pytest.raises(ValidationFailed):  # the law's 15 days outside demo mode
            config.save_workflow(university.load(), {"act": "deal_signing", "publicity_days": 3,
                                                     "contact_phone": "1", "steps": [{"name": "a", "user_id": member.id}]})
    finally:
        app.config["SETTINGS"] = settings


def test_every_decision_is_in_the_audit_log(deal, university, company, office):
    review = _review(university)
    _approve_all_steps(review, office)
    objection = publicity.file_objection(company.load(), review.notice.id, {"text": "异议"})
    publicity.resolve_objection(university.load(), objection.id, False, "不成立")
    actions = [entry.action for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    for action in ("approval_review.opened", "approval_step.approved", "publicity.published",
                   "publicity.objection_filed", "publicity.objection_dismissed"):
        assert action in actions
    assert actions.count("approval_step.approved") == 3


def test_an_open_license_declaration_waits_for_its_own_approval(ctx, university, office):
    owner = university.load()
    config.save_workflow(owner, {"act": "open_license_declaration", "publicity_days": 0,
                                 "steps": [{"name": "技转办审核", "user_id": office["tto"].id}]})
    transaction.commit()
    patent = factories.make_granted_patent(university)
    factories.make_open_license(university, patent)
    review = _review(university)
    own = db.session.scalar(select(Consent).where(Consent.organisation_id == university.organisation_id))
    assert review.act == "open_license_declaration" and own.decision == Decision.PENDING
    reviews.decide_step(office["tto"].load(), review.id, True)
    assert reviews.state(review)[0]
    consents.decide(owner, own.id, True)
    assert own.decision == Decision.APPROVED


def test_pages_internal_for_members_notices_public(app, client, login, university, company, office, deal):
    with app.app_context():
        review = _review(university)
        _approve_all_steps(review, office)
        transaction.commit()
        review_id, notice_id = review.id, review.notice.id
    assert client.get(f"/notices/{notice_id}").status_code == 200
    listing = client.get("/notices").get_data(as_text=True)
    assert f'data-notice="{notice_id}"' in listing
    assert client.get(f"/office/approvals/reviews/{review_id}").status_code == 302  # sign in first
    login(company)
    assert client.get(f"/office/approvals/reviews/{review_id}").status_code == 404
    assert client.get("/office/approvals").status_code == 403
    assert client.post(f"/notices/{notice_id}/objections", data={"text": "请说明定价依据"}).status_code == 302
    client.post("/logout")
    login(university)
    page = client.get(f"/office/approvals/reviews/{review_id}").get_data(as_text=True)
    assert "请说明定价依据" in page and 'data-status="approved"' in page
    assert "学院审核" in client.get("/office/approvals").get_data(as_text=True)


def test_api_review_decision_and_public_notices(app, client, token_for, university, company, office, deal):
    with app.app_context():
        review_id = _review(university).id
    college = token_for(office["college"])
    wrong = client.post(f"/api/v1/approvals/reviews/{review_id}/decision", headers=token_for(office["leader"]),
                        json={"approve": True})
    assert wrong.status_code == 403, wrong.get_json()
    g.pop("api_token_user", None)  # the fixtures' app context is shared by the requests: forget the caller
    done = client.post(f"/api/v1/approvals/reviews/{review_id}/decision", headers=college,
                       json={"approve": True, "comment": "同意"})
    assert done.status_code == 200 and done.get_json()["steps"][0]["decision"] == "approved", done.get_json()
    assert client.get("/api/v1/approvals/notices").status_code == 200
    g.pop("api_token_user", None)
    assert client.get(f"/api/v1/approvals/reviews/{review_id}", headers=token_for(company)).status_code == 404
