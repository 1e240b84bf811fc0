"""Forms of the deal pages: entry by a party or the brokering agency, status changes, amendments.

They only draw the fields: each page reads what is sent through the API's schema of the same input
(``api.inputs.load_form``), whose labels they show, so the page and the API refuse a value in the same words."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField

from marketplace.accounts.models import OrganisationKind
from marketplace.api.inputs import SchemaForm, label
from marketplace.deals.api import (
    AmendmentWriteSchema, DealCreateSchema, DealFieldsSchema, DealPatchSchema, DealPaymentWriteSchema,
    EndEntrustmentSchema,
)
from marketplace.deals.models import Deal, DealMode, DealStatus, LicenseKind
from marketplace.deals.terms import MODE_FIELDS
from marketplace.lookup.forms import organisation_picker, patent_picker

MODE_CHOICES = [(m.value, m.lazy_label) for m in DealMode]
KIND_CHOICES = [("", _l("（非许可交易不填）"))] + [(k.value, k.lazy_label) for k in LicenseKind]
PARTY_KINDS = (OrganisationKind.UNIVERSITY, OrganisationKind.INSTITUTE, OrganisationKind.COMPANY)
OPERATOR_KINDS = (OrganisationKind.AGENCY,)  # an entrusted operation's operator
ENTRY_STATUS_CHOICES = [(s.value, s.lazy_label) for s in (DealStatus.SIGNED, DealStatus.RECORDED, DealStatus.COMPLETED)]


class DealFieldsForm(SchemaForm):
    schema = DealFieldsSchema
    title = StringField(label(DealFieldsSchema, "title"))
    amount = StringField(label(DealFieldsSchema, "amount"))
    contract_date = DateField(label(DealFieldsSchema, "contract_date"))
    term_start = DateField(label(DealFieldsSchema, "term_start"))
    term_end = DateField(label(DealFieldsSchema, "term_end"))
    recordal_number = StringField(label(DealFieldsSchema, "recordal_number"))
    match_id = IntegerField(label(DealFieldsSchema, "match_id"))
    notes = TextAreaField(label(DealFieldsSchema, "notes"))
    reserve_price = StringField(label(DealFieldsSchema, "reserve_price"))
    auction_house_id = SelectField(label(DealFieldsSchema, "auction_house_id"), coerce=lambda v: int(v) if v else None,
                                   choices=[])
    auction_house_name = StringField(label(DealFieldsSchema, "auction_house_name"))
    auction_date = DateField(label(DealFieldsSchema, "auction_date"))
    fee_share = StringField(label(DealFieldsSchema, "fee_share"))
    operation_scope = TextAreaField(label(DealFieldsSchema, "operation_scope"))

    FIELDS = ("title", "amount", "contract_date", "term_start", "term_end", "recordal_number", "match_id", "notes")

    @classmethod
    def names(cls, mode: str | None) -> tuple[str, ...]:
        """The fields the page sends for deal mode ``mode``: its mode's own only (the page hides the others;
        whatever they hold is not read)."""
        shown = next((names for member, names in MODE_FIELDS.items() if member.value == mode), ())
        return (*cls.FIELDS, *shown)

    def fill(self, deal: Deal) -> None:
        for name in (*self.FIELDS, *(name for names in MODE_FIELDS.values() for name in names)):
            self[name].data = getattr(deal, name)


class DealForm(DealFieldsForm):
    schema = DealCreateSchema
    mode = SelectField(label(DealCreateSchema, "mode"), choices=MODE_CHOICES, render_kw={"data-shows-fields": ""})
    license_kind = SelectField(label(DealCreateSchema, "license_kind"), choices=KIND_CHOICES)
    seller_id = SelectField(label(DealCreateSchema, "seller_id"), coerce=int, choices=[],
                            render_kw=organisation_picker(PARTY_KINDS))
    buyer_id = SelectField(label(DealCreateSchema, "buyer_id"), coerce=int, choices=[],
                           render_kw=organisation_picker(PARTY_KINDS + OPERATOR_KINDS))
    patent_numbers = TextAreaField(_l("专利申请号（每行一个）"), render_kw={**patent_picker(), "required": True})
    status = SelectField(label(DealCreateSchema, "status"), choices=ENTRY_STATUS_CHOICES)

    @classmethod
    def names(cls, mode: str | None) -> tuple[str, ...]:
        return (*super().names(mode), "mode", "license_kind", "seller_id", "buyer_id", "status")


class StatusForm(SchemaForm):
    schema = DealPatchSchema
    status = SelectField(label(DealPatchSchema, "status"), choices=[(s.value, s.lazy_label) for s in DealStatus])
    recordal_number = StringField(label(DealPatchSchema, "recordal_number"))
    recorded_on = DateField(label(DealPatchSchema, "recorded_on"))
    completed_on = DateField(label(DealPatchSchema, "completed_on"))


class EndEntrustmentForm(SchemaForm):
    schema = EndEntrustmentSchema
    ended_on = DateField(label(EndEntrustmentSchema, "ended_on"))


class AmendmentForm(SchemaForm):
    """The changes (checked by the service as the API's ``changes`` are) and the reason (the schema's)."""

    schema = AmendmentWriteSchema
    amount = StringField(_l("更正后金额（元）"))
    contract_date = StringField(_l("更正后签订日"), render_kw={"type": "date"})
    recordal_number = StringField(_l("更正后登记/备案号"))
    term_end = StringField(_l("更正后期限止"), render_kw={"type": "date"})
    reason = TextAreaField(label(AmendmentWriteSchema, "reason"))

    def changes(self) -> dict[str, Any]:
        return {name: self[name].data for name in ("amount", "contract_date", "recordal_number", "term_end")
                if self[name].data not in (None, "")}


class DealPaymentForm(SchemaForm):
    schema = DealPaymentWriteSchema
    amount = StringField(label(DealPaymentWriteSchema, "amount"))
    paid_on = DateField(label(DealPaymentWriteSchema, "paid_on"))
    reference = StringField(label(DealPaymentWriteSchema, "reference"))
