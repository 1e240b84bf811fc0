"""The grade history of changes made outside the grading pages (patent form, API, bulk edit, import).

``create_app`` registers ``after_patent_change`` with ``patents.services.on_patent_change``;
the grading services say where their own changes come from with ``grade_source``.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import has_request_context
from flask_login import current_user

from marketplace.extensions import db
from marketplace.grading.models import GradeChange, PatentGrade
from marketplace.patents.models import Patent

_source: ContextVar[tuple[str, int | None, str]] = ContextVar("grade_source", default=("edit", None, ""))


@contextmanager
def grade_source(source: str, actor_id: int | None, note: str = "") -> Iterator[None]:
    """Grade changes inside the block are recorded as coming from ``source``, by ``actor_id``."""
    token = _source.set((source, actor_id, note))
    try:
        yield
    finally:
        _source.reset(token)


def _request_user_id() -> int | None:
    if has_request_context() and current_user.is_authenticated:
        return int(current_user.id)
    return None


def after_patent_change(patent_id: int, changes: Mapping[str, Any]) -> None:
    """Keep a history row for every change of ``Patent.grade``, with the scores it had then."""
    if "grade" not in changes:
        return
    old, new = changes["grade"]
    patent = db.session.get(Patent, patent_id)
    if patent is None:
        return
    source, actor_id, note = _source.get()
    scores = db.session.get(PatentGrade, patent_id)
    db.session.add(GradeChange(
        patent_id=patent_id, organisation_id=patent.owner_id, from_name=old, to_name=new,
        legal_score=scores.legal_score if scores else None, technical_score=scores.technical_score if scores else None,
        market_score=scores.market_score if scores else None, source=source, note=note,
        changed_by_id=actor_id if actor_id is not None else _request_user_id()))
