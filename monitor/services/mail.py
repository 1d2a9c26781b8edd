"""Outgoing e-mail: the overdue digest, escalations of inducement reports, complaint answers.

Every mail is first written to the mail queue (``mail_outbox``, monitor.stores.outbox) in the
transaction of what caused it, in its recipients' language; the ``mail`` job (every minute)
sends what is due, retrying with a growing delay until the server takes it (``deliver``).

With MAIL_SERVER set, messages go through SMTP (smtplib; STARTTLS or SSL and a login when
configured). Without it, they are written to the instance's outbox/ folder (development),
one file per message, so nothing is lost and tests can read them.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import TypeGuard

import pandas as pd
from flask_babel import force_locale, format_datetime, gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Complaint, ComplaintLanguage, Office, OutgoingMail, User
from ..stores import cases as case_store, outbox as outbox_store

log = logging.getLogger(__name__)
LANGUAGES = ("kk", "ru", "en")
STAFF_DEFAULT_LANGUAGE = "ru"  # staff without a preferred language, and the MAIL_COPY_TO addresses
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


def is_email(text: str | None) -> TypeGuard[str]:
    if not text:
        return False
    return EMAIL.fullmatch(text.strip()) is not None


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


def _hang_up(smtp: smtplib.SMTP) -> None:
    """QUIT, ignoring a server that drops the line first: once it accepted the message, the
    mail is sent, and a failure to say goodbye must not make the queue send it again."""
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


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
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(server, port, timeout=timeout, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(server, port, timeout=timeout)
        try:
            if config.get("MAIL_USE_STARTTLS"):
                smtp.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
            smtp.send_message(_message(config, mail))
        finally:
            _hang_up(smtp)
    except (OSError, smtplib.SMTPException) as error:
        raise MailError(f"SMTP {server}:{port}: {type(error).__name__}: {error}") from error
    log.info("mail %r sent to %d recipient(s)", mail.subject, len(mail.to))
    return "smtp"


def retry_delay(attempts: int, first: float, longest: float) -> dt.timedelta:
    """Exponential backoff: ``first`` seconds after the first failure, doubling up to ``longest``."""
    return dt.timedelta(seconds=min(first * 2 ** max(attempts - 1, 0), longest))


def due(session: Session, now: dt.datetime, limit: int) -> list[int]:
    """The queued mails whose (next) attempt has come, oldest first."""
    return outbox_store.due_ids(session, now, limit)


def claim(session: Session, mail_id: int, now: dt.datetime) -> OutgoingMail | None:
    """Take a due mail for sending (commit before talking to the server); None: another sender has it."""
    return outbox_store.claim(session, mail_id, now)


def mark_sent(session: Session, row: OutgoingMail, now: dt.datetime) -> None:
    outbox_store.mark_sent(session, row, now)


def mark_failed(session: Session, row: OutgoingMail, now: dt.datetime, error: str, config: Mapping) -> None:
    """Back to the queue with the error, tried again after the backoff of its attempts so far."""
    delay = retry_delay(row.attempts, config["MAIL_RETRY_SECONDS"], config["MAIL_RETRY_MAX_SECONDS"])
    outbox_store.mark_failed(session, row, now, error, delay)


def as_mail(row: OutgoingMail) -> Mail:
    return Mail(to=tuple(a.strip() for a in row.recipients.split(",") if a.strip()), subject=row.subject,
                body=row.body, outbox_name=row.outbox_name)


def staff_language(language: str | None) -> str:
    return language if language in LANGUAGES else STAFF_DEFAULT_LANGUAGE


def office_recipients_by_language(session: Session, office_code: str | None,
                                  copy_to: tuple[str, ...] = (), supervisors_only: bool = False
                                  ) -> dict[str, tuple[str, ...]]:
    """The addresses of an office's active desk staff and supervisors (only its supervisors
    with ``supervisors_only``), grouped by the language each prefers; the copies
    (MAIL_COPY_TO) read Russian. No office: the copies only."""
    chosen: dict[str, str] = {}
    if office_code:
        supervising = User.supervised.any(Office.code == office_code)
        staff = session.scalars(select(User).where(User.active.is_(True), User.email.is_not(None)).where(
            supervising if supervisors_only else (User.office_code == office_code) | supervising).order_by(User.id))
        for user in staff:
            if user.email is not None:  # always: the query asks for an address
                chosen.setdefault(user.email, staff_language(user.language))
    for address in copy_to:
        chosen.setdefault(address, STAFF_DEFAULT_LANGUAGE)
    grouped: dict[str, tuple[str, ...]] = {}
    for address, language in chosen.items():
        grouped[language] = grouped.get(language, ()) + (address,)
    return grouped


def queue(session: Session, mail: Mail, kind: str, language: str | None, now: dt.datetime) -> OutgoingMail | None:
    """Write ``mail`` to the queue (flushed with the caller's transaction); nobody to send to: nothing."""
    if not mail.to:
        return None
    return outbox_store.add(session, kind=kind, to=mail.to, language=language, subject=mail.subject,
                            body=mail.body, outbox_name=mail.outbox_name, now=now)


def complaint_language(session: Session, complaint: Complaint) -> str | None:
    return session.scalar(select(ComplaintLanguage.language).where(ComplaintLanguage.complaint_id == complaint.id))


def complaint_answer(reference: str, answer: str, contact: str, language: str | None = None) -> Mail:
    """The answer to a complaint, for the citizen who left an e-mail address (clause 2.1.5):
    in the language the complaint was filed in, or in all three when that is not known.

    The follow-up code is never sent: whoever reads the mail learns only the answer.
    """
    if language in LANGUAGES:
        with force_locale(language):
            title = _("Answer to your complaint %(reference)s", reference=reference)
        subject, heading = title, title
    else:
        subject = f"{reference}: answer / жауап / ответ"
        heading = f"Шағымыңызға жауап / Ответ на вашу жалобу / Answer to your complaint {reference}"
    return Mail(to=(contact.strip(),), subject=subject, body=f"{heading}\n\n{answer.strip()}\n",
                outbox_name=f"answer-{reference}.txt")


def queue_complaint_answer(session: Session, complaint: Complaint, now: dt.datetime) -> OutgoingMail | None:
    """The answer mailed to a citizen who left an e-mail address; a phone number gets nothing."""
    if not is_email(complaint.contact):
        return None
    language = complaint_language(session, complaint)
    return queue(session, complaint_answer(complaint.reference, complaint.answer or "", complaint.contact, language),
                 "complaint_answer", language, now)


def escalation(reference: str, office_code: str | None, to: tuple[str, ...], link: str, language: str) -> Mail:
    """A report of inducement (clause 2.2.4), escalated to the office's supervisors at once.

    Only the reference and a link: the report itself is read on the supervisor's page.
    """
    with force_locale(language):
        office = office_code or _("(not given)")
        subject = _("Escalation: report of inducement %(reference)s", reference=reference)
        body = "\n".join([
            _("A report of inducement was filed about office %(office)s.", office=office),
            _("Reference: %(reference)s", reference=reference),
            _("Read and answer it at %(link)s", link=link)]) + "\n"
    suffix = "" if language == STAFF_DEFAULT_LANGUAGE else f"-{language}"
    return Mail(to=to, subject=subject, body=body, outbox_name=f"escalation-{reference}{suffix}.txt")


def queue_escalation(session: Session, complaint: Complaint, copy_to: tuple[str, ...], link: str,
                     now: dt.datetime, supervisors_only: bool = False) -> list[OutgoingMail]:
    """One mail per language the office's staff (and the copies) read; a report that came with
    an applicant's answer about a visit reaches only the office's supervisors and the copies,
    never its desk (``supervisors_only``: the clerk must not learn who answered)."""
    groups = office_recipients_by_language(session, complaint.office_code, copy_to, supervisors_only)
    # Every group has an address, so every mail is queued.
    return [row for language, to in groups.items()
            if (row := queue(session, escalation(complaint.reference, complaint.office_code, to, link, language),
                             "escalation", language, now)) is not None]


@dataclass(frozen=True)
class OverdueDigests:
    cases: int  # overdue open cases
    offices: int  # offices they are in
    queued: int  # mails queued (one per office and language its recipients read)


def queue_overdue_digests(session: Session, now: dt.datetime, config: Mapping) -> OverdueDigests:
    """Each office's overdue open cases, queued for its desk and supervisors: one mail per
    office and language its recipients read. Without MAIL_SERVER, an office without
    addresses still gets its digest written to the outbox folder (development)."""
    # The stored timelines, with the engine's one definition of overdue (rules.is_overdue_open).
    frame = pd.DataFrame(case_store.all_overdue_open(session, now), columns=["office_code", "case_number", "due_at"])
    copies = addresses(config["MAIL_COPY_TO"])
    queued = 0
    for key, cases in frame.groupby("office_code"):
        office = str(key)
        groups = office_recipients_by_language(session, office, copies) \
            or ({} if config["MAIL_SERVER"] else {STAFF_DEFAULT_LANGUAGE: ("(no address)",)})
        for language, to in groups.items():
            with force_locale(language):
                subject = _("Overdue cases: office %(office)s (%(count)s)", office=office, count=len(cases))
            suffix = "" if language == STAFF_DEFAULT_LANGUAGE else f"-{language}"
            queued += queue(session, Mail(
                to=to, subject=subject, body=overdue_digest_text(office, cases, now, language),
                outbox_name=f"overdue-{office}{suffix}.txt"), "overdue_digest", language, now) is not None
    return OverdueDigests(len(frame), frame["office_code"].nunique(), queued)


def overdue_digest_text(office: str, cases: pd.DataFrame, now: dt.datetime, language: str) -> str:
    """The digest of one office in its recipients' language; times in local time."""
    with force_locale(language):
        lines = [_("Overdue open cases of office %(office)s as of %(moment)s (local time):",
                   office=office, moment=format_datetime(now, "d MMMM y, HH:mm"))]
        lines += ["  " + _("%(case)s: due %(moment)s", case=case_number,
                           moment=format_datetime(pd.Timestamp(due_at).to_pydatetime(), "d MMMM y, HH:mm"))
                  for case_number, due_at in zip(cases["case_number"], cases["due_at"])]
    return "\n".join(lines) + "\n"
