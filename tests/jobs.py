"""The ``deferred_jobs`` fixture, imported by the conftest of the packages that use it.

The app's in-process worker switched to ``deferred``: jobs wait in its queue
until the test calls ``drain()``, the deterministic stand-in for the
background thread of the embedded default (``INLINE_JOBS=thread``): what a
request enqueued has not run when the request returns, and ``drain()`` runs
it, synchronously, in the test's thread.
"""
from __future__ import annotations

import pytest

from marketplace.core.jobs import InProcessWorker


@pytest.fixture
def deferred_jobs(app):
    """The app's in-process worker holding its jobs until ``drain()``; restored (and drained) afterwards."""
    worker: InProcessWorker = app.extensions["jobs"].local
    mode = worker.mode
    worker.mode = "deferred"
    try:
        yield worker
    finally:
        worker.drain()
        worker.mode = mode
