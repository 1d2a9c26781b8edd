"""Service Compliance Monitor: the Flask application factory."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from flask import Flask, request, session
from flask_babel import refresh as refresh_locale
from sqlalchemy import event
from sqlalchemy.engine import Engine

from flask_sqlalchemy.session import Session as FlaskSession

from . import evidence
from .config import load_config
from . import auth  # noqa: F401  (registers the user loader)
from .cli import register_commands
from .errors import register_error_handlers
from .extensions import babel, csrf, db, limiter, login_manager, migrate
from .views import register_template_helpers
from .views.access import enforce_access
from .views.admin import bp as admin_bp
from .views.api import bp as api_bp
from .views.auth import bp as auth_bp
from .views.desk import bp as desk_bp
from .views.public import bp as public_bp
from .views.supervisor import bp as supervisor_bp

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record):
    """SQLite for a multi-user web app: WAL, enforced foreign keys, a busy timeout."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB: bulk imports update several indexes
        cursor.close()


def select_locale() -> str:
    """The language chosen with the switch (kept in the session), else the browser's."""
    languages = ("kk", "ru", "en")
    chosen = request.args.get("lang")
    if chosen in languages:
        session["lang"] = chosen
    return session.get("lang") or request.accept_languages.best_match(languages) or "ru"


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(ROOT / "instance"),
                template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    load_config(app, config)
    db.init_app(app)
    evidence.install(FlaskSession)  # ORM writes of recorded rows are always stamped at commit
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    limiter.init_app(app)

    for blueprint in (public_bp, auth_bp, desk_bp, supervisor_bp, admin_bp, api_bp):
        app.register_blueprint(blueprint)
    login_manager.login_view = "auth.login"
    register_template_helpers(app)
    # Each request chooses its language anew, even when an outer app context is reused.
    app.before_request(refresh_locale)
    app.before_request(enforce_access)
    register_error_handlers(app)
    register_commands(app)
    return app
