"""The front desk's work: check a visit before it is saved, then record it.

The checks are the engine's own rules (compliance.judge_visits) run on the one visit being
typed, so the desk's warning and the batch's finding can never disagree; the server runs
them on every save, so a script cannot skip the warning.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services_catalog.search import WORD_PATTERN, words as name_words

from ..calendar import end_of_next_working_day, local_midnight
from ..compliance import RULES, case_timeline, frame_from_text, parse_visits
from ..compliance.applicants import applicant_hash
from ..compliance.details import detail_text
from ..compliance.rules import judge_integrity, judge_visits
from ..models import Case, CorrectionRequest, Finding, IndicatorSnapshot, RelativeDeclaration, User, Visit
from ..stores import (
    audit,
    backlog as backlog_store,
    cases as case_store,
    findings as findings_store,
    visits as visit_store,
)
from . import indicator_cells, publishing
from .context import EngineInputs
from .errors import DraftRejected, FieldError

# Findings the desk must confirm with a written reason before saving (clause 2.2.3).
DEMAND_RULES = ("EXTRA_DOCUMENT", "STATE_SYSTEM_DOCUMENT", "UNFOUNDED_RETURN", "UNFOUNDED_REFUSAL")
CONFLICT_OF_INTEREST = "CONFLICT_OF_INTEREST"
CONFLICT_CLAUSE = "2.4.1"
_CHECK_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


@dataclass(frozen=True)
class VisitDraft:
    """What the desk typed, before it is saved."""

    office_code: str
    staff_id: str
    service_code: str
    action: str
    documents: tuple[str, ...]
    called_at: dt.datetime
    finished_at: dt.datetime
    ticket_at: dt.datetime | None = None
    case_number: str = ""
    applicant_ref: str = ""
    refusal_ground: str = ""
    forwarded_to: str = ""


@dataclass(frozen=True)
class DeskWarning:
    rule: str
    clause: str
    params: dict = field(default_factory=dict)  # the finding's parameters (compliance/details.py)


@dataclass(frozen=True)
class DraftCheck:
    errors: list[FieldError] = field(default_factory=list)
    warnings: list[DeskWarning] = field(default_factory=list)
    late: bool = False  # finished before today's working day began: needs a reason
    # The draft's row as the engine read it (ids of the check's own), for record_visit to
    # save without reading the text again; None when the check found errors.
    visits: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    @property
    def conflict(self) -> bool:
        return any(w.rule == CONFLICT_OF_INTEREST for w in self.warnings)


@dataclass(frozen=True)
class SavedVisit:
    visit_id: str
    case_number: str | None
    check_code: str | None  # shown once, on the receipt; only its hash is stored


def _text_row(draft: VisitDraft, visit_id: str, case_number: str) -> pd.DataFrame:
    def stamp(moment: dt.datetime | None) -> str:
        return moment.isoformat() if moment else ""
    return pd.DataFrame([{
        "visit_id": visit_id, "case_id": case_number, "office_code": draft.office_code,
        "service_code": draft.service_code, "staff_id": draft.staff_id,
        "applicant_ref": draft.applicant_ref.strip(), "ticket_at": stamp(draft.ticket_at),
        "called_at": stamp(draft.called_at), "finished_at": stamp(draft.finished_at),
        "action": draft.action, "documents_requested": ";".join(draft.documents),
        "refusal_ground": draft.refusal_ground, "forwarded_to": draft.forwarded_to,
    }])


def _parse(draft: VisitDraft, inputs: EngineInputs, visit_id: str, case_number: str):
    return parse_visits(frame_from_text(_text_row(draft, visit_id, case_number), "desk"),
                        inputs.frames, inputs.timezone)


DEFAULT_SKEW = dt.timedelta(minutes=5)


def typed_time_errors(draft_times: dict, now: dt.datetime, skew: dt.timedelta) -> list[FieldError]:
    """Typed times checked against the server clock: none may lie in the future."""
    limit = now + skew
    return [FieldError(name, "in_future", {"now": now.astimezone(moment.tzinfo).isoformat(timespec="minutes")})
            for name, moment in draft_times.items() if moment is not None and moment > limit]


def _parser_errors(bad_rows: pd.DataFrame, draft: VisitDraft, timezone) -> list[FieldError]:
    """The parser's problems of the one typed row, with what the page needs to word them."""
    day = draft.called_at.astimezone(timezone).date().isoformat() if draft.called_at else ""
    context = {"service": draft.service_code, "day": day, "action": draft.action}
    return [FieldError(column, code, context) for column, code in zip(bad_rows["column"], bad_rows["code"])]


