"""The approve/refuse form shown with every consent that awaits the viewer's organisation."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import Length, Optional


class DecisionForm(FlaskForm):
    comment = StringField(_l("意见（可选）"), validators=[Optional(), Length(max=1000)])
    next = HiddenField()
