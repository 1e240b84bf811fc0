"""The approve/refuse form shown with every consent that awaits the viewer's organisation."""
from __future__ import annotations

from wtforms import HiddenField, StringField

from marketplace.api.inputs import SchemaForm, label
from marketplace.consents.api import DecisionSchema


class DecisionForm(SchemaForm):
    """The page reads the decision through ``DecisionSchema``, the API's."""

    schema = DecisionSchema
    comment = StringField(label(DecisionSchema, "comment"))
    next = HiddenField()