def check_draft(session: Session, draft: VisitDraft, user: User, inputs: EngineInputs,
                hash_key: str, now: dt.datetime | None = None,
                skew: dt.timedelta = DEFAULT_SKEW) -> DraftCheck:
    """Validation errors, and the warnings the desk must see before saving."""
    now = now or dt.datetime.now(dt.UTC)
    placeholder_case = draft.case_number or ("NEW" if draft.action != "consult" else "")
    parsed = _parse(draft, inputs, "draft", placeholder_case)
    errors = _parser_errors(parsed.bad_rows, draft, inputs.calendar.timezone)
    errors += typed_time_errors({"ticket_at": draft.ticket_at, "called_at": draft.called_at,
                                 "finished_at": draft.finished_at}, now, skew)
    if draft.case_number:
        visit_store.lock_case(session, draft.case_number)  # one desk at a time per case
        errors += _follow_up_errors(session, draft)
    if draft.action not in ("submit", "consult") and not draft.case_number:
        errors.append(FieldError("case_number", "case_number_needed"))
    if draft.action == "refuse" and not draft.refusal_ground.strip():
        errors.append(FieldError("refusal_ground", "ground_needed"))  # the desk always cites one
    if errors:
        return DraftCheck(errors=errors)
    found = judge_visits(parsed.visits, inputs.frames)
    warnings = [DeskWarning(rule, RULES[rule].clause, params)
                for rule, params in zip(found["rule"], found["params"]) if rule in DEMAND_RULES]
    if draft.case_number and draft.action in ("submit", "resubmit"):
        warnings += _clock_reset_warnings(session, parsed.visits, inputs)
    if draft.action == "withdraw" and case_store.overdue_open(session, draft.case_number, now) is not None:
        warnings.append(DeskWarning("OVERDUE_OPEN", RULES["OVERDUE_OPEN"].clause))
    if draft.applicant_ref.strip():
        hashed = applicant_hash(draft.applicant_ref, hash_key)
        declared = session.scalar(select(RelativeDeclaration.id).where(
            RelativeDeclaration.user_id == user.id, RelativeDeclaration.applicant_hash == hashed))
        if declared is not None:
            warnings.append(DeskWarning(CONFLICT_OF_INTEREST, CONFLICT_CLAUSE))
    late = draft.finished_at is not None and draft.finished_at < local_midnight(now, inputs.timezone)
    return DraftCheck(warnings=warnings, late=late, visits=parsed.visits)


def _clock_reset_warnings(session: Session, draft_visits: pd.DataFrame, inputs: EngineInputs) -> list[DeskWarning]:
    """Warn before a submit that would restart an accepted case's deadline (CLOCK_RESET),
    judged by the engine on the case's stored visits plus the draft."""
    case = case_store.by_number(session, draft_visits["case_id"].iloc[0])
    if case is None:
        return []
    stored = visit_store.visits_frame(session, inputs.frames, inputs.timezone, [case.id])

    def clock_resets(visits: pd.DataFrame) -> pd.DataFrame:
        visits = visits.reset_index(drop=True)
        found = judge_integrity(visits, case_timeline(visits, inputs.frames, inputs.calendar),
                                inputs.timezone, inputs.thresholds)
        return found[found["rule"] == "CLOCK_RESET"]
    if len(clock_resets(stored)):
        return []  # already reset: the finding stands, this visit adds nothing new
    columns = [c for c in stored.columns if c in draft_visits.columns]
    found = clock_resets(pd.concat([stored[columns], draft_visits[columns]], ignore_index=True))
    return [DeskWarning("CLOCK_RESET", RULES["CLOCK_RESET"].clause, params) for params in found["params"]]


