"""The two ways an import can be refused as a whole."""
from __future__ import annotations

from typing import Any

from marketplace.core.errors import DomainError, ValidationFailed


class UnreadableFile(DomainError):
    """The upload cannot be read as an inventory: wrong format, corrupt, empty, no usable header, too big."""

    status = 400
    code = "unreadable_file"


class ImportRejected(ValidationFailed):
    """``all_or_nothing`` met bad rows: nothing is written and the report says why.

    Like every domain error it leaves the unit of work to be rolled back by
    the caller, which also discards rows flushed before a conflict was found.
    """

    code = "import_rejected"

    def __init__(self, message: str, report: dict[str, Any]) -> None:
        super().__init__(message)
        self.report = report

    def to_dict(self) -> dict[str, object]:
        return {**super().to_dict(), "report": self.report}
