"""Who may do what: the checks services call before touching organisation-owned rows."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from marketplace.accounts.models import Organisation, OrganisationKind, User
from marketplace.core.errors import Forbidden, NotFound
from marketplace.core.i18n import gettext as _
from marketplace.extensions import db

T = TypeVar("T")


def require_organisation(user: User, kinds: Iterable[OrganisationKind] | None = None) -> Organisation:
    """The user's organisation, optionally of one of ``kinds``; Forbidden otherwise."""
    organisation = user.organisation if user is not None and user.is_authenticated else None
    if organisation is None:
        raise Forbidden(_("需要先加入机构"))
    allowed = tuple(kinds or ())
    if allowed and organisation.kind not in allowed:
        labels = _("、").join(k.label for k in allowed)
        raise Forbidden(_("此操作仅限以下机构类型：%(labels)s", labels=labels))
    return organisation


def require_owned(user: User, owner_id: int, what: str) -> None:
    """Foreign records look absent (404) so their existence is not revealed, unless the user is a platform admin."""
    if getattr(user, "is_platform_admin", False):
        return
    if user is None or not user.is_authenticated or user.organisation_id != owner_id:
        raise NotFound(_("%(what)s不存在或无权访问", what=what))


def may_see(user: User | None, party_ids: Iterable[int | None], *, admins: bool = True) -> bool:
    """The access policy of the getters: a platform admin (unless ``admins`` is False: rows only their own
    organisation acts on, such as its inbox or subscriptions), or a member of one of the parties."""
    if user is None or not user.is_authenticated:
        return False
    if admins and getattr(user, "is_platform_admin", False):
        return True
    return user.organisation_id is not None and user.organisation_id in set(party_ids)


def get_visible(user: User | None, model: type[T], object_id: int, parties: Callable[[T], Iterable[int | None]],
                missing: str, *, also: Callable[[T], bool] | None = None, lock: bool = False,
                admins: bool = True) -> T:
    """The row ``object_id`` of ``model`` when ``may_see`` (or ``also``) allows; else NotFound with ``missing``,
    exactly as for a row that does not exist, so its existence is not revealed. ``lock`` holds the row until
    the commit (two decisions on it cannot both pass a status check). Every service getter that loads a row
    by id for a user goes through here (``tests/marketplace/accounts/test_getters.py`` enforces it)."""
    found: Any = db.session.get(model, object_id, with_for_update=True if lock else None)
    if found is None or not (may_see(user, parties(found), admins=admins) or (also is not None and also(found))):
        raise NotFound(missing)
    row: T = found
    return row
