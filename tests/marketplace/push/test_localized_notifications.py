"""Every notification and e-mail in its reader's language (issue 13 item 1).

An inbox entry is written once — by a job, or by another organisation's act —
and read later by members who may read English or Chinese. Each case below
triggers the real service as it runs in production, with the receiving
organisation's owner reading English and a second member reading Chinese,
both asking for e-mail at once; then the English inbox page, the API and the
English member's mail carry no Chinese outside user data, while the Chinese
member sees the same entries in Chinese.
"""
from __future__ import annotations

import html
import re
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.core import transaction
from marketplace.core.dates import local_today
from marketplace.extensions import db
from marketplace.push import feedback, messages, notify
from marketplace.push.models import EmailMode, Notification, NotificationKind, NotificationPreference
from marketplace.search.models import Match
from tests import factories
from tests.marketplace.imports.conftest import export_rows, make_csv, records  # noqa: F401 (fixtures)
from tests.marketplace.royalties.conftest import backdate
from tests.marketplace.test_i18n import (
    HAN, chinese_outside_data, data_strings, english_ready, load_catalog, visible_text,  # noqa: F401 (a fixture)
)


@contextmanager
def service(app):
    """A request context for calling services, like the ones jobs and views run in (default language: Chinese)."""
    with app.test_request_context():
        yield
        db.session.rollback()


@pytest.fixture
def readers(app):
    """``readers(owner)``: the owner reads English, a new member Chinese; both want every entry mailed at once.
    Returns the Chinese-reading member."""
    def make(owner: factories.UserRef) -> factories.UserRef:
        with service(app):
            member = factories.add_member(owner, email=f"zh-{owner.organisation_id}@example.test")
            for ref, locale in ((owner, "en"), (member, "zh")):
                db.session.get(User, ref.id).locale = locale
                db.session.add(NotificationPreference(user_id=ref.id, email_mode=EmailMode.IMMEDIATE))
            transaction.commit()
        return member
    return make


def inbox_of(app, organisation_id: int) -> list[Notification]:
    with app.app_context():
        found = list(db.session.scalars(select(Notification).where(Notification.organisation_id == organisation_id)))
        db.session.expunge_all()
        return found


def assert_reads_in_its_language(app, client, token_for, mailbox, english: factories.UserRef,
                                 chinese: factories.UserRef, kinds: set[NotificationKind]) -> None:
    """The organisation's inbox, API and mail read in English for ``english`` and in Chinese for ``chinese``."""
    entries = inbox_of(app, english.organisation_id)
    assert {entry.kind for entry in entries} >= kinds
    assert all(entry.message for entry in entries)  # stored as message keys, rendered when read
    data = data_strings(app, skip=("notifications",))

    client.post("/login", data={"email": english.email, "password": factories.PASSWORD})
    leaks = {}
    for path in ["/notifications", *(f"/notifications/{entry.id}" for entry in entries)]:
        page = client.get(path)
        assert page.status_code == 200 and b'<html lang="en"' in page.data
        if found := chinese_outside_data(visible_text(page), data):
            leaks[path] = found
    assert leaks == {}

    api = client.get("/api/v1/notifications?per_page=100", headers={**token_for(english), "Accept-Language": "en"})
    texts = [f"{item['title']}\n{item['body']}" for item in api.get_json()["items"]]
    assert len(texts) == len(entries) and chinese_outside_data("\n".join(texts), data) == []

    english_mail = [f"{subject}\n{body}" for to, subject, body in mailbox if to == english.email]
    assert len(english_mail) >= len(entries)
    assert chinese_outside_data("\n".join(english_mail), data) == []
    assert all(text.startswith("[Patent Matchmaking Platform]") for text in english_mail)

    client.get("/logout")
    client.post("/login", data={"email": chinese.email, "password": factories.PASSWORD})
    page = html.unescape(client.get("/notifications").get_data(as_text=True))
    for entry in entries:  # the Chinese rendering, as stored for readers of the raw table
        assert entry.title in page and HAN.search(entry.title)
    chinese_mail = [subject for to, subject, _body in mailbox if to == chinese.email]
    assert len(chinese_mail) >= len(entries) and all(s.startswith("[专利供需对接平台]") for s in chinese_mail)
    client.get("/logout")


