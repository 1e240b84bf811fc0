"""Fixtures for the core tests."""
from tests.jobs import deferred_jobs  # noqa: F401  (the in-process job queue, held until drain())
