"""Catalog stewardship (issue 25): the people who own a service keep it true in the browser.

A steward drafts a service's next version (the version in force, with what the form
changes), sees what it changes and which stored open cases it would re-time or re-judge,
and submits it; a second steward (never the author: four eyes) approves or rejects it with
a reason. An approved version is put in force through the same use case as ``flask catalog
load`` (``services.catalog.put_in_force``): the catalog is stored whole, the cases it can
judge differently re-timed and their findings swept, each step in the audit trail with the
rows' digests.

Citizens and clerks report a service page that is wrong; the service's stewards answer it
within ``REPORT_ANSWER_DEADLINE``. Functions flush; the request or command commits.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services_catalog import Catalog, CatalogProblem, Deadline, Service, ServiceVersion
from services_catalog.drafts import Change, place_version, version_changes
from services_catalog.exporter import service_to_dict, version_to_dict
from services_catalog.loader import parse_service
from services_catalog.model import SOURCED_FACTS

from ..calendar import WorkingCalendar, due_at
from ..models import Case, User
from ..models.stewardship import CatalogDraft, DraftDecision, ErrorReport, stewarded_services
from ..stores import audit
from . import catalog as catalog_service

STEWARD = "steward"
# A report of a wrong page is answered within ten working days (the usual time for an
# answer to an appeal about information; docs/catalog.md).
REPORT_ANSWER_DEADLINE = Deadline(10, "working_days")
# How a fact of a draft names its source in the form: as in force, a source already listed
# (by id), or the new source given with the draft.
KEEP, NEW = "keep", "new"


def _l(text: str) -> str:
    """Marks a message for translation (pybabel extracts ``_l``); translated where it is shown."""
    return text


class StewardshipError(ValueError):
    """A stewardship step refused, as a translatable template and its parameters (``AccountError``)."""

    def __init__(self, message: str, **parameters):
        super().__init__(message % parameters if parameters else message)
        self.message, self.parameters = message, parameters


NOT_YOURS = _l("you do not keep service %(code)s")
NOT_A_STEWARD = _l("only a catalog steward may do this")
FOUR_EYES = _l("the author of a draft cannot approve or reject it: a second steward must")
NOT_SUBMITTED = _l("only a submitted draft can be approved or rejected")
NOT_EDITABLE = _l("only its author can change a draft that is not yet submitted")
NEEDS_REASON = _l("a decision needs a reason")
INVALID = _l("the draft is not valid: check it to see each problem on its field")
NO_SUCH_SERVICE = _l("there is no service %(code)s in the catalog")


# --- who keeps what ---------------------------------------------------------------------

def stewarded_codes(session: Session, user: User) -> frozenset[str] | None:
    """The services a steward keeps; None: the whole catalog (none listed)."""
    codes = frozenset(session.scalars(select(stewarded_services.c.service_code)
                                      .where(stewarded_services.c.user_id == user.id)))
    return codes or None


def may_steward(session: Session, user: User, service_code: str) -> bool:
    if not user.is_authenticated or user.role != STEWARD:
        return False
    codes = stewarded_codes(session, user)
    return codes is None or service_code in codes


def kept_by_user(session: Session) -> dict[int, list[str]]:
    """Every steward's listed services (a steward not in it keeps the whole catalog)."""
    kept: dict[int, list[str]] = {}
    for user_id, code in session.execute(select(stewarded_services.c.user_id, stewarded_services.c.service_code)
                                         .order_by(stewarded_services.c.service_code)):
        kept.setdefault(user_id, []).append(code)
    return kept


def stewards_of(session: Session, service_code: str) -> list[User]:
    """The active stewards a report on ``service_code`` goes to."""
    listed = select(stewarded_services.c.user_id)
    keep_it = select(stewarded_services.c.user_id).where(stewarded_services.c.service_code == service_code)
    return list(session.scalars(select(User).where(
        User.role == STEWARD, User.active.is_(True),
        (User.id.in_(keep_it)) | (User.id.not_in(listed))).order_by(User.login)))


def services_kept(session: Session, user: User, catalog: Catalog) -> list[Service]:
    codes = stewarded_codes(session, user)
    return [s for code, s in sorted(catalog.services.items()) if codes is None or code in codes]