def test_consent_requested_and_effective(app, client, token_for, english_ready, mailbox, readers, university, bank):
    member = readers(university)
    with service(app):
        patent = factories.make_granted_patent(university)
        factories.make_pledge(university, bank, [patent])  # the bank proposes; both consent
    assert_reads_in_its_language(app, client, token_for, mailbox, university, member,
                                 {NotificationKind.CONSENT_REQUESTED, NotificationKind.ACT_EFFECTIVE})


def test_consent_rejected(app, client, token_for, english_ready, mailbox, readers, university, bank):
    from marketplace.consents import services as consents
    from marketplace.consents.models import Consent

    member = readers(bank)
    with service(app):
        patent = factories.make_granted_patent(university)
        factories.make_pledge(university, bank, [patent], registered=False)
        consent = db.session.scalars(select(Consent).where(Consent.organisation_id == university.organisation_id,
                                                           Consent.decided_at.is_(None))).one()
        consents.decide(university.load(), consent.id, approve=False, comment="质押金额不符")
        transaction.commit()
    assert_reads_in_its_language(app, client, token_for, mailbox, bank, member,
                                 {NotificationKind.ACT_REJECTED})


def test_subscription_backlog_push_interest_and_messages(app, client, token_for, english_ready, mailbox, readers,
                                                         company, university, planter_need, subscribe, publish):
    company_member, university_member = readers(company), readers(university)
    publish(4)  # listed before the subscription: the welcome digest names it
    subscribe(company)
    patent = publish(2)  # listed after it: pushed with its reasons
    with service(app):
        match = db.session.scalars(select(Match).where(Match.patent_id == patent.id)).one()
        feedback.give_feedback(company.load(), match.id, {"status": "interested", "comment": "请提供样机"})
        feedback.post_message(company.load(), match.id, "能否安排技术交流？")
        transaction.commit()
    assert_reads_in_its_language(app, client, token_for, mailbox, company, company_member,
                                 {NotificationKind.DIGEST, NotificationKind.MATCH_PUSHED})
    assert_reads_in_its_language(app, client, token_for, mailbox, university, university_member,
                                 {NotificationKind.INTEREST, NotificationKind.MESSAGE})


def test_annual_fee_reminder(app, client, token_for, english_ready, mailbox, readers, university):
    from marketplace.fees import jobs, ledger
    from marketplace.legal.term import add_months

    member = readers(university)
    with service(app):
        for due_in_days in (20, -10):  # one coming, one in its grace period
            due = local_today() + timedelta(days=due_in_days)
            filed = add_months(due, -48)
            ref = factories.make_granted_patent(university, application_date=filed.isoformat(),
                                                grant_date=(filed + timedelta(days=500)).isoformat())
            ledger.sync_patents([ref.id], min(local_today(), due - timedelta(days=1)))
        assert jobs.remind_owners(local_today()) == 1
        transaction.commit()
    assert_reads_in_its_language(app, client, token_for, mailbox, university, member,
                                 {NotificationKind.ANNUAL_FEE_DUE})


def test_royalty_report_missing_filed_and_overdue(app, client, token_for, english_ready, mailbox, readers,
                                                  university, company):
    from marketplace.openlicense import licensing
    from marketplace.royalties import jobs, services as royalties

    member = readers(university)
    with service(app):
        patent = factories.make_granted_patent(university)
        declaration_id = factories.make_open_license(
            university, patent, payment_method="royalty_sales", royalty_rate="3.50", fixed_fee=None,
            term_end=(local_today() + timedelta(days=800)).isoformat())
        grant = licensing.accept_open_license(company.load(), declaration_id)
        transaction.commit()
        grant = backdate(grant.id, 13)
        assert jobs.remind_reports(local_today()) >= 2
        royalties.file_report(company.load(), grant.id, {"base_amount": "1000"})
        assert jobs.remind_overdue(local_today() + timedelta(days=1)) == 2
        transaction.commit()
    assert_reads_in_its_language(app, client, token_for, mailbox, university, member,
                                 {NotificationKind.ROYALTY_REPORT_DUE, NotificationKind.PAYMENT_OVERDUE})


