"""The demo world of ``make run``: the demo company hears of a fitting patent the demo university publishes."""
from __future__ import annotations

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.core import transaction
from marketplace.extensions import db
from marketplace.patents import services as patents
from marketplace.push import feedback, services
from marketplace.push.models import NotificationKind
from tests import factories


def test_demo_company_gets_a_push_with_reasons_and_the_university_hears_its_interest(ctx, demo_world):
    company = db.session.scalar(select(User).where(User.email == "company@demo.local"))
    university = db.session.scalar(select(User).where(User.email == "university@demo.local"))
    assert [s.segments for s in services.list_subscriptions(company)] == [["TM-F1"]]
    seeded = services.list_notifications(company, per_page=100)[0]
    # the seeded stock is not pushed one by one: it arrives once, as the subscription's welcome digest
    assert [n for n in seeded if n.kind.value == "match_pushed"] == []
    [welcome] = [n for n in seeded if n.kind.value == "digest"]
    assert welcome.data["total"] >= 1
    assert "consent_requested" in {n.kind.value for n in seeded}  # the transfer awaiting its consent
    # the demo company's seeded needs are real ones (battery welding, power-battery reserves …) that no demo
    # patent solves; it posts one the university's next patent does (the calibrated push needs a fitting pair)
    factories.make_need(factories.UserRef(company.id, company.email, company.organisation_id), title="插秧机锂离子电池动力装置", segments=["TM-F1"],
                        description="用锂离子电池新能源替代柴油机，为插秧机提供动力装置。", modes=["license"])
    record = dict(factories.load_fixture("battery_patents.jsonl")[2], app_no="202310104843.5")  # a new number
    values = patents.validate_patent_values({**factories.patent_values(record), "segments": ["TM-F1"], "grade": "A",
                                             "legal_status": "granted"}, university.organisation)
    patent, _created = patents.save_patent(university.organisation, values, actor=university)
    patents.set_published(university, [patent.id], True)
    transaction.commit()
    # one push per fitting need of the company
    pushes = [n for n in services.list_notifications(company)[0] if n.kind == NotificationKind.MATCH_PUSHED]
    assert pushes
    push = pushes[-1]
    assert push.title == "新专利匹配您的需求：锂离子电池新能源应用在插秧机上的动力装置"
    assert "产业领域一致" in push.body and "锂离子电池" in push.body
    feedback.give_feedback(company, push.match_id, {"status": "interested"})
    transaction.commit()
    assert [n.kind.value for n in services.list_notifications(university, per_page=100)[0]
            if n.kind.value in ("interest", "match_pushed")] == ["interest"]
