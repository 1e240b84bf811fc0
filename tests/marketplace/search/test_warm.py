"""A serving process warms its search backend off the request path."""
from __future__ import annotations

import time

import marketplace
from marketplace.search.backend import warm_with_first_request
from tests.conftest import test_settings


def test_the_search_backend_warms_in_the_background_after_the_first_request(tmp_path) -> None:
    warmed = marketplace.create_app({"SETTINGS": test_settings(tmp_path), "TESTING": True})
    warm_with_first_request(warmed)
    try:
        assert warmed.extensions.get("search") is None  # loading the app warms nothing (CLI commands)
        assert warmed.test_client().get("/static/css/app.css").status_code == 200  # any request
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and getattr(warmed.extensions.get("search"), "_embedder", None) is None:
            time.sleep(0.05)
        assert warmed.extensions["search"]._embedder is not None  # the word table, which no request loaded
    finally:
        if warmed.extensions.get("search") is not None:
            warmed.extensions["search"].close()