def _follow_up_errors(session: Session, draft: VisitDraft) -> list[FieldError]:
    """A follow-up belongs to an existing case of the same service, at its office or at the
    office it was forwarded to."""
    case = case_store.by_number(session, draft.case_number)
    forwarded_here = case is not None and session.scalar(select(Visit.id).where(
        Visit.case_pk == case.id, Visit.forwarded_to == draft.office_code).limit(1)) is not None
    if case is None or (case.office_code != draft.office_code and not forwarded_here):
        # Another office's case is answered exactly like a missing one: the desk learns
        # neither that it exists nor its service.
        return [FieldError("case_number", "no_such_case", {"case": draft.case_number})]
    if case.service_code != draft.service_code:
        return [FieldError("service_code", "case_of_other_service",
                           {"case": case.case_number, "service": case.service_code})]
    previous = session.scalar(select(func.max(Visit.called_at)).where(Visit.case_pk == case.id))
    if previous is not None and draft.called_at is not None and draft.called_at < previous:
        return [FieldError("called_at", "before_previous_visit", {"moment": previous.isoformat()})]
    return []


def new_case_number(office_code: str, today: dt.date) -> str:
    return f"{office_code}-{today:%y%m%d}-{secrets.token_hex(3).upper()}"


def new_check_code() -> str:
    return "".join(secrets.choice(_CHECK_CODE_ALPHABET) for _ in range(6))


def check_code_hash(case_number: str, code: str) -> str:
    """The check code is kept only as a hash, bound to its case."""
    return hashlib.sha256(f"{case_number}:{code.strip().upper()}".encode()).hexdigest()


