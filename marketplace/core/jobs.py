"""Background jobs: RQ queues when ``REDIS_URL`` is set, an in-process worker thread otherwise.

Job functions take ids, re-read rows and are idempotent, so running one twice
(a retry, a relay re-enqueue) is harmless. Enqueueing happens only after the
unit of work has committed (see ``transaction.commit``).

Without Redis (the embedded default) jobs go to ``InProcessWorker``: one
daemon thread per app and process, fed by a queue, so the request that
enqueued a job answers at once and never waits for somebody else's backlog
(an import's thousands of index and push jobs, a restart's pending outbox).
A job already waiting in the queue with the same function and arguments is
not queued twice. On SQLite these jobs run as optimistic writers (see
``run_job``): requests take the write lock first, jobs retry. ``INLINE_JOBS=sync`` (the test default) runs each job in
the enqueuing thread instead; tests that need the queue switch a runner to
``deferred`` and ``drain`` it synchronously (``tests/marketplace/core/conftest.py``).
"""
from __future__ import annotations

import atexit
import contextvars
import logging
import queue
import random
import threading
import time
import uuid
from collections.abc import Callable, Hashable, MutableMapping
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
    coalesce: bool = False  # on RQ too, a call already waiting (not started) absorbs the same call


def waiting_key(func_name: str, args: tuple[Any, ...]) -> str:
    """The Redis key saying the call ``func_name(*args)`` waits on RQ (``func_name`` as RQ writes it)."""
    return f"jobs:waiting:{func_name}:{':'.join(map(str, args))}"


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


def job(queue: str = "default", timeout: int = 300, retries: int = 3,
        coalesce: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a function as a job with its queue, timeout and retry budget.

    ``coalesce``: the job handles whatever is waiting when it starts (an
    outbox drain), so enqueueing it while the same call waits on RQ queues
    nothing (the in-process worker merges every identical waiting job).
    """
    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        func.job_spec = JobSpec(queue, timeout, retries, coalesce)  # type: ignore[attr-defined]
        return func
    return decorate


@dataclass(frozen=True)
class QueuedJob:
    func: Callable[..., Any]
    args: tuple[Any, ...]
    job_id: str

    @property
    def key(self) -> Hashable | None:
        """Identical waiting jobs are queued once; unhashable arguments are never merged."""
        try:
            hash((self.func, self.args))
        except TypeError:
            return None
        return (self.func, self.args)


LOCK_RETRIES = 12  # about a minute of backoff in all


def is_lock_conflict(error: BaseException) -> bool:
    """An embedded SQLite file (the database or the search index) refused a write for now: another writer
    held the lock too long, or committed since this transaction read. Trying again later succeeds."""
    return "database is locked" in str(error)


def run_job(func: Callable[..., Any], args: tuple[Any, ...], job_id: str) -> bool:
    """Run one job in the current app context with its id in the log lines; False (logged) when it failed.

    Jobs are idempotent, so one that met a write conflict on the embedded
    database (``is_lock_conflict``: jobs read first and write last, without
    holding the lock, so requests never wait for them) is simply run again
    after a growing pause.
    """
    from marketplace.extensions import db
    token = _inline_job_id.set(job_id)
    try:
        for attempt in range(LOCK_RETRIES + 1):
            try:
                func(*args)
                return True
            except Exception as error:  # a job failing must not fail the request that committed, nor the worker
                db.session.rollback()
                if attempt < LOCK_RETRIES and is_lock_conflict(error):
                    time.sleep(min(8.0, 0.05 * 2 ** attempt) * random.uniform(0.5, 1.5))
                    continue
                log.exception("[job %s] inline job %s%r failed", job_id, getattr(func, "__name__", func), args)
                return False
        return False
    finally:
        _inline_job_id.reset(token)


class InProcessWorker:
    """A queue and one daemon thread running jobs inside the app's context, one at a time, in order."""

    STOP_TIMEOUT = 30.0
    IDLE_SECONDS = 60.0

    def __init__(self, app: Flask, idle_job: Callable[[], Any] | None = None) -> None:
        self.app = app
        self.mode = app.config["SETTINGS"].inline_jobs  # "thread", "sync" or (tests) "deferred"
        # run after IDLE_SECONDS without work (thread mode): without Redis there is no scheduler, so this is
        # what picks up outbox rows a restart or a failed batch left behind
        self.idle_job = idle_job
        self._queue: queue.Queue[QueuedJob | None] = queue.Queue()
        self._waiting: set[Hashable] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, item: QueuedJob) -> bool:
        if self.mode == "sync" or threading.current_thread() is self._thread:
            # A job enqueued by a running job (a drain's push jobs, a job's e-mail) runs right there, in the
            # background: its outbox row is marked done only once it ran, so a restart loses nothing.
            return run_job(item.func, item.args, item.job_id)
        key = item.key
        with self._lock:
            if key is not None and key in self._waiting:
                return True  # the same job is already waiting: it will see this change too
            if key is not None:
                self._waiting.add(key)
            self._queue.put(item)
            if self.mode == "thread" and (self._thread is None or not self._thread.is_alive()):
                if self._thread is None:
                    atexit.register(self.stop)
                self._thread = threading.Thread(target=self._work, name="inline-jobs", daemon=True)
                self._thread.start()
        return True

    def _take(self, block: bool, timeout: float | None = None) -> QueuedJob | None:
        item = self._queue.get(block=block, timeout=timeout)
        if item is not None:
            with self._lock:
                self._waiting.discard(item.key)
        return item

    def _execute(self, item: QueuedJob) -> None:
        from marketplace.core.sqlite import write_intent
        from marketplace.extensions import db
        # Jobs begin as readers (core.sqlite): they take the write lock only for their last, short writes
        # and are re-run on a conflict, so a request never waits behind a job's reading and computing.
        with self.app.app_context(), write_intent(False):
            try:
                run_job(item.func, item.args, item.job_id)
            finally:
                db.session.remove()

    def _work(self) -> None:
        while True:
            try:
                item = self._take(block=True, timeout=self.IDLE_SECONDS)
            except queue.Empty:
                if self.idle_job is not None:
                    self._execute(QueuedJob(self.idle_job, (), f"{self.idle_job.__name__}-idle"))
                continue
            try:
                if item is None:
                    return
                self._execute(item)
            finally:
                self._queue.task_done()

    def drain(self) -> int:
        """Run every waiting job (and those they enqueue) in this thread; returns how many ran (tests, shutdown)."""
        ran = 0
        while True:
            try:
                item = self._take(block=False)
            except queue.Empty:
                return ran
            try:
                if item is not None:
                    self._execute(item)
                    ran += 1
            finally:
                self._queue.task_done()

    def join(self) -> None:
        """Wait until the thread has run everything queued so far."""
        self._queue.join()

    @property
    def waiting(self) -> int:
        return self._queue.qsize()

    def stop(self) -> None:
        """At exit: let the thread finish what is queued (bounded), so queued e-mails still go out."""
        thread = self._thread
        if thread is not None and thread.is_alive():
            self._queue.put(None)
            thread.join(self.STOP_TIMEOUT)


