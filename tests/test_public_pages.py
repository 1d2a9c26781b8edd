"""Citizens' pages from memory (monitor.services.public_pages): the same bytes and headers as a
page rendered afresh, no database session per request, and every change seen."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import create_engine, event
from sqlalchemy.orm import Session

from monitor import create_app
from monitor.extensions import db
from monitor.models import IndicatorSnapshot
from monitor.services import public_pages
from monitor.stores import calendar as calendar_store

from .conftest import TEST_CONFIG

PAGES = ["/", "/?q=marriage", "/services/S1", "/services/S1/checklist", "/services/S2?utm=x",
         "/indicators", "/indicators?office=OF1"]
# What differs between two answers of the same page made at different moments.
MOMENT_HEADERS = {"Date", "Set-Cookie", "X-Request-ID"}


def _publish(week: str, on_time: float) -> None:
    published = dt.datetime(2026, 4, 13, 1, tzinfo=dt.UTC)
    db.session.add_all(IndicatorSnapshot(week=week, scope_kind=kind, scope_value=value, indicator=name, value=number,
                                         published_at=published, audit_head_hash="cd" * 32)
                       for kind, value, name, number in (
                           ("network", "", "on_time_rate", on_time), ("network", "", "cases_completed", 40.0),
                           ("office", "OF1", "on_time_rate", on_time), ("office", "OF1", "cases_completed", 40.0)))
    db.session.commit()


def _headers(response) -> dict:
    return {name: value for name, value in response.headers.items() if name not in MOMENT_HEADERS}


@pytest.fixture
def statements(app):
    """The SQL statements sent to the database (a session that holds a connection between
    requests would hide a pool checkout, never a statement)."""
    sent = []
    listener = lambda connection, cursor, statement, *args: sent.append(statement)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    yield sent
    event.remove(db.engine, "before_cursor_execute", listener)


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_a_page_from_memory_is_the_page_rendered_afresh(app, client, loaded_catalog, database_url, language):
    """An app that keeps nothing (recheck every request, no page kept) renders every page as the
    app did before pages were kept: the kept answers must be byte for byte the same."""
    _publish("2026-W15", 0.75)
    afresh_app = create_app({**TEST_CONFIG, "DATABASE_URL": database_url, "PUBLIC_RECHECK_SECONDS": 0,
                             "PUBLIC_PAGE_CACHE_CHARS": 0})
    afresh = afresh_app.test_client()
    for page in PAGES:
        url = f"{page}{'&' if '?' in page else '?'}lang={language}"
        client.get(url)  # rendered and kept
        kept = client.get(url)
        fresh = afresh.get(url)
        assert kept.status_code == fresh.status_code == 200, url
        assert kept.data == fresh.data, url
        assert _headers(kept) == _headers(fresh), url
    with afresh_app.app_context():
        db.engine.dispose()
    assert app.extensions[public_pages.EXTENSION].pages  # the answers above did come from memory


def test_a_citizens_request_sends_nothing_to_the_database(app, client, loaded_catalog, statements):
    app.config["PUBLIC_RECHECK_SECONDS"] = 3600
    _publish("2026-W15", 0.75)
    for page in PAGES:
        client.get(page)  # the first asks the database once
    tag = client.get("/services/S1").headers["ETag"]
    statements.clear()
    for page in PAGES:
        assert client.get(page).status_code == 200
    assert client.get("/services/S1", headers={"If-None-Match": tag}).status_code == 304
    assert client.get("/?q=passport").status_code == 200  # a query not seen yet: rendered, still no database
    assert statements == []


def test_a_change_committed_here_is_seen_at_once(app, client, loaded_catalog):
    app.config["PUBLIC_RECHECK_SECONDS"] = 3600
    _publish("2026-W15", 0.75)
    before = client.get("/services/S1")
    week_16 = "13–\u206019\u00a0April\u00a02026"  # 2026-W16 by its dates
    assert week_16 not in client.get("/indicators?lang=en").get_data(as_text=True)

    calendar_store.set_override(db.session, dt.date(2030, 1, 2), False, "test", "admin")
    db.session.commit()
    after = client.get("/services/S1")
    assert after.headers["ETag"] != before.headers["ETag"]

    _publish("2026-W16", 0.5)
    assert week_16 in client.get("/indicators?lang=en").get_data(as_text=True)


def test_another_apps_commit_in_this_process_is_seen_at_once(app, client, loaded_catalog, database_url):
    """A job or CLI command of this process runs its own app on the same database."""
    app.config["PUBLIC_RECHECK_SECONDS"] = 3600
    before = client.get("/services/S1").headers["ETag"]
    other = create_app({**TEST_CONFIG, "DATABASE_URL": database_url})
    with other.app_context():
        calendar_store.set_override(db.session, dt.date(2030, 1, 3), False, "job", "admin")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    assert client.get("/services/S1").headers["ETag"] != before


def test_another_process_change_is_seen_after_the_recheck_interval(app, client, loaded_catalog, database_url,
                                                                   monkeypatch):
    """Another process's commit does not pass through this one: it is seen at the next recheck."""
    app.config["PUBLIC_RECHECK_SECONDS"] = 60
    clock = [1000.0]
    monkeypatch.setattr(public_pages.time, "monotonic", lambda: clock[0])
    before = client.get("/services/S1?lang=en")
    # A plain SQLAlchemy session on its own engine: nothing of this app's session machinery runs.
    engine = create_engine(db.engine.url)
    with Session(engine) as elsewhere:
        calendar_store.set_override(elsewhere, dt.date(2030, 1, 4), False, "elsewhere", "admin")
        elsewhere.commit()
    engine.dispose()
    clock[0] += 59
    assert client.get("/services/S1?lang=en").headers["ETag"] == before.headers["ETag"]
    clock[0] += 2
    after = client.get("/services/S1?lang=en")
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.status_code == 200


