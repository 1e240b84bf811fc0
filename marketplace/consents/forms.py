"""The approve/refuse form shown with every consent that awaits the viewer's organisation."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField

from marketplace.api.inputs import label
from marketplace.consents.api import DecisionSchema


class DecisionForm(FlaskForm):
    """The page reads the decision through ``DecisionSchema``, the API's."""

    comment = StringField(label(DecisionSchema, "comment"))
    next = HiddenField()
