"""Who may do what: the checks services call before touching organisation-owned rows."""
from __future__ import annotations

from collections.abc import Iterable

from marketplace.accounts.models import Organisation, OrganisationKind, User
from marketplace.core.errors import Forbidden, NotFound
from marketplace.core.i18n import gettext as _


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
