"""Row locks for the two-sided acts: the object an act is about is read ``FOR UPDATE`` before it changes."""
from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select

from marketplace.core.errors import NotFound
from marketplace.extensions import db

Row = TypeVar("Row")


def lock_row(model: type[Row], row_id: int, not_found: str) -> Row:
    """The row ``FOR UPDATE``, re-read (another transaction may just have changed it); 404 with ``not_found``."""
    query: Any = select(model).where(model.id == row_id)  # type: ignore[attr-defined]
    row: Any = db.session.scalar(query.with_for_update().execution_options(populate_existing=True))
    if row is None:
        raise NotFound(not_found)
    return row  # type: ignore[no-any-return]
