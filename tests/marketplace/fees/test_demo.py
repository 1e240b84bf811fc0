"""The demo shows the money story: a royalty report to confirm, fees due this quarter with reductions, a D-grade
patent with an open license in the review."""
from __future__ import annotations

from sqlalchemy import select

from marketplace.core.dates import local_today
from marketplace.extensions import db
from marketplace.fees import reports, review
from marketplace.fees.models import AnnualFee
from marketplace.accounts.models import Membership, User
from marketplace.openlicense.models import LicensePayment, PaymentStatus
from marketplace.royalties.models import RoyaltyReport


def test_demo_has_a_royalty_report_and_the_university_fees(ctx, demo_counts):
    counts = demo_counts
    assert counts["royalty_reports"] == 1 and counts["annual_fees"] > 0
    report = db.session.scalar(select(RoyaltyReport))
    assert report.royalty == report.base_amount * report.rate / 100
    payment = db.session.scalar(select(LicensePayment).where(LicensePayment.installment_id == report.installment_id))
    assert payment.status == PaymentStatus.REPORTED  # the university confirms it in the walkthrough
    university = db.session.scalar(select(User).join(Membership).where(
        Membership.organisation_id == report.license.licensor_id))
    period = reports.parse_period({}, local_today())
    rows, totals = reports.fees_in(university, period)
    assert totals.fees > 0 and totals.amount < totals.standard  # the fee-reduction status applies
    assert any(line["code"].startswith("fee_reduction") for row in rows for line in row.lines)
    upcoming = db.session.scalars(select(AnnualFee).where(AnnualFee.owner_id == university.organisation_id)).all()
    assert any(line["code"] == "open_license" for row in upcoming for line in row.lines)
    items = [item for year in (local_today().year, local_today().year + 1)
             for item in review.review(university, year)[0]]
    assert items and items[0].patent.grade == "D"
