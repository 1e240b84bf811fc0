"""Reading the facts the eligibility rules need, and locking patents while a rule is applied.

Open licenses, deals and pledges each change what the others may do, so the
facts about one patent (its status, exclusive licenses in force, active
pledges, a live declaration) are gathered in one place, under a row lock on
PostgreSQL so two concurrent operations cannot both pass a check that only one
of them may.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import case, func, or_, select

from marketplace.deals.models import Deal, DealMode, DealPatent, DealStatus, LicenseKind
from marketplace.extensions import db
from marketplace.openlicense.eligibility import PatentFacts
from marketplace.openlicense.models import DeclarationStatus, OpenLicenseDeclaration
from marketplace.patents.models import Patent
from marketplace.pledges.models import Pledge, PledgePatent, PledgeStatus

BINDING = [DealStatus.SIGNED, DealStatus.RECORDED, DealStatus.COMPLETED]


def lock_patents(patent_ids: Iterable[int]) -> list[Patent]:
    """Load patents ``FOR UPDATE`` in id order (a fixed order, so two lockers never deadlock).

    SQLite ignores the clause; its single writer serialises the same work.
    """
    ids = sorted(set(patent_ids))
    if not ids:
        return []
    return list(db.session.scalars(
        select(Patent).where(Patent.id.in_(ids)).order_by(Patent.id).with_for_update()
        .execution_options(populate_existing=True)))


def exclusive_license_in_force(patent_id: int, today: date) -> bool:
    """A signed exclusive or sole license whose term has not ended."""
    return bool(db.session.scalar(
        select(func.count()).select_from(Deal).join(DealPatent)
        .where(DealPatent.patent_id == patent_id, Deal.mode == DealMode.LICENSE,
               Deal.license_kind.in_([LicenseKind.EXCLUSIVE, LicenseKind.SOLE]), Deal.status.in_(BINDING),
               or_(Deal.term_end.is_(None), Deal.term_end >= today))))


def live_declaration(patent_id: int) -> OpenLicenseDeclaration | None:
    """The patent's draft or published declaration (at most one, by a partial unique index)."""
    return db.session.scalar(select(OpenLicenseDeclaration).where(
        OpenLicenseDeclaration.patent_id == patent_id, OpenLicenseDeclaration.status != DeclarationStatus.WITHDRAWN))


def patent_facts(patent: Patent, today: date) -> PatentFacts:
    """Everything the rules in ``eligibility`` look at, for one patent as it stands now."""
    active, without_consent = db.session.execute(
        select(func.count(), func.coalesce(func.sum(case((Pledge.open_license_consent.is_(False), 1), else_=0)), 0))
        .select_from(PledgePatent).join(Pledge)
        .where(PledgePatent.patent_id == patent.id, PledgePatent.active.is_(True),
               Pledge.status == PledgeStatus.REGISTERED)).one()
    declared = db.session.scalar(select(func.count()).select_from(OpenLicenseDeclaration).where(
        OpenLicenseDeclaration.patent_id == patent.id, OpenLicenseDeclaration.status == DeclarationStatus.PUBLISHED))
    return PatentFacts(
        patent_type=patent.patent_type.value, legal_status=patent.legal_status.value,
        application_date=patent.application_date, proceedings_suspended=bool(patent.proceedings_suspended),
        evaluation_report=patent.evaluation_report, co_owners=tuple(patent.co_owners or ()),
        exclusive_license_in_force=exclusive_license_in_force(patent.id, today),
        active_pledges=int(active), pledges_without_consent=int(without_consent),
        open_license_declared=bool(declared))