def test_import_finished(app, client, token_for, english_ready, mailbox, readers, university, export_rows, make_csv):
    from marketplace.imports import services as imports

    member = readers(university)
    path = make_csv(export_rows[:3])
    with service(app), path.open("rb") as handle:
        imports.start_import(university.load(), path.name, handle)
        transaction.commit()  # the job runs after the commit (inline in tests)
    assert_reads_in_its_language(app, client, token_for, mailbox, university, member,
                                 {NotificationKind.IMPORT_FINISHED})


def test_agency_requested_accepted_changed_and_revoked(app, client, token_for, english_ready, mailbox, readers,
                                                       agency, university):
    from marketplace.agencies import services as agencies

    university_member, agency_member = readers(university), readers(agency)
    with service(app):
        relationship_id = factories.authorise_agency(agency, university, ("open_licenses",))
        agencies.change_permissions(university.load(), relationship_id, {"permissions": ["open_licenses", "funnel"]})
        agencies.revoke_relationship(university.load(), relationship_id, {"reason": "合作结束"})
        transaction.commit()
    assert_reads_in_its_language(app, client, token_for, mailbox, university, university_member,
                                 {NotificationKind.AGENCY})
    assert_reads_in_its_language(app, client, token_for, mailbox, agency, agency_member, {NotificationKind.AGENCY})


def test_expiring_need(app, client, token_for, english_ready, mailbox, readers, company):
    from marketplace.push import jobs

    member = readers(company)
    with service(app):
        factories.make_need(company, segments=["TM-F1"], valid_until=(local_today() + timedelta(days=3)).isoformat())
        assert jobs.remind_expiring_needs(local_today()) == 1
    assert_reads_in_its_language(app, client, token_for, mailbox, company, member, {NotificationKind.NEED_EXPIRING})


def test_daily_digests_inbox_and_mail_in_each_readers_language(app, english_ready, mailbox, company, university,
                                                               subscribe, publish, monkeypatch):
    monkeypatch.setitem(app.config, "PUSH_MIN_SCORE", 101.0)  # nothing is pushed: publications go to the digest
    with service(app):
        member = factories.add_member(company, email="zh-digest@example.test")
        db.session.get(User, company.id).locale = "en"
        transaction.commit()
    subscribe(company)
    publish(2)
    with service(app):
        assert notify.roll_up_digests() == 1
        nine = datetime.combine(local_today(), datetime.min.time()) + timedelta(hours=1)  # 09:00 China, as UTC
        assert notify.send_email_digests(nine) == 2
        transaction.commit()
    digests = {to: (subject, body) for to, subject, body in mailbox}
    subject, body = digests[company.email]
    assert subject.startswith("[Patent Matchmaking Platform] Daily digest") and not HAN.search(subject)
    assert "Segment digest" in body and "领域订阅日报" not in body
    assert digests[member.email][0].startswith("[专利供需对接平台] 每日摘要")
    assert "领域订阅日报" in digests[member.email][1]


def test_the_contact_address_copy_is_in_the_language_most_members_read(app, mailbox, university, bank):
    with service(app):
        university.organisation().contact_email = "tto@university.test"
        for n in range(2):
            member = factories.add_member(university, email=f"en-{n}@example.test")
            db.session.get(User, member.id).locale = "en"
        transaction.commit()
        assert notify.organisation_locale(university.organisation_id) == "en"
        assert notify.organisation_locale(bank.organisation_id) == "zh"  # no one chose: Chinese
        patent = factories.make_granted_patent(university)
    with service(app):
        factories.make_pledge(university, bank, [patent], registered=False)
    [(subject, body)] = [(s, b) for to, s, b in mailbox if to == "tto@university.test"]
    assert subject.startswith("[Patent Matchmaking Platform] Awaiting your consent") and "View: " in body


def test_rows_written_before_keep_showing_their_stored_text(app, client, login, company):
    with service(app):
        db.session.add(Notification(organisation_id=company.organisation_id, kind=NotificationKind.MESSAGE,
                                    dedupe_key="legacy:1", title="旧的通知标题", body="旧的正文"))
        transaction.commit()
    login(company)
    page = client.get("/notifications").get_data(as_text=True)
    assert "旧的通知标题" in page and "旧的正文" in page


