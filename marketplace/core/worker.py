"""The RQ worker: every job runs inside an application context with fresh DB connections."""
from __future__ import annotations

from flask import Flask
from rq import Worker

from marketplace.extensions import db


def make_worker_class(app: Flask) -> type[Worker]:
    """A Worker whose jobs see ``current_app`` and never reuse the parent's pooled connections."""

    class AppWorker(Worker):
        def perform_job(self, job, queue):  # runs in the forked work horse
            with app.app_context():
                db.engine.dispose(close=False)
                try:
                    return super().perform_job(job, queue)
                finally:
                    db.session.remove()

    return AppWorker
