"""The RQ worker: every job runs inside an application context.

By default jobs run in the worker process itself (RQ's ``SimpleWorker``):
jieba's dictionary, SQLAlchemy's compiled statements and pooled database
connections stay warm, which saves about half a second per job compared
with forking a fresh work horse for each one (measured with bench/push.py).
``flask worker --fork`` forks per job instead, trading that for isolation
(a job that leaks memory or crashes cannot take the worker with it); the
forked horse never reuses the parent's pooled connections.
"""
from __future__ import annotations

from flask import Flask
from rq import Queue, SimpleWorker, Worker
from rq.job import Job
from rq.worker import BaseWorker

from marketplace.core.jobs import jobs
from marketplace.extensions import db


def make_worker_class(app: Flask, fork: bool = False) -> type[BaseWorker]:
    """A Worker whose jobs see ``current_app`` and get a fresh session each."""

    base: type[BaseWorker] = Worker if fork else SimpleWorker

    class AppWorker(base):  # type: ignore[valid-type,misc]
        def perform_job(self, job: Job, queue: Queue) -> bool:
            with app.app_context():
                if fork:  # in the forked work horse: the parent's pooled sockets are not ours
                    db.engine.dispose(close=False)
                if job.func_name:  # before it claims anything (coalescing)
                    jobs().started(job.func_name, tuple(job.args))
                try:
                    performed: bool = super().perform_job(job, queue)
                    return performed
                finally:
                    db.session.remove()

    return AppWorker


def make_worker(app: Flask, queues: list[str], fork: bool = False) -> BaseWorker:
    """The worker ``flask worker`` runs, on a Redis connection of its own (``JobRunner.worker_connection``)."""
    connection = jobs().worker_connection()
    return make_worker_class(app, fork)([Queue(name, connection=connection) for name in queues], connection=connection)
