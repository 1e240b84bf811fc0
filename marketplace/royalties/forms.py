"""The royalty report form; ``royalties.services.file_report`` does the validation, this only shapes input."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class ReportForm(FlaskForm):
    installment_id = SelectField(_l("提成期"), choices=[], validate_choice=False)
    base_amount = StringField(_l("本期申报金额（元）"), validators=[DataRequired(), Length(max=20)])
    units = StringField(_l("数量（件）"), validators=[Optional(), Length(max=15)])
    royalty_rate = StringField(_l("适用的提成比例（%）"), validators=[Optional(), Length(max=10)])
    note = TextAreaField(_l("说明"), validators=[Optional(), Length(max=500)])
