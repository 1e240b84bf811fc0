"""Need forms; Flask-WTF adds the CSRF token to each. The services do the real validation."""
from __future__ import annotations

from typing import Any

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.validators import DataRequired, Length, Optional

from marketplace.needs.models import Need
from marketplace.needs.services import LABELS, MAX_DESCRIPTION, MAX_TITLE
from marketplace.patents.vocab import INVALID_CHOICES, MODE_LABELS
from marketplace.segments.taxonomy import Taxonomy



def segment_choices(taxonomy: Taxonomy, locale: str) -> list[tuple[str, str]]:
    """Every segment, indented under its parent, so one list shows the whole tree."""
    choices: list[tuple[str, str]] = []

    def walk(nodes: list[dict[str, Any]], depth: int) -> None:
        for node in nodes:
            choices.append((str(node["code"]), "\u00a0\u00a0" * depth + str(node["name"])))
            walk(node["children"], depth + 1)

    walk(taxonomy.as_tree(locale), 0)
    return choices


def industry_choices(locale: str) -> list[tuple[str, str]]:
    """GB/T 4754 门类, each followed by its 大类 indented, as the standard lists them."""
    catalogue = current_app.extensions["industries"]
    choices: list[tuple[str, str]] = []
    for industry in catalogue:
        if industry.is_section:
            choices.append((industry.code, f"{industry.code} {industry.label(catalogue, locale)}"))
            choices.extend((item.code, f"\u00a0\u00a0{item.code} {item.name_en if locale.startswith('en') else item.name}")
                           for item in catalogue if item.section == industry.code)
    return choices


def need_form_data(need: Need) -> dict[str, Any]:
    """A need's values as the form shows them (keywords as one editable line)."""
    return {"title": need.title, "description": need.description, "segments": need.segments,
            "industry": list(need.industry_codes or []),
            "keywords": ", ".join(need.keywords), "budget_min": need.budget_min, "budget_max": need.budget_max,
            "modes": need.modes, "valid_until": need.valid_until, "public": need.public}


class CheckboxListField(SelectMultipleField):
    """A short closed list is easier to tick than to multi-select."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, invalid_choice_message=INVALID_CHOICES, **kwargs)


class NeedForm(FlaskForm):
    title = StringField(LABELS["title"], validators=[DataRequired(), Length(max=MAX_TITLE)])
    description = TextAreaField(LABELS["description"], validators=[Optional(), Length(max=MAX_DESCRIPTION)],
                                render_kw={"rows": 8})
    segments = SelectMultipleField(LABELS["segments"], validate_choice=False, render_kw={"size": 10})
    industry = SelectMultipleField(LABELS["industry"], validate_choice=False, render_kw={"size": 8})
    keywords = StringField(LABELS["keywords"], validators=[Optional(), Length(max=1000)])
    budget_min = StringField(LABELS["budget_min"], validators=[Optional(), Length(max=30)],
                             render_kw={"inputmode": "decimal"})
    budget_max = StringField(LABELS["budget_max"], validators=[Optional(), Length(max=30)],
                             render_kw={"inputmode": "decimal"})
    modes = CheckboxListField(LABELS["modes"], choices=list(MODE_LABELS.items()))
    valid_until = DateField(LABELS["valid_until"], validators=[Optional()])
    public = BooleanField(LABELS["public"], default=True)

    def __init__(self, *args: Any, taxonomy: Taxonomy, locale: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.segments.choices = segment_choices(taxonomy, locale)
        self.industry.choices = industry_choices(locale)

    def values(self) -> dict[str, Any]:
        """The submitted fields, shaped as ``create_need``/``update_need`` take them."""
        return {"title": self.title.data, "description": self.description.data, "segments": self.segments.data,
                "industry": self.industry.data,
                "keywords": self.keywords.data, "budget_min": self.budget_min.data,
                "budget_max": self.budget_max.data, "modes": self.modes.data,
                "valid_until": self.valid_until.data, "public": self.public.data}
