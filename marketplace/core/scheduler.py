"""Periodic jobs declared as data and started by ``flask worker``.

Each feature declares ``Periodic(name, every, job)`` rows with
``register_periodic``. The worker runs ``run_scheduler`` in a thread: every
few seconds it tries, per job, ``SET marketplace:periodic:<name> NX EX <every>``
in Redis and enqueues the job only when that key was free. The key's expiry
*is* the interval, so restarts keep the rhythm and any number of workers
enqueue each periodic job once per interval. Without Redis (``make run``)
the embedded scheduler does the same inside the web process: a daemon thread
started by ``wsgi.py`` runs each due job inline in its own app context, so the
outbox sweep and the digests still happen on time. ``flask push run-periodic
<name>`` runs one now.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask

from marketplace.core.jobs import JobRunner, job_logger

log = job_logger(__name__)
TICK_SECONDS = 5.0
_periodic: dict[str, "Periodic"] = {}


@dataclass(frozen=True)
class Periodic:
    name: str
    every: timedelta
    job: Callable[..., Any]


def register_periodic(*entries: Periodic) -> None:
    """Declare periodic jobs (idempotent: a name registered again replaces the old row)."""
    for entry in entries:
        _periodic[entry.name] = entry


def periodic_jobs() -> list[Periodic]:
    return sorted(_periodic.values(), key=lambda p: p.name)


def enqueue_due(runner: JobRunner) -> list[str]:
    """Enqueue every periodic job whose interval has passed; returns their names."""
    from redis.exceptions import RedisError
    started: list[str] = []
    for entry in periodic_jobs():
        seconds = max(1, int(entry.every.total_seconds()))
        try:
            due = runner.connection.set(f"marketplace:periodic:{entry.name}", "1", nx=True, ex=seconds)
        except RedisError as exc:
            log.warning("scheduler cannot reach Redis: %s", exc)
            return started
        if due and runner.enqueue(entry.job, job_id=f"{entry.name}-{int(time.time())}"):
            started.append(entry.name)
    return started


def run_scheduler(runner: JobRunner, stop: threading.Event, tick: float = TICK_SECONDS) -> None:
    """Loop until ``stop`` is set; survives Redis outages (it just tries again next tick)."""
    log.info("scheduler started: %s", ", ".join(f"{p.name}/{p.every}" for p in periodic_jobs()))
    while not stop.is_set():
        for name in enqueue_due(runner):
            log.info("periodic job %s enqueued", name)
        stop.wait(tick)


def start_scheduler(runner: JobRunner) -> threading.Event:
    """Start ``run_scheduler`` in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(target=run_scheduler, args=(runner, stop), name="periodic-scheduler", daemon=True).start()
    return stop


class EmbeddedScheduler:
    """Periodic jobs without Redis: one process, so an in-memory clock per job replaces the Redis keys.

    ``run_due`` runs every job whose interval has passed (each in its own app
    context and unit of work, inline) and returns their names; a failing job
    is logged and tried again at its next interval.
    """

    def __init__(self, app: Flask, clock: Callable[[], float] = time.monotonic) -> None:
        self.app, self.clock = app, clock
        self.last_run: dict[str, float] = {}

    def run_due(self) -> list[str]:
        started: list[str] = []
        for entry in periodic_jobs():
            now = self.clock()
            last = self.last_run.get(entry.name)
            if last is not None and now - last < entry.every.total_seconds():
                continue
            self.last_run[entry.name] = now
            with self.app.app_context():
                self.app.extensions["jobs"].enqueue(entry.job, job_id=f"{entry.name}-{int(time.time())}")
            started.append(entry.name)
        return started

    def loop(self, stop: threading.Event, tick: float = TICK_SECONDS) -> None:
        log.info("embedded scheduler started: %s", ", ".join(f"{p.name}/{p.every}" for p in periodic_jobs()))
        while not stop.is_set():
            try:
                self.run_due()
            except Exception:  # the thread must outlive any one tick
                log.exception("embedded scheduler tick failed")
            stop.wait(tick)


def start_embedded_scheduler(app: Flask) -> EmbeddedScheduler | None:
    """Arrange for the in-process scheduler when jobs run inline (no ``REDIS_URL``); with Redis ``flask worker``
    does it.

    The thread starts with the first request the process serves, so CLI commands (migrations, seeding) never
    run periodic jobs beside their own work. Not in tests (``TESTING``) nor when ``EMBEDDED_SCHEDULER`` is
    false. Returns the scheduler, or None when it is not wanted.
    """
    runner: JobRunner = app.extensions["jobs"]
    if not runner.inline or app.config.get("TESTING") or not app.config.get("EMBEDDED_SCHEDULER", True):
        return None
    scheduler = EmbeddedScheduler(app)
    start_with_first_request(app, "embedded-scheduler", lambda: scheduler.loop(threading.Event()))
    return scheduler


def start_with_first_request(app: Flask, name: str, target: Callable[[], None]) -> None:
    """Run ``target`` in a daemon thread once the process serves its first request, never in CLI commands
    (migrations, seeding) that load the same app; the request itself does not wait for it."""
    started = threading.Event()
    guard = threading.Lock()

    def start_once() -> None:
        if started.is_set():
            return
        with guard:
            if not started.is_set():
                threading.Thread(target=target, name=name, daemon=True).start()
                started.set()

    app.before_request(start_once)
