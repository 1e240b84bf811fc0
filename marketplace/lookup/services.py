"""What a picker may offer: a few organisations or patents matching typed text, within what the caller may see.

The typed text is only ever a bound value of a SQL ``LIKE`` (escaped) or a
prefix of a normalised number, never query syntax for a search engine.
Organisations: those that can act on the platform (at least one active
member), optionally of some kinds. Patents: the published ones and the
caller's own organisation's (drafts included); a platform admin sees all.
Each user may ask ``PER_MINUTE`` lookups a minute (429 beyond).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, case, exists, or_, select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import Membership, Organisation, OrganisationKind, User
from marketplace.core.errors import Unauthorized, ValidationFailed
from marketplace.core.i18n import gettext as _
from marketplace.core.ratelimit import spend
from marketplace.extensions import db
from marketplace.patents.models import Patent
from marketplace.patents.vocab import PublicationState

MAX_RESULTS = 20
MAX_QUERY = 100
PER_MINUTE = 120
_NUMBER = re.compile(r"^(?:CN|ZL)?\s*([0-9]{2,12})(?:\.?([0-9X]))?$")


@dataclass(frozen=True)
class Lookup:
    """The checked request: who asks, the typed text and how many results at most."""

    user: User
    text: str
    limit: int


def _checked(user: User | None, q: str, limit: int) -> Lookup:
    if user is None or not user.is_authenticated:
        raise Unauthorized(_("请先登录"))
    text = " ".join((q or "").split())
    if len(text) > MAX_QUERY:
        raise ValidationFailed.field("q", _("最多 %(n)d 字", n=MAX_QUERY))
    if not 1 <= limit <= MAX_RESULTS:
        raise ValidationFailed.field("limit", _("应在 1 到 %(n)d 之间", n=MAX_RESULTS))
    spend("lookup", user.id, PER_MINUTE)
    return Lookup(user, text, limit)


def _contains(column, text: str) -> ColumnElement[bool]:
    """``column`` contains ``text`` literally (``%`` and ``_`` escaped), ignoring case where it can matter."""
    folded = text.lower() != text.upper() and db.session.get_bind().dialect.name != "sqlite"
    return (column.icontains if folded else column.contains)(text, autoescape=True)


def organisations(user: User | None, q: str, kinds: Iterable[OrganisationKind] = (),
                  limit: int = 10) -> list[Organisation]:
    """Organisations with an active member whose name contains the text or whose credit code starts with it."""
    lookup = _checked(user, q, limit)
    if not lookup.text:
        return []
    active = exists(select(Membership.id).join(User, User.id == Membership.user_id)
                    .where(Membership.organisation_id == Organisation.id, User.active.is_(True)))
    stmt = select(Organisation).where(active, or_(_contains(Organisation.name, lookup.text),
                                                  Organisation.credit_code.startswith(lookup.text.upper(),
                                                                                      autoescape=True)))
    kinds = tuple(kinds)
    if kinds:
        stmt = stmt.where(Organisation.kind.in_(kinds))
    return list(db.session.scalars(stmt.order_by(Organisation.name, Organisation.id).limit(lookup.limit)))


def _number_prefix(text: str) -> str | None:
    """The stored form's prefix of a typed application number (``CN2017106``, ``201710601862.3``), if it is one."""
    match = _NUMBER.match(text.upper().replace(" ", ""))
    if match is None:
        return None
    digits, check = match.groups()
    return f"{digits}.{check}" if check and len(digits) in (8, 12) else digits


def patents(user: User | None, q: str, limit: int = 10) -> list[Patent]:
    """Patents whose application number starts with, or whose title contains, the text: published ones and the
    caller's organisation's own (its own first)."""
    lookup = _checked(user, q, limit)
    if not lookup.text:
        return []
    number = _number_prefix(lookup.text)
    matches = Patent.application_number.startswith(number) if number else _contains(Patent.title, lookup.text)
    stmt = select(Patent).where(matches)
    own = lookup.user.organisation_id or 0
    if not lookup.user.is_platform_admin:
        stmt = stmt.where(or_(Patent.state == PublicationState.PUBLISHED, Patent.owner_id == own))
    return list(db.session.scalars(stmt.options(selectinload(Patent.owner))
                                   .order_by(case((Patent.owner_id == own, 0), else_=1), Patent.id.desc())
                                   .limit(lookup.limit)))
