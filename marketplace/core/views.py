"""Small helpers shared by the page routes of every feature."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, request
from flask_wtf import FlaskForm

from marketplace.core import transaction
from marketplace.core.errors import DomainError


def show_errors(form: FlaskForm | None, error: DomainError) -> None:
    """Undo what the refused act wrote, attach the service's field errors to the form and flash its message.

    A page that catches a refusal still answers 200 or 302, which commits: the
    rollback here keeps a refused act from leaving anything behind.
    """
    transaction.rollback()
    for name, reason in error.fields.items():
        field = getattr(form, name, None) if form is not None else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors or []), reason]
    flash(error.message, "danger")


def safe_next(default: str) -> str:
    """The ``next`` parameter if it stays on this site, else ``default``."""
    target = request.args.get("next") or request.form.get("next") or ""
    parts = urlsplit(target)
    if target and not parts.scheme and not parts.netloc and target.startswith("/"):
        return target
    return default


def page_number() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1
