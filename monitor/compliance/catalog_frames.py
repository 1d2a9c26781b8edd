"""The catalog flattened into arrays, so that a million visits find their version at once."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from services_catalog import Catalog, ServiceVersion

_DAY = np.timedelta64(1, "D")
_OPEN_END = np.iinfo("int64").max  # the last day number of a version with no effective_to


@dataclass(frozen=True)
class CatalogFrames:
    """Every service version numbered 0..n-1, with its limits and documents as tables.

    ``versions``: one row per version (service_code, effective_from/to as day numbers,
    deadline, limits). ``documents``: (version, token, kind) with kind ``lawful`` or
    ``obtained``, each token of a version once: a code both lawful and obtained (which the
    catalog's validator rejects) is lawful, as the spec judges only the tokens "not a lawful
    code of the version". ``grounds``: (version, ground) lawful refusal grounds.
    """

    catalog: Catalog
    versions: pd.DataFrame
    documents: pd.DataFrame
    grounds: pd.DataFrame
    objects: tuple[ServiceVersion, ...]

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> CatalogFrames:
        rows: list[dict[str, object]] = []
        documents: list[tuple[int, str, str]] = []
        grounds: list[tuple[int, str]] = []
        objects: list[ServiceVersion] = []
        for service in catalog.services.values():
            for version in service.versions:
                key = len(objects)
                objects.append(version)
                rows.append({
                    "version": key,
                    "service_code": service.code,
                    "effective_from": _day_number(version.effective_from),
                    "effective_to": _day_number(version.effective_to) if version.effective_to
                    else _OPEN_END,
                    "deadline_value": version.deadline.value,
                    "deadline_unit": version.deadline.unit,
                    "max_wait_minutes": version.max_wait_minutes,
                    "max_service_minutes": version.max_service_minutes,
                })
                documents += [(key, code, "lawful") for code in sorted(version.lawful_codes)]
                documents += [(key, code, "obtained") for code in version.obtained_by_office
                              if code not in version.lawful_codes]
                grounds += [(key, code) for code in sorted(version.refusal_ground_codes)]
        versions = pd.DataFrame(rows, columns=[
            "version", "service_code", "effective_from", "effective_to", "deadline_value",
            "deadline_unit", "max_wait_minutes", "max_service_minutes"])
        return cls(
            catalog=catalog,
            versions=versions,
            documents=pd.DataFrame(documents, columns=["version", "token", "kind"]),
            grounds=pd.DataFrame(grounds, columns=["version", "ground"]),
            objects=tuple(objects),
        )

    @cached_property
    def _version_arrays(self) -> tuple[pd.Index, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The versions as arrays, built once per catalog (the frames are kept per catalog
        version): the known service codes, and each version's service (its position among
        them), first and last day, and number."""
        known = pd.Index(self.versions["service_code"].unique())
        return (known, known.get_indexer(self.versions["service_code"]),
                self.versions["effective_from"].to_numpy(dtype="int64"),
                self.versions["effective_to"].to_numpy(dtype="int64"),
                self.versions["version"].to_numpy(dtype="int64"))

    @cached_property
    def _document_table(self) -> tuple[pa.Array, np.ndarray]:
        """``documents`` as a table (version x token) of kinds, None where a version lists no
        such document, and the tokens its columns are; built once per catalog (versions and
        codes number in the hundreds)."""
        tokens = sorted(set(self.documents["token"].tolist()))
        column = {token: position for position, token in enumerate(tokens)}
        table = np.full((len(self.versions), len(tokens)), None, dtype=object)
        for version, token, kind in zip(self.documents["version"].tolist(), self.documents["token"].tolist(),
                                        self.documents["kind"].tolist()):
            table[version, column[token]] = kind
        return pa.array(tokens, type=pa.string()), table

    def document_kind(self, versions: np.ndarray, tokens: pd.Series) -> np.ndarray:
        """The kind (``lawful`` or ``obtained``) of each (version, token) in ``documents``;
        None where the version lists no such document (or there is no version, -1). The
        tokens are found by Arrow's hash lookup: an import asks about millions."""
        known_tokens, table = self._document_table
        versions = np.asarray(versions, dtype="int64")
        result = np.full(len(tokens), None, dtype=object)
        if not len(tokens) or not len(known_tokens):
            return result
        found = pc.index_in(pa.array(tokens, type=pa.string()), value_set=known_tokens)
        columns = pc.fill_null(found, -1).to_numpy().astype("int64")
        known = (columns >= 0) & (versions >= 0) & (versions < len(table))
        result[known] = table[versions[known], columns[known]]
        return result

    def version_in_force(self, service_codes: pd.Series, day_numbers: np.ndarray) -> np.ndarray:
        """The version in force for each (service, local day number); -1 where none is."""
        result = np.full(len(service_codes), -1, dtype="int64")
        if not len(service_codes) or self.versions.empty:
            return result
        known, services, starts, ends, numbers = self._version_arrays
        service_index = known.get_indexer(pd.Index(service_codes))  # -1: not in the catalog
        day_numbers = np.asarray(day_numbers)
        if len(result) * len(numbers) <= _AT_ONCE:
            # A few visits (a desk's save): every (visit, version) pair at once; where two
            # versions are in force, the later one in the table, as the loop below gives.
            in_force = ((service_index[:, None] == services[None, :])
                        & (day_numbers[:, None] >= starts[None, :]) & (day_numbers[:, None] <= ends[None, :]))
            last = len(numbers) - 1 - np.argmax(in_force[:, ::-1], axis=1)
            return np.where(in_force.any(axis=1), numbers[last], result)
        # Few versions, many visits: loop over versions, never over visits.
        for service, start, end, number in zip(services, starts, ends, numbers):
            in_force = (service_index == service) & (day_numbers >= start) & (day_numbers <= end)
            result[in_force] = number
        return result


# Visits x versions judged in one array at most (booleans: a megabyte).
_AT_ONCE = 1_000_000


def _day_number(day) -> int:
    return int((np.datetime64(day, "D") - np.datetime64("1970-01-01", "D")) / _DAY)


def services_judged_differently(before: Catalog, after: Catalog) -> dict[str, dt.date]:
    """The services whose visits and cases a change of catalog from ``before`` to ``after`` can
    judge differently, each with the first local day from which it can: {service code: day}.

    The engine reads a service's own versions only, through ``CatalogFrames``: which version is
    in force on a day, and of it the deadline, the two limits, the documents and the refusal
    grounds; never another service's versions, nor names, legal bases, fees or sources. A visit
    is judged by the version in force on its day, a case's deadline by the version in force on
    its acceptance day, so a visit or a case of an earlier day is judged as before. A service
    whose versions differ only in what the engine does not read is left out, and a new version
    that judges as its predecessor did (a new legal basis, the same deadline and documents) moves
    nothing. A version that takes effect later than every stored visit reaches none of them.
    """
    old, new = _judged_periods(CatalogFrames.from_catalog(before)), _judged_periods(CatalogFrames.from_catalog(after))
    changed = {}
    for code in sorted(old.keys() | new.keys()):
        first = _first_day_differing(old.get(code, []), new.get(code, []))
        if first is not None:
            changed[code] = _EPOCH + dt.timedelta(days=first)
    return changed


_EPOCH = dt.date(1970, 1, 1)

# A version's period (first and last day numbers) and what the engine judges by.
_Period = tuple[int, int, tuple]


def _judged_periods(frames: CatalogFrames) -> dict[str, list[_Period]]:
    """Each service's versions, in the table's order, as (first day, last day, what the engine
    reads of the version: deadline, limits, each document's kind, the lawful grounds)."""
    documents = {version: frozenset(zip(rows["token"], rows["kind"]))
                 for version, rows in frames.documents.groupby("version")}
    grounds = {version: frozenset(rows["ground"]) for version, rows in frames.grounds.groupby("version")}
    periods: dict[str, list[_Period]] = {}
    for row in frames.versions.to_dict("records"):
        limits = tuple(None if pd.isna(row[name]) else row[name]
                       for name in ("deadline_value", "deadline_unit", "max_wait_minutes", "max_service_minutes"))
        judged = (*limits, documents.get(row["version"], frozenset()), grounds.get(row["version"], frozenset()))
        periods.setdefault(str(row["service_code"]), []).append(
            (int(row["effective_from"]), int(row["effective_to"]), judged))
    return periods


def _in_force(periods: list[_Period], day: int) -> tuple | None:
    """What the engine judges a day by: the version in force, the later one in the table where
    two are (as ``CatalogFrames.version_in_force``), None where none is."""
    found = None
    for first, last, judged in periods:
        if first <= day <= last:
            found = judged
    return found


def _first_day_differing(before: list[_Period], after: list[_Period]) -> int | None:
    """The first day number on which the two services judge differently, None if none. Only
    the days a period starts or the day after one ends can change what is in force."""
    days = sorted({first for first, _, _ in before + after}
                  | {last + 1 for _, last, _ in before + after if last < _OPEN_END})
    return next((day for day in days if _in_force(before, day) != _in_force(after, day)), None)
