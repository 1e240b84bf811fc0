"""A royalty license whose first period has ended: the licensee can report it."""
from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.core import transaction
from marketplace.core.dates import local_today
from marketplace.extensions import db
from marketplace.legal.term import add_months
from marketplace.openlicense import licensing
from marketplace.openlicense.models import LicenseGrant
from tests import factories


def backdate(grant_id: int, months: int) -> LicenseGrant:
    """Move a license's notice ``months`` into the past and rebuild its schedule from there, committed."""
    grant = db.session.get(LicenseGrant, grant_id)
    grant.notice_date = add_months(local_today(), -months)
    grant.effective_on = grant.notice_date
    grant.installments = licensing.build_schedule(grant.declaration, grant.notice_date)
    transaction.commit()
    return grant


@pytest.fixture
def royalty_license(ctx, university, company):
    """``royalty_license(months=13, **terms)``: a 3.50 % royalty-on-sales license noticed ``months`` ago."""
    def make(months: int = 13, **terms) -> LicenseGrant:
        patent = factories.make_granted_patent(university)
        values = {"payment_method": "royalty_sales", "royalty_rate": "3.50", "fixed_fee": None,
                  "term_end": (local_today() + timedelta(days=800)).isoformat(), **terms}
        declaration_id = factories.make_open_license(university, patent, **values)
        grant = licensing.accept_open_license(company.load(), declaration_id)
        transaction.commit()
        return backdate(grant.id, months)
    return make
