"""Applicants are known only by keyed hashes: the clear IIN is never stored or logged."""
from __future__ import annotations

import hashlib
import hmac

import pandas as pd


def applicant_hash(reference: str, key: str) -> str:
    """HMAC-SHA256 of an applicant reference (an IIN or an opaque id) under the app's key."""
    return hmac.new(key.encode(), reference.strip().encode(), hashlib.sha256).hexdigest()


def applicant_hashes(references: pd.Series, key: str) -> pd.Series:
    """Keyed hashes of many references; empty references stay empty (None)."""
    secret = key.encode()
    return references.map(
        lambda ref: hmac.new(secret, ref.encode(), hashlib.sha256).hexdigest() if ref else None)
