"""The app's handle on the matching engine: created lazily, once per process."""
from __future__ import annotations

import threading

from flask import Flask, current_app

import matching
from marketplace.core.scheduler import start_with_first_request
from matching.backend import SearchBackend

_lock = threading.Lock()


def init_app(app: Flask) -> None:
    app.extensions["search"] = None


def search_backend() -> SearchBackend:
    """Elasticsearch when ``ES_URL`` is set, else the embedded index under ``instance/``."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    backend = app.extensions.get("search")
    if backend is None:
        with _lock:
            backend = app.extensions.get("search")
            if backend is None:
                settings = app.config["SETTINGS"]
                backend = matching.create_backend(
                    es_url=settings.es_url, embedded_path=str(settings.instance_path / "search.sqlite"),
                    index_prefix=settings.es_index_prefix, synonyms_path=settings.extra_synonym_file,
                    shards=settings.es_shards, replicas=settings.es_replicas,
                    **({"request_timeout": settings.es_timeout} if settings.es_url else {}))
                app.extensions["search"] = backend
    return backend


def warm_with_first_request(app: Flask) -> None:
    """Warm this process's search backend (``SearchBackend.warm``) in the background once it serves its first
    request, so the first search does not load the segmenter, the word table and the embedded index's
    tables on a user's time (bench/web_memory.py prints the first search's latency)."""
    def warm() -> None:
        with app.app_context():
            try:
                search_backend().warm()
            except Exception:  # a cold cache is no reason to stop serving: the first search loads it
                app.logger.warning("search warm-up failed", exc_info=True)

    start_with_first_request(app, "search-warm-up", warm)


def search_health() -> dict[str, object]:
    backend = search_backend()
    return {"status": "ok" if backend.ping() else "unavailable", "backend": backend.name}
