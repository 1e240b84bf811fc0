"""Fixtures for the core: the in-process job queue held back so a test decides when jobs run."""
from __future__ import annotations

import pytest

from marketplace.core.jobs import InProcessWorker


@pytest.fixture
def deferred_jobs(app):
    """The app's in-process worker in ``deferred`` mode: jobs wait in its queue until the test calls ``drain()``.

    Deterministic stand-in for the background thread of the embedded default
    (``INLINE_JOBS=thread``): what a request enqueued has not run when the
    request returns, and ``drain()`` runs it, synchronously, in this thread.
    """
    worker: InProcessWorker = app.extensions["jobs"].local
    mode = worker.mode
    worker.mode = "deferred"
    try:
        yield worker
    finally:
        worker.drain()
        worker.mode = mode
