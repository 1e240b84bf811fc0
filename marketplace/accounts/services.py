"""Account operations: registration, sign-in with throttling, members, tokens, password reset.

Functions flush but never commit; the request/CLI boundary commits (sign-in
failures are the one exception: they must count although the request fails).

Sign-in throttling cannot be turned against a user: failures are counted per
(e-mail, address) pair, so guessing from one address slows down only that
address's tries at that account, never the owner signing in from elsewhere
nor everyone else behind the same address. After ``FREE_FAILURES`` the next
try waits ``BACKOFF_BASE`` × 2ⁿ (capped at ``BACKOFF_CAP``); the account's
owner is mailed a link that lifts the wait for that address. Unknown
accounts are answered alike and in the same time (a dummy hash is checked).
"""
from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import flask_babel
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from marketplace.accounts.permissions import get_visible
from marketplace.accounts.identifiers import normalise_credit_code, normalise_region_code
from marketplace.accounts.models import (
    ApiToken, Invitation, LoginAttempt, LoginUnlockToken, Membership, Organisation, OrganisationKind,
    PasswordResetToken, Role, User,
)
from marketplace.core import transaction
from marketplace.core.audit import diff, record_audit
from marketplace.core.errors import Conflict, Forbidden, NotFound, TooManyRequests, Unauthorized, ValidationFailed
from marketplace.core.i18n import LOCALES
from marketplace.core.jobs import job
from marketplace.core.mail import queue_mail
from marketplace.core.models import utcnow
from marketplace.core.text import require_plain
from marketplace.extensions import db

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024  # hashing a megabyte "password" is work nobody should be able to ask for
FAILURE_MEMORY = timedelta(hours=24)
FREE_FAILURES = 5
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(minutes=15)
UNLOCK_LINK_VALIDITY = timedelta(hours=1)
TOKEN_PREFIX = "pmk_"
TOKEN_USE_PRECISION = timedelta(minutes=1)
_dummy_hash: str | None = None


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _check_password(password: str, field: str = "password") -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationFailed.field(field, _("密码至少 %(n)d 位", n=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationFailed.field(field, _("密码最多 %(n)d 位", n=MAX_PASSWORD_LENGTH))


def _normalise_email(raw: str) -> str:
    email = require_plain((raw or "").strip().lower(), "email")
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@") or " " in email:
        raise ValidationFailed.field("email", _("邮箱格式无效"))
    return email


def _ensure_email_free(email: str) -> None:
    if db.session.scalar(select(User.id).where(User.email == email)):
        raise Conflict(_("该邮箱已注册"), {"email": _("该邮箱已注册")})


def register_organisation(*, kind: str, name: str, credit_code: str, region_code: str, email: str,
                          user_name: str, password: str, contact_phone: str | None = None,
                          is_sme: bool = False) -> User:
    """Create an organisation with its first user as owner."""
    try:
        org_kind = OrganisationKind(kind)
    except ValueError:
        raise ValidationFailed.field("kind", _("机构类型无效")) from None
    if not (name or "").strip():
        raise ValidationFailed.field("name", _("必填"))
    code = normalise_credit_code(credit_code)
    region = normalise_region_code(region_code)
    email = _normalise_email(email)
    _check_password(password)
    if db.session.scalar(select(Organisation.id).where(Organisation.credit_code == code)):
        raise Conflict(_("该统一社会信用代码已注册"), {"credit_code": _("该统一社会信用代码已注册")})
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


def load_session_user(session_id: str) -> User | None:
    """The user a session or remember-me cookie names (``"<id>:<session version>"``), if it is still valid.

    A password reset bumps the version, so every other session and cookie stops working.
    """
    user_id, _sep, version = (session_id or "").partition(":")
    if not (user_id.isdigit() and version.isdigit() and len(user_id) < 19 and len(version) < 19):
        return None
    user = get_active_user(int(user_id))
    return user if user is not None and user.session_version == int(version) else None


@dataclass(frozen=True)
class Backoff:
    """How long sign-in at one account from one address must wait, after ``failures`` recent failures."""

    failures: int
    last_failure_at: datetime | None

    @property
    def delay(self) -> timedelta:
        if self.failures < FREE_FAILURES:
            return timedelta(0)
        return min(BACKOFF_CAP, BACKOFF_BASE * 2 ** min(self.failures - FREE_FAILURES, 20))

    def wait(self, now: datetime) -> int:
        """Whole seconds until the next try is allowed (0: now)."""
        if self.last_failure_at is None:
            return 0
        remaining = (self.last_failure_at + self.delay - now).total_seconds()
        return max(0, math.ceil(remaining))


def login_backoff(email: str, remote_addr: str, now: datetime | None = None) -> Backoff:
    """The recent failures of this (e-mail, address) pair."""
    now = now or utcnow()
    count, last = db.session.execute(select(func.count(), func.max(LoginAttempt.at)).where(
        LoginAttempt.email == email, LoginAttempt.remote_addr == remote_addr,
        LoginAttempt.at >= now - FAILURE_MEMORY)).one()
    return Backoff(count, last)


def _password_matches(user: User | None, password: str) -> bool:
    """Check the password against the user's hash, or a dummy one, so unknown accounts take as long."""
    global _dummy_hash
    if user is None:
        if _dummy_hash is None:
            _dummy_hash = generate_password_hash(secrets.token_hex(16))
        check_password_hash(_dummy_hash, password)
        return False
    return check_password_hash(user.password_hash, password)


def authenticate(email: str, password: str, remote_addr: str) -> User:
    """Check credentials, slowing repeated failures of one (e-mail, address) pair down exponentially.

    Raises ``TooManyRequests`` (with ``retry_after``) while the pair must wait
    — without looking at the password, so waiting tries reveal nothing — and
    ``Unauthorized`` for wrong credentials, the same for unknown accounts.
    """
    email = (email or "").strip().lower()[:254]
    remote_addr = (remote_addr or "-")[:64]
    now = utcnow()
    backoff = login_backoff(email, remote_addr, now)
    wait = backoff.wait(now)
    if wait:
        raise TooManyRequests(_("登录失败次数过多，请 %(seconds)d 秒后再试，或使用邮件中的解锁链接", seconds=wait),
                              retry_after=wait)
    user = db.session.scalar(select(User).where(User.email == email))
    if len(password or "") > MAX_PASSWORD_LENGTH or not _password_matches(user, password or "") \
            or user is None or not user.active:
        db.session.add(LoginAttempt(email=email, remote_addr=remote_addr, at=now))
        if user is not None and user.active and backoff.failures + 1 == FREE_FAILURES:
            _mail_unlock_link(user, remote_addr)
        transaction.commit()  # the failure (and the unlock mail) must count although the request fails
        raise Unauthorized(_("邮箱或密码错误"))
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.email == email, LoginAttempt.remote_addr == remote_addr))
    user.last_login_at = now
    return user


