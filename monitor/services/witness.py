"""The applicant as witness (issue 27, docs/witness.md): "is this what happened?"

Every rule judges what the desk typed; a demand that is never typed leaves no trace. So the
receipt and the case status page show each visit as logged and let the applicant confirm it
or say what differed. A dispute is evidence: a ``CITIZEN_DISPUTE`` finding with the
applicant's account (clause 2.2.4 and a report of inducement when money or a gift was asked),
and, for a reported document the law does not require, the document rule the log would have
fired. These findings are linked to the answer (``ApplicantFinding``): no desk action clears
them (stores.findings.sweep leaves them alone); only the applicant's own change does.

Nothing identifying is stored with the answer: the visit link is all.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import cast

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..compliance import APPLICANT_RULES, RULES
from ..compliance.rules import INDUCEMENT_CLAUSE, judge_documents, requested_tokens
from ..models import VERDICTS, ApplicantFinding, Case, Complaint, Finding, Visit, VisitAnswer
from ..stores import audit, backlog as backlog_store
from ..stores.visits import visits_frame
from . import indicator_cells
from .citizens import file_complaint
from .context import EngineInputs

CHANGEABLE_FOR = dt.timedelta(days=7)  # an answer can be changed this long after it was first given
MAX_ACCOUNT = 2000  # characters of the applicant's own words
MAX_TYPED = 500  # characters of typed document names
MAX_WAIT_MINUTES = 24 * 60
DISPUTE = "CITIZEN_DISPUTE"
# The detail of a CITIZEN_DISPUTE: this prefix and the answer's parameters as JSON (views.words
# renders them in the reader's language).
DISPUTE_PREFIX = "the applicant reports: "
REPORTED_PREFIX = "reported by the applicant: "  # before a document rule's own detail
_DOCUMENT_DETAIL = {"EXTRA_DOCUMENT": "not required by the service: ",
                    "STATE_SYSTEM_DOCUMENT": "obtained by the office from state systems: "}


class AnswerRefused(Exception):
    """Why an answer is not recorded, as a code the page words (views.words.witness_error)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class GivenAnswer:
    """What the applicant says about one visit."""

    verdict: str  # confirmed | disputed
    documents: tuple[str, ...] = ()  # codes picked by name from the service's documents
    typed_documents: str = ""  # documents typed, ';' or one per line
    told_to_return: bool = False
    asked_to_pay: bool = False
    sent_elsewhere: bool = False
    waited_minutes: int | None = None
    account: str = ""

    @property
    def typed(self) -> tuple[str, ...]:
        parts = (part.strip() for part in re.split(r"[;\n]", self.typed_documents or ""))
        return tuple(dict.fromkeys(part for part in parts if part))

    @property
    def differs(self) -> bool:
        return bool(self.documents or self.typed or self.told_to_return or self.asked_to_pay
                    or self.sent_elsewhere or self.waited_minutes is not None or self.account.strip())


