"""The Alembic migrations build exactly the schema the models describe."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from monitor.extensions import db

pytestmark = pytest.mark.both_databases


# SQLite's reflection cannot read back expression indexes (uq_users_login_lower); the
# test below checks that one directly.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
def test_migrations_match_the_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "include_object": lambda obj, name, type_, reflected, compare_to:
                not (type_ == "table" and name in ("scheduler_jobs", "alembic_version"))})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_logins_are_unique_ignoring_case_in_the_schema(app):
    """Migration 0004: the database itself refuses `Admin` beside `admin`."""
    from sqlalchemy.exc import IntegrityError

    from monitor.models import User
    db.session.add(User(login="admin", role="admin", password_hash="x"))
    db.session.commit()
    db.session.add(User(login="Admin", role="admin", password_hash="x"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert "session_version" in {c["name"] for c in inspect(db.engine).get_columns("users")}
