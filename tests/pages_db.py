"""One migrated SQLite database per module, for tests of pages rather than of storage.

Import ``database_url`` into a test module to use it: the whole-site walks (the language
crawl, axe-core, phone widths) then run once instead of once per backend; SQLite and
PostgreSQL storage are exercised by the rest of the suite.
"""
from __future__ import annotations

import pytest
from flask_migrate import upgrade

from monitor import create_app
from monitor.extensions import db

from .conftest import TEST_CONFIG


@pytest.fixture(scope="module")
def database_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('pages') / 'pages.sqlite3'}"
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url
