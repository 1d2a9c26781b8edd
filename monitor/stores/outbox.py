"""The mail queue's rows (monitor.models.mail): add, find what is due, claim, settle.

Flushes only; the ``mail`` job commits the claim before talking to the server and the result
after, so that a mail is never sent twice even when two senders run at once.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from ..models import OutgoingMail


def add(session: Session, *, kind: str, to: tuple[str, ...], language: str | None, subject: str, body: str,
        outbox_name: str, now: dt.datetime) -> OutgoingMail:
    row = OutgoingMail(kind=kind, recipients=", ".join(to), language=language, subject=subject, body=body,
                       outbox_name=outbox_name, status="pending", created_at=now, next_attempt_at=now,
                       attempts=0)
    session.add(row)
    session.flush()
    return row


def due_ids(session: Session, now: dt.datetime, limit: int) -> list[int]:
    """Pending mails whose next attempt has come, oldest first."""
    return list(session.scalars(select(OutgoingMail.id).where(
        OutgoingMail.status == "pending", OutgoingMail.next_attempt_at <= now)
        .order_by(OutgoingMail.next_attempt_at, OutgoingMail.id).limit(limit)))


def claim(session: Session, mail_id: int, now: dt.datetime) -> OutgoingMail | None:
    """Take a pending mail for sending: the row, or None if another sender took it first."""
    # An UPDATE's result is a CursorResult (it has the rowcount); Session.execute is typed as any Result.
    taken = cast(CursorResult[Any], session.execute(
        update(OutgoingMail).where(OutgoingMail.id == mail_id, OutgoingMail.status == "pending")
        .values(status="sending", claimed_at=now, attempts=OutgoingMail.attempts + 1)
        .execution_options(synchronize_session=False)))
    if taken.rowcount != 1:
        return None
    return session.get(OutgoingMail, mail_id, populate_existing=True)


def mark_sent(session: Session, row: OutgoingMail, now: dt.datetime) -> None:
    row.status, row.sent_at = "sent", now
    session.flush()


def mark_failed(session: Session, row: OutgoingMail, now: dt.datetime, error: str, retry_after: dt.timedelta) -> None:
    """Back to the queue with the reason, to be tried again after ``retry_after``."""
    row.status, row.last_error, row.next_attempt_at = "pending", error[:2000], now + retry_after
    session.flush()


def counts(session: Session) -> dict[str, int]:
    """Mails by status (pending, sending, sent)."""
    rows = session.execute(select(OutgoingMail.status, func.count()).group_by(OutgoingMail.status))
    return {"pending": 0, "sending": 0, "sent": 0, **{status: count for status, count in rows}}


def oldest_pending(session: Session) -> dt.datetime | None:
    return session.scalar(select(func.min(OutgoingMail.created_at)).where(OutgoingMail.status == "pending"))
