"""Supervisors: the weekly quality report, findings review, complaints of their area."""
from flask import Blueprint

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")

from . import routes  # noqa: E402,F401
