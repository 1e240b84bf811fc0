"""Account rules without HTTP."""
import logging

import pytest
from sqlalchemy import select

from marketplace.accounts import services
from marketplace.accounts.models import Membership, Role, User
from marketplace.core import transaction
from marketplace.core.errors import Conflict, Forbidden, NotFound, TooManyRequests, Unauthorized, ValidationFailed
from marketplace.extensions import db
from tests import factories


def register(**overrides):
    values = dict(kind="university", name="贵州大学", credit_code=factories.credit_code(999), region_code="520100",
                  email="tto@gzu.test", user_name="技术转移中心", password="long-enough-1")
    values.update(overrides)
    return services.register_organisation(**values)


def test_registration_creates_owner_with_hashed_password(ctx):
    user = register()
    assert user.role == Role.OWNER and user.organisation.name == "贵州大学"
    assert user.password_hash != "long-enough-1" and user.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_duplicate_credit_code_is_a_conflict(ctx):
    register()
    with pytest.raises(Conflict) as caught:
        register(email="someone@else.test")
    assert "credit_code" in caught.value.fields


@pytest.mark.parametrize("field, value", [("kind", "pirate"), ("credit_code", "123"), ("region_code", "12"),
                                          ("email", "nope"), ("password", "short")])
def test_registration_validates_each_field(ctx, field, value):
    with pytest.raises(ValidationFailed) as caught:
        register(**{field: value})
    assert field in caught.value.fields


def test_login_throttling_after_repeated_failures(ctx, university):
    for _ in range(services.FREE_FAILURES):
        with pytest.raises(Unauthorized):
            services.authenticate(university.email, "wrong", "10.0.0.1")
    with pytest.raises(TooManyRequests):
        services.authenticate(university.email, factories.PASSWORD, "10.0.0.1")


def test_successful_login_clears_failures(ctx, university):
    with pytest.raises(Unauthorized):
        services.authenticate(university.email, "wrong", "10.0.0.2")
    assert services.authenticate(university.email, factories.PASSWORD, "10.0.0.2").id == university.id


def test_api_tokens_are_stored_hashed_and_can_be_revoked(ctx, university):
    user = university.load()
    token, raw = services.issue_api_token(user, "ci")
    assert raw.startswith("pmk_") and raw not in token.token_hash
    assert services.authenticate_token(raw).id == user.id
    services.revoke_api_token(user, token.id)
    assert services.authenticate_token(raw) is None
    assert services.authenticate_token("pmk_forged") is None


def test_cannot_revoke_someone_elses_token(ctx, university, company):
    token, _raw = services.issue_api_token(university.load(), "mine")
    with pytest.raises(NotFound):
        services.revoke_api_token(company.load(), token.id)


def test_invitation_round_trip(ctx, university, caplog):
    caplog.set_level(logging.INFO)
    invitation = services.invite_member(university.load(), "new@tsinghua.test", "member")
    transaction.commit()
    mail = next(r.getMessage() for r in caplog.records if "new@tsinghua.test" in r.getMessage())
    raw = mail.split("/invitations/")[1].split()[0]
    user = services.accept_invitation(raw, "新成员", "new-password-1")
    assert user.organisation_id == university.organisation_id and user.role == Role.MEMBER
    with pytest.raises(NotFound):
        services.accept_invitation(raw, "again", "new-password-1")
    assert invitation.accepted_at is not None


def test_members_cannot_manage_and_other_orgs_are_invisible(ctx, university, other_university):
    member = factories.add_member(university, "member")
    with pytest.raises(Forbidden):
        services.invite_member(member.load(), "x@y.test", "member")
    foreign = db.session.scalar(select(Membership).where(Membership.user_id == other_university.id))
    with pytest.raises(NotFound):
        services.change_member_role(university.load(), foreign.id, "member")
    with pytest.raises(NotFound):
        services.remove_member(university.load(), foreign.id)


def test_last_owner_cannot_be_demoted(ctx, university):
    own = db.session.scalar(select(Membership).where(Membership.user_id == university.id))
    with pytest.raises(Conflict):
        services.change_member_role(university.load(), own.id, "member")


def test_admin_cannot_promote_to_owner(ctx, university):
    admin = factories.add_member(university, "admin")
    member = factories.add_member(university, "member")
    membership = db.session.scalar(select(Membership).where(Membership.user_id == member.id))
    with pytest.raises(Forbidden):
        services.change_member_role(admin.load(), membership.id, "owner")
    assert services.change_member_role(admin.load(), membership.id, "admin").role == Role.ADMIN


def test_password_reset_token_is_single_use(ctx, university, caplog):
    caplog.set_level(logging.INFO)
    services.request_password_reset(university.email)
    services.request_password_reset("nobody@nowhere.test")  # silent, no mail
    transaction.commit()
    mails = [r.getMessage() for r in caplog.records if "/password/reset/" in r.getMessage()]
    assert len(mails) == 1
    raw = mails[0].split("/password/reset/")[1].split()[0]
    services.reset_password(raw, "brand-new-pass")
    assert services.authenticate(university.email, "brand-new-pass", "1.1.1.1")
    with pytest.raises(NotFound):
        services.reset_password(raw, "another-pass-1")


def test_grade_labels_are_configurable(ctx, university):
    organisation = services.update_organisation(university.load(), {"grade_labels": ["高价值", "一般", "放弃"]})
    assert organisation.grade_labels == ["高价值", "一般", "放弃"]
    with pytest.raises(ValidationFailed):
        services.update_organisation(university.load(), {"grade_labels": ["A", "A"]})


def test_removed_member_cannot_sign_in(ctx, university):
    member = factories.add_member(university, "member")
    membership = db.session.scalar(select(Membership).where(Membership.user_id == member.id))
    services.remove_member(university.load(), membership.id)
    transaction.commit()
    assert db.session.get(User, member.id).active is False
    with pytest.raises(Unauthorized):
        services.authenticate(member.email, factories.PASSWORD, "2.2.2.2")
