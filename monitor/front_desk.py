"""The front desk's work: check a visit before it is saved, then record it.

The checks are the engine's own rules (compliance.judge_visits) run on the one visit being
typed, so the desk's warning and the batch's finding can never disagree; the server runs
them on every save, so a script cannot skip the warning.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import audit, findings_store, visit_store
from .compliance import RULES, case_timeline, frame_from_text, parse_visits
from .compliance.rules import judge_integrity, judge_visits
from .context import EngineInputs
from .models import Case, Finding, RelativeDeclaration, User, Visit
from .privacy import applicant_hash

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
    detail: str


@dataclass(frozen=True)
class DraftCheck:
    errors: list[tuple[str, str]] = field(default_factory=list)  # (field, reason)
    warnings: list[DeskWarning] = field(default_factory=list)

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


def check_draft(session: Session, draft: VisitDraft, user: User, inputs: EngineInputs,
                hash_key: str) -> DraftCheck:
    """Validation errors, and the warnings the desk must see before saving."""
    placeholder_case = draft.case_number or ("NEW" if draft.action != "consult" else "")
    parsed = _parse(draft, inputs, "draft", placeholder_case)
    errors = [(row.column, row.reason) for row in parsed.bad_rows.itertuples()]
    if draft.case_number:
        errors += _follow_up_errors(session, draft)
    if draft.action not in ("submit", "consult") and not draft.case_number:
        errors.append(("case_number", "a follow-up visit needs the case number from the receipt"))
    if errors:
        return DraftCheck(errors=errors)
    found = judge_visits(parsed.visits, inputs.frames)
    warnings = [DeskWarning(rule, RULES[rule].clause, detail)
                for rule, detail in zip(found["rule"], found["detail"]) if rule in DEMAND_RULES]
    if draft.case_number and draft.action in ("submit", "resubmit"):
        warnings += _clock_reset_warnings(session, parsed.visits, inputs)
    if draft.applicant_ref.strip():
        hashed = applicant_hash(draft.applicant_ref, hash_key)
        declared = session.scalar(select(RelativeDeclaration.id).where(
            RelativeDeclaration.user_id == user.id, RelativeDeclaration.applicant_hash == hashed))
        if declared is not None:
            warnings.append(DeskWarning(
                CONFLICT_OF_INTEREST, CONFLICT_CLAUSE,
                "the applicant is a close relative you declared; hand the case to a colleague"))
    return DraftCheck(warnings=warnings)


def _clock_reset_warnings(session: Session, draft_visits: pd.DataFrame, inputs: EngineInputs) -> list[DeskWarning]:
    """Warn before a submit that would restart an accepted case's deadline (CLOCK_RESET),
    judged by the engine on the case's stored visits plus the draft."""
    case = session.scalar(select(Case).where(Case.case_number == draft_visits["case_id"].iloc[0]))
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
    return [DeskWarning("CLOCK_RESET", RULES["CLOCK_RESET"].clause, detail) for detail in found["detail"]]