def _require(session: Session, user: User, service_code: str) -> None:
    if user.role != STEWARD:
        raise StewardshipError(NOT_A_STEWARD)
    if not may_steward(session, user, service_code):
        raise StewardshipError(NOT_YOURS, code=service_code)


# --- composing a draft ------------------------------------------------------------------

@dataclass(frozen=True)
class DraftFields:
    """What the steward's form gives; everything else is carried over from the version in force."""

    effective_from: dt.date
    legal_basis: dict  # {kk, ru, en}
    deadline_value: int | None
    deadline_unit: str
    max_wait_minutes: int | None
    max_service_minutes: int | None
    fee_mrp: float | None
    fee_amount: float | None
    required: tuple[str, ...]
    obtained: tuple[str, ...]
    grounds_kept: tuple[str, ...]
    new_ground: tuple[str, dict] | None = None  # (code, {kk, ru, en})
    sources_kept: tuple[str, ...] = ()
    new_source: dict | None = None  # {title, url, secondary}
    fact_sources: dict = field(default_factory=dict)  # fact -> KEEP | NEW | a source id
    retrieved: dt.date | None = None  # the day the new source was checked


def base_version(catalog: Catalog, service_code: str, on_date: dt.date) -> ServiceVersion | None:
    """The version a draft from ``on_date`` starts from: the one in force that day, else the latest."""
    service = catalog.services.get(service_code)
    if service is None:
        return None
    return service.version_in_force(on_date) or (service.versions[-1] if service.versions else None)


def _jsonable(value):
    return json.loads(json.dumps(value, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v)))


def _new_source_id(taken) -> str:
    number = 1
    while f"steward{number}" in taken:
        number += 1
    return f"steward{number}"


def _required_entries(base: list, chosen: tuple[str, ...]) -> list:
    """The base's entries with only the chosen codes (conditions and any_of groups kept), then
    the newly chosen codes as plain entries."""
    entries: list[str | dict] = []  # a plain code, or {"any_of": [...]} or {"code": ..., "when": ...}
    placed: set[str] = set()
    for entry in base:
        if isinstance(entry, str):
            codes, kind = [entry], "plain"
        elif "any_of" in entry:
            codes, kind = list(entry["any_of"]), "any_of"
        else:
            codes, kind = [entry["code"]], "when"
        left = [code for code in codes if code in chosen]
        placed.update(left)
        if not left:
            continue
        if kind == "any_of" and len(left) >= 2:
            entries.append({**entry, "any_of": left})
        elif kind == "when":
            entries.append(entry)
        else:
            entries.append(left[0] if kind == "plain" or "when" not in entry else
                           {"code": left[0], "when": entry["when"]})
    entries += [code for code in chosen if code not in placed]
    return entries


def compose_version(base: ServiceVersion | None, fields: DraftFields) -> dict:
    """The draft in the catalog format: ``base`` (the version in force) with the form's changes."""
    content: dict[str, Any] = copy.deepcopy(version_to_dict(base)) if base is not None else {
        "result": {"kk": "", "ru": "", "en": ""}, "channels": ["front_desk"]}
    content.update(
        effective_from=fields.effective_from, effective_to=None, legal_basis=dict(fields.legal_basis),
        deadline={"value": fields.deadline_value, "unit": fields.deadline_unit},
        max_wait_minutes=fields.max_wait_minutes, max_service_minutes=fields.max_service_minutes)
    exemptions = (content.get("fee") or {}).get("exemptions")
    fee = {"mrp": fields.fee_mrp} if fields.fee_mrp is not None else \
        {"amount": fields.fee_amount if fields.fee_amount is not None else 0, "currency": "KZT"}
    content["fee"] = {**fee, **({"exemptions": exemptions} if exemptions else {})}
    content["required_documents"] = _required_entries(content.get("required_documents") or [], fields.required)
    content["obtained_by_office"] = list(fields.obtained)
    grounds = [g for g in content.get("refusal_grounds") or [] if g["code"] in fields.grounds_kept]
    if fields.new_ground is not None:
        grounds.append({"code": fields.new_ground[0], "text": dict(fields.new_ground[1])})
    content["refusal_grounds"] = grounds
    sources = [s for s in content.get("sources") or [] if s["id"] in fields.sources_kept]
    new_id = None
    if fields.new_source is not None:
        new_id = _new_source_id({s["id"] for s in content.get("sources") or []})
        sources.append({"id": new_id, "title": fields.new_source["title"], "url": fields.new_source["url"],
                        "retrieved": fields.retrieved or dt.date.today(),
                        **({"secondary": True} if fields.new_source.get("secondary") else {})})
    provenance = dict(content.get("provenance") or {})
    for fact in SOURCED_FACTS:
        choice = fields.fact_sources.get(fact, KEEP)
        if choice == NEW and new_id is not None:
            provenance[fact] = {"source": new_id}
        elif choice not in (KEEP, NEW):
            provenance[fact] = {"source": choice}
    if sources:
        content["sources"], content["provenance"] = sources, provenance
    else:
        content.pop("sources", None)
        content.pop("provenance", None)
    return _jsonable(content)


