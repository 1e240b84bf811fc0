"""WSGI entry point for gunicorn (``gunicorn wsgi:app``) and ``flask --app wsgi``."""
import gc

from marketplace import create_app
from marketplace.core.scheduler import start_embedded_scheduler

app = create_app()
start_embedded_scheduler(app)  # without Redis, periodic jobs (outbox sweep, digests) run in this process

# What startup built (code, templates, the segment taxonomy, the matching tables) lives as long as the process:
# frozen out of the collector's reach, a full collection no longer walks it on some unlucky request
# (bench/pages.py: single requests of ~200 ms on otherwise 10–30 ms pages, gone once frozen).
gc.collect()
gc.freeze()
