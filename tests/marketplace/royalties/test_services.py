"""Royalty reports: the royalty from the declared rate to the cent, one report per period, bad input refused
with the field named and nothing written, payment confirmed by the licensor, the statement per year."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from marketplace.core import transaction
from marketplace.core.dates import local_today
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.openlicense import payments
from marketplace.royalties import services
from marketplace.royalties.compute import royalty_of
from marketplace.royalties.models import RoyaltyReport
from tests import factories


def reports() -> int:
    return db.session.scalar(select(func.count()).select_from(RoyaltyReport)) or 0


@pytest.mark.parametrize(("base", "rate", "royalty"), [
    ("1000000.00", "3.50", "35000.00"), ("333.33", "3.50", "11.67"), ("0.14", "3.57", "0.00"),
    ("0.15", "3.34", "0.01"), ("999999999999.99", "20.00", "200000000000.00"), ("0", "5", "0.00")])
def test_royalty_is_base_times_rate_to_the_cent_half_up(base, rate, royalty):
    assert royalty_of(Decimal(base), Decimal(rate)) == Decimal(royalty)


def test_licensee_reports_and_the_licensor_confirms_the_royalty(royalty_license, company, university):
    grant = royalty_license()
    report = services.file_report(company.load(), grant.id, {"base_amount": "1,234,567.89", "units": "420"})
    transaction.commit()
    installment = report.installment
    assert report.royalty == Decimal("43209.88") == installment.amount  # 1,234,567.89 × 3.5 % = 43,209.87615
    assert report.rate == Decimal("3.50") and report.base == "sales" and report.units == 420
    assert report.period_end == installment.period_end and installment.due_date > report.period_end
    assert not installment.is_settled
    payment = payments.record_payment(company.load(), grant.id, {"amount": "43209.88"})
    transaction.commit()
    assert payment.installment_id == installment.id and not installment.is_settled, "reported is not paid"
    factories.approve("license_payment", payment.id, university)
    assert installment.is_settled
    found = services.statement(university.load(), grant.id, report.period_end.year)
    assert found.royalty_total == Decimal("43209.88") == found.paid_total and found.outstanding_total == 0


def test_a_period_is_reported_once(royalty_license, company):
    grant = royalty_license()
    first = services.file_report(company.load(), grant.id, {"base_amount": "1000"})
    transaction.commit()
    with pytest.raises(Conflict) as caught:
        services.file_report(company.load(), grant.id, {"base_amount": "2000", "installment_id": first.installment_id})
    assert "installment_id" in caught.value.fields
    transaction.rollback()
    assert reports() == 1 and first.installment.amount == Decimal("35.00")


def test_a_period_not_yet_ended_cannot_be_reported(royalty_license, company):
    grant = royalty_license(months=6)
    with pytest.raises(Conflict) as caught:
        services.file_report(company.load(), grant.id, {"base_amount": "1000"})
    assert "installment_id" in caught.value.fields
    later = grant.installments[0].id
    with pytest.raises(Conflict):
        services.file_report(company.load(), grant.id, {"base_amount": "1000", "installment_id": later})
    assert reports() == 0


@pytest.mark.parametrize(("raw", "field"), [
    ({"base_amount": "-1"}, "base_amount"),
    ({"base_amount": "1e13"}, "base_amount"),
    ({"base_amount": "10000000000000"}, "base_amount"),
    ({"base_amount": "12.345"}, "base_amount"),
    ({"base_amount": "abc"}, "base_amount"),
    ({"base_amount": ""}, "base_amount"),
    ({"base_amount": "1000", "royalty_rate": "5"}, "royalty_rate"),
    ({"base_amount": "1000", "royalty_rate": "3.49"}, "royalty_rate"),
    ({"base_amount": "1000", "royalty_rate": "abc"}, "royalty_rate"),
    ({"base_amount": "1000", "units": "-3"}, "units"),
    ({"base_amount": "1000", "units": "1.5"}, "units"),
    ({"base_amount": "1000", "base": "profit"}, "base"),
    ({"base_amount": "1000", "installment_id": "999999"}, "installment_id"),
])
def test_bad_input_names_the_field_and_writes_nothing(royalty_license, company, raw, field):
    grant = royalty_license()
    with pytest.raises(ValidationFailed) as caught:
        services.file_report(company.load(), grant.id, raw)
    assert field in caught.value.fields
    transaction.rollback()
    assert reports() == 0 and all(i.amount is None for i in grant.installments)


def test_only_the_licensee_reports(royalty_license, company, university, other_university):
    grant = royalty_license()
    with pytest.raises(Conflict):
        services.file_report(university.load(), grant.id, {"base_amount": "1000"})
    with pytest.raises(NotFound):
        services.file_report(other_university.load(), grant.id, {"base_amount": "1000"})
    with pytest.raises(NotFound):
        services.statement(other_university.load(), grant.id, local_today().year)
    assert reports() == 0


def test_a_lump_sum_license_has_no_royalty_report(ctx, university, company):
    from marketplace.openlicense import licensing
    declaration_id = factories.make_open_license(university, factories.make_granted_patent(university))
    grant = licensing.accept_open_license(company.load(), declaration_id)
    transaction.commit()
    with pytest.raises(Conflict) as caught:
        services.file_report(company.load(), grant.id, {"base_amount": "1000"})
    assert "payment_method" in caught.value.fields
    with pytest.raises(NotFound):
        services.royalty_license(university.load(), grant.id)


def test_profit_royalty_uses_the_declared_base(royalty_license, company):
    grant = royalty_license(payment_method="royalty_profit", royalty_rate="30")
    report = services.file_report(company.load(), grant.id, {"base_amount": "200000.01", "base": "profit"})
    assert report.base == "profit" and report.royalty == Decimal("60000.00")


def test_statement_rows_carry_totals_and_unreported_periods(royalty_license, company, university):
    grant = royalty_license(months=26)
    services.file_report(company.load(), grant.id, {"base_amount": "100000"})
    transaction.commit()
    year = grant.installments[1].period_end.year
    found = services.statement(university.load(), grant.id, year)
    headers, rows = services.statement_rows(found, local_today())
    assert len(headers) == len(rows[0]) and rows[-1][0] == "合计"
    assert found.unreported + sum(1 for line in found.lines if line.period.reported) == len(found.lines)
