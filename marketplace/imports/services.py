"""Import an organisation's inventory from a patent-database export, and look back at past imports.

Every row goes through ``validate_patent_values`` and the batched
``save_patents``, so an imported patent obeys the same rules as one typed
into the form. Rows are keyed by application number: importing the same file
again updates in place and reports the rows as unchanged.

Uploads larger than ``BACKGROUND_BYTES`` are not imported in the request
(which would hold a gunicorn worker past its 30 s timeout and the database
lock for everyone): ``start_import`` stores the file on a queued batch and
the ``imports.jobs.run_import`` job imports it, reporting progress on the
batch (``progress_of``) and notifying the organisation when it is done.
"""
from __future__ import annotations

import io
from collections.abc import Callable
from typing import IO, Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import Organisation, User
from marketplace.core import transaction
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.core.models import utcnow
from marketplace.accounts.permissions import get_visible
from marketplace.extensions import db
from marketplace.imports.columns import ColumnMap, header_key
from marketplace.imports.errors import ImportRejected, UnreadableFile
from marketplace.imports.models import ImportBatch, ImportMode, ImportStatus
from marketplace.imports.reader import MAX_ROWS, XLSX_SUFFIXES, check_filename, check_xlsx_archive, open_table
from marketplace.patents.numbers import normalise_application_number
from marketplace.patents.services import ensure_can_supply, save_patents
from marketplace.patents.validation import PatentValues, validate_patent_values

__all__ = ["MAX_ROWS", "import_inventory", "start_import", "report_of", "progress_of", "list_batches", "get_batch"]
HISTORY_LENGTH = 20
BACKGROUND_BYTES = 256 * 1024  # larger uploads run as a job (Flask config IMPORT_BACKGROUND_BYTES overrides)
PROGRESS_EVERY = 250  # rows between progress reports of a background import
Progress = Callable[[int, bool], None]  # (rows read so far, now saving?)


class RowReport:
    """Row errors and warnings named the way the user knows them: row number and their own header."""

    def __init__(self, columns: ColumnMap) -> None:
        self.columns = columns
        self.errors: list[dict[str, Any]] = []
        self.warnings: list[dict[str, Any]] = []
        self.failed_rows: set[int] = set()

    def error(self, row: int, fields: dict[str, str]) -> None:
        self.failed_rows.add(row)
        self.errors.extend(self._entries(row, fields))

    def warn(self, row: int, fields: dict[str, str]) -> None:
        self.warnings.extend(self._entries(row, fields))

    def _entries(self, row: int, fields: dict[str, str]) -> list[dict[str, Any]]:
        return [{"row": row, "column": self.columns.header_for(name), "field": name, "reason": reason}
                for name, reason in fields.items()]

    def as_json(self) -> dict[str, Any]:
        return {"header_row": self.columns.header_row, "columns": self.columns.describe(),
                "ignored_columns": self.columns.ignored, "errors": self.errors, "warnings": self.warnings}


def parse_mode(mode: ImportMode | str) -> ImportMode:
    try:
        return ImportMode(mode)
    except ValueError:
        raise ValidationFailed.field("mode", _("导入方式应为 valid_only 或 all_or_nothing")) from None


def background_threshold() -> int:
    """Uploads above this many bytes are imported by a job (``start_import``)."""
    return int(current_app.config.get("IMPORT_BACKGROUND_BYTES", BACKGROUND_BYTES))


def start_import(user: User, filename: str, stream: IO[bytes], *, mode: ImportMode | str = ImportMode.VALID_ONLY,
                 publish: bool = False) -> ImportBatch:
    """Queue a large upload: checks what can be checked at once, stores the file and enqueues ``run_import``.

    The returned batch is ``queued``; its job starts after this unit of work
    commits. An unsupported, empty or bomb-like file is refused here (400)
    and nothing is stored.
    """
    organisation = ensure_can_supply(user)
    return queue_upload(user, organisation.id, filename, stream, mode=mode, publish=publish, kind="inventory")


