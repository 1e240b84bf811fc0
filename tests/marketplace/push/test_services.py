"""Subscriptions, inbox, feedback, threads, digests and e-mail, through the services."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from marketplace.core.dates import local_today
from marketplace.core import transaction
from marketplace.core.errors import Forbidden, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.push import feedback, jobs, notify, services
from marketplace.push.messages import message
from marketplace.push.models import (
    DigestEntry, MatchFeedback, Message, MessageThread, Notification, NotificationKind, Subscription,
    SubscriptionTarget,
)
from marketplace.search.models import Match, MatchStatus
from tests import factories

NEED = "需求：%(need)s"  # a notification message of the catalog


@pytest.fixture
def pushed(ctx, company, planter_need, subscribe, publish):
    """A match pushed to the company: (match id, patent ref)."""
    subscribe(company)
    patent = publish(2)
    match_id = db.session.scalar(select(Match.id).where(Match.patent_id == patent.id, Match.need_id == planter_need))
    assert db.session.get(Match, match_id).status == MatchStatus.PUSHED
    return match_id, patent


def inbox_kinds(organisation_id: int) -> list[str]:
    return [n.kind.value for n in db.session.scalars(select(Notification).where(
        Notification.organisation_id == organisation_id).order_by(Notification.id))]


# --- subscriptions ----------------------------------------------------------------------------------

def test_subscribe_normalises_and_targets_by_organisation_kind(ctx, company, university):
    subscription = services.subscribe(company.load(), {"segments": "新能源, TM-F1", "keywords": "锂电池，插秧机",
                                                       "min_grade": "b", "modes": ["许可", "open_license"],
                                                       "open_license_only": "on"})
    assert subscription.segments == ["SEI-06", "TM-F1"] and subscription.target == SubscriptionTarget.PATENTS
    assert (subscription.keywords, subscription.min_grade, subscription.modes, subscription.open_license_only) == (
        ["锂电池", "插秧机"], "B", ["license", "open_license"], True)
    assert services.subscribe(university.load(), {"segments": ["TM-F1"]}).target == SubscriptionTarget.NEEDS


@pytest.mark.parametrize("raw, field", [
    ({"segments": ["TM-NOPE"]}, "segments"), ({"segments": []}, "segments"),
    ({"segments": ["TM-F1"], "min_grade": "E"}, "min_grade"), ({"segments": ["TM-F1"], "modes": ["lease"]}, "modes"),
    ({"segments": ["TM-F1"], "keywords": ["锂" * 41]}, "keywords"),
])
def test_bad_subscriptions_name_the_field_and_change_nothing(ctx, company, raw, field):
    with pytest.raises(ValidationFailed) as caught:
        services.subscribe(company.load(), raw)
    assert field in caught.value.fields
    assert db.session.scalar(select(func.count(Subscription.id))) == 0


def test_agencies_cannot_subscribe_and_nobody_deletes_anothers(ctx, agency, company, university):
    with pytest.raises(Forbidden):
        services.subscribe(agency.load(), {"segments": ["TM-F1"]})
    subscription = services.subscribe(company.load(), {"segments": ["TM-F1"]})
    transaction.commit()
    with pytest.raises(NotFound):
        services.delete_subscription(university.load(), subscription.id)
    services.delete_subscription(company.load(), subscription.id)
    assert services.list_subscriptions(company.load()) == []


# --- inbox --------------------------------------------------------------------------------------------

def test_inbox_is_per_organisation_and_marks_read(ctx, pushed, company, other_university):
    user = company.load()
    items, total = services.list_notifications(user)
    assert total == 1 and services.unread_count(user) == 1
    assert services.list_notifications(other_university.load()) == ([], 0)
    with pytest.raises(NotFound):
        services.mark_read(other_university.load(), items[0].id)
    services.mark_read(user, items[0].id)
    assert services.unread_count(user) == 0
    assert services.list_notifications(user, unread_only=True) == ([], 0)


def test_mark_all_read(ctx, company):
    for n in range(3):
        notify.notify(company.organisation_id, NotificationKind.MESSAGE, f"test:{n}", message(NEED, need=str(n)))
    assert services.mark_all_read(company.load()) == 3
    assert services.unread_count(company.load()) == 0


def test_notify_is_idempotent(ctx, company):
    assert notify.notify(company.organisation_id, NotificationKind.MESSAGE, "same", message(NEED, need="一")) is not None
    assert notify.notify(company.organisation_id, NotificationKind.MESSAGE, "same", message(NEED, need="二")) is None
    assert services.list_notifications(company.load())[1] == 1


# --- feedback and threads ---------------------------------------------------------------------------

def test_interest_opens_a_thread_and_tells_the_owner(ctx, pushed, company, university):
    match_id, patent = pushed
    feedback.give_feedback(company.load(), match_id, {"status": "interested", "comment": "希望了解许可费用"})
    transaction.commit()
    assert db.session.get(Match, match_id).status == MatchStatus.INTERESTED
    assert db.session.scalar(select(MessageThread.match_id)) == match_id
    [notice] = [n for n in services.list_notifications(university.load())[0] if n.kind == NotificationKind.INTEREST]
    assert notice.match_id == match_id and "希望了解许可费用" in notice.body
    match, side = feedback.get_match(university.load(), match_id)
    assert side == feedback.Side.OWNER


def test_not_relevant_needs_a_reason_from_the_list(ctx, pushed, company):
    match_id, _patent = pushed
    for raw, field in (({"status": "not_relevant"}, "reason"), ({"status": "not_relevant", "reason": "boring"}, "reason"),
                       ({"status": "maybe"}, "status"), ({"status": "contacted", "comment": "x" * 1001}, "comment")):
        with pytest.raises(ValidationFailed) as caught:
            feedback.give_feedback(company.load(), match_id, raw)
        assert field in caught.value.fields
        transaction.rollback()
    assert db.session.get(Match, match_id).status == MatchStatus.PUSHED
    assert db.session.scalar(select(func.count(MatchFeedback.id))) == 0
    feedback.give_feedback(company.load(), match_id, {"status": "not_relevant", "reason": "commercial_route_unclear"})
    transaction.commit()
    row = db.session.scalar(select(MatchFeedback))
    assert (row.match_id, row.status, row.reason.value) == (match_id, MatchStatus.DISMISSED, "commercial_route_unclear")


def test_only_the_needs_company_gives_feedback(ctx, pushed, university, other_university):
    match_id, _patent = pushed
    with pytest.raises(NotFound):
        feedback.give_feedback(other_university.load(), match_id, {"status": "interested"})
    with pytest.raises(Forbidden):  # the owner sees the (public) need's match but does not answer for the company
        feedback.give_feedback(university.load(), match_id, {"status": "interested"})


def test_messages_between_the_two_parties_only(ctx, pushed, company, university, other_university):
    match_id, _patent = pushed
    feedback.post_message(company.load(), match_id, "您好，我们想试用该技术。")
    transaction.commit()
    feedback.post_message(university.load(), match_id, "欢迎，可先签普通许可。")
    transaction.commit()
    _match, messages = feedback.list_messages(company.load(), match_id)
    assert [m.body for m in messages] == ["您好，我们想试用该技术。", "欢迎，可先签普通许可。"]
    assert "message" in inbox_kinds(university.organisation_id) and "message" in inbox_kinds(company.organisation_id)
    with pytest.raises(NotFound):
        feedback.list_messages(other_university.load(), match_id)
    with pytest.raises(NotFound):
        feedback.post_message(other_university.load(), match_id, "插话")


def test_overlong_or_empty_messages_change_nothing(ctx, pushed, company):
    match_id, _patent = pushed
    for body in ("锂" * 5001, "   "):
        with pytest.raises(ValidationFailed) as caught:
            feedback.post_message(company.load(), match_id, body)
        assert "body" in caught.value.fields
        transaction.rollback()
    assert db.session.scalar(select(func.count(Message.id))) == 0
    assert db.session.scalar(select(func.count(MessageThread.id))) == 0
    feedback.post_message(company.load(), match_id, "锂" * 5000)


def test_owner_sees_a_private_need_only_once_the_company_speaks(ctx, company, university, subscribe, publish):
    need_id = factories.make_need(company, public=False, title="插秧机锂离子电池动力装置", segments=["TM-F1"],
                                  description="用锂离子电池替代柴油机为插秧机提供动力")
    subscribe(company)
    patent = publish(2)
    match_id = db.session.scalar(select(Match.id).where(Match.need_id == need_id, Match.patent_id == patent.id))
    with pytest.raises(NotFound):
        feedback.get_match(university.load(), match_id)
    feedback.give_feedback(company.load(), match_id, {"status": "interested"})
    transaction.commit()
    assert feedback.get_match(university.load(), match_id)[1] == feedback.Side.OWNER


def test_a_pushed_match_seen_by_the_company_is_viewed(ctx, pushed, company, university):
    match_id, _patent = pushed
    feedback.get_match(company.load(), match_id)
    assert db.session.get(Match, match_id).status == MatchStatus.PUSHED  # reading changes nothing
    feedback.mark_viewed(university.load(), match_id)
    assert db.session.get(Match, match_id).status == MatchStatus.PUSHED  # the owner's view is not the funnel's
    assert feedback.mark_viewed(company.load(), match_id).status == MatchStatus.VIEWED
    feedback.give_feedback(company.load(), match_id, {"status": "interested"})
    assert feedback.mark_viewed(company.load(), match_id).status == MatchStatus.INTERESTED  # never goes back


def test_owner_rolls_up_feedback_per_patent(ctx, pushed, company, university, other_university):
    match_id, patent = pushed
    feedback.give_feedback(company.load(), match_id, {"status": "not_relevant", "reason": "price"})
    transaction.commit()
    summary = feedback.patent_feedback(university.load(), patent.id)
    assert (summary.pushed, summary.statuses, summary.reasons) == (1, {"dismissed": 1}, {"price": 1})
    assert summary.to_dict()["reason_labels"] == {"price": "价格"}
    assert [s.patent_id for s in feedback.owner_feedback(university.load())] == [patent.id]
    with pytest.raises(NotFound):
        feedback.patent_feedback(other_university.load(), patent.id)


# --- e-mail and digests -------------------------------------------------------------------------------

def test_immediate_email_follows_the_push(ctx, company, planter_need, subscribe, publish, caplog):
    services.set_email_mode(company.load(), "immediate")
    transaction.commit()
    subscribe(company)
    with caplog.at_level(logging.INFO, logger="marketplace.core.mail"):
        publish(2)
    mails = [r.getMessage() for r in caplog.records if "MAIL" in r.getMessage()]
    assert len(mails) == 1 and company.email in mails[0] and "新专利匹配您的需求" in mails[0]


def test_daily_digest_rolls_up_entries_and_mails_once_a_day(ctx, app, company, planter_need, subscribe, publish,
                                                            monkeypatch, caplog):
    monkeypatch.setitem(app.config, "PUSH_MIN_SCORE", 101.0)  # nothing fits: both publications go to the digest
    subscribe(company)
    publish(2)
    publish(4)
    morning = datetime(2025, 3, 3, 1, 30)  # 09:30 in China
    assert notify.roll_up_digests(morning) == 1
    assert notify.roll_up_digests(morning) == 0  # idempotent within the day
    [digest] = [n for n in services.list_notifications(company.load())[0] if n.kind == NotificationKind.DIGEST]
    assert "新专利 2 件" in digest.title and len(digest.data["entries"]) == 2
    assert db.session.scalar(select(func.count(DigestEntry.id)).where(DigestEntry.sent_at.is_(None))) == 0
    assert notify.send_email_digests(morning - timedelta(hours=2)) == 0  # 07:30 in China: too early
    with caplog.at_level(logging.INFO, logger="marketplace.core.mail"):
        assert notify.send_email_digests(morning) == 1
        transaction.commit()
        assert notify.send_email_digests(morning) == 0
    assert sum("每日摘要" in r.getMessage() for r in caplog.records) == 1


def test_users_who_chose_no_email_get_none(ctx, company, planter_need, subscribe, publish):
    services.set_email_mode(company.load(), "off")
    subscribe(company)
    publish(2)
    assert notify.send_email_digests(datetime(2025, 3, 3, 1, 30)) == 0
    with pytest.raises(ValidationFailed):
        services.set_email_mode(company.load(), "weekly")


def test_expiring_needs_are_reminded_once(ctx, company):
    need_id = factories.make_need(company, title="LED升压恒流驱动的电路", valid_until=(local_today() + timedelta(days=3)).isoformat())
    factories.make_need(company, title="LED手电筒红外开关改进", valid_until=(local_today() + timedelta(days=30)).isoformat())
    assert jobs.remind_expiring_needs() == 1
    assert jobs.remind_expiring_needs() == 0
    [notice] = services.list_notifications(company.load())[0]
    assert notice.data == {"need_id": need_id}