def record_visit(session: Session, draft: VisitDraft, user: User, inputs: EngineInputs,
                 hash_key: str, override_reason: str | None = None,
                 now: dt.datetime | None = None, late_reason: str | None = None,
                 skew: dt.timedelta = DEFAULT_SKEW) -> SavedVisit:
    """Save a checked visit, issue a case number on a first submit, and judge it at once.

    The draft is checked here, once (``check_draft``): a draft with errors is refused
    (``DraftRejected`` "invalid", with the check); one with warnings is saved only with a
    reason ("override_reason_needed"), and its findings are recorded in the same transaction;
    one that finished before today's working day began only with a reason for the late entry
    ("late_reason_needed"). Every visit keeps the server time it was recorded at.
    """
    now = now or dt.datetime.now(dt.UTC)
    check = check_draft(session, draft, user, inputs, hash_key, now, skew)
    if check.errors:
        raise DraftRejected("invalid", errors=check.errors, check=check)
    missing = [code for code, needed, given in (("override_reason_needed", check.warnings, override_reason),
                                                 ("late_reason_needed", check.late, late_reason))
               if needed and not (given or "").strip()]
    if missing:
        raise DraftRejected(missing[0], check=check)
    case_number, check_code = draft.case_number or None, None
    if draft.action == "submit" and not case_number:
        case_number = new_case_number(draft.office_code, draft.called_at.date())
        check_code = new_check_code()
    visit_id = f"D-{uuid.uuid4().hex[:16]}"
    overdue = case_store.overdue_open(session, draft.case_number, now)
    if overdue is not None:
        # Evidence of this moment first: an overdue case's OVERDUE_OPEN is recorded as of now
        # (the nightly sweep may not have seen it yet), so that the visit cannot hide it.
        findings_store.sweep(session, inputs.frames, inputs.calendar, now, inputs.thresholds,
                             case_pks=[overdue.id], visit_pks=[])
    # The row the check read, with the saved ids: the text is parsed once (the ids are read
    # only as present, and a consultation belongs to no case).
    checked = check.visits if check.visits is not None else _parse(draft, inputs, visit_id, case_number or "").visits
    visits = checked.assign(
        visit_id=visit_id, case_id=case_number if case_number and draft.action != "consult" else None,
        override_reason=(override_reason or "").strip() or None,
        late_reason=(late_reason or "").strip() or None if check.late else None)
    imported = visit_store.import_visits(session, visits, hash_key=hash_key, source="desk",
                                         frames=inputs.frames, calendar=inputs.calendar, now=now)
    case = case_store.by_number(session, case_number)
    if case is not None and check_code:
        # A statement, not an ORM change: the desk's record below covers the row, so that the
        # commit's safety net (evidence._before_commit) has nothing to read back and digest again.
        session.execute(update(Case).where(Case.id == case.id)
                        .values(check_code_hash=check_code_hash(case.case_number, check_code)))
    visit = session.scalars(select(Visit).where(Visit.visit_id == visit_id)).one()
    # A finding this visit would stop (a withdrawal of an overdue case, a result dated before
    # the due time of a case already overdue) stays firing until a supervisor decides.
    findings_store.sweep(session, inputs.frames, inputs.calendar, now, inputs.thresholds,
                         case_pks=[case.id] if case else [], visit_pks=[visit.id],
                         cause=findings_store.Cause(
                             "desk", f"visit {visit_id} ({draft.action}) recorded by {user.login}", hold=True),
                         known=imported.visits)  # the case's visits, as just written: not read back
    # The week's indicator cells (and later ones: the case's events) follow in the cells job.
    indicator_cells.mark_since(session, visit.called_at, inputs.timezone,
                               indicator_cells.offices_touched(session, [case.id] if case else [], [visit.office_code]))
    conflict = None
    if check.conflict:
        params = {"reason": override_reason}
        conflict = Finding(rule=CONFLICT_OF_INTEREST, clause=CONFLICT_CLAUSE, severity="high",
                           detail=detail_text(CONFLICT_OF_INTEREST, params), params=params,
                           visit_pk=visit.id, case_pk=case.id if case else None, as_of=now)
        session.add(conflict)
        session.flush()
        backlog_store.added(session, [conflict.id])
    audit.record(session, user.login, "create", "visit", visit_id,
                 new={"case": case_number, "service": draft.service_code, "action": draft.action,
                      "documents": list(draft.documents),
                      **({"late_reason": (late_reason or "").strip()} if check.late else {})},
                 reason=override_reason, at=now,
                 rows={"visit": [visit.id], "case": [case.id] if case else [],
                       "finding": [conflict.id] if conflict else []},
                 # Rows this save inserted have no earlier digest to compare with.
                 written={"visit": [visit.id], "case": [case.id] if case is not None and check_code else [],
                          "finding": [conflict.id] if conflict else []})
    session.flush()
    return SavedVisit(visit_id, case_number, check_code)


CORRECTABLE = ("action", "ticket_at", "called_at", "finished_at", "documents_requested", "refusal_ground",
               "forwarded_to")
TIMES = ("ticket_at", "called_at", "finished_at")


@dataclass(frozen=True)
class CorrectionOutcome:
    errors: list[FieldError] = field(default_factory=list)
    applied: bool = False
    request: CorrectionRequest | None = None  # when a supervisor must decide


def correction_deadline(visit: Visit, calendar) -> dt.datetime:
    """The end of the next working day after the visit's local day (the desk's own window)."""
    return end_of_next_working_day(visit.finished_at, calendar)


@dataclass(frozen=True)
class Supervision:
    """Why a correction waits for a supervisor: a code and its parameters (pages word them),
    and the English kept on the request (its ``why_supervised``, read in the audit trail)."""

    code: str  # imported | other_staff | action_change | published_week | window_closed | findings_change
    params: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        p = self.params
        return {
            "imported": lambda: "an imported visit",
            "other_staff": lambda: f"a visit of another staff member ({p['staff']})",
            "action_change": lambda: "a change of action",
            "published_week": lambda: f"a visit of a published week ({p['week']})",
            "window_closed": lambda: f"the desk's window closed at {p['moment']}",
            "findings_change": lambda: "a change of findings (" + "; ".join(
                [f"opens {rule}" for rule in p["opens"]] + [f"clears {rule}" for rule in p["clears"]]) + ")",
        }[self.code]()