def remember_locale(user: User, chosen: object) -> None:
    """Keep the language a user chose before signing in (``/lang/…``) as theirs: e-mail and inbox entries written
    for them while they are away are rendered in ``User.locale``."""
    if chosen in LOCALES and user.locale != chosen:
        user.locale = str(chosen)


def recipient_locale(address: str) -> str:
    """The language to write to ``address`` in: its user's (``User.locale``) when it is a user's address, else the
    language the sender is reading now (an invitation to someone not yet on the platform)."""
    chosen = db.session.scalar(select(User.locale).where(func.lower(User.email) == address.strip().lower()))
    if chosen in LOCALES:
        return str(chosen)
    current = flask_babel.get_locale()
    return current.language if current is not None and current.language in LOCALES else LOCALES[0]


def _mail_unlock_link(user: User, remote_addr: str) -> None:
    """Tell the owner sign-in from ``remote_addr`` is being slowed down, with a link that lifts it."""
    raw = secrets.token_urlsafe(32)
    db.session.add(LoginUnlockToken(user_id=user.id, remote_addr=remote_addr, token_hash=_hash_token(raw),
                                    expires_at=utcnow() + UNLOCK_LINK_VALIDITY))
    link = url_for("accounts.unlock_login", token=raw, _external=True)
    queue_mail(user.email, _("登录已被暂时放慢"),
               _("您好 %(name)s，\n来自地址 %(addr)s 的登录连续失败 %(n)d 次，此后该地址的每次尝试都需等待更久。\n"
                 "如果是您本人，请在1小时内打开此链接立即恢复登录：\n%(link)s\n"
                 "如果不是您，无需任何操作：其他地址的登录不受影响；也可以重置密码。\n",
                 name=user.name, addr=remote_addr, n=FREE_FAILURES, link=link))


