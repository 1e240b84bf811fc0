"""Forms of the pledge pages: registration entry, release, the pledgee's open-license consent."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField

from marketplace.accounts.models import OrganisationKind
from marketplace.api.inputs import SchemaForm, label
from marketplace.lookup.forms import organisation_picker, patent_picker
from marketplace.pledges.api import OpenLicenseConsentSchema, PledgeCreateSchema, ReleaseSchema

PLEDGORS = (OrganisationKind.UNIVERSITY, OrganisationKind.INSTITUTE, OrganisationKind.COMPANY)


class PledgeForm(SchemaForm):
    """Draws the registration; the page reads it through ``PledgeCreateSchema``, the API's, whose labels it shows."""

    schema = PledgeCreateSchema
    pledgor_id = SelectField(label(PledgeCreateSchema, "pledgor_id"), coerce=int, choices=[],
                             render_kw=organisation_picker(PLEDGORS))
    pledgee_id = SelectField(label(PledgeCreateSchema, "pledgee_id"), coerce=int, choices=[])
    patent_numbers = TextAreaField(_l("专利申请号（每行一个）"), render_kw={**patent_picker(), "required": True})
    amount = StringField(label(PledgeCreateSchema, "amount"))
    term_start = DateField(label(PledgeCreateSchema, "term_start"))
    term_end = DateField(label(PledgeCreateSchema, "term_end"))
    registration_number = StringField(label(PledgeCreateSchema, "registration_number"))
    registered_on = DateField(label(PledgeCreateSchema, "registered_on"))
    invalidation_accepted = BooleanField(label(PledgeCreateSchema, "invalidation_accepted"))
    open_license_consent = BooleanField(label(PledgeCreateSchema, "open_license_consent"))
    open_license_consent_reference = StringField(label(PledgeCreateSchema, "open_license_consent_reference"))


class ReleaseForm(SchemaForm):
    schema = ReleaseSchema
    released_on = DateField(label(ReleaseSchema, "released_on"))


class ConsentForm(SchemaForm):
    schema = OpenLicenseConsentSchema
    consent_on = DateField(label(OpenLicenseConsentSchema, "consent_on"))
    reference = StringField(label(OpenLicenseConsentSchema, "reference"))
