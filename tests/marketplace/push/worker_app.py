"""The app a test's RQ worker subprocess runs: the test session's database, search index and Redis.

``flask --app tests.marketplace.push.worker_app worker --burst`` with
``PUSH_TEST_INSTANCE`` (the session app's instance folder: its SQLite file and
embedded index), ``PUSH_TEST_INDEX_PREFIX`` (its Elasticsearch prefix) and
``REDIS_URL`` set; ``DATABASE_URL`` is inherited when the suite runs on PostgreSQL.
"""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

import marketplace
from marketplace.core.jobs import job
from tests.conftest import test_settings


def create_app() -> Flask:
    settings = test_settings(Path(os.environ["PUSH_TEST_INSTANCE"]), redis_url=os.environ["REDIS_URL"],
                             es_index_prefix=os.environ["PUSH_TEST_INDEX_PREFIX"])
    return marketplace.create_app({"SETTINGS": settings, "TESTING": True, "SERVER_NAME": "localhost"})


@job(queue="default", retries=0)
def explode(reason: str) -> None:
    """A job that always fails, to fill RQ's failed-job registry."""
    raise RuntimeError(reason)
