"""Background jobs: RQ queues when ``REDIS_URL`` is set, inline after commit otherwise.

Job functions take ids, re-read rows and are idempotent, so running one twice
(a retry, a relay re-enqueue) is harmless. Enqueueing happens only after the
unit of work has committed (see ``transaction.commit``).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobSpec:
    """Where and how long a job runs; declared once, next to the function."""

    queue: str = "default"
    timeout: int = 300
    retries: int = 3


def job(queue: str = "default", timeout: int = 300, retries: int = 3) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a function as a job with its queue, timeout and retry budget."""
    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        func.job_spec = JobSpec(queue, timeout, retries)  # type: ignore[attr-defined]
        return func
    return decorate


class JobRunner:
    """Runs jobs on RQ, or inline when no Redis is configured (development, tests)."""

    RETRY_INTERVALS = [5, 30, 120]

    def __init__(self, redis_url: str | None) -> None:
        self.redis_url = redis_url
        self._connection = None

    @property
    def inline(self) -> bool:
        return self.redis_url is None

    @property
    def connection(self):  # -> redis.Redis
        if self._connection is None:
            from redis import Redis
            self._connection = Redis.from_url(self.redis_url, socket_connect_timeout=2, socket_timeout=5)
        return self._connection

    def queue(self, name: str):  # -> rq.Queue
        from rq import Queue
        return Queue(name, connection=self.connection)

    def enqueue(self, func: Callable[..., Any], *args: Any, job_id: str | None = None) -> bool:
        """Run or enqueue ``func(*args)``; False when Redis is unreachable (the outbox relay retries)."""
        spec: JobSpec = getattr(func, "job_spec", JobSpec())
        if self.inline:
            try:
                func(*args)
            except Exception:  # an inline job failing must not fail the request that committed
                log.exception("inline job %s%r failed", func.__name__, args)
                return False
            return True
        from redis.exceptions import RedisError
        from rq import Retry
        try:
            self.queue(spec.queue).enqueue(
                func, *args, job_id=job_id, job_timeout=spec.timeout,
                retry=Retry(max=spec.retries, interval=self.RETRY_INTERVALS[: spec.retries]) if spec.retries else None,
                failure_ttl=7 * 24 * 3600,
            )
        except RedisError as exc:
            log.warning("could not enqueue %s%r: %s", func.__name__, args, exc)
            return False
        return True

    def ping(self) -> dict[str, object]:
        if self.inline:
            return {"status": "ok", "mode": "inline"}
        from redis.exceptions import RedisError
        try:
            self.connection.ping()
        except RedisError as exc:
            return {"status": "unavailable", "mode": "rq", "error": str(exc)}
        return {"status": "ok", "mode": "rq"}


def init_app(app: Flask) -> None:
    app.extensions["jobs"] = JobRunner(app.config["SETTINGS"].redis_url)


def jobs() -> JobRunner:
    return current_app.extensions["jobs"]
