"""Routes of the open data and the JSON API."""
from . import bp  # noqa: F401