@dataclass(frozen=True)
class LoggedVisit:
    """A visit as the desk logged it, for the applicant to check (no staff, no applicant data)."""

    visit_id: str
    action: str
    ticket_at: dt.datetime | None
    called_at: dt.datetime
    finished_at: dt.datetime
    documents: tuple[str, ...]  # the tokens logged as asked for (codes, or text as typed)
    forwarded_to: str | None
    choices: tuple[str, ...]  # the codes of the service version's documents, to pick by name
    answer: VisitAnswer | None
    changeable: bool

    @property
    def waited_minutes(self) -> int | None:
        if self.ticket_at is None:
            return None
        return int((self.called_at - self.ticket_at).total_seconds() // 60)


@dataclass(frozen=True)
class Recorded:
    answer: VisitAnswer
    findings: tuple[Finding, ...] = field(default=())  # the applicant's findings that fire now
    inducement: Complaint | None = None  # a report of inducement filed with this answer


def _versions(session: Session, inputs: EngineInputs, visit_pks: list[int]) -> dict[int, int]:
    frame = visits_frame(session, inputs.frames, inputs.timezone, visit_pks=visit_pks)
    return dict(zip(frame["visit_pk"].astype(int), frame["version"].astype(int)))


def _choices(inputs: EngineInputs, version: int) -> tuple[str, ...]:
    """The version's documents (those it requires, then those the office obtains itself)."""
    if version < 0:
        return ()
    documents = inputs.frames.documents
    return tuple(documents.loc[documents["version"] == version, "token"])


def logged_visits(session: Session, inputs: EngineInputs, case: Case, now: dt.datetime,
                  with_answers: bool = True) -> list[LoggedVisit]:
    """The case's visits as logged, each with the applicant's answer (if any); the desk's
    receipt asks ``with_answers=False``: the clerk never sees who answered what."""
    visits = list(session.scalars(select(Visit).where(Visit.case_pk == case.id).order_by(Visit.called_at)))
    answers = {a.visit_pk: a for a in session.scalars(
        select(VisitAnswer).where(VisitAnswer.visit_pk.in_([v.id for v in visits])))} if visits and with_answers \
        else {}
    versions = _versions(session, inputs, [v.id for v in visits]) if visits else {}
    tokens = requested_tokens(pd.DataFrame({"documents_requested": [v.documents_requested for v in visits]}))
    logged = tokens.groupby("row")["token"].agg(tuple).to_dict() if len(tokens) else {}
    return [LoggedVisit(v.visit_id, v.action, v.ticket_at, v.called_at, v.finished_at, logged.get(i, ()),
                        v.forwarded_to, _choices(inputs, versions.get(v.id, -1)), answers.get(v.id),
                        _changeable(answers.get(v.id), now))
            for i, v in enumerate(visits)]


def _changeable(answer: VisitAnswer | None, now: dt.datetime) -> bool:
    return answer is None or now - answer.answered_at <= CHANGEABLE_FOR


def _document_code(text: str, catalog) -> str:
    """A typed document as its catalog code when it names one (code or name in any language)."""
    wanted = text.strip().casefold()
    for code, document in catalog.documents.items():
        if wanted == code.casefold() or any(wanted == str(name).strip().casefold()
                                            for name in document.name.as_dict().values()):
            return code
    return text.replace(";", ",").strip()


def _check(given: GivenAnswer, choices: tuple[str, ...]) -> None:
    if given.verdict not in VERDICTS:
        raise AnswerRefused("unknown_verdict")
    if given.verdict == "disputed" and not given.differs:
        raise AnswerRefused("dispute_needs_what")
    if given.verdict == "confirmed" and given.differs:
        raise AnswerRefused("confirmation_differs")
    if any(code not in choices for code in given.documents):
        raise AnswerRefused("unknown_document")
    if len(given.account) > MAX_ACCOUNT or len(given.typed_documents or "") > MAX_TYPED:
        raise AnswerRefused("too_long")
    if given.waited_minutes is not None and not 0 <= given.waited_minutes <= MAX_WAIT_MINUTES:
        raise AnswerRefused("bad_wait")


def record_answer(session: Session, inputs: EngineInputs, case: Case, visit_id: str, given: GivenAnswer,
                  now: dt.datetime, language: str | None = None) -> Recorded:
    """Record or change the applicant's answer about one visit of ``case`` (whose check code
    the caller verified) and bring the findings it reports in line; flushes, never commits.

    Raises AnswerRefused: a visit not of this case, an answer older than CHANGEABLE_FOR, or an
    answer that contradicts itself.
    """
    visit = session.scalar(select(Visit).where(Visit.case_pk == case.id, Visit.visit_id == visit_id))
    if visit is None:
        raise AnswerRefused("unknown_visit")
    answer = session.scalar(select(VisitAnswer).where(VisitAnswer.visit_pk == visit.id))
    if not _changeable(answer, now):
        raise AnswerRefused("closed")
    version = _versions(session, inputs, [visit.id]).get(visit.id, -1)
    _check(given, _choices(inputs, version))

    old = _summary(answer) if answer is not None else None
    asked_before = answer is not None and answer.verdict == "disputed" and answer.asked_to_pay
    if answer is None:
        answer = VisitAnswer(visit_pk=visit.id, answered_at=now)
        session.add(answer)
    else:
        answer.changed_at = now
    disputed = given.verdict == "disputed"
    answer.verdict = given.verdict
    answer.documents = list(given.documents) if disputed else []
    answer.typed_documents = "; ".join(given.typed) if disputed and given.typed else None
    answer.told_to_return = disputed and given.told_to_return
    answer.asked_to_pay = disputed and given.asked_to_pay
    answer.sent_elsewhere = disputed and given.sent_elsewhere
    answer.waited_minutes = given.waited_minutes if disputed else None
    answer.account = given.account.strip() if disputed and given.account.strip() else None
    session.flush()

    inducement: Complaint | None = None
    if answer.asked_to_pay and not asked_before:
        # Clause 2.2.4: also a report of inducement, routed to the office's supervisors (never
        # to its desk: views.public.witness queues the escalation mails).
        filed = file_complaint(
            session, kind="inducement", case_number=case.case_number, language=language, now=now,
            text=answer.account or "The applicant reports being asked to pay beyond the fee (answer about a visit).")
        inducement = session.scalar(select(Complaint).where(Complaint.reference == filed.reference))
    wanted = _wanted_findings(session, inputs, visit, version, answer, inducement) if disputed else {}
    firing = _sync_findings(session, visit, answer, wanted, now)
    # The answer counts in its visit's week, its findings there and in the case's weeks after it.
    indicator_cells.mark_since(session, visit.called_at, inputs.timezone, indicator_cells.offices_touched(
        session, [visit.case_pk] if visit.case_pk else [], [visit.office_code]))
    audit.record(session, "citizen", "change_answer" if old else "answer", "visit_answer", answer.id,
                 old=old, new=_summary(answer), at=now,
                 rows={"visit_answer": [answer.id], "finding": [f.id for f in _linked(session, answer)]})
    return Recorded(answer, tuple(firing), inducement)


def _summary(answer: VisitAnswer) -> dict:
    """What the audit trail keeps of an answer: the verdict and what differed, not the words."""
    return {"verdict": answer.verdict, "documents": len(answer.documents or []) + len(
        [t for t in (answer.typed_documents or "").split(";") if t.strip()]),
        "told_to_return": answer.told_to_return, "asked_to_pay": answer.asked_to_pay,
        "sent_elsewhere": answer.sent_elsewhere, "waited_minutes": answer.waited_minutes}


def dispute_parameters(answer: VisitAnswer, visit: Visit, report: str | None) -> dict:
    """The parameters of a CITIZEN_DISPUTE (its detail, as JSON after DISPUTE_PREFIX)."""
    logged_wait = None
    if visit.ticket_at is not None:
        logged_wait = int((visit.called_at - visit.ticket_at).total_seconds() // 60)
    return {"documents": list(answer.documents or []),
            "typed": [t.strip() for t in (answer.typed_documents or "").split(";") if t.strip()],
            "told_to_return": answer.told_to_return, "asked_to_pay": answer.asked_to_pay,
            "sent_elsewhere": answer.sent_elsewhere, "waited_minutes": answer.waited_minutes,
            "logged_wait_minutes": logged_wait, "account": answer.account or "", "report": report}


def parse_dispute(detail: str) -> dict | None:
    """The parameters of a CITIZEN_DISPUTE's detail; None for any other detail."""
    if not (detail or "").startswith(DISPUTE_PREFIX):
        return None
    try:
        parameters = json.loads(detail[len(DISPUTE_PREFIX):])
    except ValueError:
        return None
    return parameters if isinstance(parameters, dict) else None


def _wanted_findings(session: Session, inputs: EngineInputs, visit: Visit, version: int, answer: VisitAnswer,
                     inducement: Complaint | None) -> dict[str, tuple[str, str, str, dict]]:
    """rule -> (clause, severity, detail, params) of the findings this dispute reports."""
    previous = _linked(session, answer, DISPUTE)
    report = inducement.reference if inducement is not None else (
        (previous[0].params or parse_dispute(previous[0].detail) or {}).get("report")
        if previous and answer.asked_to_pay else None)
    rule = APPLICANT_RULES[DISPUTE]
    clause = INDUCEMENT_CLAUSE if answer.asked_to_pay else rule.clause
    params = dispute_parameters(answer, visit, report)
    detail = DISPUTE_PREFIX + json.dumps(params, ensure_ascii=False, sort_keys=True)
    wanted = {DISPUTE: (clause, rule.severity, detail, params)}
    catalog = inputs.frames.catalog
    tokens = list(answer.documents or []) + [_document_code(t, catalog) for t in
                                             (answer.typed_documents or "").split(";") if t.strip()]
    if tokens and version >= 0:
        # What the rules would have fired had the desk logged these documents (rules.judge_documents).
        judged = judge_documents(pd.DataFrame({"documents_requested": [";".join(dict.fromkeys(tokens))],
                                               "version": [version]}), inputs.frames)
        for key, group in judged.groupby("rule", sort=True):
            document_rule = cast(str, key)  # the stubs type a group's key as any scalar; rules are str
            meta = RULES[document_rule]
            documents = list(group["token"])
            wanted[document_rule] = (meta.clause, meta.severity,
                                     REPORTED_PREFIX + _DOCUMENT_DETAIL[document_rule] + "; ".join(documents),
                                     {"documents": documents, "reported_by_applicant": True})
    return wanted


def _linked(session: Session, answer: VisitAnswer, rule: str | None = None) -> list[Finding]:
    query = select(Finding).join(ApplicantFinding, ApplicantFinding.finding_id == Finding.id) \
        .where(ApplicantFinding.answer_id == answer.id).order_by(Finding.id)
    if rule is not None:
        query = query.where(Finding.rule == rule)
    return list(session.scalars(query))


def _sync_findings(session: Session, visit: Visit, answer: VisitAnswer,
                   wanted: dict[str, tuple[str, str, str, dict]], now: dt.datetime) -> list[Finding]:
    """Open, update or stop the answer's findings so that exactly ``wanted`` fire.

    A document the applicant reports on a visit that already has a stored finding of that rule
    (the desk logged another such document) stays in the CITIZEN_DISPUTE's account: one
    finding per (rule, visit).
    """
    linked = {f.rule: f for f in _linked(session, answer)}
    firing = []
    # The report's backlogs follow every finding the answer opens, updates or stops.
    with backlog_store.tracking(session, [f.id for f in linked.values()]) as backlog:
        for rule, (clause, severity, detail, params) in wanted.items():
            finding = linked.get(rule)
            if finding is None:
                taken = session.scalar(select(Finding.id).where(Finding.rule == rule, Finding.visit_pk == visit.id))
                if taken is not None:
                    continue
                finding = Finding(rule=rule, clause=clause, severity=severity, detail=detail, params=params,
                                  visit_pk=visit.id,
                                  case_pk=visit.case_pk, as_of=now, review_status="open", firing=True)
                session.add(finding)
                session.flush()
                session.add(ApplicantFinding(finding_id=finding.id, answer_id=answer.id))
                backlog.add([finding.id])
            elif (finding.detail, finding.params, finding.clause, finding.firing) != (detail, params, clause, True):
                finding.detail, finding.params, finding.clause, finding.as_of = detail, params, clause, now
                finding.firing, finding.cleared_at = True, None
                finding.cleared_cause, finding.cleared_reason = None, None
            firing.append(finding)
        for rule, finding in linked.items():
            if rule not in wanted and finding.firing:
                finding.firing, finding.cleared_at = False, now
                finding.cleared_cause, finding.cleared_reason = "applicant", "the applicant changed their answer"
    return firing


def answer_counts(session: Session, offices: list[str] | None, minimum: int) -> dict[str, int] | None:
    """How many of an area's visits the applicants confirmed and disputed, for staff pages:
    counts only, and none at all below ``minimum`` answers (a small count could name the
    applicant: the small-count threshold of the published rankings, MIN_CASES_FOR_RANKING)."""
    query = select(VisitAnswer.verdict, func.count(VisitAnswer.id)).join(Visit, VisitAnswer.visit_pk == Visit.id) \
        .group_by(VisitAnswer.verdict)
    if offices is not None:
        query = query.where(Visit.office_code.in_(offices))
    counts = {verdict: 0 for verdict in VERDICTS} | dict(session.execute(query).all())
    return counts if sum(counts.values()) >= minimum else None
