"""The demo university's own work: patents graded by criteria, an approval workflow, a transfer whose notice
is running, and one awaiting its first step (the demo owner holds every role, so it can click through)."""
from __future__ import annotations

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.approvals import config, reviews
from marketplace.approvals.models import Review, ReviewStatus
from marketplace.deals.services import record_deal
from marketplace.extensions import db
from marketplace.grading.services import grade_patents
from marketplace.patents.models import Patent
from marketplace.patents.vocab import LegalStatus

# Scores (legal, technical, market) of the first granted patents: A, B, C, D by the default criteria.
DEMO_SCORES = [(90, 88, 82), (75, 70, 62), (55, 48, 41), (30, 40, 20), (85, 80, 66), (62, 71, 60)]


def seed_office_story(users: dict[str, User]) -> dict[str, int]:
    """Run after the other stories: the workflow set here gates the university's deal signatures from now on."""
    owner, buyer, other_buyer = users["univ1"], users["comp2"], users["comp3"]
    patents = list(db.session.scalars(select(Patent).where(Patent.owner_id == owner.organisation_id)
                                      .order_by(Patent.id).limit(len(DEMO_SCORES))))
    grade_patents(owner, [{"patent_id": patent.id, "legal": legal, "technical": technical, "market": market,
                           "grade": "suggested"}
                          for patent, (legal, technical, market) in zip(patents, DEMO_SCORES)],
                  note="2026 年度存量专利盘点")
    spare = list(db.session.scalars(select(Patent).where(
        Patent.owner_id == owner.organisation_id, Patent.legal_status == LegalStatus.GRANTED)
        .order_by(Patent.id.desc()).limit(2)))
    roles = [config.save_role(owner, {"name": name, "member_ids": [owner.id]})
             for name in ("发明人团队负责人", "学院", "技术转移办公室", "校领导")]
    config.save_workflow(owner, {
        "act": "deal_signing", "name": "成果转让、许可、作价投资审批", "publicity_days": 15,
        "contact_name": "技术转移办公室", "contact_phone": "0851-88886666", "contact_email": "tto@demo.local",
        "steps": [{"name": "发明人团队确认", "role_id": roles[0].id}, {"name": "学院审核", "role_id": roles[1].id},
                  {"name": "技术转移办公室审核", "role_id": roles[2].id}, {"name": "校领导审批", "role_id": roles[3].id}]})
    if len(spare) < 2:
        return {"grades": len(patents)}
    publicised = record_deal(owner, {"mode": "transfer", "seller_id": owner.organisation_id,
                                     "buyer_id": buyer.organisation_id, "patent_ids": [spare[0].id],
                                     "amount": "650000.00", "title": "智能装备专利转让（公示中）"})
    review = _review_of(owner, publicised.id)
    for _step in review.steps:
        reviews.decide_step(owner, review.id, True, "同意")
    record_deal(owner, {"mode": "license", "seller_id": owner.organisation_id, "buyer_id": other_buyer.organisation_id,
                        "patent_ids": [spare[1].id], "amount": "120000.00", "license_kind": "ordinary",
                        "title": "专利普通许可（待审批）"})
    return {"grades": len(patents), "reviews": 2,
            "notices": int(review.status == ReviewStatus.APPROVED and review.notice is not None)}


def _review_of(owner: User, deal_id: int) -> Review:
    review = db.session.scalar(select(Review).where(Review.organisation_id == owner.organisation_id,
                                                    Review.subject_type == "deal", Review.subject_id == deal_id))
    assert review is not None, "the workflow opens a review when the university is asked to sign"
    return review
