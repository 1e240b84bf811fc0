"""A user's saved patent search: the query and filters of the search page, and when it last looked or heard."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.core.models import utcnow
from marketplace.extensions import db


class SavedSearch(db.Model):
    """Private to its user. ``seen_at``: results published after it are *new*; ``notified_at``: the last alert."""

    __tablename__ = "saved_searches"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[str] = mapped_column(Text, default="")
    filters: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    alerts: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    notified_at: Mapped[datetime | None]

    def params(self) -> dict[str, list[str]]:
        """The search page's query string for this search."""
        return {**({"q": [self.query]} if self.query else {}), **{k: list(v) for k, v in self.filters.items()}}