# --- checking a draft -------------------------------------------------------------------

@dataclass(frozen=True)
class DraftCheck:
    """A draft placed among the service's versions and run through the catalog's validator."""

    service: Service | None  # the service as it would be, None when invalid
    problems: tuple[CatalogProblem, ...]
    version: ServiceVersion | None  # the drafted version as placed
    before: ServiceVersion | None  # the version in force on its effective_from today

    @property
    def valid(self) -> bool:
        return not self.problems and self.service is not None


def check_draft(catalog: Catalog, service_code: str, content: dict) -> DraftCheck:
    """Validate ``content`` as the version of ``service_code`` from its effective_from, by the
    validator of the YAML files (services_catalog.loader): problems name the field."""
    service = catalog.services.get(service_code)
    if service is None:
        return DraftCheck(None, (CatalogProblem("draft", NO_SUCH_SERVICE % {"code": service_code},
                                                service_code),), None, None)
    problems: list[CatalogProblem] = []
    try:
        start = dt.date.fromisoformat(str(content.get("effective_from")))
    except ValueError:
        return DraftCheck(None, (CatalogProblem("draft", "not a date (YYYY-MM-DD)", service_code, None,
                                                "effective_from"),), None, None)
    placed = place_version(service_to_dict(service), {**content, "effective_from": start})
    checked = parse_service(placed, "draft", catalog.documents, problems, catalog.mrp)
    version = checked.version_in_force(start) if checked is not None else None
    return DraftCheck(checked if not problems else None, tuple(problems), version,
                      service.version_in_force(start))


def changes(catalog: Catalog, service_code: str, content: dict) -> list[Change]:
    """What the draft changes against the version in force on its effective_from."""
    service = catalog.services.get(service_code)
    start = dt.date.fromisoformat(str(content["effective_from"]))
    before = service.version_in_force(start) if service else None
    return version_changes(_jsonable(version_to_dict(before)) if before else None, content)


@dataclass(frozen=True)
class AffectedCase:
    case_number: str
    accepted_at: dt.datetime
    due_before: dt.datetime | None
    due_after: dt.datetime | None

    @property
    def retimed(self) -> bool:
        return self.due_before != self.due_after


@dataclass(frozen=True)
class Affected:
    """The stored open cases of the draft's period: all re-judged against it, some re-timed."""

    cases: tuple[AffectedCase, ...]

    @property
    def retimed(self) -> tuple[AffectedCase, ...]:
        return tuple(case for case in self.cases if case.retimed)

    def as_json(self) -> dict:
        return {"rejudged": [c.case_number for c in self.cases],
                "retimed": [c.case_number for c in self.retimed]}


