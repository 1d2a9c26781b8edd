"""The mail queue: every message is written here in the transaction of what caused it, and
the ``mail`` job sends it (monitor/jobs.py), retrying with backoff until the server takes it."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime

MAIL_STATUSES = ("pending", "sending", "sent")


class OutgoingMail(db.Model):
    """One message to one or more recipients who read the same language.

    ``pending`` until the job claims it (``sending``, committed before the SMTP conversation,
    so two senders never both send it) and ``sent`` once the server accepted it. A failure puts
    it back to ``pending`` with the error and the time of the next attempt.
    """

    __tablename__ = "mail_outbox"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sending', 'sent')", name="status"),
        # What the job reads each minute: the pending mails by next attempt.
        Index("ix_mail_outbox_due", "next_attempt_at",
              sqlite_where=db.text("status = 'pending'"), postgresql_where=db.text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))  # overdue_digest | escalation | complaint_answer
    recipients: Mapped[str] = mapped_column(Text)  # comma-separated addresses
    language: Mapped[str | None] = mapped_column(String(2))  # None: written in every language
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    outbox_name: Mapped[str] = mapped_column(String(200))  # the file name without a mail server
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
