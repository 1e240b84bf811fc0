"""Reading the facts the legal rules need, and locking patents while a rule is applied.

Open licenses, deals and pledges each change what the others may do, so the
facts about one patent (its status, co-owners, licenses in force, active
pledges, a live declaration) are gathered in one place, under a row lock on
PostgreSQL so two concurrent operations cannot both pass a check that only one
of them may.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from marketplace.accounts.models import Organisation
from marketplace.core.slots import Slot
from marketplace.extensions import db
from marketplace.legal.conflicts import OPEN_DECLARATION, OPEN_GRANT, LicenseTerm
from marketplace.legal.eligibility import CoOwner, PatentFacts
from marketplace.openlicense.models import LIVE, DeclarationStatus, LicenseGrant, OpenLicenseDeclaration
from marketplace.patents.models import Patent

# Facts kept by the packages above this one (deals and pledges build on open licenses), provided in create_app.
EXCLUSIVE_LICENSE_IN_FORCE: Slot[Callable[[int, date], bool]] = Slot("exclusive_license_in_force")
DEAL_LICENSE_TERMS: Slot[Callable[[int, int | None], list[LicenseTerm]]] = Slot("deal_license_terms")
PLEDGE_COUNTS: Slot[Callable[[int], tuple[int, int]]] = Slot("pledge_counts")
PLEDGEES: Slot[Callable[[Iterable[int]], list[int]]] = Slot("pledgees")


def lock_patents(patent_ids: Iterable[int], *, shared: bool = False) -> list[Patent]:
    """Load patents ``FOR UPDATE`` in id order (a fixed order, so two lockers never deadlock).

    ``shared`` takes ``FOR SHARE``: readers that must not run past a change
    (accepting an open license while an exclusive license is being signed)
    run side by side. SQLite ignores the clause; its single writer serialises
    the same work.
    """
    ids = sorted(set(patent_ids))
    if not ids:
        return []
    return list(db.session.scalars(
        select(Patent).where(Patent.id.in_(ids)).order_by(Patent.id).with_for_update(read=shared)
        .execution_options(populate_existing=True)))


def exclusive_license_in_force(patent_id: int, today: date) -> bool:
    """A signed exclusive or sole license whose term has not ended."""
    return EXCLUSIVE_LICENSE_IN_FORCE()(patent_id, today)


def pledgees(patent_ids: Iterable[int]) -> list[int]:
    """The pledgees of the registered pledges on these patents (they consent to licensing them)."""
    return PLEDGEES()(patent_ids)


def live_declaration(patent_id: int) -> OpenLicenseDeclaration | None:
    """The patent's draft or published declaration (at most one, by a partial unique index)."""
    return db.session.scalar(select(OpenLicenseDeclaration).where(
        OpenLicenseDeclaration.patent_id == patent_id, OpenLicenseDeclaration.status.in_(LIVE)))


def co_owners(patent: Patent) -> tuple[CoOwner, ...]:
    """The patent's co-owners with the organisations linked to consent for them."""
    return tuple(CoOwner(name, organisation_id) for name, organisation_id in patent.co_owner_organisations().items())


def patent_facts(patent: Patent, today: date) -> PatentFacts:
    """Everything the rules in ``marketplace.legal`` look at, for one patent as it stands now."""
    active, without_consent = PLEDGE_COUNTS()(patent.id)
    declared = db.session.scalar(select(func.count()).select_from(OpenLicenseDeclaration).where(
        OpenLicenseDeclaration.patent_id == patent.id, OpenLicenseDeclaration.status == DeclarationStatus.PUBLISHED))
    return PatentFacts(
        patent_type=patent.patent_type.value, legal_status=patent.legal_status.value,
        application_date=patent.application_date, legal_status_on=patent.legal_status_on,
        proceedings_suspended=bool(patent.proceedings_suspended), evaluation_report=patent.evaluation_report,
        co_owners=co_owners(patent), exclusive_license_in_force=exclusive_license_in_force(patent.id, today),
        active_pledges=int(active), pledges_without_consent=int(without_consent),
        open_license_declared=bool(declared))


def license_terms(patent_id: int, *, excluding_deal: int | None = None) -> list[LicenseTerm]:
    """Every license of the patent the conflict rules weigh: binding license deals, licenses obtained
    through open licenses and the published declaration, each labelled to be named in a refusal."""
    terms: list[LicenseTerm] = DEAL_LICENSE_TERMS()(patent_id, excluding_deal)
    grants = db.session.execute(
        select(LicenseGrant.id, LicenseGrant.notice_date, LicenseGrant.term_end, LicenseGrant.licensee_id,
               Organisation.name).join(Organisation, Organisation.id == LicenseGrant.licensee_id)
        .where(LicenseGrant.patent_id == patent_id))
    for grant_id, start, end, licensee_id, name in grants:
        terms.append(LicenseTerm(OPEN_GRANT, start, end, licensee_id,
                                 _("开放许可 #%(id)s（被许可人 %(name)s）", id=grant_id, name=name)))
    declaration = db.session.scalar(select(OpenLicenseDeclaration).where(
        OpenLicenseDeclaration.patent_id == patent_id, OpenLicenseDeclaration.status == DeclarationStatus.PUBLISHED))
    if declaration is not None:
        terms.append(LicenseTerm(OPEN_DECLARATION, declaration.term_start, declaration.term_end, None,
                                 _("开放许可声明 #%(id)s", id=declaration.id)))
    return terms


def published_patent_ids(patent_ids: list[int]) -> set[int]:
    """Of these patents, those with a published open-license declaration in force (search's flag)."""
    return set(db.session.scalars(select(OpenLicenseDeclaration.patent_id).where(
        OpenLicenseDeclaration.patent_id.in_(patent_ids), OpenLicenseDeclaration.status == DeclarationStatus.PUBLISHED)))


def patents_of_declarations(declaration_ids: set[int]) -> set[int]:
    """The patents of these declarations (search re-indexes them when a declaration changes)."""
    return set(db.session.scalars(select(OpenLicenseDeclaration.patent_id)
                                  .where(OpenLicenseDeclaration.id.in_(declaration_ids))))