def affected_cases(session: Session, check: DraftCheck, service_code: str, calendar: WorkingCalendar,
                   limit: int = 500) -> Affected:
    """Open cases of the service accepted while the drafted version would be in force: the
    engine judges them against it, and re-times those whose due time it moves."""
    version = check.version
    if version is None:
        return Affected(())
    start = dt.datetime.combine(version.effective_from, dt.time(), calendar.timezone)
    query = select(Case).where(Case.service_code == service_code, Case.completed_at.is_(None),
                               Case.withdrawn_at.is_(None), Case.accepted_at >= start)
    if version.effective_to is not None:
        end = dt.datetime.combine(version.effective_to + dt.timedelta(days=1), dt.time(), calendar.timezone)
        query = query.where(Case.accepted_at < end)
    found = []
    for case in session.scalars(query.order_by(Case.accepted_at).limit(limit)):
        if case.accepted_at is None:  # never: the query asks for cases accepted since ``start``
            continue
        due = due_at(case.accepted_at, version.deadline, calendar).due_at.astimezone(dt.UTC)
        before = case.due_at.astimezone(dt.UTC) if case.due_at else None
        found.append(AffectedCase(case.case_number, case.accepted_at, before, due))
    return Affected(tuple(found))


# --- the workflow -----------------------------------------------------------------------

def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now(dt.UTC)


def save_draft(session: Session, user: User, service_code: str, content: dict,
               draft: CatalogDraft | None = None, now: dt.datetime | None = None) -> CatalogDraft:
    """Keep a steward's draft (new, or their own unsubmitted one changed); valid or not yet."""
    _require(session, user, service_code)
    content = _jsonable(content)
    start = dt.date.fromisoformat(str(content["effective_from"]))
    if draft is None:
        draft = CatalogDraft(service_code=service_code, author=user.login, created_at=_now(now),
                             status="draft", effective_from=start, content=content)
        session.add(draft)
        action = "draft"
    else:
        if draft.author != user.login or draft.status != "draft":
            raise StewardshipError(NOT_EDITABLE)
        draft.content, draft.effective_from = content, start
        action = "update"
    session.flush()
    audit.record(session, user.login, action, "catalog_draft", draft.id,
                 new={"service": service_code, "effective_from": start.isoformat()},
                 rows={"catalog_draft": [draft.id]})
    return draft


def submit(session: Session, draft: CatalogDraft, user: User, catalog: Catalog, calendar: WorkingCalendar,
           now: dt.datetime | None = None) -> Affected:
    """Send a valid draft to a second steward, with the cases it would re-time or re-judge."""
    _require(session, user, draft.service_code)
    if draft.author != user.login or draft.status != "draft":
        raise StewardshipError(NOT_EDITABLE)
    check = check_draft(catalog, draft.service_code, draft.content)
    if not check.valid:
        raise StewardshipError(INVALID)
    affected = affected_cases(session, check, draft.service_code, calendar)
    draft.status, draft.submitted_at, draft.affected_cases = "submitted", _now(now), affected.as_json()
    session.flush()
    audit.record(session, user.login, "submit", "catalog_draft", draft.id, old={"status": "draft"},
                 new={"status": "submitted", **affected.as_json()}, rows={"catalog_draft": [draft.id]})
    return affected


def _may_decide(session: Session, draft: CatalogDraft, reviewer: User, reason: str) -> None:
    _require(session, reviewer, draft.service_code)
    if reviewer.login == draft.author:
        raise StewardshipError(FOUR_EYES)
    if draft.status != "submitted":
        raise StewardshipError(NOT_SUBMITTED)
    if not reason.strip():
        raise StewardshipError(NEEDS_REASON)


def _decide(session: Session, draft: CatalogDraft, reviewer: User, decision: str, reason: str,
            now: dt.datetime | None) -> DraftDecision:
    _may_decide(session, draft, reviewer, reason)
    entry = DraftDecision(draft_id=draft.id, decision=decision, reviewer=reviewer.login, reason=reason.strip(),
                          decided_at=_now(now))
    session.add(entry)
    draft.status = decision
    session.flush()
    audit.record(session, reviewer.login, {"approved": "approve", "rejected": "reject"}[decision],
                 "catalog_draft", draft.id, old={"status": "submitted"},
                 new={"status": decision, "author": draft.author}, reason=reason.strip(),
                 rows={"catalog_draft": [draft.id], "draft_decision": [entry.id]})
    return entry