def why_supervised(session: Session, visit: Visit, changes: dict, user: User, calendar,
                   now: dt.datetime, effect: findings_store.Effect | None = None) -> Supervision | None:
    """Why this correction needs a supervisor's approval, or None if the desk may make it.

    Judged on where the visit is and on where the correction moves it: its week (published
    or not) and its correction window, before and after; and on what it does to the findings
    (``effect``): a correction that opens or clears one is never the desk's alone.
    """
    if user.role != "desk":
        return None  # supervisors and admins correct under their own name
    if visit.source != "desk":
        return Supervision("imported")
    if visit.staff_id != user.login:
        return Supervision("other_staff", {"staff": visit.staff_id})
    if "action" in changes:
        return Supervision("action_change")
    called = [visit.called_at] + ([changes["called_at"]] if changes.get("called_at") else [])
    for week in dict.fromkeys(publishing.week_of(moment, calendar.timezone_name) for moment in called):
        if session.scalar(select(IndicatorSnapshot.id).where(IndicatorSnapshot.week == week).limit(1)):
            return Supervision("published_week", {"week": week})
    finished = [visit.finished_at] + ([changes["finished_at"]] if changes.get("finished_at") else [])
    deadline = min(end_of_next_working_day(moment, calendar) for moment in finished)
    if now >= deadline:
        return Supervision("window_closed", {"moment": deadline.isoformat(timespec="minutes")})
    if effect:
        return Supervision("findings_change", {"opens": [rule for rule, *_ in effect.opened],
                                               "clears": [rule for rule, *_ in effect.cleared]})
    return None


def _stored(visit: Visit, key: str):
    value = getattr(visit, key)
    return value if value is not None else (None if key in TIMES else "")


def _plain(values: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in values.items()}


def _same(visit: Visit, key: str, value) -> bool:
    """Whether ``value`` leaves the stored field as it is. The form gives times to the minute:
    a time equal to the stored one to the minute is the stored time, seconds and all (an
    imported visit keeps the precision of its source; a field the clerk did not change is not
    changed)."""
    stored = _stored(visit, key)
    if key == "documents_requested":  # the same documents in another order are the same demand
        return _tokens(value) == _tokens(stored)
    if key in TIMES and isinstance(value, dt.datetime) and isinstance(stored, dt.datetime) \
            and value.second == 0 and value.microsecond == 0:
        return value == stored.replace(second=0, microsecond=0)
    return value == stored


def _tokens(documents: str | None) -> set[str]:
    return {t.strip() for t in (documents or "").split(";") if t.strip()}


def _changed(visit: Visit, changes: dict) -> dict:
    return {k: v for k, v in changes.items() if k in CORRECTABLE and not _same(visit, k, v)}


def _order_errors(session: Session, visit: Visit, merged: dict) -> list[FieldError]:
    """A corrected visit keeps its place among the case's visits (ordered by called_at): it
    cannot be dated before the previous visit (a result before the acceptance) nor after the
    next one."""
    if visit.case_pk is None or merged["called_at"] is None:
        return []
    others = session.execute(select(Visit.id, Visit.called_at, Visit.finished_at).where(
        Visit.case_pk == visit.case_pk, Visit.id != visit.id)).all()
    place = (visit.called_at, visit.id)
    before = [o for o in others if (o.called_at, o.id) < place]
    after = [o for o in others if (o.called_at, o.id) > place]
    errors = []
    if before:
        previous = max(before, key=lambda o: (o.called_at, o.id))
        if merged["called_at"] < previous.called_at:
            errors.append(FieldError("called_at", "before_previous_visit", {"moment": previous.called_at.isoformat()}))
        elif merged["finished_at"] is not None and merged["finished_at"] < previous.finished_at:
            errors.append(FieldError("finished_at", "finishes_before_previous",
                                     {"moment": previous.finished_at.isoformat()}))
    if after:
        following = min(after, key=lambda o: (o.called_at, o.id))
        if merged["called_at"] > following.called_at:
            errors.append(FieldError("called_at", "after_next_visit", {"moment": following.called_at.isoformat()}))
    return errors


