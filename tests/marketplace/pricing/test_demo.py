"""The demo shows pricing help working: the university's patent has a range from license deals and from open
licenses, on its page and on its declaration form."""
from __future__ import annotations

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.patents.models import Patent
from marketplace.patents.vocab import TransformationMode
from marketplace.pricing import services


def test_demo_patent_has_ranges_for_licenses_and_open_licenses(ctx, demo_counts):
    counts = demo_counts
    university = db.session.scalar(select(User).where(User.email == "university@demo.local"))
    patent = db.session.get(Patent, counts["pricing_patent"])
    assert patent.owner_id == university.organisation_id
    licenses = services.price_help(university, patent, TransformationMode.LICENSE)
    assert licenses.enough and licenses.basis == "close" and licenses.low < licenses.high
    assert any(c.visible for c in licenses.used) and any(not c.visible for c in licenses.used)
    open_licenses = services.price_help(university, patent, TransformationMode.OPEN_LICENSE)
    assert open_licenses.enough and open_licenses.count == 5