def test_enum_parameters_follow_the_reader_not_the_writer(app, english_ready):
    from flask_babel import force_locale

    from marketplace.consents.models import ConsentAct

    stored = messages.message(messages.N_("已生效：%(act)s %(summary)s"), act=ConsentAct.PLEDGE_REGISTRATION,
                              summary="Y-F-1")
    assert stored["params"]["act"] == {"enum": "marketplace.consents.models:ConsentAct",
                                       "value": "pledge_registration"}
    with app.test_request_context():
        with force_locale("en"):
            english = messages.render(stored)
        with force_locale("zh"):
            chinese = messages.render(stored)
    assert not HAN.search(english) and english.endswith("Y-F-1")
    assert chinese.startswith("已生效：") and ConsentAct.PLEDGE_REGISTRATION.label_zh in chinese


def _notification_msgids() -> set[str]:
    """Every msgid the sources mark with ``N_`` (the stored notification texts)."""
    from babel.messages.extract import extract_from_dir

    from tests.marketplace.test_i18n import ROOT

    found = set()
    for _file, _line, msgid, _comments, _context in extract_from_dir(
            str(ROOT / "marketplace"), [("**.py", "python")], keywords={"N_": None}):
        found.add(msgid if isinstance(msgid, str) else msgid[0])
    return found


def test_every_notification_message_has_an_english_entry_without_chinese():
    catalog = load_catalog()
    msgids = _notification_msgids()
    assert len(msgids) > 40
    missing = sorted(msgid for msgid in msgids if msgid not in catalog or not catalog[msgid].string)
    chinese = sorted(msgid for msgid in msgids if msgid in catalog and HAN.search(catalog[msgid].string or ""))
    assert missing == [] and chinese == []
    assert re.search(r"%\(act\)s", catalog["待您确认：%(act)s %(summary)s"].string)


def test_open_license_notice_mail_is_in_the_owners_language(app, mailbox, university, company):
    from marketplace.openlicense import licensing

    with service(app):
        db.session.get(User, university.id).locale = "en"
        patent = factories.make_granted_patent(university)
        declaration_id = factories.make_open_license(university, patent)  # contact: tto@example.test
        licensing.accept_open_license(company.load(), declaration_id)
        transaction.commit()
    [(subject, body)] = [(s, b) for to, s, b in mailbox if to == "tto@example.test"]
    assert subject.startswith("Open license")
    assert chinese_outside_data(f"{subject}\n{body}", data_strings(app, skip=("notifications",))) == []


def test_approvers_are_mailed_and_notices_labelled_in_their_language(app, client, english_ready, mailbox,
                                                                     university, company, agency):
    from marketplace.approvals import config, reviews
    from marketplace.approvals.models import Review
    from marketplace.deals import services as deals

    with service(app):
        college = factories.add_member(university, email="college@example.test")
        db.session.get(User, college.id).locale = "en"
        role = config.save_role(university.load(), {"name": "学院", "member_ids": [college.id]})
        config.save_workflow(university.load(), {"act": "deal_signing", "publicity_days": 15,
                                                 "contact_phone": "0851-12345678",
                                                 "steps": [{"name": "学院审核", "role_id": role.id}]})
        patent = factories.make_granted_patent(university)
        deals.record_deal(agency.load(), {
            "mode": "transfer", "seller_id": university.organisation_id, "buyer_id": company.organisation_id,
            "patent_ids": [patent.id], "amount": "800000.00", "title": "无人机专利转让"})
        transaction.commit()
        review = db.session.scalar(select(Review).where(Review.organisation_id == university.organisation_id))
        reviews.decide_step(college.load(), review.id, True, "同意")
        transaction.commit()
        notice_id = review.notice.id
    [(subject, body)] = [(s, b) for to, s, b in mailbox if to == "college@example.test"]
    assert subject.startswith("[Patent Matchmaking Platform] ") and "/office/approvals/reviews/" in body
    assert chinese_outside_data(f"{subject}\n{body}", data_strings(app)) == []
    client.get("/lang/en")
    page = visible_text(client.get(f"/notices/{notice_id}"))
    assert "Deal signing" in page
    api = client.get("/api/v1/approvals/notices", headers={"Accept-Language": "en"}).get_json()
    assert [item["act_label"] for item in api] == ["Deal signing"]
