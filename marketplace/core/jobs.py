"""Background jobs: RQ queues when ``REDIS_URL`` is set, inline after commit otherwise.

Job functions take ids, re-read rows and are idempotent, so running one twice
(a retry, a relay re-enqueue) is harmless. Enqueueing happens only after the
unit of work has committed (see ``transaction.commit``).
"""
from __future__ import annotations

import contextvars
import logging
import uuid
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

if TYPE_CHECKING:
    from redis import Redis
    from rq import Queue

log = logging.getLogger(__name__)
QUEUES = ("index", "push", "mail", "digest", "default")
_inline_job_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("inline_job_id", default=None)


@dataclass(frozen=True)
class JobSpec:
    """Where and how long a job runs; declared once, next to the function."""

    queue: str = "default"
    timeout: int = 300
    retries: int = 3


def current_job_id() -> str | None:
    """The id of the job running now (RQ or inline), so its log lines can be found together."""
    inline = _inline_job_id.get()
    if inline is not None:
        return inline
    from rq import get_current_job
    current = get_current_job()
    return current.id if current is not None else None


class JobLog(logging.LoggerAdapter[logging.Logger]):
    """A logger whose lines start with ``[job <id>]`` whenever a job is running."""

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        job_id = current_job_id()
        return (f"[job {job_id}] {msg}" if job_id else msg), kwargs


def job_logger(name: str) -> JobLog:
    return JobLog(logging.getLogger(name), {})


@dataclass(frozen=True)
class FailedJob:
    """A job that exhausted its retries, as the admin page lists it."""

    id: str
    queue: str
    description: str
    error: str
    ended_at: datetime | None


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
        self._connection: Redis | None = None

    @property
    def inline(self) -> bool:
        return self.redis_url is None

    @property
    def connection(self) -> Redis:
        if self._connection is None:
            if self.redis_url is None:
                raise RuntimeError("no REDIS_URL: jobs run inline")
            from redis import Redis
            self._connection = Redis.from_url(self.redis_url, socket_connect_timeout=2, socket_timeout=5)
        return self._connection

    def queue(self, name: str) -> Queue:
        from rq import Queue
        return Queue(name, connection=self.connection)

    def enqueue(self, func: Callable[..., Any], *args: Any, job_id: str | None = None) -> bool:
        """Run or enqueue ``func(*args)``; False when Redis is unreachable (the outbox relay retries)."""
        spec: JobSpec = getattr(func, "job_spec", JobSpec())
        job_id = job_id or f"{func.__name__}-{uuid.uuid4().hex[:12]}"
        if self.inline:
            token = _inline_job_id.set(job_id)
            try:
                func(*args)
            except Exception:  # an inline job failing must not fail the request that committed
                log.exception("[job %s] inline job %s%r failed", job_id, func.__name__, args)
                return False
            finally:
                _inline_job_id.reset(token)
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

    def failed_jobs(self, limit: int = 100) -> list[FailedJob]:
        """Jobs in RQ's failed-job registries, newest first (empty when jobs run inline)."""
        if self.inline:
            return []
        from rq.job import Job
        from rq.registry import FailedJobRegistry
        found: list[FailedJob] = []
        for name in QUEUES:
            registry = FailedJobRegistry(name, connection=self.connection)
            for failed in Job.fetch_many(registry.get_job_ids(0, limit - 1), connection=self.connection):
                if failed is None:
                    continue
                result = failed.latest_result()
                error = ((result.exc_string if result else None) or "").strip().splitlines()
                found.append(FailedJob(failed.id, name, failed.description or failed.func_name or "",
                                       error[-1] if error else "", failed.ended_at))
        return sorted(found, key=lambda f: f.ended_at or datetime.min, reverse=True)[:limit]

    def requeue_failed(self, job_id: str) -> bool:
        """Put a failed job back on its queue; False when no registry holds it."""
        from rq.registry import FailedJobRegistry
        for name in QUEUES:
            registry = FailedJobRegistry(name, connection=self.connection)
            if job_id in registry.get_job_ids():
                registry.requeue(job_id)
                log.info("[job %s] re-queued on %s by an administrator", job_id, name)
                return True
        return False

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
    runner: JobRunner = current_app.extensions["jobs"]
    return runner
