"""Forms of the deal pages: entry by a party or the brokering agency, status changes, amendments."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from marketplace.accounts.models import OrganisationKind
from marketplace.deals.models import Deal, DealMode, DealStatus, LicenseKind
from marketplace.deals.terms import MODE_FIELDS
from marketplace.lookup.forms import organisation_picker, patent_picker

MODE_CHOICES = [(m.value, m.lazy_label) for m in DealMode]
KIND_CHOICES = [("", _l("（非许可交易不填）"))] + [(k.value, k.lazy_label) for k in LicenseKind]
PARTY_KINDS = (OrganisationKind.UNIVERSITY, OrganisationKind.INSTITUTE, OrganisationKind.COMPANY)
OPERATOR_KINDS = (OrganisationKind.AGENCY,)  # an entrusted operation's operator
ENTRY_STATUS_CHOICES = [(s.value, s.lazy_label) for s in (DealStatus.SIGNED, DealStatus.RECORDED, DealStatus.COMPLETED)]


class DealFieldsForm(FlaskForm):
    title = StringField(_l("交易名称"), validators=[Optional(), Length(max=300)])
    amount = StringField(_l("合同金额（元）"), validators=[DataRequired(), Length(max=20)])
    contract_date = DateField(_l("合同签订日"), validators=[Optional()])
    term_start = DateField(_l("期限起"), validators=[Optional()])
    term_end = DateField(_l("期限止"), validators=[Optional()])
    recordal_number = StringField(_l("登记/备案号"), validators=[Optional(), Length(max=64)])
    match_id = IntegerField(_l("来源匹配编号"), validators=[Optional()])
    notes = TextAreaField(_l("备注"), validators=[Optional(), Length(max=5000)])
    reserve_price = StringField(_l("保留价（元）"), validators=[Optional(), Length(max=20)])
    auction_house_id = SelectField(_l("拍卖机构（平台上的机构）"), coerce=lambda v: int(v) if v else None, choices=[],
                                   validators=[Optional()])
    auction_house_name = StringField(_l("拍卖机构名称（平台外）"), validators=[Optional(), Length(max=200)])
    auction_date = DateField(_l("拍卖日"), validators=[Optional()])
    fee_share = StringField(_l("运营方分成比例（%）"), validators=[Optional(), Length(max=10)])
    operation_scope = TextAreaField(_l("委托范围"), validators=[Optional(), Length(max=1000)])

    FIELDS = ("title", "amount", "contract_date", "term_start", "term_end", "recordal_number", "match_id", "notes")

    def values(self) -> dict[str, Any]:
        return {name: self[name].data for name in self.FIELDS}

    def mode_values(self, mode: str | None) -> dict[str, Any]:
        """The fields of deal mode ``mode`` only (the page hides the others; whatever they hold is not sent)."""
        shown = next((names for member, names in MODE_FIELDS.items() if member.value == mode), ())
        return {name: self[name].data for name in shown}

    def fill(self, deal: Deal) -> None:
        for name in (*self.FIELDS, *(name for names in MODE_FIELDS.values() for name in names)):
            self[name].data = getattr(deal, name)


class DealForm(DealFieldsForm):
    mode = SelectField(_l("交易方式"), choices=MODE_CHOICES, render_kw={"data-shows-fields": ""})
    license_kind = SelectField(_l("许可类型"), choices=KIND_CHOICES, validators=[Optional()])
    seller_id = SelectField(_l("转让方/许可方（专利权人）"), coerce=int, choices=[],
                            render_kw=organisation_picker(PARTY_KINDS))
    buyer_id = SelectField(_l("受让方/被许可方/竞得人/运营方"), coerce=int, choices=[],
                           render_kw=organisation_picker(PARTY_KINDS + OPERATOR_KINDS))
    patent_numbers = TextAreaField(_l("专利申请号（每行一个）"), validators=[DataRequired()], render_kw=patent_picker())
    status = SelectField(_l("各方确认后的状态"), choices=ENTRY_STATUS_CHOICES)

    def values(self) -> dict[str, Any]:
        return {**super().values(), "mode": self.mode.data, "license_kind": self.license_kind.data or None,
                "seller_id": self.seller_id.data, "buyer_id": self.buyer_id.data, "status": self.status.data,
                **self.mode_values(self.mode.data)}


class StatusForm(FlaskForm):
    status = SelectField(_l("新状态"), choices=[(s.value, s.lazy_label) for s in DealStatus])
    recordal_number = StringField(_l("登记/备案号"), validators=[Optional(), Length(max=64)])
    recorded_on = DateField(_l("登记日"), validators=[Optional()])
    completed_on = DateField(_l("完成日"), validators=[Optional()])


class EndEntrustmentForm(FlaskForm):
    ended_on = DateField(_l("终止日"), validators=[Optional()])


class AmendmentForm(FlaskForm):
    amount = StringField(_l("更正后金额（元）"), validators=[Optional(), Length(max=20)])
    contract_date = DateField(_l("更正后签订日"), validators=[Optional()])
    recordal_number = StringField(_l("更正后登记/备案号"), validators=[Optional(), Length(max=64)])
    term_end = DateField(_l("更正后期限止"), validators=[Optional()])
    reason = TextAreaField(_l("更正理由"), validators=[DataRequired(), Length(max=1000)])

    def changes(self) -> dict[str, Any]:
        return {name: self[name].data for name in ("amount", "contract_date", "recordal_number", "term_end")
                if self[name].data not in (None, "")}


class DealPaymentForm(FlaskForm):
    amount = StringField(_l("付款金额（元）"), validators=[DataRequired(), Length(max=20)])
    paid_on = DateField(_l("付款日期"), validators=[DataRequired()])
    reference = StringField(_l("付款凭证号"), validators=[Optional(), Length(max=100)])
