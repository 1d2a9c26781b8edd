"""The citizens' pages from memory: what they show changes only with a catalog load, a
calendar change, a publication or the local date, so each process keeps what it derived
from those (the catalog, the calendar, the published snapshots, the rendered pages) and
reads the database only to learn whether one of them changed.

That check (the latest catalog and calendar audit records and the latest published
snapshot) is made at most once per ``PUBLIC_RECHECK_SECONDS`` per process, and at once
after this process commits such a change; another process's change (a catalog load from
the CLI, a calendar override made in another worker) is seen within that interval. A
citizen's request in between opens no database session.

What is kept is per application object (``app.extensions``), so two apps in one process
never share a page; a change committed through any of them is seen by every app of the
process at once.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

import pandas as pd
from flask import current_app
from flask_babel import force_locale, format_decimal, gettext
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from services_catalog import Catalog, Deadline

from ..calendar import WorkingCalendar, due_at, local_midnight_of
from ..extensions import db
from ..metrics import PUBLIC_PAGE_CACHE
from ..models import AuditRecord, IndicatorSnapshot
from ..stores.calendar import calendar_from_db
from .context import current_frames, local_today
from .offices import all_offices
from .publishing import public_snapshots

# Audit entities whose records change what the citizens' pages show (offices: their names).
CATALOG_ENTITIES = ("catalog", "calendar_override", "office")
EXTENSION = "public_pages"


@dataclass(frozen=True)
class Changes:
    """The last change of each input of the citizens' pages, as the database has it."""
    latest: tuple[tuple[str, int, dt.datetime | None], ...]  # (entity, sequence, at), sorted
    published: int | None  # the newest published snapshot row

    @property
    def catalog(self) -> int | None:
        return next((sequence for entity, sequence, _ in self.latest if entity == "catalog"), None)

    @property
    def calendar(self) -> tuple:
        return tuple(item for item in self.latest if item[0] == "calendar_override")

    @property
    def offices(self) -> int | None:
        return next((sequence for entity, sequence, _ in self.latest if entity == "office"), None)


@dataclass(frozen=True)
class PageStamp:
    """What identifies one citizens' page: its strong ETag and its Last-Modified."""
    tag: str
    modified: dt.datetime


# Changes committed by this process (any database): an app re-reads when the count moved.
_committed = 0


def committed_changes() -> int:
    """How many changes of the pages' inputs this process has committed so far."""
    return _committed


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    changes: Changes | None = None
    read_at: float = float("-inf")
    committed: int = 0  # committed_changes() when changes were read
    derived: dict = field(default_factory=dict)  # (what, stamp) -> value
    pages: OrderedDict = field(default_factory=OrderedDict)  # key -> rendered text
    page_chars: int = 0


def _state() -> _State:
    state = current_app.extensions.get(EXTENSION)
    if state is None:
        state = current_app.extensions.setdefault(EXTENSION, _State())
    return state


def _read_changes(session: Session) -> Changes:
    latest = session.execute(
        select(AuditRecord.entity, func.max(AuditRecord.sequence), func.max(AuditRecord.at))
        .where(AuditRecord.entity.in_(CATALOG_ENTITIES)).group_by(AuditRecord.entity)).all()
    published = session.scalar(select(func.max(IndicatorSnapshot.id)))
    return Changes(tuple(sorted((entity, sequence, at) for entity, sequence, at in latest)), published)


def changes() -> Changes:
    """The inputs' last changes, re-read at most once per PUBLIC_RECHECK_SECONDS."""
    state = _state()
    now = time.monotonic()
    committed = _committed
    if state.changes is not None and state.committed == committed \
            and now - state.read_at < current_app.config["PUBLIC_RECHECK_SECONDS"]:
        return state.changes
    fresh = _read_changes(db.session())
    with state.lock:
        if fresh != state.changes:  # what was derived from the old inputs is never asked again
            state.derived.clear()
            state.pages.clear()
            state.page_chars = 0
        state.changes, state.read_at, state.committed = fresh, now, committed
    return fresh


def _derived(what: Hashable, stamp, compute: Callable):
    state = _state()
    key = (what, stamp)
    value = state.derived.get(key)
    if value is None:
        value = compute()
        with state.lock:
            state.derived[key] = value
    return value


def catalog() -> Catalog:
    """The catalog in force (engine frames cached per catalog load, as context.current_frames)."""
    return _derived("catalog", changes().catalog, current_frames).catalog


def calendar(language: str) -> WorkingCalendar:
    """The calendar with the administrators' overrides, its words in ``language``."""
    return _derived(("calendar", language), changes().calendar, lambda: calendar_from_db(
        db.session(), current_app.config["MONITOR_TIMEZONE"], language))


