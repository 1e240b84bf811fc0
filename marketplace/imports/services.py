"""Import an organisation's inventory from a patent-database export, and look back at past imports.

Every row goes through ``validate_patent_values`` and the batched
``save_patents``, so an imported patent obeys the same rules as one typed
into the form. Rows are keyed by application number: importing the same file
again updates in place and reports the rows as unchanged.
"""
from __future__ import annotations

from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import Organisation, User
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.core.models import utcnow
from marketplace.core.permissions import require_owned
from marketplace.extensions import db
from marketplace.imports.columns import ColumnMap, header_key
from marketplace.imports.errors import ImportRejected, UnreadableFile
from marketplace.imports.models import ImportBatch, ImportMode
from marketplace.imports.reader import open_table
from marketplace.patents.numbers import normalise_application_number
from marketplace.patents.services import ensure_can_supply, save_patents
from marketplace.patents.validation import PatentValues, validate_patent_values

MAX_ROWS = 50_000
HISTORY_LENGTH = 20


class _Report:
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


def import_inventory(user: User, filename: str, stream: IO[bytes], *, mode: ImportMode | str = ImportMode.VALID_ONLY,
                     publish: bool = False) -> ImportBatch:
    """Read, validate and upsert every row of an uploaded CSV/XLSX into the user's organisation.

    Raises ``UnreadableFile`` (nothing read, nothing changed) and, in
    ``all_or_nothing`` mode with any bad row, ``ImportRejected`` carrying the
    full report; as with every domain error the caller rolls the unit of work
    back. Otherwise returns the flushed ``ImportBatch``. New patents are drafts
    unless ``publish``; the importing organisation is the owner and the other
    names in the applicant column become co-owners.
    """
    organisation = ensure_can_supply(user)
    try:
        mode = ImportMode(mode)
    except ValueError:
        raise ValidationFailed.field("mode", "导入方式应为 valid_only 或 all_or_nothing / "
                                             "mode must be valid_only or all_or_nothing") from None
    batch = ImportBatch(organisation_id=organisation.id, user_id=user.id, filename=_display_name(filename),
                        mode=mode, publish=publish, created_at=utcnow(), total_rows=0, created_count=0,
                        updated_count=0, unchanged_count=0, failed_count=0)
    with open_table(filename, stream) as table:
        report = _Report(table.header)
        accepted = _validated_rows(table.rows, table.header, organisation, report, batch)
    if batch.total_rows == 0:
        raise UnreadableFile("表头下没有数据行 / no data rows below the header")
    if mode == ImportMode.ALL_OR_NOTHING and report.errors:
        raise _rejected(batch, report)

    db.session.add(batch)
    db.session.flush()
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
            report.warn(row, {"legal_status": "专利已失效，保留为草稿未发布 / lapsed patent kept as a draft"})
    if mode == ImportMode.ALL_OR_NOTHING and report.errors:
        raise _rejected(batch, report)
    batch.failed_count = len(report.failed_rows)
    batch.report = report.as_json()
    db.session.flush()
    return batch


def _validated_rows(rows, header: ColumnMap, organisation: Organisation, report: _Report,
                    batch: ImportBatch) -> list[tuple[int, PatentValues]]:
    accepted: list[tuple[int, PatentValues]] = []
    first_row_of: dict[str, int] = {}
    own_name = header_key(organisation.name)
    for row, cells in rows:
        if all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells):
            continue
        batch.total_rows += 1
        if batch.total_rows > MAX_ROWS:
            raise UnreadableFile(f"行数超过上限 {MAX_ROWS}，请拆分文件 / more than {MAX_ROWS} rows: split the file")
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
            errors["application_number"] = (f"与第 {first_row_of[key]} 行的申请号重复 / "
                                            f"same application number as row {first_row_of[key]}")
        elif key:
            first_row_of[key] = row
        if errors:
            report.error(row, errors)
            continue
        if "co_owners" in values.values:
            values.values["co_owners"] = [name for name in values.values["co_owners"] if header_key(name) != own_name]
        accepted.append((row, values))
    return accepted


def _number_key(raw: Any) -> str:
    """Rows are duplicates when their numbers normalise alike (CN2017… = 2017…); unparseable ones compare as typed."""
    if not raw:
        return ""
    try:
        return normalise_application_number(str(raw))
    except ValidationFailed:
        return str(raw).strip().upper()


def _rejected(batch: ImportBatch, report: _Report) -> ImportRejected:
    batch.failed_count = len(report.failed_rows)
    batch.created_count = batch.updated_count = batch.unchanged_count = 0
    batch.report = report.as_json()
    return ImportRejected(f"{batch.failed_count} 行有错误，未导入任何数据 / "
                          f"{batch.failed_count} rows have errors, nothing was imported",
                          {**report_of(batch), "id": None})


def _display_name(filename: str) -> str:
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
        "warnings": report.get("warnings", []),
    }


def list_batches(user: User, limit: int = HISTORY_LENGTH) -> list[ImportBatch]:
    """The organisation's latest imports, newest first."""
    organisation = ensure_can_supply(user)
    return list(db.session.scalars(select(ImportBatch).where(ImportBatch.organisation_id == organisation.id)
                                   .options(selectinload(ImportBatch.user))
                                   .order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc()).limit(limit)))


def get_batch(user: User, batch_id: int) -> ImportBatch:
    """One import's record, visible to its organisation (and platform admins) only."""
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFound("导入记录不存在 / import not found")
    require_owned(user, batch.organisation_id, "导入记录")
    return batch
