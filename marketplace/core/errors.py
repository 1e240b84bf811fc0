"""Domain exceptions raised by services and mapped to HTTP by one handler.

Services never know about HTTP; each exception carries a machine code, a
human message and, where input was wrong, the offending fields.
"""
from __future__ import annotations


class DomainError(Exception):
    """Base class: ``status`` is the HTTP status the web layer answers with."""

    status = 400
    code = "bad_request"
    retry_after: int | None = None  # seconds; answered as a Retry-After header when set

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}

    def to_dict(self) -> dict[str, object]:
        return {"error": self.code, "message": self.message, "fields": self.fields}


class ValidationFailed(DomainError):
    status = 422
    code = "validation_failed"

    @classmethod
    def field(cls, name: str, reason: str) -> "ValidationFailed":
        return cls(f"{name}: {reason}", {name: reason})


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class TooManyRequests(DomainError):
    """Try again later: ``retry_after`` seconds (sign-in backoff)."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, retry_after: int = 60) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServiceUnavailable(DomainError):
    """A backing server (search, queue) is down; clients should retry after ``retry_after`` seconds."""

    status = 503
    code = "service_unavailable"

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after: int = retry_after

    def to_dict(self) -> dict[str, object]:
        return {**super().to_dict(), "retry_after": self.retry_after}
