"""Periodic re-check of published declarations.

Services re-check a declaration whenever the patent, its pledges or licenses
change; this job covers what changes with time alone: a patent reaching its
expiry date, an exclusive license's term ending. It takes no arguments and is
idempotent, so running it twice is harmless.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from marketplace.core import transaction
from marketplace.core.jobs import job, job_logger
from marketplace.core.scheduler import Periodic, register_periodic
from marketplace.extensions import db
from marketplace.openlicense.models import DeclarationStatus, OpenLicenseDeclaration
from marketplace.openlicense.services import recheck_patent

log = job_logger(__name__)


@job(queue="default", timeout=900)
def recheck_declarations() -> int:
    """Periodic: re-apply the rules to every published declaration; returns how many stopped accepting
    licensees (ended, or suspended and flagged) in this run or before."""
    patent_ids = list(db.session.scalars(select(OpenLicenseDeclaration.patent_id).where(
        OpenLicenseDeclaration.status == DeclarationStatus.PUBLISHED)))
    stopped = sum(1 for patent_id in patent_ids
                  if (d := recheck_patent(patent_id)) and (d.needs_withdrawal or d.status == DeclarationStatus.ENDED))
    transaction.commit()
    log.info("open-license re-check: %d declarations, %d ended or suspended", len(patent_ids), stopped)
    return stopped


def register() -> None:
    """Declare the periodic job; called once when the blueprint is registered on the app."""
    register_periodic(Periodic("open-license-recheck", timedelta(hours=6), recheck_declarations))