def unlock_login(raw_token: str) -> User:
    """Lift the wait the link's address is under (single use, one hour)."""
    token = db.session.scalar(select(LoginUnlockToken).where(LoginUnlockToken.token_hash == _hash_token(raw_token)))
    if token is None or token.used_at is not None or token.expires_at < utcnow():
        raise NotFound(_("解锁链接无效或已过期"))
    token.used_at = utcnow()
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.email == token.user.email,
                                                  LoginAttempt.remote_addr == token.remote_addr))
    record_audit("user.login_unlocked", "user", token.user_id, {"remote_addr": token.remote_addr}, actor=token.user)
    return token.user


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
    token = get_visible(user, ApiToken, token_id, lambda t: (), _("令牌不存在"), admins=False,
                        also=lambda t: t.user_id == user.id)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record_audit("api_token.revoked", "api_token", token.id, actor=user)
    return token


def authenticate_token(raw: str) -> User | None:
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash_token(raw)))
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    if token.last_used_at is None or token.last_used_at < utcnow() - TOKEN_USE_PRECISION:
        transaction.enqueue_after_commit(record_token_use, token.id)  # GET never writes: a job notes the use
    return token.user


@job(queue="default", timeout=30)
def record_token_use(token_id: int) -> None:
    """Job: note when a token was last used (to the minute; the API call itself never writes for it)."""
    now = utcnow()
    db.session.execute(update(ApiToken).where(ApiToken.id == token_id).where(
        (ApiToken.last_used_at.is_(None)) | (ApiToken.last_used_at < now - TOKEN_USE_PRECISION))
        .values(last_used_at=now))
    db.session.commit()


def list_api_tokens(user: User) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.created_at.desc())))


# --- members ----------------------------------------------------------------------------------

def require_org_manager(actor: User) -> Organisation:
    """The actor's organisation, if the actor may manage its members and profile."""
    if actor.membership is None or not actor.membership.role.manages_members:
        raise Forbidden(_("需要机构所有者或管理员权限"))
    return actor.membership.organisation


def invite_member(actor: User, email: str, role: str) -> Invitation:
    """Invite someone by e-mail; the link lets them set a password and join."""
    organisation = require_org_manager(actor)
    email = _normalise_email(email)
    try:
        member_role = Role(role)
    except ValueError:
        raise ValidationFailed.field("role", _("角色无效")) from None
    if member_role == Role.OWNER and actor.role != Role.OWNER:
        raise Forbidden(_("只有所有者可以邀请所有者"))
    _ensure_email_free(email)
    raw = secrets.token_urlsafe(32)
    invitation = Invitation(organisation_id=organisation.id, email=email, role=member_role,
                            token_hash=_hash_token(raw), invited_by_id=actor.id,
                            expires_at=utcnow() + timedelta(days=7))
    db.session.add(invitation)
    db.session.flush()
    link = url_for("accounts.accept_invitation", token=raw, _external=True)
    with flask_babel.force_locale(recipient_locale(email)):
        queue_mail(email, _("邀请加入 %(org)s", org=organisation.name),
                   _("%(name)s 邀请您加入 %(org)s。\n请在7天内打开此链接设置密码：\n%(link)s\n",
                     name=actor.name, org=organisation.name, link=link))
    record_audit("member.invited", "invitation", invitation.id, {"email": email, "role": member_role})
    return invitation


def find_invitation(raw_token: str) -> Invitation:
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == _hash_token(raw_token)))
    if invitation is None or invitation.accepted_at is not None or invitation.expires_at < utcnow():
        raise NotFound(_("邀请链接无效或已过期"))
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
        raise NotFound(_("成员不存在"))
    return membership


def _ensure_another_owner(membership: Membership) -> None:
    owners = db.session.scalar(select(func.count()).select_from(Membership).where(
        Membership.organisation_id == membership.organisation_id, Membership.role == Role.OWNER))
    if membership.role == Role.OWNER and owners <= 1:
        raise Conflict(_("机构至少需要一位所有者"))


def change_member_role(actor: User, membership_id: int, role: str) -> Membership:
    membership = _membership_in_own_org(actor, membership_id)
    try:
        new_role = Role(role)
    except ValueError:
        raise ValidationFailed.field("role", _("角色无效")) from None
    if Role.OWNER in (new_role, membership.role) and actor.role != Role.OWNER:
        raise Forbidden(_("只有所有者可以更改所有者"))
    if new_role != Role.OWNER:
        _ensure_another_owner(membership)
    changes = diff(membership, {"role": new_role})
    record_audit("member.role_changed", "membership", membership.id, changes)
    return membership


def remove_member(actor: User, membership_id: int) -> None:
    membership = _membership_in_own_org(actor, membership_id)
    if membership.role == Role.OWNER and actor.role != Role.OWNER:
        raise Forbidden(_("只有所有者可以移除所有者"))
    _ensure_another_owner(membership)
    membership.user.active = False
    record_audit("member.removed", "membership", membership.id, {"user_id": membership.user_id})
    db.session.delete(membership)


