"""Catalog stewards: draft a service's next version, approve a colleague's, answer reports (issue 25)."""
from flask import Blueprint

bp = Blueprint("steward", __name__, url_prefix="/steward")

from . import routes  # noqa: E402,F401
