"""Forms of the open-license pages; the services do the legal validation, these only shape input."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from marketplace.openlicense.models import OpenLicenseDeclaration
from marketplace.openlicense.terms import FEE_LABELS, MAX_FEE_EXPLANATION, PaymentMethod, RoyaltyBase

METHOD_CHOICES = [(m.value, m.lazy_label) for m in PaymentMethod]
BASE_CHOICES = [(b.value, b.lazy_label) for b in RoyaltyBase]
TYPE_CHOICES = [("", _l("全部类型")), ("invention", _l("发明")), ("utility_model", _l("实用新型")),
                ("design", _l("外观设计"))]
FEE_TYPE_CHOICES = [("", _l("全部付费方式")), *FEE_LABELS.items()]


class DeclarationForm(FlaskForm):
    payment_method = SelectField(_l("许可使用费支付方式"), choices=METHOD_CHOICES)
    fixed_fee = StringField(_l("一次性费用或入门费（元）"), validators=[Optional(), Length(max=20)])
    royalty_rate = StringField(_l("提成比例（%）"), validators=[Optional(), Length(max=10)])
    royalty_base = SelectField(_l("提成基数（入门费+提成时）"), choices=BASE_CHOICES)
    term_start = DateField(_l("许可期限起"), validators=[Optional()])
    term_end = DateField(_l("许可期限止"), validators=[DataRequired()])
    trial_months = IntegerField(_l("先使用后付费：试用期（月）"), default=0, validators=[NumberRange(0, 36)])
    installments = IntegerField(_l("固定费用分期数"), default=1, validators=[NumberRange(1, 12)])
    installment_interval_months = IntegerField(_l("分期间隔（月）"), default=12, validators=[NumberRange(1, 24)])
    contact_name = StringField(_l("专利权人联系人"), validators=[DataRequired(), Length(max=100)])
    contact_phone = StringField(_l("联系电话"), validators=[Optional(), Length(max=40)])
    contact_email = EmailField(_l("联系邮箱"), validators=[Optional(), Length(max=254)])
    fee_explanation = TextAreaField(_l("许可使用费说明（≤2000字）"),
                                    validators=[Optional(), Length(max=MAX_FEE_EXPLANATION)])
    commitment = BooleanField(_l("本专利权人承诺：该专利符合开放许可条件，声明内容真实"))

    def fill(self, declaration: OpenLicenseDeclaration) -> None:
        for name in ("fixed_fee", "royalty_rate", "term_start", "term_end", "trial_months", "installments",
                     "installment_interval_months", "contact_name", "contact_phone", "contact_email",
                     "fee_explanation", "commitment"):
            value = getattr(declaration, name)
            getattr(self, name).data = "" if value is None else value
        self.payment_method.data = declaration.payment_method.value
        self.royalty_base.data = declaration.royalty_base.value if declaration.royalty_base else "sales"

    def values(self) -> dict[str, Any]:
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class WithdrawForm(FlaskForm):
    reason = StringField(_l("撤回说明"), validators=[Optional(), Length(max=500)])


class ConfirmForm(FlaskForm):
    """Only the CSRF token, for buttons that POST (accepting an open license)."""


class PaymentForm(FlaskForm):
    installment_id = SelectField(_l("付款期"), choices=[], validate_choice=False)
    amount = StringField(_l("金额（元）"), validators=[DataRequired(), Length(max=20)])
    paid_on = DateField(_l("付款日期"), validators=[Optional()])
    reference = StringField(_l("凭证号"), validators=[Optional(), Length(max=100)])
    evidence = FileField(_l("付款凭证（PDF 或图片，可选）"))


class RecordalForm(FlaskForm):
    recordal_number = StringField(_l("备案号"), validators=[DataRequired(), Length(max=64)])
    recorded_on = DateField(_l("备案日期"), validators=[Optional()])


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
