"""The pricing page's query: the mode to compare in and the income approach's inputs (a GET form: it writes
nothing, so it carries no CSRF token)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField

from marketplace.patents.vocab import TransformationMode

INCOME_FIELDS = ("annual_sales", "royalty_rate", "share", "discount_rate", "years")


class PricingForm(FlaskForm):
    class Meta:
        csrf = False

    mode = SelectField(_l("转化方式"), choices=[(m.value, m.lazy_label) for m in TransformationMode],
                       validate_choice=False)
    annual_sales = StringField(_l("预计年净销售额（元）"))
    royalty_rate = StringField(_l("提成率（%）"))
    share = StringField(_l("本专利贡献占比（%）"), description=_l("默认 100"))
    discount_rate = StringField(_l("年折现率（%）"), description=_l("默认 10"))
    years = StringField(_l("收益年限（年）"), description=_l("默认为剩余保护期"))

    def wants_income(self) -> bool:
        return any((getattr(self, name).data or "").strip() for name in INCOME_FIELDS)