def queue_upload(user: User, organisation_id: int | None, filename: str, stream: IO[bytes], *,
                 mode: ImportMode | str, publish: bool, kind: str) -> ImportBatch:
    """Store a checked upload as a queued batch of ``kind`` (inventory, cnipa) for ``imports.jobs.run_import``."""
    mode = parse_mode(mode)
    suffix = check_filename(filename)
    data = stream.read()
    if not data:
        raise UnreadableFile(_("文件为空"))
    expected = check_xlsx_archive(io.BytesIO(data)) if suffix in XLSX_SUFFIXES else data.count(b"\n") or None
    batch = ImportBatch(organisation_id=organisation_id, user_id=user.id, kind=kind, filename=display_name(filename),
                        mode=mode, publish=publish, created_at=utcnow(), status=ImportStatus.QUEUED, upload=data,
                        expected_rows=expected, total_rows=0, created_count=0, updated_count=0, unchanged_count=0,
                        failed_count=0, progress_rows=0, report={})
    db.session.add(batch)
    db.session.flush()
    from marketplace.imports.jobs import run_import
    transaction.enqueue_after_commit(run_import, batch.id)
    return batch


def import_inventory(user: User, filename: str, stream: IO[bytes], *, mode: ImportMode | str = ImportMode.VALID_ONLY,
                     publish: bool = False, batch: ImportBatch | None = None,
                     progress: Progress | None = None) -> ImportBatch:
    """Read, validate and upsert every row of an uploaded CSV/XLSX into the user's organisation.

    Raises ``UnreadableFile`` (nothing read, nothing changed) and, in
    ``all_or_nothing`` mode with any bad row, ``ImportRejected`` carrying the
    full report; as with every domain error the caller rolls the unit of work
    back. Otherwise returns the flushed ``ImportBatch``. New patents are drafts
    unless ``publish``; the importing organisation is the owner and the other
    names in the applicant column become co-owners.

    A background import passes its queued ``batch`` and a ``progress``
    callback, called every ``PROGRESS_EVERY`` rows while reading and once
    before saving; nothing in the session changes until then, so the callback
    may commit.
    """
    organisation = ensure_can_supply(user)
    mode = parse_mode(mode)
    with open_table(filename, stream) as table:
        report = RowReport(table.header)
        accepted, total_rows = _validated_rows(table.rows, table.header, organisation, report, progress)
    if progress is not None:  # before anything in the session changes: the callback may commit
        progress(total_rows, True)
    batch = saved_batch(batch, user, organisation.id, filename, mode=mode, publish=publish, kind="inventory",
                        report=report, total_rows=total_rows)
    outcomes = save_patents(organisation, [values for _row, values in accepted], actor=user, publish=publish,
                            source=f"import-batch:{batch.id}")
    for (row, _values), outcome in zip(accepted, outcomes, strict=True):
        if outcome.error is not None:
            report.error(row, {"application_number": outcome.error.message})
        elif outcome.created:
            batch.created_count += 1
        elif outcome.changes:
            batch.updated_count += 1
        else:
            batch.unchanged_count += 1
        if outcome.publish_refused:
            report.warn(row, {"legal_status": _("专利已失效，保留为草稿未发布")})
    if mode == ImportMode.ALL_OR_NOTHING and report.errors:
        raise rejected(batch, report)
    batch.failed_count = len(report.failed_rows)
    batch.progress_rows = total_rows
    batch.report = report.as_json()
    db.session.flush()
    return batch


def _validated_rows(rows, header: ColumnMap, organisation: Organisation, report: RowReport,
                    progress: Progress | None) -> tuple[list[tuple[int, PatentValues]], int]:
    """The rows that passed validation, and how many non-blank rows were read (the reader bounds the count)."""
    accepted: list[tuple[int, PatentValues]] = []
    first_row_of: dict[str, int] = {}
    own_name = header_key(organisation.name)
    total = 0
    for row, cells in rows:
        if all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells):
            continue
        total += 1
        if progress is not None and total % PROGRESS_EVERY == 0:
            progress(total, False)
        raw, errors = header.raw_values(cells)
        applicants = raw.pop("applicants", None)
        if applicants:
            raw["co_owners"] = ";".join(filter(None, [applicants, raw.get("co_owners")]))
        try:
            values = validate_patent_values(raw, organisation)
            key = values.values["application_number"]
        except ValidationFailed as error:
            errors = {**error.fields, **errors}
            key = _number_key(raw.get("application_number"))
        if key in first_row_of:
            errors["application_number"] = _("与第 %(row)d 行的申请号重复", row=first_row_of[key])
        elif key:
            first_row_of[key] = row
        if errors:
            report.error(row, errors)
            continue
        if "co_owners" in values.values:
            values.values["co_owners"] = [name for name in values.values["co_owners"] if header_key(name) != own_name]
        accepted.append((row, values))
    return accepted, total


