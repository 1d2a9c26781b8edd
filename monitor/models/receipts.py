"""A new check code on its way to the receipt."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime


class ReceiptCode(db.Model):
    """A check code between the desk's save and the first opening of its receipt, sealed with
    a one-time key that only the desk user's session holds (neither this row nor the cookie
    alone reveals the code). Deleted when the receipt opens; useless after ``expires_at``."""

    __tablename__ = "receipt_codes"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_number: Mapped[str] = mapped_column(String(80))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    sealed_code: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
