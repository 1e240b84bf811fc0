"""Save, list, rename and delete a user's patent searches; count their new results; send the daily alerts.

A result is *new* when the patent was published after the user last opened
the search (``seen_at``). The engine ranks, so new results are looked for
among the search's first ``RESULT_WINDOW`` results: enough for a search
narrow enough to be worth saving. Alerts go by e-mail to the search's owner
only (a saved search is private, an inbox entry would show it to the whole
organisation), at most once a day per search, for results published since
the last alert or visit.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as reader_gettext
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.core.audit import record_audit
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.core.i18n import gettext as _
from marketplace.core.mail import queue_mail
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.patents.models import Patent
from marketplace.saved.models import SavedSearch
from marketplace.search.services import patent_query, ranked_search_ids

FILTER_KEYS = ("segment", "grade", "patent_type", "ipc_section", "owner_id", "legal_status", "maturity", "mode",
               "open_license", "sort")
MAX_NAME = 100
MAX_PER_USER = 50
MAX_VALUES = 50  # values per filter
RESULT_WINDOW = 200
ALERT_EVERY = timedelta(days=1)
ALERT_TITLES = 10


@dataclass
class SavedWithNews:
    """A saved search and the ids of its results published since the user last opened it."""

    search: SavedSearch
    new_ids: list[int]

    @property
    def new_count(self) -> int:
        return len(self.new_ids)


def clean_search(q: Any, filters: Mapping[str, Sequence[Any]]) -> tuple[str, dict[str, list[str]]]:
    """The query and the known filters, checked as the search page checks them (422 naming the field)."""
    query = str(q or "").strip()
    cleaned: dict[str, list[str]] = {}
    for key, values in filters.items():
        if key not in FILTER_KEYS:
            continue
        kept = [str(v).strip() for v in (values if isinstance(values, (list, tuple)) else [values])
                if str(v).strip()]
        if len(kept) > MAX_VALUES:
            raise ValidationFailed.field(key, _("最多 %(n)d 项", n=MAX_VALUES))
        if kept:
            cleaned[key] = kept
    patent_query({**({"q": [query]} if query else {}), **cleaned})  # the same checks as a search
    if len(query) > 2000:
        raise ValidationFailed.field("q", _("最多 %(n)d 字", n=2000))
    return query, cleaned


def _clean_name(raw: Any, default: str) -> str:
    name = str(raw or "").strip() or default
    if len(name) > MAX_NAME:
        raise ValidationFailed.field("name", _("最多 %(n)d 字", n=MAX_NAME))
    return name


def save_search(user: User, name: Any, q: Any, filters: Mapping[str, Sequence[Any]], alerts: bool = True) -> SavedSearch:
    """Keep the search for the user; its results published from now on count as new."""
    query, cleaned = clean_search(q, filters)
    owned = db.session.scalar(select(func.count()).select_from(SavedSearch).where(SavedSearch.user_id == user.id))
    if (owned or 0) >= MAX_PER_USER:
        raise Conflict(_("最多保存 %(n)d 个检索", n=MAX_PER_USER))
    saved = SavedSearch(user_id=user.id, name=_clean_name(name, query[:MAX_NAME] or _("全部专利")), query=query,
                        filters=cleaned, alerts=bool(alerts), seen_at=utcnow())
    db.session.add(saved)
    db.session.flush()
    record_audit("saved_search.created", "saved_search", saved.id, {"name": saved.name}, actor=user)
    return saved


def list_saved(user: User) -> list[SavedSearch]:
    return list(db.session.scalars(select(SavedSearch).where(SavedSearch.user_id == user.id)
                                   .order_by(SavedSearch.created_at.desc(), SavedSearch.id.desc())))


def get_saved(user: User, saved_id: int) -> SavedSearch:
    """The user's own saved search; anyone else's is 404, as if it did not exist."""
    saved = db.session.get(SavedSearch, saved_id)
    if saved is None or user is None or saved.user_id != user.id:
        raise NotFound(_("保存的检索不存在"))
    return saved


def update_saved(user: User, saved_id: int, name: Any = None, alerts: bool | None = None) -> SavedSearch:
    """Rename the search and/or switch its alerts."""
    saved = get_saved(user, saved_id)
    if name is not None:
        saved.name = _clean_name(name, saved.name)
    if alerts is not None:
        saved.alerts = bool(alerts)
    db.session.flush()
    return saved


def delete_saved(user: User, saved_id: int) -> None:
    saved = get_saved(user, saved_id)
    db.session.delete(saved)
    db.session.flush()
    record_audit("saved_search.deleted", "saved_search", saved_id, {"name": saved.name}, actor=user)


def mark_seen(user: User, saved_id: int) -> SavedSearch:
    """The user opens the search: its current results are no longer new."""
    saved = get_saved(user, saved_id)
    saved.seen_at = utcnow()
    db.session.flush()
    return saved


def new_result_ids(saved: SavedSearch, since: datetime) -> list[int]:
    """Ids of the search's results (its first ``RESULT_WINDOW``) published after ``since``, in rank order."""
    ranked = ranked_search_ids(saved.params(), RESULT_WINDOW)
    if not ranked:
        return []
    fresh = set(db.session.scalars(select(Patent.id).where(Patent.id.in_(ranked), Patent.published_at > since)))
    return [patent_id for patent_id in ranked if patent_id in fresh]


def saved_with_news(user: User) -> list[SavedWithNews]:
    """The user's saved searches, each with its new results (reads only)."""
    return [SavedWithNews(saved, new_result_ids(saved, saved.seen_at)) for saved in list_saved(user)]


def send_alerts(now: datetime | None = None) -> int:
    """E-mail each owner, at most once a day per search, the results published since its last alert or visit."""
    now = now or utcnow()
    due = db.session.scalars(select(SavedSearch).where(
        SavedSearch.alerts.is_(True),
        (SavedSearch.notified_at.is_(None)) | (SavedSearch.notified_at <= now - ALERT_EVERY))
        .order_by(SavedSearch.id))
    sent = 0
    base = current_app.config["SETTINGS"].public_url
    for saved in due:
        since = max(saved.seen_at, saved.notified_at or saved.seen_at)
        fresh = new_result_ids(saved, since)
        if not fresh:
            continue
        owner = db.session.get(User, saved.user_id)
        if owner is None or not owner.active:
            continue
        titles = dict(db.session.execute(select(Patent.id, Patent.title).where(Patent.id.in_(fresh[:ALERT_TITLES]))).all())
        lines = "\n".join(f"- {titles[i]}" for i in fresh[:ALERT_TITLES] if i in titles)
        with force_locale(owner.locale or "zh"):  # the owner's language, wherever the job runs
            subject = reader_gettext("[专利供需对接平台] 保存的检索「%(name)s」有 %(n)d 条新结果", name=saved.name,
                                     n=len(fresh))
        queue_mail(owner.email, subject, f"{lines}\n\n{base}/saved-searches")
        saved.notified_at = now
        sent += 1
    db.session.flush()
    return sent
