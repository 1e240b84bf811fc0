"""The daily saved-search alerts, declared with the other periodic jobs (the worker's scheduler, or the embedded
one of ``make run`` without Redis, runs it)."""
from __future__ import annotations

from datetime import timedelta

from marketplace.core import transaction
from marketplace.core.jobs import job, job_logger
from marketplace.core.scheduler import Periodic, register_periodic
from marketplace.saved.services import send_alerts

log = job_logger(__name__)


@job(queue="digest", timeout=600)
def send_saved_search_alerts() -> int:
    """Periodic: e-mail owners the new results of their saved searches (each search at most once a day)."""
    try:
        sent = send_alerts()
        transaction.commit()
    except Exception:
        transaction.rollback()
        raise
    log.info("saved searches: %d alerts", sent)
    return sent


PERIODIC = (Periodic("saved-search-alerts", timedelta(hours=6), send_saved_search_alerts),)


def register() -> None:
    """Called by ``create_app``."""
    register_periodic(*PERIODIC)
