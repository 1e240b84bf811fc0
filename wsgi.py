"""WSGI entry point for gunicorn (``gunicorn wsgi:app``) and ``flask --app wsgi``."""
from marketplace import create_app

app = create_app()
