"""The README's PostgreSQL backup works: pg_dump, then pg_restore into an empty database, and
`flask audit verify` passes on the restored copy (the audit chain and row digests came along)."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from sqlalchemy import make_url

from monitor import create_app
from monitor.extensions import db

from .conftest import TEST_CONFIG, private_postgres_database

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL") or shutil.which("pg_dump") is None,
    reason="needs PostgreSQL (TEST_DATABASE_URL) and its client tools; .ci/run has both")


def _libpq(url: str) -> str:
    """The URL as pg_dump and pg_restore take it (no SQLAlchemy driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _app(url: str):
    return create_app({**TEST_CONFIG, "DATABASE_URL": url})


def test_a_dump_restored_into_an_empty_database_verifies(tmp_path):
    from flask_migrate import upgrade
    dump = tmp_path / "monitor.dump"
    with private_postgres_database(os.environ["TEST_DATABASE_URL"]) as original, \
            private_postgres_database(os.environ["TEST_DATABASE_URL"]) as empty:
        app = _app(original)
        with app.app_context():
            upgrade()
            db.engine.dispose()
        # Each command in an app context of its own, closed before the pool is disposed.
        assert app.test_cli_runner().invoke(args=["demo", "load", "--weeks", "2"]).exit_code == 0
        with app.app_context():
            db.engine.dispose()
        subprocess.run(["pg_dump", "-Fc", "-f", str(dump), _libpq(original)], check=True)
        # As the README says: into an empty database, --clean --if-exists so that nothing it
        # drops first is an error.
        restored = subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "-d", _libpq(empty),
                                   str(dump)], capture_output=True, text=True)
        assert restored.returncode == 0, restored.stderr
        copy = _app(empty)
        result = copy.test_cli_runner().invoke(args=["audit", "verify"])
        with copy.app_context():
            db.engine.dispose()
        assert result.exit_code == 0, result.output
        assert "audit trail intact" in result.output
