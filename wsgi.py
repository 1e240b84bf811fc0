"""WSGI entry point for gunicorn (``gunicorn wsgi:app``) and ``flask --app wsgi``."""
from marketplace import create_app
from marketplace.core.memory import freeze_startup_heap, tune_allocator
from marketplace.core.scheduler import start_embedded_scheduler
from marketplace.search.backend import warm_with_first_request

tune_allocator()  # before any request thread
app = create_app()
start_embedded_scheduler(app)  # without Redis, periodic jobs (outbox sweep, digests) run in this process
warm_with_first_request(app)  # the first search finds the segmenter and the index's tables loaded

freeze_startup_heap()  # after startup, before the first request
