"""The accountability clock (issue 13): what nobody dealt with escalates by itself.

A controlled clock throughout: items whose clock starts on Friday 11 December 2026 (local
time), with N = 3 working days; Saturday 12, Sunday 13 and Independence Day (Wednesday
16) are skipped, so the clock runs out at the end of Thursday 17 December.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from monitor import jobs
from monitor.calendar import LOCAL_TIMEZONE, CalendarOverride, WorkingCalendar
from monitor.compliance import escalation as rules
from monitor.compliance.indicators import week_number
from monitor.extensions import db
from monitor.models import AuditRecord, Case, Complaint, Escalation, Finding, Visit
from monitor.services import citizens
from monitor.stores import findings as findings_store

pytestmark = pytest.mark.both_databases

LOCAL = ZoneInfo(LOCAL_TIMEZONE)
FRIDAY = dt.datetime(2026, 12, 11, 10, 0, tzinfo=LOCAL)
RUNS_OUT = dt.datetime(2026, 12, 17, 23, 59, 59, tzinfo=LOCAL)  # end of the third working day
JUST_AFTER = RUNS_OUT + dt.timedelta(seconds=1)
KINDS = rules.KINDS


# --- the rule, without a database ---------------------------------------------------------

def test_the_clock_runs_out_at_the_end_of_the_nth_working_day_skipping_weekend_and_holiday():
    calendar = WorkingCalendar()
    assert rules.runs_out_at(FRIDAY, 3, calendar) == RUNS_OUT
    assert not rules.has_run_out(FRIDAY, RUNS_OUT, 3, calendar)
    assert rules.has_run_out(FRIDAY, JUST_AFTER, 3, calendar)
    # Without the holiday it would have run out a day earlier: on the 17th it still runs.
    assert not rules.has_run_out(FRIDAY, dt.datetime(2026, 12, 17, 12, tzinfo=LOCAL), 3, calendar)
    # A second after, every clock started by the end of the weekend has run out (Saturday's
    # and Sunday's count Mon, Tue, Thu too); none started on Monday.
    assert rules.started_before(JUST_AFTER, 3, calendar) == dt.datetime(2026, 12, 14, tzinfo=LOCAL)
    assert rules.started_before(RUNS_OUT, 3, calendar) == dt.datetime(2026, 12, 11, tzinfo=LOCAL)
    # On Monday 14th, Tuesday 15 and Thursday 17 remain.
    assert rules.working_days_left(FRIDAY, dt.datetime(2026, 12, 14, 9, tzinfo=LOCAL), 3, calendar) == 2
    assert rules.working_days_left(FRIDAY, FRIDAY, 3, calendar) == 3
    assert rules.working_days_left(FRIDAY, dt.datetime(2026, 12, 17, 9, tzinfo=LOCAL), 3, calendar) == 0


def test_an_administrators_override_moves_the_clock():
    working_saturday = WorkingCalendar([CalendarOverride(dt.date(2026, 12, 12), True, "decree")])
    assert rules.runs_out_at(FRIDAY, 3, working_saturday) == dt.datetime(2026, 12, 15, 23, 59, 59, tzinfo=LOCAL)


# --- items with a controlled clock --------------------------------------------------------

def make_item(kind: str, office: str = "OF1", started: dt.datetime = FRIDAY):
    """One waiting item of ``kind`` whose clock starts at ``started``; returns its row."""
    if kind == "overdue_case":
        case = Case(case_number=f"C-{office}-{started:%d%H%M%S}", office_code=office, outcome="open",
                    accepted_at=started - dt.timedelta(days=10), due_at=started)
        db.session.add(case)
        db.session.commit()
        return case
    if kind == "unreviewed_finding":
        case = Case(case_number=f"F-{office}-{started:%d%H%M%S}", office_code=office, outcome="open")
        db.session.add(case)
        db.session.flush()
        finding = Finding(rule="CLOCK_RESET", clause="2.2.3", severity="high", detail="x", case_pk=case.id,
                          as_of=started)
        db.session.add(finding)
        db.session.commit()
        return finding
    filed = citizens.file_complaint(db.session, kind="inducement", text="asked for money", office_code=office,
                                    now=started)
    db.session.commit()
    return db.session.scalar(select(Complaint).where(Complaint.reference == filed.reference))


def escalations() -> list[Escalation]:
    return list(db.session.scalars(select(Escalation).order_by(Escalation.id)))


def audit_count() -> int:
    """Audit records other than the one each job run writes for its own row (issue 22)."""
    return db.session.scalar(select(func.count()).select_from(AuditRecord).where(AuditRecord.entity != "job_run"))


def verify(app):
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_escalates_just_after_its_clock_runs_out_and_not_before(app, people, kind):
    item = make_item(kind)
    before = audit_count()
    assert jobs.escalate(RUNS_OUT).result == "ok"
    assert escalations() == [] and audit_count() == before
    run = jobs.escalate(JUST_AFTER)
    assert run.result == "ok" and run.message.startswith("1 items escalated"), run.message
    [escalation] = escalations()
    assert (escalation.item_kind, escalation.item_id, escalation.office_code) == (kind, item.id, "OF1")
    assert escalation.started_at == FRIDAY and escalation.escalated_at == JUST_AFTER
    assert escalation.level == "admin" and escalation.resolved_at is None
    record = db.session.scalar(select(AuditRecord).where(AuditRecord.entity != "job_run")
                               .order_by(AuditRecord.sequence.desc()).limit(1))
    assert (record.actor, record.action, record.entity, record.entity_id) == (
        "system", "escalate", "escalation", str(escalation.id))
    assert record.new_values["item"] == kind and record.data_digest is not None
    verify(app)


def test_an_item_whose_clock_started_later_waits(app, people):
    make_item("unanswered_inducement", started=FRIDAY + dt.timedelta(days=1))  # Saturday: runs out Thu too
    make_item("unanswered_inducement", started=dt.datetime(2026, 12, 14, 9, tzinfo=LOCAL))  # Monday
    jobs.escalate(JUST_AFTER)
    assert [e.started_at.astimezone(LOCAL).day for e in escalations()] == [12]


def test_a_second_run_with_nothing_new_writes_nothing(app, people):
    for kind in KINDS:
        make_item(kind)
    jobs.escalate(JUST_AFTER)
    assert len(escalations()) == 3
    before = audit_count()
    rows = [(e.id, e.escalated_at, e.resolved_at) for e in escalations()]
    assert jobs.escalate(JUST_AFTER + dt.timedelta(hours=1)).message == "0 items escalated, 0 escalations resolved"
    assert audit_count() == before
    assert [(e.id, e.escalated_at, e.resolved_at) for e in escalations()] == rows


def test_an_item_dealt_with_is_resolved_once_and_audited(app, people):
    case, finding, report = (make_item(kind) for kind in KINDS)
    jobs.escalate(JUST_AFTER)
    handled = dt.datetime(2026, 12, 18, 11, tzinfo=LOCAL)
    case.completed_at, case.outcome = handled, "issued"
    findings_store.review(db.session, finding, "confirmed", "seen", people["super1"], now=handled)
    citizens.answer_complaint(db.session, report, "we are checking", close=True, actor="super1", now=handled)
    db.session.commit()
    before, last = audit_count(), db.session.scalar(select(func.max(AuditRecord.sequence)))
    run = jobs.escalate(handled + dt.timedelta(hours=1))
    assert run.message == "0 items escalated, 3 escalations resolved"
    resolved = {e.item_kind: (e.resolution, e.resolved_at) for e in escalations()}
    assert resolved == {"overdue_case": ("completed", handled), "unreviewed_finding": ("reviewed", handled),
                        "unanswered_inducement": ("closed", handled)}
    records = db.session.scalars(select(AuditRecord).where(AuditRecord.sequence > last,
                                                           AuditRecord.entity != "job_run")).all()
    assert [(r.actor, r.action) for r in records] == [("system", "resolve")] * 3
    assert jobs.escalate(handled + dt.timedelta(hours=2)).message == "0 items escalated, 0 escalations resolved"
    assert audit_count() == before + 3
    # Never escalated again, never deleted.
    assert jobs.escalate(handled + dt.timedelta(days=30)).message.startswith("0 items escalated")
    assert len(escalations()) == 3
    verify(app)


def test_a_withdrawn_case_and_an_answered_report_say_so(app, people):
    case, report = make_item("overdue_case"), make_item("unanswered_inducement")
    jobs.escalate(JUST_AFTER)
    case.withdrawn_at, case.outcome = JUST_AFTER + dt.timedelta(hours=3), "withdrawn"
    citizens.answer_complaint(db.session, report, "thank you", close=False, actor="super1",
                              now=JUST_AFTER + dt.timedelta(hours=4))
    db.session.commit()
    jobs.escalate(JUST_AFTER + dt.timedelta(hours=5))
    assert {e.item_kind: e.resolution for e in escalations()} == {"overdue_case": "withdrawn",
                                                                 "unanswered_inducement": "answered"}


def test_items_dealt_with_in_time_or_not_waiting_never_escalate(app, people):
    medium = make_item("unreviewed_finding")
    medium.severity = "medium"
    done = make_item("overdue_case", office="OF2")
    done.completed_at, done.outcome = FRIDAY, "issued"
    db.session.add(Case(case_number="NOT-ACCEPTED", office_code="OF1", outcome="open", due_at=FRIDAY))
    db.session.commit()
    citizens.file_complaint(db.session, kind="delay", text="slow", office_code="OF1", now=FRIDAY)
    db.session.commit()
    assert jobs.escalate(JUST_AFTER + dt.timedelta(days=20)).message.startswith("0 items escalated")


def test_the_setting_decides_how_many_working_days(app, people):
    app.config["ESCALATE_AFTER_WORKING_DAYS"] = 1
    make_item("overdue_case")
    jobs.escalate(dt.datetime(2026, 12, 14, 23, 59, 59, tzinfo=LOCAL))  # end of Monday, the first working day
    assert escalations() == []
    jobs.escalate(dt.datetime(2026, 12, 15, 0, 0, 0, tzinfo=LOCAL))
    assert len(escalations()) == 1


def test_jobs_run_escalate_from_the_command_line(app, people):
    make_item("unanswered_inducement")
    result = app.test_cli_runner().invoke(args=["jobs", "run", "escalate", "--now", "2026-12-18T00:00:00+05:00"])
    assert result.exit_code == 0, result.output
    assert "escalate: ok: 1 items escalated" in result.output


def test_escalate_is_scheduled_hourly():
    from monitor import scheduler
    assert scheduler.SCHEDULE["escalate"] == {"minute": 15}


# --- pages ---------------------------------------------------------------------------------

def test_a_supervisor_sees_only_the_escalations_of_their_offices(app, client, login, loaded_catalog):
    mine = make_item("overdue_case", office="OF1")
    other = make_item("overdue_case", office="OF2")
    day = (FRIDAY.date() - dt.date(1970, 1, 1)).days  # stored with each visit: the week it counts in
    db.session.add(Visit(visit_id="V-OF1", office_code="OF1", service_code="S1", staff_id="desk1",
                         called_at=FRIDAY, finished_at=FRIDAY, action="consult", source="desk",
                         local_day=day, week=int(week_number([day])[0])))
    db.session.commit()
    # Reports naming only a service reach the offices providing it (OF1 provides S1, nobody S3).
    provided, not_provided = (citizens.file_complaint(db.session, kind="inducement", text="asked for money",
                                                      service_code=code, now=FRIDAY) for code in ("S1", "S3"))
    db.session.commit()
    jobs.escalate(JUST_AFTER)
    assert len(escalations()) == 4
    login("super1")
    page = client.get("/admin/escalations?lang=en").get_data(as_text=True)
    assert mine.case_number in page and provided.reference in page
    assert other.case_number not in page and not_provided.reference not in page
    assert "Open escalations: 2" in page
    report = client.get("/supervisor/?week=2026-W51&lang=en").get_data(as_text=True)
    assert '<li id="escalations">' in report and "Escalated this week, still open: 2" in report
    client.post("/logout")
    login("admin")
    page = client.get("/admin/escalations?lang=en").get_data(as_text=True)
    assert all(ref in page for ref in (mine.case_number, other.case_number, provided.reference,
                                       not_provided.reference))
    assert "Open escalations: 4" in page
    assert "Escalated this week, still open: 4" in client.get("/supervisor/?week=2026-W51&lang=en").get_data(
        as_text=True)
    assert "Escalated this week, still open: 0" in client.get("/supervisor/?week=2026-W52&lang=en").get_data(
        as_text=True)


def test_the_queue_lists_each_kind_in_words_with_a_link_to_the_item(app, client, login):
    case, finding, report = (make_item(kind) for kind in KINDS)
    jobs.escalate(JUST_AFTER)
    login("admin")
    page = client.get("/admin/escalations?lang=ru").get_data(as_text=True)
    assert "Просроченное дело" in page and "Непроверенное нарушение высокой тяжести" in page
    assert f'href="/supervisor/cases/{case.case_number}"' in page
    assert f'href="/supervisor/findings?id={finding.id}"' in page
    assert f'href="/supervisor/complaints/{report.reference}"' in page
    assert "17 декабря 2026" in page and "2026-12-17" not in page
    assert "Эскалации" in client.get("/admin/users?lang=ru").get_data(as_text=True)  # in the navigation
    only = client.get(f"/supervisor/findings?id={finding.id}&lang=en").get_data(as_text=True)
    assert "1 findings" in only


def test_findings_and_complaints_show_each_items_clock_in_the_readers_language(app, client, login):
    escalated = make_item("unanswered_inducement")
    jobs.escalate(JUST_AFTER)
    now = dt.datetime.now(dt.UTC)  # the pages read the real clock
    waiting = make_item("unreviewed_finding", started=now)
    report = make_item("unanswered_inducement", started=now)
    login("super1")
    page = client.get("/supervisor/findings?lang=en").get_data(as_text=True)
    # A clock started today has all three working days left, whatever today is.
    assert f'id="clock-finding-{waiting.id}">Escalates to the administrator in 3 working days, at the end of' in page
    ru = client.get("/supervisor/complaints?lang=ru").get_data(as_text=True)
    assert f'id="clock-complaint-{report.id}">Передаётся администратору через 3 рабочих дня' in ru
    assert f'id="clock-complaint-{escalated.id}">Передано администратору 18 декабря 2026' in ru
    kk = client.get("/supervisor/complaints?lang=kk").get_data(as_text=True)
    assert "2026 ж. 18 желтоқсан" in kk or "18 желтоқсан" in kk


def test_every_state_of_a_clock_in_russian_and_kazakh(app):
    from flask_babel import force_locale

    from monitor.views.words import escalation_clock
    calendar = WorkingCalendar()
    states = {
        "running": rules.clock(FRIDAY, dt.datetime(2026, 12, 14, 9, tzinfo=LOCAL), 3, calendar),
        "today": rules.clock(FRIDAY, dt.datetime(2026, 12, 17, 9, tzinfo=LOCAL), 3, calendar),
        "ran out": rules.clock(FRIDAY, JUST_AFTER, 3, calendar),
        "escalated": rules.clock(FRIDAY, JUST_AFTER, 3, calendar, escalated_at=JUST_AFTER),
    }
    assert [(c.days_left, c.ran_out, c.escalated) for c in states.values()] == [
        (2, False, False), (0, False, False), (0, True, False), (0, True, True)]
    with app.test_request_context(), force_locale("ru"):
        words = {name: escalation_clock(c) for name, c in states.items()}
    assert words == {
        "running": "Передаётся администратору через 2 рабочих дня, в конце дня 17 декабря 2026",
        "today": "Передаётся администратору в конце сегодняшнего дня",
        "ran out": "Срок истёк в конце дня 17 декабря 2026: в течение часа передаётся администратору",
        "escalated": "Передано администратору 18 декабря 2026",
    }
    with app.test_request_context(), force_locale("kk"):
        assert "әкімшіге" in escalation_clock(states["running"]) and "2 жұмыс" in escalation_clock(states["running"])


def test_an_overdue_cases_clock_shows_at_the_desk_and_on_the_case_page(app, client, login):
    escalated = make_item("overdue_case")
    jobs.escalate(JUST_AFTER)
    now = dt.datetime.now(dt.UTC)  # the pages read the real clock
    waiting = make_item("overdue_case", started=now - dt.timedelta(minutes=5))
    login("desk1")
    today = client.get("/desk/?lang=en").get_data(as_text=True)
    assert f'id="clock-case-{waiting.id}">Escalates to the administrator in' in today
    assert f'id="clock-case-{escalated.id}">Escalated to the administrator on 18 December 2026' in today
    client.post("/logout")
    login("super1")
    page = client.get(f"/supervisor/cases/{escalated.case_number}?lang=ru").get_data(as_text=True)
    assert 'id="clock-case">Передано администратору 18 декабря 2026' in page
    # A case not yet due has no clock.
    db.session.add(Case(case_number="C-NOT-DUE", office_code="OF1", outcome="open", accepted_at=now,
                        due_at=now + dt.timedelta(days=5)))
    db.session.commit()
    assert 'id="clock-case"' not in client.get("/supervisor/cases/C-NOT-DUE?lang=en").get_data(as_text=True)
