"""One language at a time in mail (issue 13): an invitation reaches a known user in the language they chose and
anyone else in the sender's; switching language while signed in is a form that saves the choice at once, so the
next mail to that user is in it, while the switch for visitors (a GET) writes nothing but the session."""
from __future__ import annotations

from marketplace.accounts.models import User
from marketplace.core import transaction
from marketplace.extensions import db
from marketplace.patents import co_owners
from tests import factories

CO_OWNER = "黔南研究院"


def _mail_to(mailbox, address: str) -> tuple[str, str]:
    [(subject, body)] = [(s, b) for to, s, b in mailbox if to == address]
    return subject, body


def _invite_co_owner(app, university, address: str) -> None:
    """The university, reading Chinese, invites a co-owner of its patent at ``address`` to register."""
    with app.test_request_context():
        patent = factories.make_granted_patent(university, co_owners=[CO_OWNER])
        co_owners.invite_co_owner(university.load(), patent.id, CO_OWNER, address)
        transaction.commit()


def test_a_member_invitation_is_in_the_language_the_sender_reads(app, client, login, university, mailbox):
    with app.app_context():
        organisation = university.load().organisation.name
    login(university)
    client.post("/organisation/members", data={"email": "zh@invited.test", "role": "member"})
    assert _mail_to(mailbox, "zh@invited.test")[0].endswith("邀请加入 " + organisation)
    client.post("/lang/en")
    client.post("/organisation/members", data={"email": "en@invited.test", "role": "member"})
    subject, body = _mail_to(mailbox, "en@invited.test")
    assert "Invitation to join" in subject and "邀请" not in subject + body


def test_an_invitation_to_a_known_user_is_in_their_language(app, university, company, mailbox):
    with app.app_context():
        db.session.get(User, company.id).locale = "en"
        transaction.commit()
    _invite_co_owner(app, university, company.email.upper())
    subject, body = _mail_to(mailbox, company.email.upper())
    assert subject.endswith(f"Invitation to register: co-owner consent ({subject.split('(', 1)[1]}") \
        and "邀请" not in subject + body
    _invite_co_owner(app, university, "nobody@qiannan.test")  # not a user: the sender's language
    assert "邀请注册" in _mail_to(mailbox, "nobody@qiannan.test")[0]


def test_switching_to_english_while_signed_in_reaches_the_next_mail(app, client, login, university, company,
                                                                   mailbox):
    login(company)
    client.get("/lang/en")  # a GET: this visit in English, nothing saved
    with app.app_context():
        assert db.session.get(User, company.id).locale != "en"
    page = client.get("/").get_data(as_text=True)
    assert 'action="/lang/zh"' in page and 'href="/lang/zh"' not in page, "signed in, the switch is a form"
    assert client.post("/lang/en").status_code == 302
    with app.app_context():
        assert db.session.get(User, company.id).locale == "en"
    _invite_co_owner(app, university, company.email)
    subject, body = _mail_to(mailbox, company.email)
    assert "Invitation to register" in subject and "邀请" not in subject + body


def test_visitors_switch_by_link_and_the_signed_in_form_needs_its_token(app, client, login, company, request):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/lang/en"' in page and 'action="/lang/en"' not in page
    login(company)
    request.getfixturevalue("csrf_app")
    assert client.post("/lang/en").status_code == 400
    with app.app_context():
        assert db.session.get(User, company.id).locale != "en"
