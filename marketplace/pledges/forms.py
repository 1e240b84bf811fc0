"""Forms of the pledge pages: registration entry, release, the pledgee's open-license consent."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from marketplace.accounts.models import OrganisationKind
from marketplace.lookup.forms import organisation_picker, patent_picker

PLEDGORS = (OrganisationKind.UNIVERSITY, OrganisationKind.INSTITUTE, OrganisationKind.COMPANY)


class PledgeForm(FlaskForm):
    pledgor_id = SelectField(_l("出质人（专利权人）"), coerce=int, choices=[], render_kw=organisation_picker(PLEDGORS))
    pledgee_id = SelectField(_l("质权人（银行、担保公司等金融机构）"), coerce=int, choices=[])
    patent_numbers = TextAreaField(_l("专利申请号（每行一个）"), validators=[DataRequired()], render_kw=patent_picker())
    amount = StringField(_l("融资金额（元）"), validators=[DataRequired(), Length(max=20)])
    term_start = DateField(_l("债务履行期限起"), validators=[Optional()])
    term_end = DateField(_l("债务履行期限止"), validators=[DataRequired()])
    registration_number = StringField(_l("质押登记号"), validators=[DataRequired(), Length(max=64)])
    registered_on = DateField(_l("登记生效日"), validators=[Optional()])
    invalidation_accepted = BooleanField(_l("双方书面接受：专利权无效宣告请求正在审查中"))
    open_license_consent = BooleanField(_l("质权人书面同意开放许可继续有效"))
    open_license_consent_reference = StringField(_l("同意书编号"), validators=[Optional(), Length(max=200)])

    def values(self) -> dict[str, Any]:
        return {name: field.data for name, field in self._fields.items()
                if name not in ("csrf_token", "patent_numbers")}


class ReleaseForm(FlaskForm):
    released_on = DateField(_l("注销日期"), validators=[Optional()])


class ConsentForm(FlaskForm):
    consent_on = DateField(_l("同意日期"), validators=[Optional()])
    reference = StringField(_l("同意书编号"), validators=[Optional(), Length(max=200)])
