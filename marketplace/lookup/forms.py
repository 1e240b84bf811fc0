"""The attributes that make a form field a type-ahead picker (``static/js/pickers.js``, vendored Tom Select).

Without JavaScript the field stays what it is: a ``<select>`` of every
choice, or a text area of application numbers typed one a line, validated by
the server exactly as before.
"""
from __future__ import annotations

from collections.abc import Iterable

from marketplace.accounts.models import OrganisationKind


def organisation_picker(kinds: Iterable[OrganisationKind] = ()) -> dict[str, str]:
    """``render_kw`` of a select of organisations: typing searches ``/api/v1/lookup/organisations`` (of ``kinds``)."""
    return {"data-lookup": "organisations", "data-lookup-kinds": " ".join(kind.value for kind in kinds)}


def patent_picker() -> dict[str, str]:
    """``render_kw`` of a text area of application numbers: typing searches ``/api/v1/lookup/patents``."""
    return {"data-lookup": "patents"}
