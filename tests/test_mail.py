"""E-mail through a real SMTP server (aiosmtpd on a free local port): the overdue digest,
the escalation of a report of inducement, and a complaint's answer to the citizen; each is
queued with what caused it and sent by the ``mail`` job, which retries until the server takes it."""
from __future__ import annotations

import datetime as dt
import email
import email.header
import socket
import time

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from monitor import jobs
from monitor.extensions import db
from monitor.models import Case, Complaint, JobRun, OutgoingMail, User
from monitor.services import mail

pytestmark = pytest.mark.both_databases

UTC = dt.UTC


class Inbox:
    def __init__(self):
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"

    def wait(self, count: int = 1, timeout: float = 10) -> list:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(app):
    port = _free_port()
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_FROM="monitor@example.kz")
    yield inbox
    controller.stop()


def send_queued(app, now=None):
    run = jobs.run_job(app, "mail", now)
    assert run.result == "ok", run.message
    return run


def _subject(message) -> str:
    return str(email.header.make_header(email.header.decode_header(message["Subject"])))


def _body(message) -> str:
    return message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")


def _overdue_case(office: str = "OF1", number: str = "C-LATE-1") -> None:
    db.session.add(Case(case_number=number, office_code=office, accepted_at=dt.datetime(2026, 3, 2, 5, tzinfo=UTC),
                        due_at=dt.datetime(2026, 3, 9, 13, tzinfo=UTC), outcome="open"))
    db.session.commit()


def test_the_overdue_digest_arrives_by_smtp(app, people, smtp_server):
    people["super1"].email = "super1@example.kz"
    people["desk1"].email = "desk1@example.kz"
    people["desk2"].email = "desk2@example.kz"  # another office: gets nothing
    app.config["MAIL_COPY_TO"] = "compliance@example.kz"
    db.session.commit()
    _overdue_case()
    run = jobs.run_job(app, "overdue", dt.datetime(2026, 3, 20, 6, tzinfo=UTC))
    assert run.result == "ok", run.message
    assert smtp_server.messages == []  # queued, not sent by the digest job itself
    send_queued(app, dt.datetime(2026, 3, 20, 6, 1, tzinfo=UTC))
    [message] = smtp_server.wait(1)
    assert set(message["X-Envelope-To"].split(", ")) == {"super1@example.kz", "desk1@example.kz",
                                                         "compliance@example.kz"}
    assert message["From"] == "monitor@example.kz" and "OF1" in message["Subject"]
    assert _subject(message) == "Просроченные дела: отделение OF1 (1)"  # Russian: nobody chose another
    assert "C-LATE-1" in _body(message)


def test_each_recipient_reads_the_digest_in_their_language(app, people, smtp_server):
    people["super1"].email, people["super1"].language = "super1@example.kz", "kk"
    people["desk1"].email = "desk1@example.kz"  # Russian, the default
    db.session.commit()
    _overdue_case()
    jobs.run_job(app, "overdue", dt.datetime(2026, 3, 20, 6, tzinfo=UTC))
    send_queued(app, dt.datetime(2026, 3, 20, 6, 1, tzinfo=UTC))
    messages = {m["X-Envelope-To"]: m for m in smtp_server.wait(2)}
    assert set(messages) == {"super1@example.kz", "desk1@example.kz"}
    kazakh, russian = _body(messages["super1@example.kz"]), _body(messages["desk1@example.kz"])
    assert "бөлімшесінің" in kazakh and "Просроченные" not in kazakh
    assert "Просроченные" in russian and "бөлімшесінің" not in russian
    assert _subject(messages["super1@example.kz"]) == "Мерзімі өткен істер: OF1 бөлімшесі (1)"


def test_a_mail_waits_while_the_server_is_down_and_is_sent_once_it_is_back(app, people):
    """The server stopped: the mail stays pending with the error; started: the next run
    sends it, exactly once, and later runs send nothing more."""
    port = _free_port()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_FROM="monitor@example.kz",
                      MAIL_COPY_TO="compliance@example.kz", MAIL_RETRY_SECONDS=60)
    _overdue_case()
    start = dt.datetime(2026, 3, 20, 6, tzinfo=UTC)
    assert jobs.run_job(app, "overdue", start).result == "ok"  # the digest is kept, whatever the server
    failed = jobs.run_job(app, "mail", start)
    assert failed.result == "failed" and "SMTP 127.0.0.1" in failed.message
    row = db.session.scalar(select(OutgoingMail))
    db.session.refresh(row)
    assert row.status == "pending" and row.attempts == 1 and "SMTP 127.0.0.1" in row.last_error
    assert row.next_attempt_at == start + dt.timedelta(seconds=60)
    failed = jobs.run_job(app, "mail", start + dt.timedelta(seconds=61))  # still down: waits twice as long
    db.session.refresh(row)
    assert failed.result == "failed" and row.attempts == 2
    assert row.next_attempt_at == start + dt.timedelta(seconds=61 + 120)
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert jobs.run_job(app, "mail", start + dt.timedelta(seconds=62)).message == "0 mails sent"  # not yet due
        send_queued(app, start + dt.timedelta(seconds=200))
        [message] = inbox.wait(1)
        assert "C-LATE-1" in _body(message)
        db.session.refresh(row)
        assert row.status == "sent" and row.attempts == 3 and row.sent_at == start + dt.timedelta(seconds=200)
        assert send_queued(app, start + dt.timedelta(hours=5)).message == "0 mails sent"  # idle: recorded hourly
        time.sleep(0.3)
        assert len(inbox.messages) == 1
    finally:
        controller.stop()


