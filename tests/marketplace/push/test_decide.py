"""The push decision, run inline after each commit: who gets a push, who a digest entry, who nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.core import transaction
from marketplace.extensions import db
from marketplace.patents import services as patents
from marketplace.push import decide, feedback
from marketplace.push.models import DigestEntry, Notification, NotificationKind, Subscription
from marketplace.search.models import Match, MatchStatus
from matching.documents import NeedDoc, PatentDoc
from tests import factories


def pushes(organisation_id: int) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(
        Notification.organisation_id == organisation_id, Notification.kind == NotificationKind.MATCH_PUSHED)
        .order_by(Notification.id)))


def digest_entries(organisation_id: int) -> list[DigestEntry]:
    return list(db.session.scalars(select(DigestEntry).where(DigestEntry.organisation_id == organisation_id)))


def test_publication_pushes_the_fitting_need_with_its_reasons(ctx, company, planter_need, subscribe, publish):
    subscribe(company)
    patent = publish(2)
    [notification] = pushes(company.organisation_id)
    match = db.session.get(Match, notification.match_id)
    assert (match.need_id, match.patent_id) == (planter_need, patent.id)
    assert match.status == MatchStatus.PUSHED and match.pushed_at is not None
    assert "TM-F1" in notification.data["explanation"]["shared_segments"]
    assert notification.data["score"] >= decide.DEFAULT_MIN_SCORE
    assert "锂离子电池" in notification.body and "产业领域一致" in notification.body
    assert digest_entries(company.organisation_id) == []


def test_below_the_threshold_goes_to_the_digest_instead(ctx, app, company, planter_need, subscribe, publish,
                                                        monkeypatch):
    monkeypatch.setitem(app.config, "PUSH_MIN_SCORE", 101.0)
    subscribe(company)
    patent = publish(2)
    assert pushes(company.organisation_id) == []
    [entry] = digest_entries(company.organisation_id)
    assert (entry.entity_type, entry.entity_id) == ("patent", patent.id)


def test_unsubscribed_other_segment_and_own_patents_get_nothing(ctx, company, university, planter_need, subscribe,
                                                                 publish):
    subscribe(company, segments=["TM-E1"])  # drones: not where the patent is listed
    subscribe(university, segments=["TM-F1"])  # a university's subscription is to needs, not patents
    publish(2)
    # (the university's welcome digest names the need it could already see: that is not about the patent)
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.dedupe_key.not_like("backlog:%"))) == 0
    assert db.session.scalar(select(func.count(DigestEntry.id))) == 0


def test_parent_segment_subscription_covers_its_sub_segments(ctx, company, planter_need, subscribe, publish):
    subscribe(company, segments=["TM-F"])  # 能源与节能, parent of TM-F1
    publish(2)
    assert len(pushes(company.organisation_id)) == 1


def test_subscription_made_after_publication_does_not_push_old_stock(ctx, company, planter_need, subscribe, publish):
    publish(2)
    subscribe(company)
    publish(4)  # a second patent published after the subscription
    titles = [n.title for n in pushes(company.organisation_id)]
    assert titles == ["新专利匹配您的需求：锂离子电池新能源应用在抛秧机上的动力装置"]


@pytest.mark.parametrize("filters, passes", [
    ({}, True),
    ({"min_grade": "A"}, False), ({"min_grade": "B"}, True), ({"min_grade": "C"}, True),
    ({"open_license_only": True}, False),
    ({"modes": ["transfer"]}, False), ({"modes": ["license", "equity"]}, True),
    ({"keywords": ["插秧机"]}, True), ({"keywords": ["无人机"]}, False),
])
def test_subscription_filters_on_a_patent(filters, passes):
    patent = PatentDoc(id=1, application_number="200810196662.5", title="锂离子电池新能源应用在插秧机上的动力装置",
                       grade="B", modes=["license"])
    subscription = Subscription(min_grade=filters.get("min_grade"), open_license_only=filters.get("open_license_only", False),
                                modes=filters.get("modes", []), keywords=filters.get("keywords", []))
    assert decide.patent_passes(subscription, patent) is passes


def test_grade_filter_refuses_ungraded_and_custom_grades():
    assert decide.grade_at_least("A", "B") and not decide.grade_at_least("C", "B")
    assert not decide.grade_at_least(None, "D") and not decide.grade_at_least("优", "D")
    assert decide.grade_at_least(None, None)


def test_need_filters_for_universities():
    need = NeedDoc(id=1, org_id=1, org_name="", title="插秧机锂离子电池动力装置", modes=["license"])
    assert decide.need_passes(Subscription(modes=["license"], keywords=[]), need)
    assert not decide.need_passes(Subscription(modes=["equity"], keywords=[]), need)
    assert not decide.need_passes(Subscription(modes=[], keywords=["涂料"]), need)


def test_a_filtered_out_patent_is_neither_pushed_nor_digested(ctx, company, planter_need, subscribe, publish):
    subscribe(company, min_grade="A")
    publish(2, grade="B")
    assert pushes(company.organisation_id) == [] and digest_entries(company.organisation_id) == []


def test_daily_cap_holds_further_pushes_for_the_digest(ctx, app, company, planter_need, subscribe, publish,
                                                       monkeypatch):
    monkeypatch.setitem(app.config, "PUSH_DAILY_CAP", 1)
    subscribe(company)
    publish(2)
    second = publish(4)
    assert len(pushes(company.organisation_id)) == 1
    [entry] = digest_entries(company.organisation_id)
    assert entry.entity_id == second.id
    held = db.session.scalar(select(Match).where(Match.patent_id == second.id, Match.need_id == planter_need))
    assert held is None or held.status == MatchStatus.SUGGESTED  # not pushed, so it may be pushed another day


def test_the_same_pair_is_never_pushed_twice(ctx, company, university, planter_need, subscribe, publish):
    subscribe(company)
    patent = publish(2)
    assert decide.push_patent(patent.id).pushed == []  # a retried job
    patents.set_published(university.load(), [patent.id], False)
    transaction.commit()
    patents.set_published(university.load(), [patent.id], True)  # published again: a new publication
    transaction.commit()
    assert len(pushes(company.organisation_id)) == 1


def test_a_dismissed_pair_is_never_pushed_again(ctx, company, university, planter_need, subscribe, publish):
    subscribe(company)
    patent = publish(2)
    [notification] = pushes(company.organisation_id)
    feedback.give_feedback(company.load(), notification.match_id, {"status": "not_relevant", "reason": "too_early"})
    transaction.commit()
    db.session.delete(notification)  # even without the old inbox entry the pair stays dismissed
    transaction.commit()
    patents.set_published(university.load(), [patent.id], False)
    transaction.commit()
    patents.set_published(university.load(), [patent.id], True)
    transaction.commit()
    assert pushes(company.organisation_id) == []
    assert db.session.get(Match, notification.match_id).status == MatchStatus.DISMISSED


def test_a_posted_need_is_pushed_to_subscribed_universities_with_a_fitting_patent(
        ctx, company, university, other_university, subscribe, publish):
    patent = publish(2)
    subscribe(university)
    subscribe(other_university)  # subscribed, but owns no fitting patent: digest
    need_id = factories.make_need(company, **{"title": "插秧机锂离子电池动力装置", "segments": ["TM-F1"],
                                              "description": "用锂离子电池新能源替代柴油机，为插秧机提供动力装置。"})
    [notification] = pushes(university.organisation_id)
    match = db.session.get(Match, notification.match_id)
    assert (match.need_id, match.patent_id, match.status) == (need_id, patent.id, MatchStatus.PUSHED)
    assert notification.data["direction"] == "need"
    assert [e.entity_id for e in digest_entries(other_university.organisation_id)] == [need_id]


def test_private_needs_are_never_pushed_to_universities(ctx, company, university, subscribe, publish):
    publish(2)
    subscribe(university)
    factories.make_need(company, public=False, title="插秧机锂离子电池动力装置", segments=["TM-F1"])
    assert pushes(university.organisation_id) == [] and digest_entries(university.organisation_id) == []


def test_pushes_reach_a_private_need_of_the_subscribed_company(ctx, company, subscribe, publish):
    factories.make_need(company, public=False, title="插秧机锂离子电池动力装置", segments=["TM-F1"],
                        description="用锂离子电池替代柴油机为插秧机提供动力")
    subscribe(company)
    publish(2)
    assert len(pushes(company.organisation_id)) == 1
