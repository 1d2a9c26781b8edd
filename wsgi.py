"""WSGI entry point: ``gunicorn wsgi:app``; ``flask`` run from the repository root finds it too."""
from monitor import create_app

app = create_app()
