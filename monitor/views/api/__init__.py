"""Open data and the JSON API, at stable documented URLs (clause 2.2.2)."""
from flask import Blueprint

bp = Blueprint("api", __name__)

from . import routes  # noqa: E402,F401
