"""Administration: users and offices (the catalog is managed with `flask catalog load`)."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import routes  # noqa: E402,F401
