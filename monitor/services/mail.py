"""Outgoing e-mail: the overdue digest, escalations of inducement reports, complaint answers.

With MAIL_SERVER set, messages go through SMTP (smtplib; STARTTLS or SSL and a login when
configured). Without it, they are written to the instance's outbox/ folder (development),
one file per message, so nothing is lost and tests can read them.
"""
from __future__ import annotations

import logging
import re
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

log = logging.getLogger(__name__)
# Enough to tell an e-mail address from a phone number in a complaint's contact field.
EMAIL = re.compile(r"^[^@\s,;<>]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


class MailError(Exception):
    """The SMTP server refused or could not be reached; says which and why."""


@dataclass(frozen=True)
class Mail:
    to: tuple[str, ...]
    subject: str
    body: str
    outbox_name: str  # the file name when written to the outbox instead


def is_email(text: str | None) -> bool:
    return bool(text) and EMAIL.fullmatch(text.strip()) is not None


def addresses(text: str) -> tuple[str, ...]:
    """Addresses from a comma-separated setting such as MAIL_COPY_TO."""
    return tuple(part.strip() for part in (text or "").split(",") if is_email(part))


def _message(config: Mapping, mail: Mail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = ", ".join(mail.to)
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=config["MAIL_FROM"].rpartition("@")[2] or None)
    message.set_content(mail.body)
    return message


def send(config: Mapping, outbox: Path, mail: Mail) -> str:
    """Send ``mail``; return where it went ("smtp" or the outbox file)."""
    if not mail.to:
        return "nobody"
    if not config.get("MAIL_SERVER"):
        outbox.mkdir(parents=True, exist_ok=True)
        path = outbox / mail.outbox_name
        path.write_text(f"To: {', '.join(mail.to)}\nSubject: {mail.subject}\n\n{mail.body}", encoding="utf-8")
        return str(path)
    server, port, timeout = config["MAIL_SERVER"], int(config["MAIL_PORT"]), config.get("MAIL_TIMEOUT", 10)
    try:
        if config.get("MAIL_USE_SSL"):
            smtp = smtplib.SMTP_SSL(server, port, timeout=timeout, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(server, port, timeout=timeout)
        with smtp:
            if config.get("MAIL_USE_STARTTLS"):
                smtp.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
            smtp.send_message(_message(config, mail))
    except (OSError, smtplib.SMTPException) as error:
        raise MailError(f"SMTP {server}:{port}: {type(error).__name__}: {error}") from error
    log.info("mail %r sent to %d recipient(s)", mail.subject, len(mail.to))
    return "smtp"


def send_or_keep(config: Mapping, outbox: Path, mail: Mail) -> str:
    """For messages sent during a request: a mail server that is down never fails the
    citizen's or supervisor's action; the message is kept in the outbox and logged."""
    try:
        return send(config, outbox, mail)
    except MailError as error:
        log.error("mail %r not sent, kept in the outbox: %s", mail.subject, error)
        return send({**config, "MAIL_SERVER": ""}, outbox, mail)


def complaint_answer(reference: str, answer: str, contact: str) -> Mail:
    """The answer to a complaint, for the citizen who left an e-mail address (clause 2.1.5).

    The follow-up code is never sent: whoever reads the mail learns only the answer.
    """
    body = (f"Шағымыңызға жауап / Ответ на вашу жалобу / Answer to your complaint {reference}\n\n"
            f"{answer.strip()}\n")
    return Mail(to=(contact.strip(),), subject=f"{reference}: answer / жауап / ответ", body=body,
                outbox_name=f"answer-{reference}.txt")


def escalation(reference: str, office_code: str | None, kind: str, to: tuple[str, ...], link: str) -> Mail:
    """A report of inducement (clause 2.2.4), escalated to the office's supervisors at once.

    Only the reference and a link: the report itself is read on the supervisor's page.
    """
    body = (f"A report of {kind.replace('_', ' ')} was filed about office {office_code or '(not given)'}.\n"
            f"Reference: {reference}\nRead and answer it at {link}\n")
    return Mail(to=to, subject=f"Escalation: report of {kind.replace('_', ' ')} {reference}", body=body,
                outbox_name=f"escalation-{reference}.txt")
