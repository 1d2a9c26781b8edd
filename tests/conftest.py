"""Fixtures: an app on SQLite (always) and on PostgreSQL (when TEST_DATABASE_URL is set).

Every test that needs a database runs on SQLite. The modules marked ``both_databases`` --
those whose SQL or transactions behave differently by dialect: stores, imports, cells,
evidence, reports, jobs, locks, hostile input -- run on PostgreSQL as well; pages and words
that only read through those same stores run once (README, "Two commands").

The schema is built once per backend by the Alembic migrations, as in production; each
test then starts from empty tables.
"""
from __future__ import annotations

import os
import uuid
from contextlib import ExitStack, contextmanager

import pytest
from flask_migrate import upgrade
from hypothesis import Phase, settings
from sqlalchemy import create_engine, make_url, text

from monitor import create_app
from monitor.config import normalize_database_url
from monitor.extensions import db

from .catalogs import write_catalog

# `make mutation` runs the engine's tests once per mutant: few, reproducible examples there
# (property tests take min(their own count, the profile's)), and no shrinking: a mutant needs
# only a failure, and shrinking one can outlast mutmut's time limit (a "timeout", not a kill).
# The default profile elsewhere.
settings.register_profile("mutation", max_examples=6, derandomize=True, database=None, deadline=None,
                          phases=(Phase.explicit, Phase.reuse, Phase.generate))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "APPLICANT_HASH_KEY": "test-applicant-key",
    "WTF_CSRF_ENABLED": False,
}


@contextmanager
def private_postgres_database(server_url: str):
    """A database of our own on the TEST_DATABASE_URL server, dropped afterwards, so that
    two test runs on one machine never share tables."""
    server = make_url(normalize_database_url(server_url))
    name = f"scm_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def pytest_generate_tests(metafunc):
    """SQLite for every test with a database; PostgreSQL too for the ``both_databases`` ones."""
    if "database_url" in metafunc.fixturenames:
        marked = metafunc.definition.get_closest_marker("both_databases") is not None
        metafunc.parametrize("database_url", BACKENDS if marked else BACKENDS[:1], indirect=True, scope="session")


@pytest.fixture(scope="session")
def database_url(request, tmp_path_factory):
    """A migrated, empty database per backend, shared by the tests of the session."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        else:
            url = stack.enter_context(private_postgres_database(os.environ["TEST_DATABASE_URL"]))
        app = create_app({**TEST_CONFIG, "DATABASE_URL": url})
        with app.app_context():
            upgrade()
            db.engine.dispose()
        yield url


def _empty_tables() -> None:
    """Every table emptied, children first; on PostgreSQL every sequence starts again at 1.
    (DELETE of a few rows, not TRUNCATE: TRUNCATE of 35 tables rewrites their files and costs
    a second per test under load, DELETE a hundredth of one.)"""
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT setval(oid, 1, false) FROM pg_class WHERE relkind = 'S'"))
    db.session.commit()


def table_rows() -> dict[str, list[dict]]:
    """Every row of every table, to be put back later by ``restore_rows``."""
    return {table.name: [dict(row) for row in db.session.execute(table.select()).mappings()]
            for table in db.metadata.sorted_tables}


def findings_and_figures() -> tuple[list[tuple], list[tuple]]:
    """Every stored finding as a sweep leaves it, and every week's final figures."""
    from sqlalchemy import select

    from monitor.models import Finding, IndicatorValue
    found = db.session.execute(select(
        Finding.id, Finding.rule, Finding.visit_pk, Finding.case_pk, Finding.firing, Finding.detail,
        Finding.params, Finding.as_of, Finding.cleared_at, Finding.cleared_cause).order_by(Finding.id)).all()
    columns = [c for c in IndicatorValue.__table__.columns if c.name != "id"]
    figures = db.session.execute(select(*columns).order_by(*columns[:3])).all()
    return [tuple(row) for row in found], [tuple(row) for row in figures]


def restore_rows(rows: dict[str, list[dict]]) -> None:
    """The tables exactly as ``table_rows`` saw them (ids and PostgreSQL sequences too)."""
    _empty_tables()
    for table in db.metadata.sorted_tables:
        if rows.get(table.name):
            db.session.execute(table.insert(), rows[table.name])
    if db.engine.dialect.name == "postgresql":
        for table in db.metadata.sorted_tables:
            if "id" in table.c and rows.get(table.name) and table.c.id.autoincrement in (True, "auto"):
                db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                        f"(SELECT MAX(id) FROM {table.name}))"))  # nosec B608
    db.session.commit()
    db.session.expire_all()


@pytest.fixture
def app(database_url):
    app = create_app({**TEST_CONFIG, "DATABASE_URL": database_url})
    with app.app_context():
        _empty_tables()
        yield app
        db.session.rollback()
        _empty_tables()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def catalog_dir(tmp_path):
    """The small test catalog of tests/catalogs.py, written to a folder."""
    return write_catalog(tmp_path / "catalog")


@pytest.fixture
def loaded_catalog(app, catalog_dir):
    """The small test catalog, loaded into the database."""
    from monitor.stores.catalog import store_catalog
    from services_catalog import load_catalog

    store_catalog(db.session, load_catalog(catalog_dir))
    db.session.commit()
    return catalog_dir


PASSWORD = "correct horse battery"


@pytest.fixture
def people(app):
    """Two offices, a desk user in each, a supervisor of the first, an admin."""
    from werkzeug.security import generate_password_hash

    from monitor.models import Office, User

    offices = {code: Office(code=code, name_kk=f"{code} kk", name_ru=f"{code} ru", name_en=f"{code} en",
                            region="Astana") for code in ("OF1", "OF2")}
    db.session.add_all(offices.values())
    # One round of PBKDF2: the suite signs in thousands of times, and each check of werkzeug's
    # default (scrypt, what accounts.py stores) costs 0.1 s. test_accounts checks real hashes.
    hashed = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")
    users = {
        "desk1": User(login="desk1", role="desk", office_code="OF1", password_hash=hashed),
        "desk2": User(login="desk2", role="desk", office_code="OF2", password_hash=hashed),
        "super1": User(login="super1", role="supervisor", password_hash=hashed,
                       supervised=[offices["OF1"]]),
        "admin": User(login="admin", role="admin", password_hash=hashed),
    }
    db.session.add_all(users.values())
    db.session.commit()
    return users


@pytest.fixture
def login(client, people):
    """Sign a user in by login: ``login("desk1")``."""
    def sign_in(name: str):
        response = client.post("/login", data={"login": name, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return people[name]
    return sign_in