def approve(session: Session, draft: CatalogDraft, reviewer: User, reason: str, catalog: Catalog,
            now: dt.datetime | None = None) -> catalog_service.CatalogLoad:
    """Four eyes: a second steward puts the draft in force from its effective_from, through the
    catalog load's own use case (stored whole, cases re-timed, findings re-judged)."""
    _may_decide(session, draft, reviewer, reason)
    check = check_draft(catalog, draft.service_code, draft.content)  # the catalog may have moved on
    if not check.valid or check.service is None:  # a valid check has its service
        raise StewardshipError(INVALID)
    _decide(session, draft, reviewer, "approved", reason, now)
    services = {**catalog.services, draft.service_code: check.service}
    updated = Catalog(documents=catalog.documents, services=services, mrp=catalog.mrp)
    return catalog_service.put_in_force(session, updated, actor=reviewer.login)


def reject(session: Session, draft: CatalogDraft, reviewer: User, reason: str,
           now: dt.datetime | None = None) -> DraftDecision:
    return _decide(session, draft, reviewer, "rejected", reason, now)


def drafts_for(session: Session, user: User, statuses=("draft", "submitted")) -> list[CatalogDraft]:
    query = select(CatalogDraft).where(CatalogDraft.status.in_(statuses)).order_by(CatalogDraft.id.desc())
    codes = stewarded_codes(session, user)
    if codes is not None:
        query = query.where(CatalogDraft.service_code.in_(codes))
    return list(session.scalars(query.limit(200)))


def draft_for(session: Session, user: User, draft_id: int) -> CatalogDraft | None:
    """One draft, if the steward keeps its service (else None: the view answers 404)."""
    draft = session.get(CatalogDraft, draft_id)
    if draft is None or not may_steward(session, user, draft.service_code):
        return None
    return draft


# --- reports of a wrong page ------------------------------------------------------------

def file_report(session: Session, service_code: str, text: str, contact: str, language: str,
                calendar: WorkingCalendar, reporter: User | None = None, now: dt.datetime | None = None
                ) -> ErrorReport:
    """"This page is wrong or out of date": stored for the service's stewards, with the time
    to answer by (``REPORT_ANSWER_DEADLINE`` from now, in working days)."""
    now = _now(now)
    origin = "desk" if reporter is not None else "public"
    report = ErrorReport(service_code=service_code, origin=origin,
                         reporter=reporter.login if reporter is not None else None,
                         text=text.strip(), contact=(contact or "").strip() or None, language=language,
                         received_at=now, status="open",
                         answer_by=due_at(now, REPORT_ANSWER_DEADLINE, calendar).due_at.astimezone(dt.UTC))
    session.add(report)
    session.flush()
    audit.record(session, reporter.login if reporter is not None else "citizen", "report", "error_report",
                 report.id, new={"service": service_code, "origin": origin},
                 rows={"error_report": [report.id]})
    return report


def reports_for(session: Session, user: User, status: str | None = "open") -> list[ErrorReport]:
    query = select(ErrorReport).order_by(ErrorReport.answer_by)
    if status:
        query = query.where(ErrorReport.status == status)
    codes = stewarded_codes(session, user)
    if codes is not None:
        query = query.where(ErrorReport.service_code.in_(codes))
    return list(session.scalars(query.limit(500)))


def open_report_counts(session: Session) -> dict[str, int]:
    return dict(session.execute(select(ErrorReport.service_code, func.count()).where(
        ErrorReport.status == "open").group_by(ErrorReport.service_code)).all())


def report_for(session: Session, user: User, report_id: int) -> ErrorReport | None:
    report = session.get(ErrorReport, report_id)
    if report is None or not may_steward(session, user, report.service_code):
        return None
    return report


def answer_report(session: Session, report: ErrorReport, user: User, answer: str,
                  now: dt.datetime | None = None) -> None:
    _require(session, user, report.service_code)
    if not answer.strip():
        raise StewardshipError(_l("an answer needs a text"))
    report.status, report.answer = "answered", answer.strip()
    report.answered_by, report.answered_at = user.login, _now(now)
    session.flush()
    audit.record(session, user.login, "answer", "error_report", report.id, old={"status": "open"},
                 new={"status": "answered"}, rows={"error_report": [report.id]})
