"""E-mail through a real SMTP server (aiosmtpd on a free local port): the overdue digest,
the escalation of a report of inducement, and a complaint's answer to the citizen."""
from __future__ import annotations

import datetime as dt
import email
import socket
import time

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from monitor import jobs
from monitor.services import mail
from monitor.extensions import db
from monitor.models import Case, Complaint, User

UTC = dt.timezone.utc


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


@pytest.fixture
def smtp_server(app):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_FROM="monitor@example.kz")
    yield inbox
    controller.stop()


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
    [message] = smtp_server.wait(1)
    assert set(message["X-Envelope-To"].split(", ")) == {"super1@example.kz", "desk1@example.kz",
                                                         "compliance@example.kz"}
    assert message["From"] == "monitor@example.kz" and "OF1" in message["Subject"]
    assert "C-LATE-1" in _body(message)


def test_a_digest_that_cannot_be_sent_fails_the_job_visibly(app, people):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=dead, MAIL_COPY_TO="compliance@example.kz")
    _overdue_case()
    run = jobs.run_job(app, "overdue", dt.datetime(2026, 3, 20, 6, tzinfo=UTC))
    assert run.result == "failed" and "SMTP 127.0.0.1" in run.message


def test_without_a_mail_server_the_digest_goes_to_the_outbox(app, people, tmp_path):
    app.config["MAIL_SERVER"] = ""
    _overdue_case()
    run = jobs.overdue_digest(dt.datetime(2026, 3, 20, 6, tzinfo=UTC), tmp_path / "outbox", app.config)
    assert run.result == "ok"
    assert "C-LATE-1" in (tmp_path / "outbox" / "overdue-OF1.txt").read_text(encoding="utf-8")


def test_a_report_of_inducement_is_escalated_to_the_supervisors(app, people, loaded_catalog, client,
                                                                smtp_server):
    people["super1"].email = "super1@example.kz"
    db.session.commit()
    app.config["PUBLIC_BASE_URL"] = "https://monitor.example.kz"
    response = client.post("/complaints/new", data={
        "kind": "inducement", "text": "The clerk asked for money to speed things up.", "office_code": "OF1"})
    assert response.status_code == 200
    [message] = smtp_server.wait(1)
    complaint = db.session.scalar(select(Complaint))
    assert message["X-Envelope-To"] == "super1@example.kz" and complaint.reference in message["Subject"]
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
    [message] = smtp_server.wait(1)
    time.sleep(0.3)
    assert len(smtp_server.messages) == 1  # a phone number gets no e-mail
    assert message["X-Envelope-To"] == "citizen@example.kz" and first.reference in message["Subject"]
    assert "completed today" in _body(message)


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
