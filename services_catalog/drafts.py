"""A steward's draft of a service's next version: where it goes among the versions in force,
and what it changes (issue 25). Framework-free, in the catalog's own format (dicts as the
YAML files hold them), so that a draft is validated by the same rules as a YAML file
(``loader.parse_service``).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .model import SOURCED_FACTS

# The facts a steward changes in a draft, in the order the diff shows them.
DRAFT_FACTS = ("legal_basis", "deadline", "max_wait_minutes", "max_service_minutes", "fee",
               "required_documents", "obtained_by_office", "refusal_grounds", "sources", "provenance")


def _date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _start(value) -> dt.date:
    """A version's effective_from, which every version has (the validator says so otherwise)."""
    return _date(value) or dt.date.min


def place_version(service: dict, version: dict) -> dict:
    """The service (a service file's mapping) with ``version`` in force from its
    ``effective_from``: the version then in force ends the day before, a version starting
    that same day is replaced, and the new one ends the day before the next later version
    (or stays open). Periods stay without gaps or overlaps; the validator checks the rest."""
    start = _start(version["effective_from"])
    kept = []
    for existing in service.get("versions") or []:
        begins, ends = _start(existing.get("effective_from")), _date(existing.get("effective_to"))
        if begins == start:
            continue
        if begins < start and (ends is None or ends >= start):
            existing = {**existing, "effective_to": start - dt.timedelta(days=1)}
        kept.append(existing)
    later = sorted(_start(v["effective_from"]) for v in kept if _start(v["effective_from"]) > start)
    placed = {**version, "effective_from": start,
              "effective_to": later[0] - dt.timedelta(days=1) if later else None}
    versions = sorted(kept + [placed], key=lambda v: _start(v["effective_from"]))
    return {**service, "versions": versions}


@dataclass(frozen=True)
class Change:
    """One fact of the version that a draft changes: its value before and after."""

    fact: str
    before: object
    after: object


def version_changes(before: dict | None, after: dict) -> list[Change]:
    """What the draft changes against the version in force (``before``; None: a first version)."""
    before = before or {}
    return [Change(fact, before.get(fact), after.get(fact)) for fact in DRAFT_FACTS
            if _comparable(before.get(fact)) != _comparable(after.get(fact))]


def _comparable(value):
    if isinstance(value, dict):
        return {key: _comparable(item) for key, item in value.items() if item not in (None, [], {})}
    if isinstance(value, (list, tuple)):
        return [_comparable(item) for item in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


__all__ = ["Change", "DRAFT_FACTS", "SOURCED_FACTS", "place_version", "version_changes"]