def _validate(session: Session, visit: Visit, changes: dict, inputs: EngineInputs, now: dt.datetime,
              skew: dt.timedelta) -> list[FieldError]:
    merged = {k: getattr(visit, k) for k in CORRECTABLE} | changes
    draft = VisitDraft(
        office_code=visit.office_code, staff_id=visit.staff_id, service_code=visit.service_code,
        action=merged["action"], documents=tuple(t for t in (merged["documents_requested"] or "").split(";") if t),
        called_at=merged["called_at"], finished_at=merged["finished_at"], ticket_at=merged["ticket_at"],
        case_number=visit.case.case_number if visit.case else "",
        refusal_ground=merged["refusal_ground"] or "", forwarded_to=merged["forwarded_to"] or "")
    parsed = _parse(draft, inputs, visit.visit_id, draft.case_number)
    errors = _parser_errors(parsed.bad_rows, draft, inputs.calendar.timezone)
    errors += typed_time_errors({k: v for k, v in changes.items() if k in TIMES}, now, skew)
    if not errors and ({"called_at", "finished_at"} & set(changes)):
        errors += _order_errors(session, visit, merged)
    return errors


def correction_effect(session: Session, visit: Visit, changes: dict, inputs: EngineInputs,
                      now: dt.datetime | None = None) -> findings_store.Effect:
    """The findings this correction would open and clear, judged now (the desk's preview)."""
    now = now or dt.datetime.now(dt.UTC)
    changes = _changed(visit, changes)
    if not changes:
        return findings_store.Effect()
    edit = {k: (v if v != "" or k == "documents_requested" else None) for k, v in changes.items()}
    return findings_store.effect_of_edit(session, inputs.frames, inputs.calendar, now, inputs.thresholds,
                                         visit.id, visit.case_pk, edit)


def name_key(text: str) -> str:
    """A document's name or code as the desk compares it: its words, case-folded, ё as е, one
    space between them (the catalog search's words). The visit form's script does the same with
    ``WORD_PATTERN`` (``DocumentFacts.word_pattern``) and the lower case."""
    return " ".join(name_words(text))


@dataclass(frozen=True)
class DocumentFacts:
    """What the visit form knows of the documents of the version in force: the facts the
    server judges a draft by, and that static/js/desk-warnings.js uses to warn before Save.

    ``names`` maps a typed name (``name_key``) to its document's code: every code and name in
    kk, ru and en of the version's documents, and for a document the office obtains itself
    the shorter ways it is written ("Адресная справка", "мекенжай анықтамасы"). A shorter form
    never names a lawful document: reading it can only change which warning is shown, never
    remove one.
    """

    lawful: tuple[str, ...]    # the codes the version may require
    obtained: tuple[str, ...]  # the codes the office must obtain itself (STATE_SYSTEM_DOCUMENT)
    names: Mapping[str, str]
    word_pattern: str = WORD_PATTERN

    def resolve(self, entry: str) -> str:
        """A typed document: its code when its name is known, else the text as typed (the engine
        reads a catalog code; other text is a document the rules do not provide for)."""
        entry = entry.strip()
        return self.names.get(name_key(entry), entry)


def _shorter_names(name: str) -> set[str]:
    """The shorter ways a clerk writes a document's name: without its parenthesised part, and
    its first or last words (two or more)."""
    keys = set()
    for text in {name, re.sub(r"\([^)]*\)", " ", name)}:
        found = name_words(text)
        keys.add(" ".join(found))
        for size in range(2, len(found)):
            keys.update((" ".join(found[:size]), " ".join(found[-size:])))
    return keys - {""}


