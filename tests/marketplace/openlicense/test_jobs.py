"""The periodic re-check catches what time alone changes."""
from __future__ import annotations

from marketplace.core import transaction
from marketplace.core.scheduler import periodic_jobs
from marketplace.extensions import db
from marketplace.legal.term import add_months
from marketplace.core.dates import local_today
from marketplace.openlicense.jobs import recheck_declarations
from marketplace.openlicense.models import OpenLicenseDeclaration
from marketplace.patents.models import Patent
from tests import factories


def test_a_patent_reaching_its_expiry_ends_its_declaration(ctx, university):
    lapsing = factories.make_granted_patent(university)
    factories.make_granted_patent(university)
    declaration_id = factories.make_open_license(university, lapsing)
    factories.make_open_license(university, factories.make_granted_patent(university))
    assert recheck_declarations() == 0
    db.session.get(Patent, lapsing.id).application_date = add_months(local_today(), -240)  # 20 years on
    transaction.commit()
    assert recheck_declarations() == 1
    ended = db.session.get(OpenLicenseDeclaration, declaration_id)
    assert ended.status == "ended" and ended.end_reason == "expired" and ended.ended_on == local_today()
    assert not ended.needs_withdrawal and recheck_declarations() == 0


def test_the_job_is_declared_periodic(app):
    assert "open-license-recheck" in {p.name for p in periodic_jobs()}
