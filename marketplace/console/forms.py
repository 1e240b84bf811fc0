"""Forms of the console pages; the services validate the values (these only shape them)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from marketplace.accounts.models import OrganisationKind
from marketplace.console.targets import FIELDS
from marketplace.core.i18n import lazy_gettext as _l
from marketplace.lookup.forms import organisation_picker

INVITABLE = organisation_picker(k for k in OrganisationKind if k != OrganisationKind.AGENCY)


class TargetForm(FlaskForm):
    """One year's targets; a blank field means no target for that metric."""

    conversion_count = StringField(_l("高校院所专利转化笔数"))
    conversion_amount = StringField(_l("高校院所专利转化合同金额（元）"))
    transfer_license_count = StringField(_l("转让、许可笔数"))
    open_license_count = StringField(_l("开放许可笔数"))
    pledge_count = StringField(_l("质押融资笔数"))
    pledge_amount = StringField(_l("质押融资金额（元）"))
    pledge_growth_pct = StringField(_l("质押融资同比增长（%）"))
    sme_growth_pct = StringField(_l("受让高校院所专利的中小企业数同比增长（%）"))
    events_count = StringField(_l("供需对接活动场次"))
    organisations_served = StringField(_l("服务机构数"))

    def fill(self, target) -> None:
        for name in FIELDS:
            value = getattr(target, name)
            getattr(self, name).data = "" if value is None else str(value)

    def values(self) -> dict[str, str]:
        return {name: getattr(self, name).data or "" for name in FIELDS}


class EventForm(FlaskForm):
    title = StringField(_l("活动名称"), validators=[DataRequired(), Length(max=200)])
    held_on = DateField(_l("日期"), validators=[DataRequired()])
    online = BooleanField(_l("线上活动"))
    place = StringField(_l("地点"), validators=[Optional(), Length(max=300)])
    segments = SelectMultipleField(_l("产业领域"), choices=[], validate_choice=False)
    invited = SelectMultipleField(_l("邀请机构"), choices=[], coerce=int, validate_choice=False, render_kw=INVITABLE)
    description = TextAreaField(_l("说明"), validators=[Optional(), Length(max=5000)])

    def values(self) -> dict[str, object]:
        return {"title": self.title.data, "held_on": self.held_on.data, "online": self.online.data,
                "place": self.place.data, "segments": self.segments.data or [],
                "invited_organisation_ids": self.invited.data or [], "description": self.description.data}


class AttendanceForm(FlaskForm):
    attended = SelectMultipleField(_l("出席机构"), choices=[], coerce=int, validate_choice=False)


class InviteForm(FlaskForm):
    organisation_ids = SelectMultipleField(_l("追加邀请"), choices=[], coerce=int, validate_choice=False,
                                           render_kw=INVITABLE)


class OutcomeForm(FlaskForm):
    kind = SelectField(_l("成果类型"), choices=[("interest", _l("合作意向")), ("deal", _l("促成交易"))])
    organisation_id = SelectField(_l("机构"), choices=[], validate_choice=False, validators=[Optional()])
    deal_id = SelectField(_l("交易"), choices=[], validate_choice=False, validators=[Optional()])
    note = StringField(_l("备注"), validators=[Optional(), Length(max=500)])

    def values(self) -> dict[str, object]:
        return {"kind": self.kind.data, "organisation_id": self.organisation_id.data or None,
                "deal_id": self.deal_id.data or None, "note": self.note.data}
