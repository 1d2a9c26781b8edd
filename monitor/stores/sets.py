"""Membership in a set of values with one bind parameter, however many values there are.

``column IN (:v1, :v2, ...)`` binds one parameter per value: a statement that grows with
the data, and PostgreSQL refuses more than 65,535 parameters in one statement. Here the
values travel as one parameter: a PostgreSQL array (``column = ANY(:values)``), or on
SQLite one JSON array read by ``json_each`` (``column IN (SELECT value FROM json_each(:values))``).
Both use the column's index.

And the opposite, ``unindexed``: a column SQLite's planner must not look up by its index.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, Integer, Select, String, any_, bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session


def plain(values: Iterable, integer: bool = False) -> list:
    """Python ints or strs (numpy and Arrow scalars are neither JSON nor driver values)."""
    if not isinstance(values, (list, tuple, np.ndarray, pd.Series, pd.api.extensions.ExtensionArray)):
        values = list(values)  # sets, dict views, generators
    values = np.asarray(values, dtype=object).tolist()
    return [int(v) for v in values] if integer else [str(v) for v in values]


def one_of(session: Session, column, values: Iterable, name: str = "members"):
    """``column`` is one of ``values``: a condition with one bind parameter."""
    integer = isinstance(column.type, Integer)
    values = plain(values, integer)
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(name, values, unique=True, type_=ARRAY(BigInteger if integer else String)))
    members: Select[Any] = select(literal_column("value")).select_from(
        func.json_each(bindparam(name, json.dumps(values, ensure_ascii=False), unique=True, type_=String)))
    return column.in_(members.scalar_subquery())


def unindexed(session: Session, column):
    """``column`` as SQLite will not serve from its index (``column + 0``, SQLite's own idiom),
    for conditions its planner, which has no statistics, would otherwise read through an index
    holding the whole history (``visit_pk IS NULL``: every case finding; ``completed_at IS
    NULL``: every open case) instead of the weeks' rows; elsewhere the column itself
    (PostgreSQL plans by its statistics, and an expression would mislead them)."""
    # ``+ 0`` as SQL text: bound, the 0 would take the column's type (a moment).
    return column.op("+")(literal_column("0")) if session.get_bind().dialect.name == "sqlite" else column
