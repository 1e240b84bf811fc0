"""Forms of the agency-relationship pages; the services validate the values (these only shape them)."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional

from marketplace.accounts.models import OrganisationKind
from marketplace.agencies.models import AgencyPermission
from marketplace.lookup.forms import organisation_picker
from marketplace.patents.forms import CheckboxesField

# What each scope flag lets the agency do, in the words the organisation reads before granting it.
PERMISSION_CHOICES = [
    (AgencyPermission.OPEN_LICENSES.value, _l("在统计、明细与导出中查看本机构的开放许可（对方、费用）")),
    (AgencyPermission.FUNNEL.value, _l("在转化漏斗中查看本机构专利与需求的推送及反馈")),
    (AgencyPermission.CONFIRM_PAYMENTS.value, _l("代本机构确认收到的许可费")),
]


def _permissions_field() -> CheckboxesField:
    return CheckboxesField(_l("授权范围"), choices=PERMISSION_CHOICES, validate_choice=False)


class AgencyRequestForm(FlaskForm):
    """An agency asks to serve an organisation."""

    organisation_id = SelectField(_l("机构"), choices=[], coerce=int, validate_choice=False,
                                  render_kw=organisation_picker(k for k in OrganisationKind if k != OrganisationKind.AGENCY))
    permissions = _permissions_field()
    message = StringField(_l("说明"), validators=[Optional(), Length(max=500)])

    def values(self) -> dict[str, Any]:
        return {"organisation_id": self.organisation_id.data, "permissions": self.permissions.data or [],
                "message": self.message.data}


class OrganisationRequestForm(FlaskForm):
    """An organisation asks an agency to serve it, with the scope and first day it grants."""

    agency_id = SelectField(_l("运营机构"), choices=[], coerce=int, validate_choice=False,
                            render_kw=organisation_picker([OrganisationKind.AGENCY]))
    permissions = _permissions_field()
    start_on = DateField(_l("开始日期"), validators=[Optional()])
    message = StringField(_l("说明"), validators=[Optional(), Length(max=500)])

    def values(self) -> dict[str, Any]:
        return {"agency_id": self.agency_id.data, "permissions": self.permissions.data or [],
                "start_on": self.start_on.data, "message": self.message.data}


class AcceptForm(FlaskForm):
    """Accepting a request; the scope and start are the organisation's to set (ignored for agencies)."""

    permissions = _permissions_field()
    start_on = DateField(_l("开始日期"), validators=[Optional()])
    comment = StringField(_l("意见"), validators=[Optional(), Length(max=500)])

    def values(self, as_organisation: bool) -> dict[str, Any]:
        if not as_organisation:
            return {"comment": self.comment.data}
        return {"permissions": self.permissions.data or [], "start_on": self.start_on.data,
                "comment": self.comment.data}


class CommentForm(FlaskForm):
    """Declining a request or revoking a relationship, with an optional reason."""

    comment = StringField(_l("理由"), validators=[Optional(), Length(max=500)])


class PermissionsForm(FlaskForm):
    permissions = _permissions_field()
