"""The pledge's two-sided acts: registration and release, who consents to each and what each does.

| act (``ConsentAct``) | who may propose | who must approve | takes effect |
| --- | --- | --- | --- |
| registration (``pledge_registration``) | pledgor, pledgee, brokering agency | pledgor, pledgee, every co-owner of every patent | pledge *registered*: the patents are pledged from the registration date |
| release (``pledge_release``) | pledgee, pledgor, agency | the pledgee (the creditor) | pledge *released* (注销) |

The pledgee's written consent that open licenses continue and the parties'
acceptance of a pending invalidation request are terms of the registration:
consenting to it states them in writing. A refused registration ends the
pledge (*rejected*); a refused release leaves it registered. Registration
re-applies every rule of DOMAIN.md §5 under a lock on the patents; the partial
unique index on active pledged patents stays the last guard against a race.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import User
from marketplace.consents import services as consents
from marketplace.consents.models import ConsentAct, ConsentRole, Proposal
from marketplace.consents.services import ActRules, Party
from marketplace.core.audit import record_audit
from marketplace.core.dates import local_today, parse_date
from marketplace.core.locking import lock_row
from marketplace.extensions import db
from marketplace.legal.eligibility import pledge_refusals
from marketplace.legal.refusals import Ineligible, Refusal
from marketplace.openlicense.facts import lock_patents, patent_facts
from marketplace.openlicense.services import recheck_patent
from marketplace.patents.models import Patent
from marketplace.pledges.models import Pledge, PledgeStatus

SUBJECT = "pledge"
PAGE = ("pledges.detail", "pledge_id")


def lock_pledge(pledge_id: int) -> Pledge:
    return lock_row(Pledge, pledge_id, _("质押不存在"))


def registration_parties(proposal: Proposal | None, pledge: Pledge) -> list[Party]:
    """Pledgor and pledgee register jointly; every co-owner consents to pledging its share."""
    co_owners = [org_id for link in pledge.patent_links
                 for org_id in link.patent.co_owner_organisations().values() if org_id]
    return [Party(pledge.pledgor_id, ConsentRole.PLEDGOR), Party(pledge.pledgee_id, ConsentRole.PLEDGEE),
            *[Party(org_id, ConsentRole.CO_OWNER) for org_id in dict.fromkeys(co_owners)
              if org_id not in (pledge.pledgor_id, pledge.pledgee_id)]]


def release_parties(proposal: Proposal | None, pledge: Pledge) -> list[Party]:
    """Only the creditor gives up its security: the pledgor may propose the release, never decide it."""
    return [Party(pledge.pledgee_id, ConsentRole.PLEDGEE)]


def check_registration(pledge: Pledge, patents: list[Patent]) -> None:
    """Every ground of DOMAIN.md §5 on each patent, all reasons at once."""
    today = local_today()
    refusals: list[tuple[str, Refusal]] = []
    for patent in patents:
        refusals += [(patent.application_number, r) for r in pledge_refusals(
            patent_facts(patent, today), pledgor_is_patentee=patent.owner_id == pledge.pledgor_id,
            term_end=pledge.term_end, open_license_consent=pledge.open_license_consent,
            invalidation_accepted=pledge.invalidation_accepted, today=today)]
    if refusals:
        raise Ineligible(_("不能办理质押登记"), refusals)


def summary(pledge: Pledge) -> str:
    return f"{pledge.registration_number} ¥{pledge.amount:,.2f}"


def _register(proposal: Proposal, pledge: Pledge, user: User) -> None:
    """Every party consented: the pledge exists; its patents cannot be pledged again until released."""
    patents = lock_patents(link.patent_id for link in pledge.patent_links)
    check_registration(pledge, patents)
    try:
        with db.session.begin_nested():
            pledge.status = PledgeStatus.REGISTERED
            for link in pledge.patent_links:
                link.active = True
            db.session.flush()
    except IntegrityError:
        raise Ineligible(_("不能办理质押登记"), [("", Refusal("already_pledged"))]) from None
    record_audit("pledge.registered", SUBJECT, pledge.id,
                 {"amount": pledge.amount, "patent_ids": [p.id for p in patents],
                  "registration_number": pledge.registration_number}, actor=user)
    for patent in patents:
        recheck_patent(patent.id)


def _reject(proposal: Proposal, pledge: Pledge, user: User) -> None:
    pledge.status = PledgeStatus.REJECTED
    record_audit("pledge.rejected", SUBJECT, pledge.id, {"proposal_id": proposal.id}, actor=user)


def _release(proposal: Proposal, pledge: Pledge, user: User) -> None:
    """The pledgee agreed: the pledge ends; the patents may be pledged again and their open licenses re-checked."""
    pledge.status = PledgeStatus.RELEASED
    pledge.released_on = parse_date(proposal.details.get("released_on"), "released_on") or local_today()
    for link in pledge.patent_links:
        link.active = False
    db.session.flush()
    record_audit("pledge.released", SUBJECT, pledge.id, {"released_on": pledge.released_on}, actor=user)
    for link in pledge.patent_links:
        recheck_patent(link.patent_id)


def register() -> None:
    """Declare the pledge acts' rules to the consents service (called from ``create_app``)."""
    consents.register(ConsentAct.PLEDGE_REGISTRATION,
                      ActRules(SUBJECT, lock_pledge, registration_parties, _register, PAGE, on_rejected=_reject))
    consents.register(ConsentAct.PLEDGE_RELEASE, ActRules(SUBJECT, lock_pledge, release_parties, _release, PAGE))
