"""Account operations: registration, sign-in with throttling, members, tokens, password reset.

Functions flush but never commit; the request/CLI boundary commits.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import url_for
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from marketplace.accounts.identifiers import normalise_credit_code, normalise_region_code
from marketplace.accounts.models import (
    ApiToken, Invitation, LoginAttempt, Membership, Organisation, OrganisationKind, PasswordResetToken, Role, User,
)
from marketplace.core.audit import diff, record_audit
from marketplace.core.errors import Conflict, Forbidden, NotFound, TooManyRequests, Unauthorized, ValidationFailed
from marketplace.core.mail import queue_mail
from marketplace.core.models import utcnow
from marketplace.extensions import db

MIN_PASSWORD_LENGTH = 8
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_ADDRESS = 30
TOKEN_PREFIX = "pmk_"


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _check_password(password: str, field: str = "password") -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationFailed.field(field, f"密码至少 {MIN_PASSWORD_LENGTH} 位 / at least {MIN_PASSWORD_LENGTH} characters")


def _normalise_email(raw: str) -> str:
    email = (raw or "").strip().lower()
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@"):
        raise ValidationFailed.field("email", "邮箱格式无效 / not a valid e-mail address")
    return email


def _ensure_email_free(email: str) -> None:
    if db.session.scalar(select(User.id).where(User.email == email)):
        raise Conflict("该邮箱已注册 / this e-mail is already registered", {"email": "already registered"})


def register_organisation(*, kind: str, name: str, credit_code: str, region_code: str, email: str,
                          user_name: str, password: str, contact_phone: str | None = None,
                          is_sme: bool = False) -> User:
    """Create an organisation with its first user as owner."""
    try:
        org_kind = OrganisationKind(kind)
    except ValueError:
        raise ValidationFailed.field("kind", "机构类型无效 / unknown organisation kind") from None
    if not (name or "").strip():
        raise ValidationFailed.field("name", "必填 / required")
    code = normalise_credit_code(credit_code)
    region = normalise_region_code(region_code)
    email = _normalise_email(email)
    _check_password(password)
    if db.session.scalar(select(Organisation.id).where(Organisation.credit_code == code)):
        raise Conflict("该统一社会信用代码已注册 / this credit code is already registered",
                       {"credit_code": "already registered"})
    _ensure_email_free(email)
    organisation = Organisation(kind=org_kind, name=name.strip(), credit_code=code, region_code=region,
                                contact_name=user_name.strip(), contact_email=email, contact_phone=contact_phone,
                                is_sme=is_sme)
    user = User(email=email, name=(user_name or email).strip(), password_hash=generate_password_hash(password))
    db.session.add_all([organisation, user])
    db.session.add(Membership(user=user, organisation=organisation, role=Role.OWNER))
    db.session.flush()
    record_audit("organisation.registered", "organisation", organisation.id, {"name": organisation.name},
                 actor=user, organisation_id=organisation.id)
    return user


def get_active_user(user_id: int) -> User | None:
    user = db.session.get(User, user_id)
    return user if user is not None and user.active else None


def authenticate(email: str, password: str, remote_addr: str) -> User:
    """Check credentials, refusing further tries after repeated failures from one e-mail or address."""
    email = (email or "").strip().lower()
    since = utcnow() - THROTTLE_WINDOW
    failures_email = db.session.scalar(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.email == email, LoginAttempt.at >= since))
    failures_addr = db.session.scalar(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.remote_addr == remote_addr, LoginAttempt.at >= since))
    if failures_email >= MAX_FAILURES_PER_EMAIL or failures_addr >= MAX_FAILURES_PER_ADDRESS:
        raise TooManyRequests("登录失败次数过多，请15分钟后再试 / too many failed sign-ins, try again in 15 minutes")
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or not user.active or not check_password_hash(user.password_hash, password or ""):
        db.session.add(LoginAttempt(email=email, remote_addr=remote_addr))
        db.session.commit()  # the failure must count even though the request answers with an error
        raise Unauthorized("邮箱或密码错误 / wrong e-mail or password")
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.email == email))
    user.last_login_at = utcnow()
    return user


# --- API tokens -------------------------------------------------------------------------------

def issue_api_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Create a personal token; the raw value is returned once and never stored."""
    name = (name or "").strip() or "API"
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name[:100], prefix=raw[:12], token_hash=_hash_token(raw))
    db.session.add(token)
    db.session.flush()
    record_audit("api_token.created", "api_token", token.id, {"name": token.name}, actor=user)
    return token, raw


