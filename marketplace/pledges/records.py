"""What the legal rules read from pledges: a patent's registered pledges and their pledgees.

Provided to ``openlicense.facts`` through its slots in ``create_app`` (open licenses and deals sit below pledges).
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import case, func, select

from marketplace.extensions import db
from marketplace.pledges.models import Pledge, PledgePatent, PledgeStatus


def pledge_counts(patent_id: int) -> tuple[int, int]:
    """(registered pledges of the patent, those of them whose pledgee did not consent to an open license)."""
    active, without_consent = db.session.execute(
        select(func.count(), func.coalesce(func.sum(case((Pledge.open_license_consent.is_(False), 1), else_=0)), 0))
        .select_from(PledgePatent).join(Pledge)
        .where(PledgePatent.patent_id == patent_id, PledgePatent.active.is_(True),
               Pledge.status == PledgeStatus.REGISTERED)).one()
    return int(active), int(without_consent)


def pledgees(patent_ids: Iterable[int]) -> list[int]:
    """The pledgees of the registered pledges on these patents."""
    return list(db.session.scalars(
        select(Pledge.pledgee_id).join(PledgePatent).where(
            PledgePatent.patent_id.in_(list(patent_ids)), PledgePatent.active.is_(True),
            Pledge.status == PledgeStatus.REGISTERED).distinct()))
