"""The citizens' pages: the published requirements of every service (clause 2.2.2)."""
from flask import Blueprint

bp = Blueprint("public", __name__)

from . import routes  # noqa: E402,F401  (routes register themselves on bp)