def _number_key(raw: Any) -> str:
    """Rows are duplicates when their numbers normalise alike (CN2017… = 2017…); unparseable ones compare as typed."""
    if not raw:
        return ""
    try:
        return normalise_application_number(str(raw))
    except ValidationFailed:
        return str(raw).strip().upper()


def saved_batch(batch: ImportBatch | None, user: User, organisation_id: int | None, filename: str, *,
                mode: ImportMode, publish: bool, kind: str, report: RowReport, total_rows: int) -> ImportBatch:
    """The batch of a file just read (a background import's queued one, or a new one), flushed before its rows
    are applied. A file without data rows is unreadable; ``all_or_nothing`` with a bad row is rejected whole."""
    if batch is None:
        batch = ImportBatch(organisation_id=organisation_id, user_id=user.id, kind=kind, filename=display_name(filename),
                            mode=mode, publish=publish, created_at=utcnow(), created_count=0, updated_count=0,
                            unchanged_count=0, failed_count=0)
    batch.total_rows = total_rows
    if total_rows == 0:
        raise UnreadableFile(_("表头下没有数据行"))
    if mode == ImportMode.ALL_OR_NOTHING and report.errors:
        raise rejected(batch, report)
    if batch.id is None:
        db.session.add(batch)
    db.session.flush()
    return batch


def rejected(batch: ImportBatch, report: RowReport) -> ImportRejected:
    batch.status = ImportStatus.REJECTED
    batch.failed_count = len(report.failed_rows)
    batch.created_count = batch.updated_count = batch.unchanged_count = 0
    batch.report = report.as_json()
    return ImportRejected(_("%(n)d 行有错误，未导入任何数据", n=batch.failed_count), {**report_of(batch), "id": None})


def display_name(filename: str) -> str:
    return (filename or "").replace("\\", "/").rsplit("/", 1)[-1][:255] or "upload"


def report_of(batch: ImportBatch) -> dict[str, Any]:
    """The report the page shows and the API returns."""
    report = batch.report or {}
    return {
        "id": batch.id, "filename": batch.filename, "mode": batch.mode.value, "publish": batch.publish,
        "created_at": batch.created_at, "total_rows": batch.total_rows, "created": batch.created_count,
        "updated": batch.updated_count, "unchanged": batch.unchanged_count, "failed": batch.failed_count,
        "header_row": report.get("header_row"), "columns": report.get("columns", []),
        "ignored_columns": report.get("ignored_columns", []), "errors": report.get("errors", []),
        "warnings": report.get("warnings", []), "status": (batch.status or ImportStatus.DONE).value,
        "error": batch.error,
    }


def progress_of(batch: ImportBatch) -> dict[str, Any]:
    """Where a background import stands, for the progress bar and its poll endpoint."""
    status = batch.status or ImportStatus.DONE
    expected = batch.expected_rows
    if status.finished:
        percent = 100
    elif status == ImportStatus.SAVING:
        percent = 95
    elif expected:
        percent = min(90, int(90 * batch.progress_rows / expected))
    else:
        percent = 0
    return {"id": batch.id, "status": status.value, "finished": status.finished, "rows_read": batch.progress_rows,
            "expected_rows": expected, "percent": percent, "error": batch.error}


def list_batches(user: User, limit: int = HISTORY_LENGTH) -> list[ImportBatch]:
    """The organisation's latest imports, newest first."""
    organisation = ensure_can_supply(user)
    return list(db.session.scalars(select(ImportBatch).where(ImportBatch.organisation_id == organisation.id,
                                                              ImportBatch.kind == "inventory")
                                   .options(selectinload(ImportBatch.user))
                                   .order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc()).limit(limit)))


def get_batch(user: User, batch_id: int) -> ImportBatch:
    """One inventory import's record, visible to its organisation (and platform admins) only."""
    batch = get_visible(user, ImportBatch, batch_id, lambda b: (b.organisation_id,), _("导入记录不存在"))
    if batch.kind != "inventory":
        raise NotFound(_("导入记录不存在"))
    return batch