def document_facts(version, catalog) -> DocumentFacts:
    """The documents of ``version`` (a service version of ``catalog``) as the visit form reads
    them; see ``DocumentFacts``."""
    if version is None:
        return DocumentFacts((), (), {})
    lawful = tuple(dict.fromkeys(code for entry in version.required_documents for code in entry.codes))
    obtained = tuple(code for code in dict.fromkeys(version.obtained_by_office) if code not in lawful)

    def names_of(code: str) -> list[str]:
        document = catalog.documents.get(code)
        return list(document.name.as_dict().values()) if document is not None else []
    names: dict[str, str] = {}
    for code in lawful + obtained:
        for key in [name_key(code)] + [name_key(name) for name in names_of(code)]:
            if key:
                names.setdefault(key, code)
    # A shorter form counts when it names one document of the version and is not the full
    # name of another document of the catalog.
    full_names = {name_key(name) for document in catalog.documents.values()
                  for name in document.name.as_dict().values()}
    shorter: dict[str, set[str]] = {}
    for code in lawful + obtained:
        for name in names_of(code):
            for key in _shorter_names(name):
                shorter.setdefault(key, set()).add(code)
    for key, codes in shorter.items():
        (code, *others) = codes
        if not others and code in obtained and key not in names and key not in full_names:
            names[key] = code
    return DocumentFacts(lawful, obtained, names)


def exact_service_code(catalog, query: str) -> str | None:
    """The code of the service whose code ``query`` is (any case, stray spaces), or None."""
    typed = "".join(query.split()).casefold()
    return next((code for code in catalog.services if code.casefold() == typed), None) if typed else None


def resolve_documents(entries: list[str], catalog, stored: str = "") -> tuple[list[str], list[FieldError]]:
    """Documents typed by name or code, as the catalog's codes.

    An entry is a document code of the catalog, or a document's name in any language (any
    case); free text already stored on the visit stays as it is. Anything else is refused
    (a mistyped code or name would otherwise be saved as an unlawful demand).
    """
    kept = {t.strip() for t in stored.split(";") if t.strip()}
    codes, errors = [], []
    for entry in (e.strip() for e in entries):
        if not entry:
            continue
        code = catalog.document_code(entry)
        if code is None and entry in kept:
            code = entry
        if code is None:
            errors.append(FieldError("documents_requested", "unknown_document", {"document": entry}))
        elif code not in codes:
            codes.append(code)
    return codes, errors


def correction_errors(session: Session, visit: Visit, changes: dict, reason: str, inputs: EngineInputs,
                      now: dt.datetime | None = None, skew: dt.timedelta = DEFAULT_SKEW) -> list[FieldError]:
    """What is wrong with a correction before anything else is said about it."""
    now = now or dt.datetime.now(dt.UTC)
    if not reason.strip():
        return [FieldError("reason", "reason_needed")]
    changes = _changed(visit, changes)
    if not changes:
        return [FieldError("reason", "nothing_changed")]
    return _validate(session, visit, changes, inputs, now, skew)


def correct_visit(session: Session, visit: Visit, changes: dict, reason: str, user: User,
                  inputs: EngineInputs, now: dt.datetime | None = None,
                  skew: dt.timedelta = DEFAULT_SKEW) -> CorrectionOutcome:
    """Correct a stored visit, or ask a supervisor to.

    A desk user corrects their own visit alone until the end of the next working day; any
    other correction (a colleague's or an imported visit, a visit of a published week, a
    change of action) becomes a correction request: until a supervisor of the office
    approves it, the visit and its findings stand as they are.
    """
    now = now or dt.datetime.now(dt.UTC)
    errors = correction_errors(session, visit, changes, reason, inputs, now, skew)
    if errors:
        return CorrectionOutcome(errors=errors)
    changes = _changed(visit, changes)
    effect = correction_effect(session, visit, changes, inputs, now) if user.role == "desk" else None
    supervised = why_supervised(session, visit, changes, user, inputs.calendar, now, effect)
    if supervised is not None:
        request = CorrectionRequest(visit_pk=visit.id, office_code=visit.office_code, requested_by=user.login,
                                    requested_at=now, changes=_plain(changes), reason=reason.strip(),
                                    why_supervised=supervised.text, why_code=supervised.code,
                                    why_params=supervised.params, status="pending")
        session.add(request)
        session.flush()
        audit.record(session, user.login, "request_correction", "visit", visit.visit_id,
                     old=_plain({k: getattr(visit, k) for k in changes}), new=_plain(changes),
                     reason=reason.strip(), at=now)
        return CorrectionOutcome(request=request)
    # The desk's own correction changes no finding (why_supervised); should the engine still
    # stop one (a finding recorded since), it is held for a supervisor, not cleared.
    _apply(session, visit, changes, reason.strip(), user.login, inputs, now,
           f"correction of visit {visit.visit_id} by {user.login}: {reason.strip()}", hold=user.role == "desk")
    return CorrectionOutcome(applied=True)


