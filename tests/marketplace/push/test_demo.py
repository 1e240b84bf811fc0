"""The demo world of ``make run``: the demo company hears of a fitting patent the demo university publishes."""
from __future__ import annotations

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.core import transaction
from marketplace.demo import seed
from marketplace.extensions import db
from marketplace.patents import services as patents
from marketplace.push import feedback, services
from marketplace.push.models import NotificationKind
from tests import factories


def test_demo_company_gets_a_push_with_reasons_and_the_university_hears_its_interest(ctx):
    seed()
    transaction.commit()
    company = db.session.scalar(select(User).where(User.email == "company@demo.local"))
    university = db.session.scalar(select(User).where(User.email == "university@demo.local"))
    assert [s.segments for s in services.list_subscriptions(company)] == [["TM-F1"]]
    assert services.unread_count(company) == 0  # the seeded stock is not pushed
    record = dict(factories.load_fixture("battery_patents.jsonl")[2], app_no="202310104843.5")  # a new number
    values = patents.validate_patent_values({**factories.patent_values(record), "segments": ["TM-F1"], "grade": "A",
                                             "legal_status": "granted"}, university.organisation)
    patent, _created = patents.save_patent(university.organisation, values, actor=university)
    patents.set_published(university, [patent.id], True)
    transaction.commit()
    # The demo company also has (read) inbox entries of the agency it accepted: only the push matters here.
    [push] = [n for n in services.list_notifications(company)[0] if n.kind == NotificationKind.MATCH_PUSHED]
    assert push.title == "新专利匹配您的需求：锂离子电池新能源应用在插秧机上的动力装置"
    assert "产业领域一致" in push.body and "锂离子电池" in push.body
    feedback.give_feedback(company, push.match_id, {"status": "interested"})
    transaction.commit()
    assert [n.kind.value for n in services.list_notifications(university)[0]
            if n.kind != NotificationKind.AGENCY] == ["interest"]
