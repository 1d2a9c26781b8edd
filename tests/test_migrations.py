"""The Alembic migrations build exactly the schema the models describe."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from monitor.extensions import db


def test_migrations_match_the_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "include_object": lambda obj, name, type_, reflected, compare_to:
                not (type_ == "table" and name in ("scheduler_jobs", "alembic_version"))})
        differences = compare_metadata(context, db.metadata)
    assert differences == []