def office_names(language: str) -> dict[str, str]:
    """Each office's name in ``language``: citizens read names, not office codes."""
    return _derived(("offices", language), changes().offices, lambda: {
        office.code: getattr(office, f"name_{language}", None) or office.name_ru
        for office in all_offices(db.session())})


def published_snapshots(last_weeks: int | None = None) -> pd.DataFrame:
    """The published snapshots fit for anyone (publishing.public_snapshots), per publication;
    ``last_weeks``: of the latest weeks only."""
    return _derived(("snapshots", last_weeks), changes().published,
                    lambda: public_snapshots(db.session(), last_weeks=last_weeks))


def warm_code() -> None:
    """Load what the pages' code loads lazily on first use, without the database (so that
    gunicorn's master can do it once for every worker it forks): compiled templates, message
    catalogs, Babel's locale data and the official holiday tables."""
    environment = current_app.jinja_env
    for name in environment.list_templates(filter_func=lambda name: name.startswith("public/")
                                           or name in ("base.html", "_macros.html", "error.html")):
        environment.get_template(name)
    now = dt.datetime.now(dt.UTC)
    with current_app.test_request_context():
        for language in ("kk", "ru", "en"):
            with force_locale(language):
                gettext("Case status")
                format_decimal(34600, format="#,##0.##")
            due_at(now, Deadline(1, "working_days"),
                   WorkingCalendar([], timezone=current_app.config["MONITOR_TIMEZONE"], language=language))


def warm() -> None:
    """Read what the citizens' pages need before the first citizen asks (a new gunicorn
    worker calls it, gunicorn.conf.py): the catalog, the calendars, the latest snapshots."""
    warm_code()
    catalog()
    for language in ("kk", "ru", "en"):
        calendar(language)
    published_snapshots(last_weeks=12)
    db.session.remove()  # no connection is kept open by the warming


def catalog_page_stamp(language: str, path: str, key) -> PageStamp:
    """The ETag and Last-Modified of a catalog page: new with a catalog or calendar change,
    the local date, the language, the path and ``key`` (query, example due date)."""
    latest = changes().latest
    today = local_today()
    stamp = "|".join(f"{entity}:{sequence}" for entity, sequence, _ in latest)
    tag = hashlib.sha256(f"{stamp}|{today}|{language}|{path}|{key}".encode()).hexdigest()[:32]
    midnight = local_midnight_of(today, current_app.config["MONITOR_TIMEZONE"])
    changed = [moment.astimezone(dt.UTC) for _, _, moment in latest if moment is not None]
    modified = max([midnight.astimezone(dt.UTC)] + changed)
    return PageStamp(tag, modified.replace(microsecond=0))


def rendered(key, render: Callable[[], str]) -> str:
    """A page rendered once per ``key`` (which must name everything the page shows) while
    the inputs stay the same; at most PUBLIC_PAGE_CACHE_CHARS characters are kept."""
    state = _state()
    page = state.pages.get(key)
    if page is not None:
        with state.lock:
            if key in state.pages:
                state.pages.move_to_end(key)
        PUBLIC_PAGE_CACHE.labels("hit").inc()
        return page
    PUBLIC_PAGE_CACHE.labels("miss").inc()
    page = render()
    limit = current_app.config["PUBLIC_PAGE_CACHE_CHARS"]
    if len(page) <= limit // 4:
        with state.lock:
            if key not in state.pages:
                state.pages[key] = page
                state.page_chars += len(page)
            while state.page_chars > limit and state.pages:
                _, dropped = state.pages.popitem(last=False)
                state.page_chars -= len(dropped)
    return page


def _note_changes(session: Session, _context) -> None:
    """after_flush: remember that this transaction changes what citizens' pages show."""
    if any(isinstance(row, IndicatorSnapshot)
           or (isinstance(row, AuditRecord) and row.entity in CATALOG_ENTITIES) for row in session.new):
        session.info["public_pages_changed"] = True


def note_published(session: Session) -> None:
    """This transaction published indicators by a statement the ORM did not flush: the pages
    re-read their inputs once it commits."""
    session.info["public_pages_changed"] = True


def _after_commit(session: Session) -> None:
    """Every app of this process re-reads the inputs on its next request."""
    global _committed
    if session.info.pop("public_pages_changed", False):
        _committed += 1


def install(session_factory) -> None:
    """Expire the pages' inputs when this process commits a change of them (idempotent)."""
    if getattr(session_factory, "_public_pages_installed", False):
        return
    event.listen(session_factory, "after_flush", _note_changes)
    event.listen(session_factory, "after_commit", _after_commit)
    event.listen(session_factory, "after_soft_rollback",
                 lambda session, _previous: session.info.pop("public_pages_changed", None))
    session_factory._public_pages_installed = True
