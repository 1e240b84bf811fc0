"""Run service calls at the same instant in threads, each with its own app context, session and transaction."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from marketplace.core import transaction
from marketplace.core.errors import DomainError
from marketplace.extensions import db
from tests.conftest import require_service


def require_postgres(app) -> None:
    """Row locks are the point of these tests: SQLite serialises writers and would prove nothing."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            require_service("PostgreSQL", "DATABASE_URL is not a PostgreSQL database")


def run_together(app, *calls: Callable[[], Any]) -> list[Any]:
    """Each call's committed result, or the DomainError it raised (its transaction rolled back)."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def work(index: int, call: Callable[[], Any]) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                results[index] = call()
                transaction.commit()
            except DomainError as error:
                transaction.rollback()
                results[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results
