"""Forms of the open-license pages: they only draw the fields. Each page reads what is sent through the API's
schema of the same input (``api.inputs.load_form``), whose labels they show; the services do the legal checks."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from marketplace.api.inputs import SchemaForm, label
from marketplace.openlicense.api import DeclarationWriteSchema, PaymentWriteSchema, RecordalSchema, WithdrawSchema
from marketplace.openlicense.models import OpenLicenseDeclaration
from marketplace.openlicense.terms import COUNTS, FEE_LABELS, PaymentMethod, RoyaltyBase

METHOD_CHOICES = [(m.value, m.lazy_label) for m in PaymentMethod]
BASE_CHOICES = [(b.value, b.lazy_label) for b in RoyaltyBase]
TYPE_CHOICES = [("", _l("全部类型")), ("invention", _l("发明")), ("utility_model", _l("实用新型")),
                ("design", _l("外观设计"))]
FEE_TYPE_CHOICES = [("", _l("全部付费方式")), *FEE_LABELS.items()]


class DeclarationForm(SchemaForm):
    schema = DeclarationWriteSchema
    payment_method = SelectField(label(DeclarationWriteSchema, "payment_method"), choices=METHOD_CHOICES)
    fixed_fee = StringField(label(DeclarationWriteSchema, "fixed_fee"))
    royalty_rate = StringField(label(DeclarationWriteSchema, "royalty_rate"))
    royalty_base = SelectField(label(DeclarationWriteSchema, "royalty_base"), choices=BASE_CHOICES)
    term_start = DateField(label(DeclarationWriteSchema, "term_start"))
    term_end = DateField(label(DeclarationWriteSchema, "term_end"))
    trial_months = IntegerField(label(DeclarationWriteSchema, "trial_months"), default=COUNTS["trial_months"][2])
    installments = IntegerField(label(DeclarationWriteSchema, "installments"), default=COUNTS["installments"][2])
    installment_interval_months = IntegerField(label(DeclarationWriteSchema, "installment_interval_months"),
                                               default=COUNTS["installment_interval_months"][2])
    contact_name = StringField(label(DeclarationWriteSchema, "contact_name"))
    contact_phone = StringField(label(DeclarationWriteSchema, "contact_phone"))
    contact_email = EmailField(label(DeclarationWriteSchema, "contact_email"))
    fee_explanation = TextAreaField(label(DeclarationWriteSchema, "fee_explanation"))
    commitment = BooleanField(label(DeclarationWriteSchema, "commitment"))

    def fill(self, declaration: OpenLicenseDeclaration) -> None:
        for name in ("fixed_fee", "royalty_rate", "term_start", "term_end", "trial_months", "installments",
                     "installment_interval_months", "contact_name", "contact_phone", "contact_email",
                     "fee_explanation", "commitment"):
            value = getattr(declaration, name)
            getattr(self, name).data = "" if value is None else value
        self.payment_method.data = declaration.payment_method.value
        self.royalty_base.data = declaration.royalty_base.value if declaration.royalty_base else "sales"


class WithdrawForm(SchemaForm):
    schema = WithdrawSchema
    reason = StringField(label(WithdrawSchema, "reason"))


class ConfirmForm(FlaskForm):
    """Only the CSRF token, for buttons that POST (accepting an open license)."""


class PaymentForm(SchemaForm):
    schema = PaymentWriteSchema
    installment_id = SelectField(label(PaymentWriteSchema, "installment_id"), choices=[])
    amount = StringField(label(PaymentWriteSchema, "amount"))
    paid_on = DateField(label(PaymentWriteSchema, "paid_on"))
    reference = StringField(label(PaymentWriteSchema, "reference"))
    evidence = FileField(_l("付款凭证（PDF 或图片，可选）"))


class RecordalForm(SchemaForm):
    schema = RecordalSchema
    recordal_number = StringField(label(RecordalSchema, "recordal_number"))
    recorded_on = DateField(label(RecordalSchema, "recorded_on"))


class CatalogueFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("关键词"), validators=[Optional(), Length(max=100)])
    patent_type = SelectField(_l("专利类型"), choices=TYPE_CHOICES, validators=[Optional()])
    fee_type = SelectField(_l("付费方式"), choices=FEE_TYPE_CHOICES, validators=[Optional()])
    segment = SelectField(_l("产业领域"), choices=[], validators=[Optional()], validate_choice=False)

    def filters(self) -> dict[str, Any]:
        self.validate()
        return {name: self[name].data for name in ("q", "patent_type", "fee_type", "segment")
                if self[name].data and not self[name].errors}
