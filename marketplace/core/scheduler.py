"""Periodic jobs declared as data and started by ``flask worker``.

Each feature declares ``Periodic(name, every, job)`` rows with
``register_periodic``. The worker runs ``run_scheduler`` in a thread: every
few seconds it tries, per job, ``SET marketplace:periodic:<name> NX EX <every>``
in Redis and enqueues the job only when that key was free. The key's expiry
*is* the interval, so restarts keep the rhythm and any number of workers
enqueue each periodic job once per interval. Without Redis nothing runs on a
timer: ``flask push run-periodic <name>`` runs one now (development).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

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