def update_organisation(actor: User, values: dict[str, object]) -> Organisation:
    """Edit the profile; grade labels are the owner's vocabulary for grading (A–D by default).

    ``grade_labels`` is a list of labels or one comma-separated text (the
    page's field); fields not in ``values`` keep their stored value.
    """
    organisation = require_org_manager(actor)
    clean: dict[str, object] = {}
    for key in ("name", "contact_name", "contact_email", "contact_phone", "description"):
        if key in values:
            clean[key] = (str(values[key] or "").strip() or None)
    if "name" in clean and not clean["name"]:
        raise ValidationFailed.field("name", _("必填"))
    if "region_code" in values:
        clean["region_code"] = normalise_region_code(str(values["region_code"]))
    if "is_sme" in values:
        clean["is_sme"] = bool(values["is_sme"])
    if "grade_labels" in values:
        clean["grade_labels"] = parse_grade_labels(values["grade_labels"])
        from marketplace.grading.services import ensure_labels, set_label_names  # labels carry criteria

        ensure_labels(organisation)  # stored under their current names before the names change
    changes = diff(organisation, clean)
    if "grade_labels" in changes:
        set_label_names(actor, organisation, clean["grade_labels"])  # type: ignore[arg-type]
    if changes:
        record_audit("organisation.updated", "organisation", organisation.id, changes)
    return organisation


def parse_grade_labels(raw: object) -> list[str]:
    """Distinct labels of at most 16 characters, from a list or a text separated by commas (half or full width)."""
    items = raw.replace("，", ",").split(",") if isinstance(raw, str) else raw
    if not isinstance(items, (list, tuple)):
        raise ValidationFailed.field("grade_labels", _("需要不重复的分级标签（每个≤16字符）"))
    labels = [str(v).strip() for v in items if str(v).strip()]
    if not labels or len(labels) != len(set(labels)) or any(len(v) > 16 for v in labels) or len(labels) > 20:
        raise ValidationFailed.field("grade_labels", _("需要不重复的分级标签（每个≤16字符）"))
    return labels


def members_of(organisation_id: int) -> list[Membership]:
    return list(db.session.scalars(select(Membership).where(Membership.organisation_id == organisation_id)
                                   .join(User).order_by(Membership.role, User.name)))


# --- password reset ---------------------------------------------------------------------------

def request_password_reset(email: str) -> None:
    """Mail a one-hour reset link; silent for unknown addresses so accounts cannot be probed."""
    user = db.session.scalar(select(User).where(User.email == (email or "").strip().lower()[:254]))
    if user is None or not user.active:
        return
    raw = secrets.token_urlsafe(32)
    db.session.add(PasswordResetToken(user_id=user.id, token_hash=_hash_token(raw),
                                      expires_at=utcnow() + timedelta(hours=1)))
    link = url_for("accounts.reset_password", token=raw, _external=True)
    queue_mail(user.email, _("重置密码"),
               _("您好 %(name)s，\n请在1小时内打开此链接重置密码：\n%(link)s\n如非本人操作请忽略。\n",
                 name=user.name, link=link))


def reset_password(raw_token: str, password: str) -> User:
    """Set a new password and end everything the old one opened.

    Every reset link of the user stops working (older ones too), other
    sessions and remember-me cookies are signed out (the session version
    changes) and API tokens are revoked; the user is mailed a notice.
    """
    token = db.session.scalar(select(PasswordResetToken).where(PasswordResetToken.token_hash == _hash_token(raw_token)))
    now = utcnow()
    if token is None or token.used_at is not None or token.expires_at < now:
        raise NotFound(_("重置链接无效或已过期"))
    _check_password(password)
    user = token.user
    db.session.execute(update(PasswordResetToken).where(PasswordResetToken.user_id == user.id,
                                                        PasswordResetToken.used_at.is_(None)).values(used_at=now))
    revoked = db.session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                                 .values(revoked_at=now)).rowcount  # type: ignore[attr-defined]
    db.session.expire(token)
    user.password_hash = generate_password_hash(password)
    user.session_version += 1
    queue_mail(user.email, _("您的密码已重置"),
               _("您好 %(name)s，\n您的密码刚刚被重置。所有其他登录会话已退出，%(n)d 个 API 令牌已吊销。\n"
                 "如非本人操作，请立即通过“忘记密码”重新设置密码并联系平台管理员。\n", name=user.name, n=revoked))
    record_audit("user.password_reset", "user", user.id, {"api_tokens_revoked": revoked}, actor=user)
    return user
