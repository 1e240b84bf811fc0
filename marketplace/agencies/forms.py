"""Forms of the agency-relationship pages: they only draw the fields; each act reads what is sent through the
API's schema of the same input (``api.inputs.load_form``), whose labels they show."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField

from marketplace.accounts.models import OrganisationKind
from marketplace.agencies.api import AcceptSchema, CommentSchema, PermissionsSchema, RelationshipCreateSchema
from marketplace.agencies.models import AgencyPermission
from marketplace.api.inputs import SchemaForm, label
from marketplace.lookup.forms import organisation_picker
from marketplace.patents.forms import CheckboxesField

# What each scope flag lets the agency do, in the words the organisation reads before granting it.
PERMISSION_CHOICES = [
    (AgencyPermission.OPEN_LICENSES.value, _l("在统计、明细与导出中查看本机构的开放许可（对方、费用）")),
    (AgencyPermission.FUNNEL.value, _l("在转化漏斗中查看本机构专利与需求的推送及反馈")),
    (AgencyPermission.CONFIRM_PAYMENTS.value, _l("代本机构确认收到的许可费")),
]


def _permissions_field() -> CheckboxesField:
    return CheckboxesField(label(AcceptSchema, "permissions"), choices=PERMISSION_CHOICES, validate_choice=False)


class AgencyRequestForm(SchemaForm):
    """An agency asks to serve an organisation."""

    schema = RelationshipCreateSchema
    organisation_id = SelectField(label(RelationshipCreateSchema, "organisation_id"), choices=[], coerce=int,
                                  render_kw=organisation_picker(k for k in OrganisationKind if k != OrganisationKind.AGENCY))
    permissions = _permissions_field()
    message = StringField(label(RelationshipCreateSchema, "message"))


class OrganisationRequestForm(SchemaForm):
    """An organisation asks an agency to serve it, with the scope and first day it grants."""

    schema = RelationshipCreateSchema
    agency_id = SelectField(label(RelationshipCreateSchema, "agency_id"), choices=[], coerce=int,
                            render_kw=organisation_picker([OrganisationKind.AGENCY]))
    permissions = _permissions_field()
    start_on = DateField(label(RelationshipCreateSchema, "start_on"))
    message = StringField(label(RelationshipCreateSchema, "message"))


class AcceptForm(SchemaForm):
    """Accepting a request; the scope and start are the organisation's to set (ignored for agencies)."""

    schema = AcceptSchema
    permissions = _permissions_field()
    start_on = DateField(label(AcceptSchema, "start_on"))
    comment = StringField(label(AcceptSchema, "comment"))


class CommentForm(SchemaForm):
    """Declining a request or revoking a relationship, with an optional reason."""

    schema = CommentSchema
    comment = StringField(label(CommentSchema, "comment"))


class PermissionsForm(SchemaForm):
    schema = PermissionsSchema
    permissions = _permissions_field()
