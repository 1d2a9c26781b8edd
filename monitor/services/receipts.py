"""A new check code reaches the first receipt through the database, never the cookie.

The session cookie is signed, not encrypted: anyone holding it (a shared desk computer, a
proxy log) could read a check code put there. Instead the code is sealed with a random
one-time key; the key goes to the desk user's session, the sealed code and the key's hash to
the database. The receipt opens the row once (it is deleted) and only for the same user,
within a few minutes. Neither the cookie nor the row alone gives the code.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..models import ReceiptCode

LIFETIME = dt.timedelta(minutes=10)


def _key_hash(key: str) -> str:
    return hashlib.sha256(f"receipt-key:{key}".encode()).hexdigest()


def _pad(key: str, size: int) -> bytes:
    return hmac.new(key.encode(), b"check-code", hashlib.sha256).digest()[:size]


def seal(session: Session, case_number: str, user_id: int, code: str, now: dt.datetime | None = None) -> str:
    """Keep ``code`` for the receipt of ``case_number``; returns the one-time key (for the session)."""
    now = now or dt.datetime.now(dt.UTC)
    session.execute(delete(ReceiptCode).where(ReceiptCode.expires_at < now))  # forgotten ones
    key = secrets.token_urlsafe(24)
    raw = code.encode()
    if len(raw) > 32:
        raise ValueError("a check code is a few characters")
    sealed = bytes(a ^ b for a, b in zip(raw, _pad(key, len(raw)))).hex()
    session.add(ReceiptCode(token_hash=_key_hash(key), case_number=case_number, user_id=user_id,
                            sealed_code=sealed, expires_at=now + LIFETIME))
    session.flush()
    return key


def open_once(session: Session, key: str, case_number: str, user_id: int,
              now: dt.datetime | None = None) -> str | None:
    """The code kept under ``key`` for this case and user, once; None otherwise."""
    now = now or dt.datetime.now(dt.UTC)
    row = session.scalar(select(ReceiptCode).where(ReceiptCode.token_hash == _key_hash(key)))
    if row is None or row.case_number != case_number or row.user_id != user_id:
        return None
    session.delete(row)
    session.flush()
    if row.expires_at < now:
        return None
    sealed = bytes.fromhex(row.sealed_code)
    return bytes(a ^ b for a, b in zip(sealed, _pad(key, len(sealed)))).decode()
