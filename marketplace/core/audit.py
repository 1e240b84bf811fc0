"""Audit trail helper used by every service that changes shared data."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from flask_login import current_user

from marketplace.core.models import AuditEntry
from marketplace.extensions import db


def jsonable(value: Any) -> Any:
    """A value as JSON stores it: money and dates as text, enums by value."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def record_audit(action: str, entity_type: str, entity_id: int | None,
                 changes: dict[str, Any] | None = None, *, actor: Any = None,
                 organisation_id: int | None = None) -> AuditEntry:
    """Append an audit entry; ``actor`` defaults to the signed-in user when there is one."""
    if actor is None:
        try:
            actor = current_user if current_user and current_user.is_authenticated else None
        except RuntimeError:  # outside a request (CLI, jobs)
            actor = None
    entry = AuditEntry(
        user_id=getattr(actor, "id", None),
        organisation_id=organisation_id if organisation_id is not None else getattr(actor, "organisation_id", None),
        action=action, entity_type=entity_type, entity_id=entity_id,
        changes={k: jsonable(v) for k, v in (changes or {}).items()},
    )
    db.session.add(entry)
    return entry


def diff(obj: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Set attributes on ``obj`` and return ``{name: [old, new]}`` for those that changed."""
    changed: dict[str, list[Any]] = {}
    for name, new in values.items():
        old = getattr(obj, name)
        if old != new:
            changed[name] = [jsonable(old), jsonable(new)]
            setattr(obj, name, new)
    return changed
