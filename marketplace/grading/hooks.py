"""What the patent services call when a grade changes: keep the label record and the history in step.

Every path that sets ``Patent.grade`` (form, API, bulk edit, import, grading
by criteria) goes through ``patents.services``, which calls ``grades_changed``
once per batch; so the label a patent references and the history it keeps
never drift from the name search and lists show.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select

from marketplace.accounts.models import Organisation
from marketplace.extensions import db
from marketplace.grading.models import GradeChange, PatentGrade


def grades_changed(organisation: Organisation, changes: Iterable[tuple[int, str | None, str | None]], *,
                   actor: Any = None, source: str = "edit") -> None:
    """``changes``: (patent id, old name, new name) per patent whose grade changed; writes label refs and history."""
    changes = list(changes)
    if not changes:
        return
    from marketplace.grading.services import ensure_labels

    labels = {label.name.upper(): label for label in ensure_labels(organisation)}
    current = {grade.patent_id: grade for grade in db.session.scalars(
        select(PatentGrade).where(PatentGrade.patent_id.in_([patent_id for patent_id, _o, _n in changes])))}
    history = []
    for patent_id, old, new in changes:
        label = labels.get((new or "").upper())
        old_label = labels.get((old or "").upper())
        grade = current.get(patent_id)
        if grade is None:
            grade = PatentGrade(patent_id=patent_id)
            db.session.add(grade)
        grade.label_id = label.id if label else None
        grade.graded_by_id = getattr(actor, "id", None)
        history.append({"patent_id": patent_id, "organisation_id": organisation.id,
                        "from_label_id": old_label.id if old_label else None, "to_label_id": grade.label_id,
                        "from_name": old, "to_name": new, "legal_score": grade.legal_score,
                        "technical_score": grade.technical_score, "market_score": grade.market_score,
                        "source": source, "note": grade.note if source == "criteria" else "",
                        "changed_by_id": getattr(actor, "id", None)})
    db.session.flush()
    db.session.execute(GradeChange.__table__.insert(), history)


def forget_patent(patent_id: int) -> None:
    """A deleted draft takes its grade and history with it."""
    db.session.execute(delete(GradeChange).where(GradeChange.patent_id == patent_id))
    db.session.execute(delete(PatentGrade).where(PatentGrade.patent_id == patent_id))