def _follow_up_errors(session: Session, draft: VisitDraft) -> list[tuple[str, str]]:
    """A follow-up belongs to an existing case of the same service, at its office or at the
    office it was forwarded to."""
    case = session.scalar(select(Case).where(Case.case_number == draft.case_number))
    forwarded_here = case is not None and session.scalar(select(Visit.id).where(
        Visit.case_pk == case.id, Visit.forwarded_to == draft.office_code).limit(1)) is not None
    if case is None or (case.office_code != draft.office_code and not forwarded_here):
        # Another office's case is answered exactly like a missing one: the desk learns
        # neither that it exists nor its service (issue 14, defect 11).
        return [("case_number", f"there is no case {draft.case_number} at your office")]
    if case.service_code != draft.service_code:
        return [("service_code", f"case {case.case_number} is for service {case.service_code}")]
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
                 now: dt.datetime | None = None) -> SavedVisit:
    """Save a checked visit, issue a case number on a first submit, and judge it at once.

    The caller has run ``check_draft``; a draft with warnings is saved only with a reason,
    and its findings are recorded in the same transaction.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    check = check_draft(session, draft, user, inputs, hash_key)
    if check.errors:
        raise ValueError("; ".join(reason for _, reason in check.errors))
    if check.warnings and not (override_reason or "").strip():
        raise PermissionError("saving despite a warning needs a written reason")
    case_number, check_code = draft.case_number or None, None
    if draft.action == "submit" and not case_number:
        case_number = new_case_number(draft.office_code, draft.called_at.date())
        check_code = new_check_code()
    visit_id = f"D-{uuid.uuid4().hex[:16]}"
    parsed = _parse(draft, inputs, visit_id, case_number or "")
    visits = parsed.visits.assign(override_reason=(override_reason or "").strip() or None)
    visit_store.import_visits(session, visits, hash_key=hash_key, source="desk",
                              frames=inputs.frames, calendar=inputs.calendar)
    case = session.scalar(select(Case).where(Case.case_number == case_number)) if case_number else None
    if case is not None and check_code:
        case.check_code_hash = check_code_hash(case_number, check_code)
    visit = session.scalar(select(Visit).where(Visit.visit_id == visit_id))
    findings_store.sweep(session, inputs.frames, inputs.calendar, now, inputs.thresholds,
                         case_pks=[case.id] if case else [], visit_pks=[visit.id])
    if check.conflict:
        session.add(Finding(rule=CONFLICT_OF_INTEREST, clause=CONFLICT_CLAUSE, severity="high",
                            detail=f"served a declared relative; reason given: {override_reason}",
                            visit_pk=visit.id, case_pk=case.id if case else None, as_of=now))
    audit.record(session, user.login, "create", "visit", visit_id,
                 new={"case": case_number, "service": draft.service_code, "action": draft.action,
                      "documents": list(draft.documents)},
                 reason=override_reason, at=now)
    session.flush()
    return SavedVisit(visit_id, case_number, check_code)


CORRECTABLE = ("ticket_at", "called_at", "finished_at", "documents_requested", "refusal_ground",
               "forwarded_to")


def correct_visit(session: Session, visit: Visit, changes: dict, reason: str, user: User,
                  inputs: EngineInputs, now: dt.datetime | None = None) -> list[tuple[str, str]]:
    """Correct a stored visit: the old values go to the audit log with who, when and why.

    ``changes`` holds the values as they should be (unchanged ones may be included); the
    corrected visit is validated like any other row, its case re-timed and re-judged.
    Returns validation errors (nothing is changed when there are any).
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    if not reason.strip():
        return [("reason", "a correction needs a reason")]

    def stored(key):
        return getattr(visit, key) if getattr(visit, key) is not None else ("" if key != "ticket_at" else None)
    changes = {k: v for k, v in changes.items() if k in CORRECTABLE and v != stored(k)}
    old = {k: getattr(visit, k) for k in changes}
    merged = {k: getattr(visit, k) for k in CORRECTABLE} | changes
    draft = VisitDraft(
        office_code=visit.office_code, staff_id=visit.staff_id, service_code=visit.service_code,
        action=visit.action, documents=tuple(t for t in (merged["documents_requested"] or "").split(";") if t),
        called_at=merged["called_at"], finished_at=merged["finished_at"], ticket_at=merged["ticket_at"],
        case_number=visit.case.case_number if visit.case else "",
        refusal_ground=merged["refusal_ground"] or "", forwarded_to=merged["forwarded_to"] or "")
    parsed = _parse(draft, inputs, visit.visit_id, draft.case_number)
    if len(parsed.bad_rows):
        return [(row.column, row.reason) for row in parsed.bad_rows.itertuples()]
    for key, value in changes.items():
        setattr(visit, key, value if value != "" or key == "documents_requested" else None)
    session.flush()

    def plain(values: dict) -> dict:
        return {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in values.items()}
    audit.record(session, user.login, "correct", "visit", visit.visit_id, old=plain(old),
                 new=plain(changes), reason=reason.strip(), at=now)
    case_pks = [visit.case_pk] if visit.case_pk else []
    visit_store.refresh_cases(session, case_pks, inputs.frames, inputs.calendar)
    findings_store.sweep(session, inputs.frames, inputs.calendar, now, inputs.thresholds,
                         case_pks=case_pks, visit_pks=[visit.id])
    return []
