"""Service Compliance Monitor: the Flask application factory."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from flask import Flask, request, session

from .config import ROOT, SOURCE_CHECKOUT, instance_path

# The application's parts (views, stores, migrations, extensions) are imported by create_app,
# not here: a command that needs no application (``flask analyze``, registered as a Flask
# plugin command in setup.cfg) imports ``monitor`` without them.


PACKAGE = Path(__file__).resolve().parent
MIGRATIONS = PACKAGE / "migrations"
# A source checkout serves templates/ and static/ from the repository; an installed package
# carries copies under monitor/site_files/ (put there by the build, see build_steps.py).
SITE = ROOT if SOURCE_CHECKOUT else PACKAGE / "site_files"


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
    if chosen in languages and session.get("lang") != chosen:  # rewrite the cookie only for a change
        session["lang"] = chosen
    return session.get("lang") or request.accept_languages.best_match(languages) or "ru"


def create_app(config: dict | None = None) -> Flask:
    from flask_babel import refresh as refresh_locale
    from flask_sqlalchemy.session import Session as FlaskSession
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from werkzeug.middleware.proxy_fix import ProxyFix

    from . import logs, metrics
    from .cli import register_commands
    from .config import load_config
    from .errors import register_error_handlers
    from .extensions import babel, csrf, db, limiter, login_manager, migrate
    from .services import public_pages
    from .stores import evidence
    from .views import register_template_helpers
    from .views.access import enforce_access
    from .views.admin import bp as admin_bp
    from .views.api import bp as api_bp
    from .views.auth import (
        bp as auth_bp,
        loader as auth,  # registers the user loader
    )
    from .views.desk import bp as desk_bp
    from .views.guards import register_guards
    from .views.health import bp as health_bp
    from .views.public import bp as public_bp
    from .views.public.conditional import ConditionalAnswers
    from .views.steward import bp as steward_bp
    from .views.supervisor import bp as supervisor_bp

    if not event.contains(Engine, "connect", _configure_sqlite):
        event.listen(Engine, "connect", _configure_sqlite)
    app = Flask(__name__, instance_path=instance_path(),
                template_folder=str(SITE / "templates"), static_folder=str(SITE / "static"))
    load_config(app, config)
    logs.install(app)  # first, so that the request id is there for every later hook
    metrics.install(app)
    # Repeat conditional requests of citizens' pages are answered before Flask runs; inside
    # ProxyFix, so that the scheme (and HSTS) is the citizen's.
    app.wsgi_app = ConditionalAnswers(app.wsgi_app, app.config)
    proxies = {name: app.config[f"PROXY_FIX_{name.upper()}"] for name in ("x_for", "x_proto", "x_host")}
    if any(proxies.values()):  # trust only as many proxies as configured (rate limits per citizen)
        app.wsgi_app = ProxyFix(app.wsgi_app, **proxies)
    db.init_app(app)
    evidence.install(FlaskSession)  # ORM writes of recorded rows are always stamped at commit
    public_pages.install(FlaskSession)  # a catalog, calendar or publication commit renews citizens' pages
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    # The guards come first: they set the body limit before anything (CSRF) reads the form.
    register_guards(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    limiter.init_app(app)

    for blueprint in (public_bp, auth_bp, desk_bp, supervisor_bp, admin_bp, steward_bp, api_bp, health_bp):
        app.register_blueprint(blueprint)
    login_manager.login_view = "auth.login"
    register_template_helpers(app)
    # Each request chooses its language anew, even when an outer app context is reused.
    app.before_request(refresh_locale)
    app.before_request(auth.enforce_session_lifetime)
    app.before_request(enforce_access)
    register_error_handlers(app)
    register_commands(app)
    return app
