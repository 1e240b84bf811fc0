"""Obtaining a license: notice, schedule (use first, pay later), payments to the cent, effect, recordal."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from marketplace.core import transaction
from marketplace.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.openlicense import licensing, payments
from marketplace.legal.term import add_months
from marketplace.core.dates import local_today
from marketplace.openlicense.models import LicenseGrant
from tests import factories


def pay(licensee, licensor, grant, raw: dict):
    """The licensee reports a payment; the licensor confirms it through its own account."""
    payment = payments.record_payment(licensee.load(), grant.id, raw)
    transaction.commit()
    factories.approve("license_payment", payment.id, licensor)
    return payment


@pytest.fixture
def declared(ctx, university):
    """A factory: publish an open license on a fresh granted patent with the given terms; returns its id."""
    def declare(**terms) -> int:
        return factories.make_open_license(university, factories.make_granted_patent(university), **terms)
    return declare


def test_free_license_takes_effect_on_notice(declared, company):
    grant = licensing.accept_open_license(company.load(), declared(payment_method="free"))
    assert grant.notice_date == local_today() and grant.effective_on == local_today()
    assert grant.installments == [] and grant.fee_type == "free" and grant.fixed_fee == Decimal("0.00")


def test_lump_sum_license_takes_effect_once_paid_and_confirmed(declared, company, university):
    grant = licensing.accept_open_license(company.load(), declared(fixed_fee="50000.00"))
    transaction.commit()
    assert not grant.is_effective
    [due] = grant.installments
    assert due.due_date == local_today() and due.amount == Decimal("50000.00")
    pay(company, university, grant, {"amount": "20000.00"})
    assert not grant.is_effective and due.outstanding == Decimal("30000.00")
    reported = payments.record_payment(company.load(), grant.id, {"amount": "30000.00", "reference": "HK-2"})
    transaction.commit()
    assert not grant.is_effective and grant.paid_total == Decimal("20000.00"), "reported is not paid"
    factories.approve("license_payment", reported.id, university)
    grant = db.session.get(LicenseGrant, grant.id)
    assert grant.effective_on == local_today() and grant.paid_total == Decimal("50000.00")


def test_payment_beyond_what_is_due_is_refused(declared, company):
    grant = licensing.accept_open_license(company.load(), declared(fixed_fee="1000.00"))
    with pytest.raises(ValidationFailed) as caught:
        payments.record_payment(company.load(), grant.id, {"amount": "1000.01"})
    assert "amount" in caught.value.fields
    payments.record_payment(company.load(), grant.id, {"amount": "1000.00"})
    with pytest.raises(Conflict):  # reported, awaiting the licensor: the installment is claimed
        payments.record_payment(company.load(), grant.id, {"amount": "1.00"})


def test_a_refused_payment_no_longer_claims_the_installment(declared, company, university):
    from marketplace.consents import services as consents
    grant = licensing.accept_open_license(company.load(), declared(fixed_fee="1000.00"))
    payment = payments.record_payment(company.load(), grant.id, {"amount": "1000.00", "reference": "伪造回单"})
    transaction.commit()
    [consent] = consents.awaiting(university.load())[0]
    consents.decide(university.load(), consent.id, False, "未收到款项")
    transaction.commit()
    assert payment.status == "rejected" and not grant.is_effective
    assert payments.record_payment(company.load(), grant.id, {"amount": "1000.00"}).status == "reported"


def test_the_licensor_recording_a_payment_confirms_it(declared, company, university):
    grant = licensing.accept_open_license(company.load(), declared(fixed_fee="1000.00"))
    transaction.commit()
    payment = payments.record_payment(university.load(), grant.id, {"amount": "1000.00", "reference": "到账"})
    assert payment.status == "confirmed" and grant.is_effective


@pytest.mark.parametrize("amount", ["-1", "0.001", "1000000000000.01", "0", "abc"])
def test_bad_payment_amounts_are_refused(declared, company, amount):
    grant = licensing.accept_open_license(company.load(), declared())
    with pytest.raises(ValidationFailed) as caught:
        payments.record_payment(company.load(), grant.id, {"amount": amount})
    assert "amount" in caught.value.fields


def test_use_first_pay_later_schedule_sums_exactly_and_flags_overdue(declared, company, university):
    declaration_id = declared(fixed_fee="100000.00", trial_months=6, installments=3, installment_interval_months=6)
    grant = licensing.accept_open_license(company.load(), declaration_id)
    transaction.commit()
    today = local_today()
    assert grant.effective_on == today  # the trial starts at once
    assert [i.due_date for i in grant.installments] == [add_months(today, m) for m in (6, 12, 18)]
    assert [i.amount for i in grant.installments] == [Decimal("33333.33"), Decimal("33333.33"), Decimal("33333.34")]
    assert sum(i.amount for i in grant.installments) == Decimal("100000.00")
    assert grant.overdue_installments(today) == []
    later = add_months(today, 7)
    assert [i.sequence for i in grant.overdue_installments(later)] == [1]
    reported = payments.record_payment(company.load(), grant.id, {"amount": "33333.33"})
    transaction.commit()
    assert [i.sequence for i in grant.overdue_installments(later)] == [1], "unconfirmed, still due"
    factories.approve("license_payment", reported.id, university)
    assert grant.overdue_installments(later) == []


def test_royalty_schedule_has_yearly_periods_reported_and_paid_within_30_days(declared, company, university):
    declaration_id = declared(payment_method="royalty_sales", royalty_rate="3.50", fixed_fee=None)
    grant = licensing.accept_open_license(company.load(), declaration_id)
    today = local_today()
    assert grant.is_effective and grant.fee_type == "royalty"
    ends = [i.period_end for i in grant.installments]
    assert ends[:2] == [add_months(today, 12) - timedelta(days=1), add_months(today, 24) - timedelta(days=1)]
    assert ends[-1] == grant.term_end
    assert [i.due_date for i in grant.installments] == [end + timedelta(days=30) for end in ends]
    assert all(i.kind == "royalty" and i.amount is None and not i.is_settled for i in grant.installments)
    with pytest.raises(Conflict) as caught:  # nobody knows what an unreported period owes: no payment settles it
        payments.record_payment(company.load(), grant.id, {"amount": "12345.67"})
    assert "amount" in caught.value.fields


def test_entry_fee_and_royalty(declared, company):
    declaration_id = declared(payment_method="entry_fee_royalty", fixed_fee="80000", royalty_rate="30",
                              royalty_base="profit")
    grant = licensing.accept_open_license(company.load(), declaration_id)
    assert grant.installments[0].kind == "fee" and grant.installments[0].due_date == local_today()
    assert not grant.is_effective and grant.fee_type == "royalty" and grant.fixed_fee == Decimal("80000.00")


def test_one_license_per_licensee_and_not_to_oneself(declared, university, company):
    declaration_id = declared()
    licensing.accept_open_license(company.load(), declaration_id)
    transaction.commit()
    with pytest.raises(Conflict):
        licensing.accept_open_license(company.load(), declaration_id)
    transaction.rollback()
    with pytest.raises(Conflict):
        licensing.accept_open_license(university.load(), declaration_id)


def test_banks_and_agencies_do_not_accept(declared, bank, agency):
    declaration_id = declared()
    for user in (bank, agency):
        with pytest.raises(Forbidden):
            licensing.accept_open_license(user.load(), declaration_id)


def test_license_is_seen_by_its_parties_only(declared, company, other_university, platform_admin):
    grant = licensing.accept_open_license(company.load(), declared())
    transaction.commit()
    assert licensing.get_license(platform_admin.load(), grant.id).id == grant.id
    with pytest.raises(NotFound):
        licensing.get_license(other_university.load(), grant.id)
    with pytest.raises(NotFound):
        payments.record_payment(platform_admin.load(), grant.id, {"amount": "1.00"})


def test_recordal_deadline_and_number(declared, company):
    grant = licensing.accept_open_license(company.load(), declared(payment_method="free"))
    today = local_today()
    assert grant.recordal_deadline == add_months(today, 3)
    assert not grant.recordal_overdue(today) and grant.recordal_overdue(add_months(today, 3) + timedelta(days=1))
    with pytest.raises(ValidationFailed):
        licensing.record_recordal(company.load(), grant.id, "  ")
    with pytest.raises(ValidationFailed):
        licensing.record_recordal(company.load(), grant.id, "X2026520000123", today + timedelta(days=1))
    licensing.record_recordal(company.load(), grant.id, "X2026520000123")
    assert grant.recordal_number == "X2026520000123" and not grant.recordal_overdue(add_months(today, 6))
    with pytest.raises(Conflict):
        licensing.record_recordal(company.load(), grant.id, "X2026520000124")


def test_licenses_of_lists_both_sides(declared, university, company):
    grant = licensing.accept_open_license(company.load(), declared())
    transaction.commit()
    assert [g.id for g in licensing.licenses_of(company.load())] == [grant.id]
    assert [g.id for g in licensing.licenses_of(university.load())] == [grant.id]
