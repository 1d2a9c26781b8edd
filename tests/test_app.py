from sqlalchemy import text

from monitor.extensions import db


def test_home_page_lists_the_catalog(client, loaded_catalog):
    response = client.get("/?lang=en")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Service S1" in page and "Service S2" in page


def test_search_is_tolerant_of_case_and_partial_words(client, loaded_catalog):
    page = client.get("/?lang=en&q=serv s2").get_data(as_text=True)
    assert "Service S2" in page and "Service S1" not in page


def test_sqlite_is_set_up_for_many_users(app):
    if db.engine.dialect.name != "sqlite":
        return  # PostgreSQL needs none of these settings
    assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 30000
