"""Applicants are known only by keyed hashes: the clear IIN is never stored or logged."""
from __future__ import annotations

import hashlib
import hmac
import re

import numpy as np
import pandas as pd


def applicant_hash(reference: str, key: str) -> str:
    """HMAC-SHA256 of an applicant reference (an IIN or an opaque id) under the app's key."""
    return hmac.new(key.encode(), reference.strip().encode(), hashlib.sha256).hexdigest()


def applicant_hashes(references: pd.Series, key: str) -> pd.Series:
    """Keyed hashes of many references; empty references stay empty (None).

    Each distinct reference is hashed once (an applicant's visits share it), from an HMAC
    keyed once and copied: the same digests as ``applicant_hash``, several times faster.
    """
    keyed = hmac.new(key.encode(), digestmod=hashlib.sha256)

    def digest(reference: str) -> str:
        mac = keyed.copy()
        mac.update(reference.strip().encode())
        return mac.hexdigest()
    codes, distinct = pd.factorize(references.to_numpy(dtype=object))
    hashes = np.array([digest(r) if r != "" else None for r in distinct] + [None], dtype=object)
    return pd.Series(hashes[codes], index=references.index, dtype=object)  # code -1: missing


# Any run of exactly 12 digits may be an IIN: a person's identity, whatever column it is in.
_IIN_LIKE = re.compile(r"(?<![0-9])[0-9]{8}([0-9]{4})(?![0-9])")


def mask_iins(text: str) -> str:
    """Messages and files people read show an IIN by its last 4 digits only: ********1234."""
    return _IIN_LIKE.sub(lambda match: "********" + match.group(1), text)


def mask_iins_in_frame(frame: pd.DataFrame) -> pd.DataFrame:
    masked = frame.copy()
    for column in masked.columns:
        if masked[column].dtype == object or pd.api.types.is_string_dtype(masked[column]):
            masked[column] = masked[column].map(lambda v: mask_iins(v) if isinstance(v, str) else v)
    return masked
