"""Small helpers shared by the page routes of every feature."""
from __future__ import annotations

from urllib.parse import urlsplit

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, request
from flask_wtf import FlaskForm

from marketplace.core import transaction
from marketplace.core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from marketplace.core.i18n import gettext as _
from marketplace.core.validation import FIELD_LABELS, field_message


def show_errors(form: FlaskForm | None, error: DomainError) -> None:
    """Undo what the refused act wrote, attach the service's field errors to the form and flash its message.

    A page that catches a refusal still answers 200 or 302, which commits: the
    rollback here keeps a refused act from leaving anything behind.
    """
    transaction.rollback()
    named = []
    for name, reason in error.fields.items():
        field = getattr(form, name, None) if form is not None else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors or []), reason]
            named.append(_("%(label)s：%(reason)s", label=field.label.text, reason=reason))
    # The flash names each field by its label, never by its internal name (``patent_numbers: …``).
    if named and len(named) == len(error.fields):
        message = str(_("；")).join(named)
    elif error.fields and error.message == "; ".join(f"{k}: {v}" for k, v in error.fields.items()):
        message = field_message(error.fields, {**FIELD_LABELS, **_form_labels(form)})  # ValidationFailed.field's
    else:
        message = error.message
    flash(message, "danger")


def _form_labels(form: FlaskForm | None) -> dict[str, str]:
    return {field.name: field.label.text for field in form} if form is not None else {}


def act_and_redirect(action: Callable[[], Any], done: str, target: str, form: FlaskForm | None = None) -> Any:
    """Run a page's POST action: flash ``done`` on success, or undo it and flash the refusal (fields named by
    ``form``'s labels); redirect to ``target`` either way."""
    try:
        action()
    except (ValidationFailed, Conflict, Forbidden) as error:
        show_errors(form, error)
    else:
        flash(done, "success")
    return redirect(target)


def safe_next(default: str) -> str:
    """The ``next`` parameter if it stays on this site, else ``default``."""
    target = request.args.get("next") or request.form.get("next") or ""
    parts = urlsplit(target)
    if target and not parts.scheme and not parts.netloc and target.startswith("/"):
        return target
    return default


def page_number(limit: int = 100_000) -> int:
    """The ``page`` query argument, 1 when missing or unreadable, at most ``limit`` (offsets stay small)."""
    raw = request.args.get("page", "1")
    if not raw.isdigit() or len(raw) > 6:
        return 1 if not raw.isdigit() else limit
    return min(limit, max(1, int(raw)))


def client_address() -> str:
    """The client's address: ``remote_addr`` as ``ProxyFix`` set it from trusted proxy headers (``TRUSTED_PROXY_HOPS``)."""
    return (request.remote_addr or "-")[:64]
