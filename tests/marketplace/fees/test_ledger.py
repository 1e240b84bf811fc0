"""The annual-fee ledger: rows per fee year with reductions explained, the legal status following it
(fee_overdue, terminated, back to granted when paid), payments to the cent with the surcharge, bad input."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from marketplace.core import transaction
from marketplace.core.dates import local_today
from marketplace.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.fees import ledger
from marketplace.fees.models import AnnualFee, FeeState
from marketplace.openlicense.models import OpenLicenseDeclaration
from marketplace.patents.vocab import LegalStatus
from tests import factories
from tests.marketplace.fees.conftest import sync


def fees_of(patent_id: int) -> dict[int, AnnualFee]:
    return {row.fee_year: row for row in db.session.scalars(select(AnnualFee).where(AnnualFee.patent_id == patent_id))}


def test_sync_writes_the_coming_fee_with_its_explanation_and_is_idempotent(fee_patent):
    patent = fee_patent(due_in_days=20)
    rows = fees_of(patent.id)
    fee = rows[5]
    assert fee.due_date == local_today() + timedelta(days=20) and fee.state == FeeState.OPEN
    assert fee.standard == Decimal("1200.00") == fee.amount and fee.lines[0]["code"] == "standard"
    assert fee.grace_end > fee.due_date
    before = {year: (row.id, row.amount) for year, row in rows.items()}
    result = ledger.sync_patents([patent.id])
    assert result.created == 0 and {y: (r.id, r.amount) for y, r in fees_of(patent.id).items()} == before


def test_fee_reduction_status_and_a_recorded_open_license_reduce_open_fees(fee_patent, university, company):
    from marketplace.openlicense import licensing
    patent = fee_patent(due_in_days=40)
    ledger.set_reduction_status(university.load(), {"reference": "FJ-2026-001", "recorded_on": local_today()})
    transaction.commit()
    fee = fees_of(patent.id)[5]
    assert fee.amount == Decimal("180.00") and [l["code"] for l in fee.lines] == ["standard", "fee_reduction_single"]
    declaration_id = factories.make_open_license(university, factories.PatentRef(patent.id, patent.application_number,
                                                                                   patent.owner_id),
                                                 payment_method="free", fixed_fee=None)
    grant = licensing.accept_open_license(company.load(), declaration_id)
    transaction.commit()
    licensing.record_recordal(company.load(), grant.id, "2026990000123")
    transaction.commit()
    sync(patent.id)
    fee = fees_of(patent.id)[5]
    assert fee.amount == Decimal("153.00") and fee.lines[-1]["code"] == "open_license"
    assert fee.lines[-1]["detail"] == "2026990000123"


def test_status_follows_the_ledger_overdue_then_granted_when_paid(fee_patent, university):
    patent = fee_patent(due_in_days=-40)  # due 40 days ago: the second month of the grace period has begun
    declaration_id = factories.make_open_license(
        university, factories.PatentRef(patent.id, patent.application_number, patent.owner_id))
    counts = ledger.apply_fee_status()
    transaction.commit()
    assert counts["fee_overdue"] == 1 and patent.legal_status == LegalStatus.FEE_OVERDUE
    assert db.session.get(OpenLicenseDeclaration, declaration_id).suspended  # the declaration rules followed
    fee = fees_of(patent.id)[5]
    with pytest.raises(ValidationFailed) as caught:  # the surcharge is due: 5 % of the standard fee
        ledger.record_fee_payment(university.load(), fee.id, {"amount": "1200.00"})
    assert "amount" in caught.value.fields and "¥1,260.00" in caught.value.fields["amount"]
    transaction.rollback()
    paid = ledger.record_fee_payment(university.load(), fee.id, {"amount": "1260.00", "reference": "JF-1"})
    transaction.commit()
    assert paid.state == FeeState.PAID and paid.surcharge == Decimal("60.00")
    assert patent.legal_status == LegalStatus.GRANTED
    assert not db.session.get(OpenLicenseDeclaration, declaration_id).suspended
    with pytest.raises(Conflict):
        ledger.record_fee_payment(university.load(), fee.id, {})


def test_unpaid_after_the_grace_period_the_patent_terminates(fee_patent, university):
    patent = fee_patent(due_in_days=-200)
    declaration_id = factories.make_open_license(
        university, factories.PatentRef(patent.id, patent.application_number, patent.owner_id))
    ledger.apply_fee_status()
    transaction.commit()
    assert patent.legal_status == LegalStatus.TERMINATED
    assert fees_of(patent.id)[5].state == FeeState.LAPSED
    assert db.session.get(OpenLicenseDeclaration, declaration_id).status != "published"
    fee = fees_of(patent.id)[5]
    with pytest.raises(Conflict):
        ledger.record_fee_payment(university.load(), fee.id, {})


def test_paying_after_the_grace_period_is_refused(fee_patent, university):
    patent = fee_patent(due_in_days=-200)
    fee = fees_of(patent.id)[5]
    with pytest.raises(Conflict) as caught:
        ledger.record_fee_payment(university.load(), fee.id, {"paid_on": local_today()})
    assert "paid_on" in caught.value.fields


@pytest.mark.parametrize(("raw", "field"), [
    ({"paid_on": "2099-01-01"}, "paid_on"), ({"paid_on": "not a date"}, "paid_on"),
    ({"amount": "-5"}, "amount"), ({"amount": "1199.99"}, "amount")])
def test_bad_payment_input_names_the_field(fee_patent, university, raw, field):
    fee = fees_of(fee_patent(due_in_days=5).id)[5]
    with pytest.raises(ValidationFailed) as caught:
        ledger.record_fee_payment(university.load(), fee.id, raw)
    assert field in caught.value.fields
    transaction.rollback()
    assert db.session.get(AnnualFee, fee.id).state == FeeState.OPEN


def test_only_the_owner_sees_and_pays(fee_patent, university, other_university, bank):
    fee = fees_of(fee_patent().id)[5]
    with pytest.raises(NotFound):
        ledger.record_fee_payment(other_university.load(), fee.id, {})
    with pytest.raises(NotFound):
        ledger.patent_fees(other_university.load(), fee.patent_id)
    with pytest.raises(Forbidden):
        ledger.set_reduction_status(bank.load(), {"reference": "X"})


def test_reduction_reference_is_required(ctx, university):
    with pytest.raises(ValidationFailed) as caught:
        ledger.set_reduction_status(university.load(), {"reference": ""})
    assert "reference" in caught.value.fields
