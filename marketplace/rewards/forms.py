"""The reward pages' fields, by label: a refused form names each wrong field as the page shows it."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField


class RewardsForm(FlaskForm):
    transfer_license_percent = StringField(_l("转让、许可比例"))
    equity_percent = StringField(_l("作价入股比例"))
    agreement = StringField(_l("与发明人的约定"))
    year_start_month = StringField(_l("报告年度起始月"))
    name = StringField(_l("姓名"))
    staff_number = StringField(_l("工号"))
    patent_id = StringField(_l("专利编号"))
    inventors = StringField(_l("发明人"))
    inventor_id = StringField(_l("发明人"))
    share = StringField(_l("份额"))
    source = StringField(_l("收入"))
    item_id = StringField(_l("收入"))
    amount = StringField(_l("成本金额"))
    description = StringField(_l("成本项目"))
    paid_on = StringField(_l("发放日期"))
