"""Domain exceptions: the app sees these, never a backend library's own errors."""

from __future__ import annotations


class SearchError(RuntimeError):
    """The backend rejected a request (a bug on our side, not the user's input)."""


class SearchUnavailable(SearchError):
    """The search backend cannot be reached or did not answer in time.

    The app keeps an outbox of pending index writes and answers 503 with a
    ``Retry-After`` hint; ``retry_after`` is the suggested delay in seconds.
    """

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class QueryTooLong(ValueError):
    """User text exceeds the accepted length; ``field`` names the form field."""

    def __init__(self, field: str, length: int, limit: int) -> None:
        super().__init__(f"{field}: query has {length} characters, at most {limit} are accepted")
        self.field = field
        self.length = length
        self.limit = limit
