"""Co-owners as organisations: link each co-owner named on a patent to the organisation that consents for it.

Patent databases record co-owners by name. A transfer, an exclusive or sole
license, a pledge, an open-license declaration or its withdrawal needs every
co-owner's consent through its own account (Patent Law art. 14), so the patent
owner links each name to the co-owner's organisation on the platform, or
invites it to register. A name without an organisation blocks those acts with
a refusal naming it. A link is accepted only to an organisation registered
under that very name, and never to the owner itself.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.services import recipient_locale
from marketplace.core.audit import record_audit
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.mail import queue_mail
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.patents.models import CoOwnerLink, Patent
from marketplace.patents.services import get_patent_for_owner

_BRACKETS = str.maketrans({"（": "(", "）": ")"})
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class CoOwnerView:
    """One co-owner of a patent as its owner sees it: the link, an invitation, organisations that could be it."""

    name: str
    link: CoOwnerLink | None
    candidates: list[Organisation] = field(default_factory=list)

    @property
    def organisation(self) -> Organisation | None:
        return self.link.organisation if self.link else None


def name_key(name: str) -> str:
    """A name compared the way registries write it: no spaces, half-width brackets."""
    return re.sub(r"\s+", "", (name or "").translate(_BRACKETS))


def _named(name: str) -> list[Organisation]:
    """Organisations registered under this name (full- or half-width brackets alike)."""
    spellings = {name.strip(), name.strip().translate(_BRACKETS),
                 name.strip().replace("(", "（").replace(")", "）")}
    rows = db.session.scalars(select(Organisation).where(Organisation.name.in_(spellings)).order_by(Organisation.id))
    return [o for o in rows if name_key(o.name) == name_key(name)]


def _co_owner(patent: Patent, name: str) -> str:
    wanted = name_key(name)
    found = next((n for n in patent.co_owners or [] if name_key(n) == wanted), None)
    if found is None:
        raise ValidationFailed.field("name", _("“%(name)s”不是该专利记载的共有人", name=name))
    return found


def _link_row(patent: Patent, name: str) -> CoOwnerLink:
    link = next((link for link in patent.co_owner_links if link.name == name), None)
    if link is None:
        link = CoOwnerLink(name=name)
        patent.co_owner_links.append(link)
    return link


def co_owners_of(user: User, patent_id: int) -> list[CoOwnerView]:
    """The patent's co-owners with their links and, for unlinked ones, organisations registered under the name."""
    patent = get_patent_for_owner(user, patent_id)
    links = {link.name: link for link in patent.co_owner_links}
    views = []
    for name in patent.co_owners or []:
        link = links.get(name)
        linked = link is not None and link.organisation_id is not None
        candidates = [] if linked else [o for o in _named(name) if o.id != patent.owner_id]
        views.append(CoOwnerView(name, link, candidates))
    return views


def link_co_owner(user: User, patent_id: int, name: str, organisation_id: int | None) -> CoOwnerLink:
    """Link a co-owner name to the organisation registered under it (``None`` removes the link)."""
    patent = get_patent_for_owner(user, patent_id)
    recorded = _co_owner(patent, name)
    organisation = None
    if organisation_id is not None:
        organisation = db.session.get(Organisation, organisation_id)
        if organisation is None:
            raise ValidationFailed.field("organisation_id", _("机构不存在"))
        if organisation.id == patent.owner_id:
            raise ValidationFailed.field("organisation_id", _("专利权人本身不能作为共有人"))
        if name_key(organisation.name) != name_key(recorded):
            raise ValidationFailed.field("organisation_id", _(
                "机构名称“%(organisation)s”与共有人“%(name)s”不一致", organisation=organisation.name, name=recorded))
    link = _link_row(patent, recorded)
    previous = link.organisation_id
    link.organisation_id = organisation.id if organisation else None
    link.linked_at = utcnow() if organisation else None
    db.session.flush()
    record_audit("patent.co_owner_linked", "patent", patent.id,
                 {"name": recorded, "organisation_id": [previous, link.organisation_id]}, actor=user,
                 organisation_id=patent.owner_id)
    return link


def invite_co_owner(user: User, patent_id: int, name: str, email: str) -> CoOwnerLink:
    """E-mail a co-owner without an account an invitation to register, so it can consent for itself."""
    patent = get_patent_for_owner(user, patent_id)
    recorded = _co_owner(patent, name)
    address = (email or "").strip()
    if not _EMAIL.match(address) or len(address) > 254:
        raise ValidationFailed.field("email", _("邮箱格式无效"))
    link = _link_row(patent, recorded)
    if link.organisation_id is not None:
        raise Conflict(_("该共有人已关联平台机构"), {"name": recorded})
    link.invited_email, link.invited_at = address, utcnow()
    db.session.flush()
    register_url = f"{current_app.config['SETTINGS'].public_url}/register"
    with force_locale(recipient_locale(address)):  # an address already on the platform reads its own language
        queue_mail(address, _("邀请注册：专利共有人确认（%(title)s）", title=patent.title[:60]),
                   _("%(owner)s 邀请 %(name)s 在专利供需对接平台注册机构账户，以便对专利 %(number)s《%(title)s》的转让、"
                     "许可、质押及开放许可等事项通过自己的账户表示同意。\n请以“%(name)s”为机构名称注册：%(url)s\n",
                     owner=patent.owner.name, name=recorded, number=patent.application_number, title=patent.title,
                     url=register_url))
    record_audit("patent.co_owner_invited", "patent", patent.id, {"name": recorded, "email": address}, actor=user,
                 organisation_id=patent.owner_id)
    return link