class JobRunner:
    """Runs jobs on RQ, or in-process (``InProcessWorker``) when no Redis is configured (development, tests)."""

    RETRY_INTERVALS = [5, 30, 120]

    def __init__(self, redis_url: str | None, local: InProcessWorker | None = None) -> None:
        self.redis_url = redis_url
        self.local = local
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

    def worker_connection(self) -> Redis:
        """A connection of its own for an RQ worker: it waits for jobs in a blocking pop of minutes (RQ sets
        the socket timeout it needs on a pool it owns). On ``connection``'s pool, whose sockets time out after
        5 s, a worker idle for 5 s got a TimeoutError and quit ("Redis connection timeout, quitting")."""
        if self.redis_url is None:
            raise RuntimeError("no REDIS_URL: jobs run inline")
        from redis import Redis
        return Redis.from_url(self.redis_url, socket_connect_timeout=2)

    def queue(self, name: str) -> Queue:
        from rq import Queue
        return Queue(name, connection=self.connection)

    def enqueue(self, func: Callable[..., Any], *args: Any, job_id: str | None = None) -> bool:
        """Enqueue ``func(*args)``; False when Redis is unreachable (the outbox relay retries).

        A coalescing job (``job(coalesce=True)``) is queued only when no
        identical call waits: a ``SET NX`` flag marks it waiting until a
        worker starts it (``started``), and it then sees every change
        committed before — those that found the flag set included. The flag
        expires after the job's timeout, so a job lost with Redis does not
        block the next one (the outbox sweep delivers its rows meanwhile).
        """
        spec: JobSpec = getattr(func, "job_spec", JobSpec())
        job_id = job_id or f"{func.__name__}-{uuid.uuid4().hex[:12]}"
        if self.inline:
            if self.local is None:
                return run_job(func, args, job_id)
            return self.local.submit(QueuedJob(func, args, job_id))
        from redis.exceptions import RedisError
        from rq import Retry
        waiting = waiting_key(f"{func.__module__}.{func.__qualname__}", args) if spec.coalesce else None
        try:
            if waiting is not None and not self.connection.set(waiting, job_id, nx=True, ex=spec.timeout):
                return True  # the same call waits and will see this change too
            self.queue(spec.queue).enqueue(
                func, *args, job_id=job_id, job_timeout=spec.timeout,
                retry=Retry(max=spec.retries, interval=self.RETRY_INTERVALS[: spec.retries]) if spec.retries else None,
                failure_ttl=7 * 24 * 3600,
            )
        except RedisError as exc:
            log.warning("could not enqueue %s%r: %s", func.__name__, args, exc)
            if waiting is not None:
                self._forget(waiting)
            return False
        return True

    def started(self, func_name: str, args: tuple[Any, ...]) -> None:
        """A worker starts the call: from now on the same call is queued again (``enqueue``). A job that does
        not coalesce has no flag; deleting a missing key costs one round trip, not an import of the job."""
        self._forget(waiting_key(func_name, args))

    def _forget(self, key: str) -> None:
        from redis.exceptions import RedisError
        try:
            self.connection.delete(key)
        except RedisError as exc:  # the flag expires after the job's timeout
            log.warning("could not clear %s: %s", key, exc)

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
            waiting = self.local.waiting if self.local is not None else 0
            return {"status": "ok", "mode": "inline", "waiting": waiting}
        from redis.exceptions import RedisError
        try:
            self.connection.ping()
        except RedisError as exc:
            return {"status": "unavailable", "mode": "rq", "error": str(exc)}
        return {"status": "ok", "mode": "rq"}


def settle() -> None:
    """For a CLI command about to exit: wait until the in-process worker has run what the command queued. Its
    thread is a daemon, and once the interpreter is shutting down a job can no longer start the processes or
    threads indexing uses (``flask seed-demo`` left its index and push jobs to the next server's outbox sweep)."""
    local = jobs().local
    if local is not None and local.mode == "thread":
        local.join()


def init_app(app: Flask, idle_job: Callable[[], Any] | None = None) -> None:
    """The app's runner; without Redis its in-process worker runs ``idle_job`` when it has been idle a while."""
    settings = app.config["SETTINGS"]
    app.extensions["jobs"] = JobRunner(settings.redis_url,
                                       None if settings.redis_url else InProcessWorker(app, idle_job))


def jobs() -> JobRunner:
    runner: JobRunner = current_app.extensions["jobs"]
    return runner