def revoke_api_token(user: User, token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound("令牌不存在 / token not found")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record_audit("api_token.revoked", "api_token", token.id, actor=user)
    return token


def authenticate_token(raw: str) -> User | None:
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash_token(raw)))
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    token.last_used_at = utcnow()
    return token.user


def list_api_tokens(user: User) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.created_at.desc())))


# --- members ----------------------------------------------------------------------------------

def require_org_manager(actor: User) -> Organisation:
    """The actor's organisation, if the actor may manage its members and profile."""
    if actor.membership is None or not actor.membership.role.manages_members:
        raise Forbidden("需要机构所有者或管理员权限 / organisation owner or admin role required")
    return actor.membership.organisation


def invite_member(actor: User, email: str, role: str) -> Invitation:
    """Invite someone by e-mail; the link lets them set a password and join."""
    organisation = require_org_manager(actor)
    email = _normalise_email(email)
    try:
        member_role = Role(role)
    except ValueError:
        raise ValidationFailed.field("role", "角色无效 / unknown role") from None
    if member_role == Role.OWNER and actor.role != Role.OWNER:
        raise Forbidden("只有所有者可以邀请所有者 / only an owner can invite an owner")
    _ensure_email_free(email)
    raw = secrets.token_urlsafe(32)
    invitation = Invitation(organisation_id=organisation.id, email=email, role=member_role,
                            token_hash=_hash_token(raw), invited_by_id=actor.id,
                            expires_at=utcnow() + timedelta(days=7))
    db.session.add(invitation)
    db.session.flush()
    link = url_for("accounts.accept_invitation", token=raw, _external=True)
    queue_mail(email, f"邀请加入 {organisation.name} / Invitation to join {organisation.name}",
               f"{actor.name} 邀请您加入 {organisation.name}。\n请在7天内打开此链接设置密码：\n{link}\n")
    record_audit("member.invited", "invitation", invitation.id, {"email": email, "role": member_role})
    return invitation


def find_invitation(raw_token: str) -> Invitation:
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == _hash_token(raw_token)))
    if invitation is None or invitation.accepted_at is not None or invitation.expires_at < utcnow():
        raise NotFound("邀请链接无效或已过期 / invitation link invalid or expired")
    return invitation


def accept_invitation(raw_token: str, name: str, password: str) -> User:
    invitation = find_invitation(raw_token)
    _check_password(password)
    _ensure_email_free(invitation.email)
    user = User(email=invitation.email, name=(name or invitation.email).strip(),
                password_hash=generate_password_hash(password))
    db.session.add(user)
    db.session.add(Membership(user=user, organisation_id=invitation.organisation_id, role=invitation.role))
    invitation.accepted_at = utcnow()
    db.session.flush()
    record_audit("member.joined", "user", user.id, {"role": invitation.role}, actor=user,
                 organisation_id=invitation.organisation_id)
    return user


def _membership_in_own_org(actor: User, membership_id: int) -> Membership:
    organisation = require_org_manager(actor)
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.organisation_id != organisation.id:
        raise NotFound("成员不存在 / member not found")
    return membership


def _ensure_another_owner(membership: Membership) -> None:
    owners = db.session.scalar(select(func.count()).select_from(Membership).where(
        Membership.organisation_id == membership.organisation_id, Membership.role == Role.OWNER))
    if membership.role == Role.OWNER and owners <= 1:
        raise Conflict("机构至少需要一位所有者 / the organisation needs at least one owner")