def _apply(session: Session, visit: Visit, changes: dict, reason: str, actor: str, inputs: EngineInputs,
           now: dt.datetime, why: str, hold: bool = False) -> None:
    """Write a correction: old values to the audit record, the case re-timed, its findings re-judged
    (those that no longer fire are marked so, with this correction as the reason)."""
    old = {k: getattr(visit, k) for k in changes}
    was_called_at = visit.called_at
    for key, value in changes.items():
        setattr(visit, key, value if value != "" or key == "documents_requested" else None)
    session.flush()
    case_pks = [visit.case_pk] if visit.case_pk else []
    indicator_cells.mark_since(session, min(was_called_at, visit.called_at), inputs.timezone,
                               indicator_cells.offices_touched(session, case_pks, [visit.office_code]))
    visit_store.refresh_cases(session, case_pks, inputs.frames, inputs.calendar)
    record = audit.record(session, actor, "correct", "visit", visit.visit_id, old=_plain(old),
                          new=_plain(changes), reason=reason, at=now,
                          rows={"visit": [visit.id], "case": case_pks})
    findings_store.sweep(session, inputs.frames, inputs.calendar, now, inputs.thresholds,
                         case_pks=case_pks, visit_pks=[visit.id], actor=actor,
                         cause=findings_store.Cause("correction", f"{why} (audit record {record.sequence})",
                                                    hold=hold))


def _parsed_changes(changes: dict) -> dict:
    return {k: dt.datetime.fromisoformat(v) if k in TIMES and v else v for k, v in changes.items()}


def decide_correction(session: Session, request: CorrectionRequest, approve: bool, note: str, user: User,
                      inputs: EngineInputs, now: dt.datetime | None = None) -> list[FieldError]:
    """A supervisor of the office approves (the correction is made) or rejects a request."""
    now = now or dt.datetime.now(dt.UTC)
    # One decision at a time, on the request and the case as they now stand: a second
    # supervisor, or a desk saving a visit of the case meanwhile, waits and is judged after.
    visit_store.lock_correction_request(session, request.id)
    if request.visit.case_pk is not None:
        visit_store.lock_case(session, case_pk=request.visit.case_pk)
    session.refresh(request)
    session.refresh(request.visit)
    if request.status != "pending":
        return [FieldError("status", "already_decided", {"request": request.id, "status": request.status})]
    if not note.strip():
        return [FieldError("note", "note_needed")]
    visit = request.visit
    if approve:
        changes = _changed(visit, _parsed_changes(request.changes))
        errors = _validate(session, visit, changes, inputs, now, dt.timedelta(days=36500)) if changes else []
        if errors:
            return errors
        if changes:
            _apply(session, visit, changes, f"{request.reason} (approved: {note.strip()})", user.login, inputs,
                   now, f"correction of visit {visit.visit_id} requested by {request.requested_by}: "
                        f"{request.reason}; approved by {user.login}: {note.strip()}")
    request.status = "approved" if approve else "rejected"
    request.decided_by, request.decided_at, request.decision_note = user.login, now, note.strip()
    audit.record(session, user.login, "approve_correction" if approve else "reject_correction", "visit",
                 visit.visit_id, new={"request": request.id, "status": request.status},
                 reason=note.strip(), at=now)
    return []


def reissue_check_code(session: Session, case: Case, user: User, now: dt.datetime | None = None) -> str:
    """A new check code for a citizen who lost theirs: the old one stops working at once."""
    code = new_check_code()
    case.check_code_hash = check_code_hash(case.case_number, code)
    audit.record(session, user.login, "reissue_check_code", "case", case.case_number, at=now,
                 reason="check code re-issued at the desk", rows={"case": [case.id]})
    return code
