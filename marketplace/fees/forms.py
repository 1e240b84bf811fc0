"""Forms of the annual-fee pages; ``fees.ledger`` and ``fees.review`` do the validation, these shape input."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from marketplace.fees.models import Decision, OfferMode


class FeePaymentForm(FlaskForm):
    paid_on = DateField(_l("缴费日期"), validators=[Optional()])
    amount = StringField(_l("实缴金额（元，可不填）"), validators=[Optional(), Length(max=20)])
    reference = StringField(_l("缴费凭证号"), validators=[Optional(), Length(max=100)])


class ReductionForm(FlaskForm):
    reference = StringField(_l("费减备案号"), validators=[Optional(), Length(max=64)])
    recorded_on = DateField(_l("备案日期"), validators=[Optional()])
    clear = BooleanField(_l("取消费减备案"))


class DecisionForm(FlaskForm):
    decision = SelectField(_l("决定"), choices=[(d.value, d.lazy_label) for d in Decision], validate_choice=False)
    offer_mode = SelectField(_l("推介方式"), choices=[("", "—")] + [(m.value, m.lazy_label) for m in OfferMode],
                             validate_choice=False)
    offer_price = StringField(_l("推介价格（元）"), validators=[Optional(), Length(max=20)])
    listed_until = DateField(_l("推介截止日"), validators=[Optional()])
    reason = TextAreaField(_l("理由"), validators=[Optional(), Length(max=500)])
    review_year = StringField(_l("评估年度"), validators=[Optional(), Length(max=4)])


class ConfirmForm(FlaskForm):
    """An empty form: its CSRF token guards a one-button action."""

    confirm = StringField(validators=[DataRequired()], default="1")