def test_kept_pages_stay_within_their_bound(app, client, loaded_catalog):
    app.config["PUBLIC_PAGE_CACHE_CHARS"] = 40_000
    for number in range(60):
        assert client.get(f"/?q=word{number}").status_code == 200
    state = app.extensions[public_pages.EXTENSION]
    assert 0 < state.page_chars <= 40_000
    assert state.page_chars == sum(len(page) for page in state.pages.values())
    assert len(state.pages) < 60  # the oldest were dropped


def test_signed_in_pages_are_never_kept(app, client, login, loaded_catalog):
    login("desk1")
    page = client.get("/services/S1").get_data(as_text=True)
    assert "desk1" in page  # the signed-in user's name is on the page
    state = app.extensions.get(public_pages.EXTENSION)
    assert state is None or not state.pages


@pytest.fixture
def anonymous(app):
    """A client that never keeps a cookie: a citizen's browser revalidating a page, or a proxy."""
    return app.test_client(use_cookies=False)


def _conditional(app):
    from monitor.views.public.conditional import ConditionalAnswers
    middleware = app.wsgi_app
    while not isinstance(middleware, ConditionalAnswers):
        middleware = middleware.app  # inside ProxyFix when it is configured
    return middleware


def test_a_repeated_conditional_request_is_answered_before_flask_with_the_same_headers(
        app, anonymous, loaded_catalog, monkeypatch):
    from monitor.views.public import conditional, routes
    # A slow machine must not let the kept answer expire between two requests: the interval
    # and the minute are the next test's subject, not this one's.
    app.config["PUBLIC_RECHECK_SECONDS"] = 600
    monkeypatch.setattr(conditional.time, "time", lambda: 1_800_000_000.0)
    tag = anonymous.get("/services/S1").headers["ETag"]
    first = anonymous.get("/services/S1", headers={"If-None-Match": tag})  # through the application
    assert first.status_code == 304

    reached = []
    original = routes._service_page
    monkeypatch.setattr(routes, "_service_page", lambda *args: reached.append(args) or original(*args))
    again = anonymous.get("/services/S1", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b"" and reached == []
    assert _headers(again) == _headers(first)
    assert again.headers["X-Request-ID"] != first.headers["X-Request-ID"]  # each answer its own id
    # Another tag, another language header, a cookie: the application answers.
    assert anonymous.get("/services/S1", headers={"If-None-Match": '"other"'}).status_code == 200
    assert anonymous.get("/services/S1", headers={"If-None-Match": tag, "Accept-Language": "kk"}).status_code == 200
    assert anonymous.get("/services/S1", headers={"If-None-Match": tag, "Cookie": "a=b"}).status_code == 304
    assert len(reached) == 3


def test_kept_conditional_answers_end_with_a_change_the_interval_or_the_minute(
        app, anonymous, loaded_catalog, monkeypatch):
    from monitor.views.public import conditional
    middleware = _conditional(app)
    app.config["PUBLIC_RECHECK_SECONDS"] = 60
    monotonic, wall = [1000.0], [1_800_000_000.0]  # at the start of a minute
    monkeypatch.setattr(conditional.time, "monotonic", lambda: monotonic[0])
    monkeypatch.setattr(conditional.time, "time", lambda: wall[0])

    def kept(url):
        tag = anonymous.get(url).headers["ETag"]
        assert anonymous.get(url, headers={"If-None-Match": tag}).status_code == 304
        key = next(key for key in middleware.answers if key[0] == url.split("?")[0])
        return middleware._current(middleware.answers[key])

    assert kept("/services/S1")
    monotonic[0] += 59
    assert middleware._current(next(iter(middleware.answers.values())))
    monotonic[0] += 2  # past PUBLIC_RECHECK_SECONDS: the application looks again
    assert not middleware._current(next(iter(middleware.answers.values())))

    middleware.answers.clear()
    assert kept("/services/S2")
    wall[0] += 60  # the next minute: the example due date may have moved
    assert not middleware._current(next(iter(middleware.answers.values())))

    middleware.answers.clear()
    wall[0] += 1
    assert kept("/services/S1/checklist")
    calendar_store.set_override(db.session, dt.date(2030, 1, 5), False, "test", "admin")
    db.session.commit()  # a change committed by this process
    assert not middleware._current(next(iter(middleware.answers.values())))
    tag = anonymous.get("/services/S1/checklist").headers["ETag"]
    assert anonymous.get("/services/S1/checklist", headers={"If-None-Match": tag}).status_code == 304


def test_the_indicators_page_reads_only_the_weeks_it_shows(app, client, statements):
    """However long the published history, /indicators reads its 12 weeks, not all of it."""
    for week in range(1, 31):
        _publish(f"2026-W{week:02d}", 0.5 + week / 100)
    statements.clear()
    page = client.get("/indicators?lang=en").get_data(as_text=True)
    # Weeks by their dates: 2026-W30 and W19 are shown, W18 is not.
    assert "20–\u206026\u00a0July\u00a02026" in page and "4–\u206010\u00a0May\u00a02026" in page
    assert "27\u00a0April" not in page
    table = app.extensions[public_pages.EXTENSION].derived[(("snapshots", 12), app.extensions[
        public_pages.EXTENSION].changes.published)]
    assert sorted(table["week"].unique()) == [f"2026-W{week:02d}" for week in range(19, 31)]
    assert any("week >=" in statement.replace('"', "").replace("indicator_snapshots.", "")
               for statement in statements)


def test_a_week_the_service_publishes_is_seen_at_once_and_stamped(app, client, loaded_catalog, tmp_path):
    """publish_week writes a week's values in one statement, not through the ORM's unit of
    work: the citizens' pages still re-read at once, and the audit chain records every value
    with the digest of what it wrote (flask audit verify then finds each as recorded; the
    moment has microseconds and another time zone, the values include empty ones)."""
    from sqlalchemy import func, select

    from monitor.models import AuditRecord
    from monitor.services import publishing
    from monitor.services.context import engine_inputs
    from monitor.tools.synthetic import generate_visits
    from services_catalog import load_catalog

    app.config["PUBLIC_RECHECK_SECONDS"] = 3600
    frame = generate_visits(load_catalog(loaded_catalog), visits=600, start=dt.date(2026, 3, 2), days=28,
                            offices=["OF1", "OF2"])
    frame.to_csv(tmp_path / "v.csv", index=False)
    assert app.test_cli_runner().invoke(args=["visits", "import", str(tmp_path / "v.csv")]).exit_code == 0
    week_12 = "16–\u206022\u00a0March\u00a02026"  # 2026-W12 by its dates
    assert week_12 not in client.get("/indicators?lang=en").get_data(as_text=True)
    stamped = db.session.scalar(select(func.count(AuditRecord.sequence)))
    now = dt.datetime(2026, 4, 1, 12, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=5)))
    publication = publishing.publish_week(db.session, engine_inputs(), "2026-W12", now)
    db.session.commit()
    assert publication.rows > 50
    assert db.session.scalar(select(func.count(IndicatorSnapshot.id)).where(IndicatorSnapshot.value.is_(None))) > 0
    assert week_12 in client.get("/indicators?lang=en").get_data(as_text=True)
    assert db.session.scalar(select(func.count(AuditRecord.sequence))) == stamped + 1
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    # The stamp holds a digest of every value published.
    from monitor.models import RowDigest
    digests = db.session.scalar(select(func.count()).select_from(RowDigest).where(
        RowDigest.entity == "indicator_snapshot"))
    assert digests == publication.rows