def test_a_mail_claimed_by_another_sender_is_not_sent_again(app, people, smtp_server):
    app.config["MAIL_COPY_TO"] = "compliance@example.kz"
    _overdue_case()
    now = dt.datetime(2026, 3, 20, 6, tzinfo=UTC)
    jobs.run_job(app, "overdue", now)
    from monitor.stores import outbox
    row = db.session.scalar(select(OutgoingMail))
    assert outbox.claim(db.session, row.id, now) is not None  # another sender is talking to the server
    db.session.commit()
    assert outbox.claim(db.session, row.id, now) is None
    db.session.rollback()
    assert send_queued(app, now + dt.timedelta(minutes=1)).message == "0 mails sent"
    time.sleep(0.3)
    assert smtp_server.messages == []


def test_an_idle_mail_job_is_recorded_once_an_hour(app, people):
    start = dt.datetime(2026, 3, 20, 6, tzinfo=UTC)
    for minute in range(0, 150):
        assert jobs.run_job(app, "mail", start + dt.timedelta(minutes=minute)).result == "ok"
    recorded = db.session.scalars(select(JobRun.started_at).where(JobRun.job == "mail").order_by(JobRun.id)).all()
    assert recorded == [start, start + dt.timedelta(hours=1), start + dt.timedelta(hours=2)]


def test_a_digest_that_cannot_be_sent_fails_the_mail_job_visibly(app, people):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port(), MAIL_COPY_TO="compliance@example.kz")
    _overdue_case()
    jobs.run_job(app, "overdue", dt.datetime(2026, 3, 20, 6, tzinfo=UTC))
    run = jobs.run_job(app, "mail", dt.datetime(2026, 3, 20, 6, tzinfo=UTC))
    assert run.result == "failed" and "SMTP 127.0.0.1" in run.message


def test_without_a_mail_server_the_digest_goes_to_the_outbox(app, people, tmp_path):
    app.config["MAIL_SERVER"] = ""
    _overdue_case()
    run = jobs.overdue_digest(dt.datetime(2026, 3, 20, 6, tzinfo=UTC), config=app.config)
    assert run.result == "ok"
    run = jobs.send_mail(dt.datetime(2026, 3, 20, 6, 1, tzinfo=UTC), tmp_path / "outbox", app.config)
    assert run.result == "ok", run.message
    assert "C-LATE-1" in (tmp_path / "outbox" / "overdue-OF1.txt").read_text(encoding="utf-8")


def test_a_report_of_inducement_is_escalated_to_the_supervisors(app, people, loaded_catalog, client,
                                                                smtp_server):
    people["super1"].email = "super1@example.kz"
    db.session.commit()
    app.config["PUBLIC_BASE_URL"] = "https://monitor.example.kz"
    response = client.post("/complaints/new", data={
        "kind": "inducement", "text": "The clerk asked for money to speed things up.", "office_code": "OF1"})
    assert response.status_code == 200
    queued = db.session.scalar(select(OutgoingMail))
    assert queued.kind == "escalation" and queued.status == "pending"  # committed with the report
    send_queued(app)
    [message] = smtp_server.wait(1)
    complaint = db.session.scalar(select(Complaint))
    assert message["X-Envelope-To"] == "super1@example.kz" and complaint.reference in message["Subject"]
    assert _subject(message) == f"Эскалация: сообщение о побуждении {complaint.reference}"
    body = _body(message)
    assert f"https://monitor.example.kz/supervisor/complaints/{complaint.reference}" in body
    assert "money" not in body  # the report itself stays on the supervisor's page


def test_a_complaint_answer_goes_to_the_citizens_email(app, people, loaded_catalog, client, login, smtp_server):
    client.post("/complaints/new", data={"kind": "delay", "text": "My case is two weeks late already.",
                                         "office_code": "OF1", "contact": "citizen@example.kz"})
    client.post("/complaints/new", data={"kind": "delay", "text": "Another late case, call me back.",
                                         "office_code": "OF1", "contact": "+7 701 000 00 00"})
    first, second = db.session.scalars(select(Complaint).order_by(Complaint.id)).all()
    login("super1")
    for complaint in (first, second):
        response = client.post(f"/supervisor/complaints/{complaint.reference}",
                               data={"answer": "Your case was completed today; apologies.", "close": "y"})
        assert response.status_code == 302
    send_queued(app)
    [message] = smtp_server.wait(1)
    time.sleep(0.3)
    assert len(smtp_server.messages) == 1  # a phone number gets no e-mail
    assert message["X-Envelope-To"] == "citizen@example.kz" and first.reference in message["Subject"]
    assert "completed today" in _body(message)


def test_a_complaint_answer_is_in_the_language_it_was_filed_in(app, people, loaded_catalog, client, login,
                                                               smtp_server):
    client.post("/complaints/new?lang=kk", data={"kind": "delay", "text": "My case is two weeks late already.",
                                                 "office_code": "OF1", "contact": "citizen@example.kz"})
    complaint = db.session.scalar(select(Complaint))
    login("super1")
    client.post(f"/supervisor/complaints/{complaint.reference}",
                data={"answer": "Your case was completed today; apologies.", "close": "y"})
    send_queued(app)
    [message] = smtp_server.wait(1)
    assert _subject(message) == f"{complaint.reference} шағымыңызға жауап"
    assert "Ответ" not in _body(message) and "Answer" not in _body(message)


def test_addresses_and_email_detection():
    assert mail.addresses("a@example.kz, not-an-address ,b@x.kz") == ("a@example.kz", "b@x.kz")
    assert mail.is_email("citizen@example.kz") and not mail.is_email("+7 701 000 00 00")
    assert not mail.is_email("a@b@c.kz")


def test_users_create_takes_an_email(app, people):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "clerk", "--role", "desk", "--office", "OF1", "--email", "clerk@example.kz"],
        input="a long enough passphrase\na long enough passphrase\n")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User.email).where(User.login == "clerk")) == "clerk@example.kz"