def change_member_role(actor: User, membership_id: int, role: str) -> Membership:
    membership = _membership_in_own_org(actor, membership_id)
    try:
        new_role = Role(role)
    except ValueError:
        raise ValidationFailed.field("role", "角色无效 / unknown role") from None
    if Role.OWNER in (new_role, membership.role) and actor.role != Role.OWNER:
        raise Forbidden("只有所有者可以更改所有者 / only an owner can change owners")
    if new_role != Role.OWNER:
        _ensure_another_owner(membership)
    changes = diff(membership, {"role": new_role})
    record_audit("member.role_changed", "membership", membership.id, changes)
    return membership


def remove_member(actor: User, membership_id: int) -> None:
    membership = _membership_in_own_org(actor, membership_id)
    if membership.role == Role.OWNER and actor.role != Role.OWNER:
        raise Forbidden("只有所有者可以移除所有者 / only an owner can remove an owner")
    _ensure_another_owner(membership)
    membership.user.active = False
    record_audit("member.removed", "membership", membership.id, {"user_id": membership.user_id})
    db.session.delete(membership)


def update_organisation(actor: User, values: dict[str, object]) -> Organisation:
    """Edit the profile; grade labels are the owner's vocabulary for grading (A–D by default)."""
    organisation = require_org_manager(actor)
    clean: dict[str, object] = {}
    for key in ("name", "contact_name", "contact_email", "contact_phone", "description"):
        if key in values:
            clean[key] = (str(values[key] or "").strip() or None)
    if "name" in clean and not clean["name"]:
        raise ValidationFailed.field("name", "必填 / required")
    if "region_code" in values:
        clean["region_code"] = normalise_region_code(str(values["region_code"]))
    if "is_sme" in values:
        clean["is_sme"] = bool(values["is_sme"])
    if "grade_labels" in values:
        labels = [str(v).strip() for v in values["grade_labels"] if str(v).strip()]  # type: ignore[union-attr]
        if not labels or len(labels) != len(set(labels)) or any(len(v) > 16 for v in labels):
            raise ValidationFailed.field("grade_labels", "需要不重复的分级标签（每个≤16字符）/ distinct labels of ≤16 characters")
        from marketplace.grading.services import set_label_names  # labels are records: renames keep patents

        set_label_names(actor, organisation, labels)
        clean["grade_labels"] = labels
    changes = diff(organisation, clean)
    if changes:
        record_audit("organisation.updated", "organisation", organisation.id, changes)
    return organisation


def members_of(organisation_id: int) -> list[Membership]:
    return list(db.session.scalars(select(Membership).where(Membership.organisation_id == organisation_id)
                                   .join(User).order_by(Membership.role, User.name)))


# --- password reset ---------------------------------------------------------------------------

def request_password_reset(email: str) -> None:
    """Mail a one-hour reset link; silent for unknown addresses so accounts cannot be probed."""
    user = db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None or not user.active:
        return
    raw = secrets.token_urlsafe(32)
    db.session.add(PasswordResetToken(user_id=user.id, token_hash=_hash_token(raw),
                                      expires_at=utcnow() + timedelta(hours=1)))
    link = url_for("accounts.reset_password", token=raw, _external=True)
    queue_mail(user.email, "重置密码 / Reset your password",
               f"您好 {user.name}，\n请在1小时内打开此链接重置密码：\n{link}\n如非本人操作请忽略。\n")


def reset_password(raw_token: str, password: str) -> User:
    token = db.session.scalar(select(PasswordResetToken).where(PasswordResetToken.token_hash == _hash_token(raw_token)))
    if token is None or token.used_at is not None or token.expires_at < utcnow():
        raise NotFound("重置链接无效或已过期 / reset link invalid or expired")
    _check_password(password)
    token.used_at = utcnow()
    token.user.password_hash = generate_password_hash(password)
    record_audit("user.password_reset", "user", token.user_id, actor=token.user)
    return token.user
