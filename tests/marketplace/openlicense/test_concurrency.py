"""An open license is non-exclusive: companies accepting it at the same moment all obtain it."""
from __future__ import annotations

import pytest

from marketplace.extensions import db
from marketplace.openlicense import licensing
from marketplace.openlicense.models import LicenseGrant
from tests import factories
from tests.marketplace.openlicense.concurrency import require_postgres, run_together


@pytest.mark.postgres
def test_two_companies_accepting_at_once_both_succeed(app, university, company):
    require_postgres(app)
    with app.app_context():
        declaration_id = factories.make_open_license(university, factories.make_granted_patent(university))
        second = factories.make_user("company", org_name="第二家科技有限公司")
    results = run_together(app, *(
        lambda user=user: licensing.accept_open_license(user.load(), declaration_id).id
        for user in (company, second)))
    assert all(isinstance(result, int) for result in results), results
    with app.app_context():
        licensees = {g.licensee_id for g in db.session.query(LicenseGrant).filter_by(declaration_id=declaration_id)}
        assert licensees == {company.organisation_id, second.organisation_id}
