"""WSGI entry point: ``flask --app wsgi run`` (development), ``gunicorn wsgi:app`` (production)."""

from plugin import create_app

app = create_app()
