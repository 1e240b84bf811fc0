"""The app's handle on the matching engine: created lazily, once per process."""
from __future__ import annotations

import threading

from flask import Flask, current_app

import matching
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


def search_health() -> dict[str, object]:
    backend = search_backend()
    return {"status": "ok" if backend.ping() else "unavailable", "backend": backend.name}
