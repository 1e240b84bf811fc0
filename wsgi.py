"""WSGI entry point for gunicorn (``gunicorn wsgi:app``) and ``flask --app wsgi``."""
from marketplace import create_app
from marketplace.core.scheduler import start_embedded_scheduler

app = create_app()
start_embedded_scheduler(app)  # without Redis, periodic jobs (outbox sweep, digests) run in this process
