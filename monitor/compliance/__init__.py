"""The compliance engine: plain functions over pandas frames, no Flask, no database.

    visits  -- parse_visits(read_visit_file(path), frames, timezone).visits
    cases   -- case_timeline(visits, frames, calendar)
    findings-- judge(visits, frames, calendar, as_of)
    weekly  -- weekly_indicators(analysis.visits, analysis.cases, analysis.findings, ...)
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..calendar import WorkingCalendar
from .catalog_frames import CatalogFrames, services_judged_differently
from .indicators import INDICATORS, weekly_indicators
from .rules import (
    ALL_RULES,
    APPLICANT_RULES,
    FINDING_COLUMNS,
    INTEGRITY_RULES,
    RULES,
    TIME_BOUND_RULES,
    Thresholds,
    finding_table,
    judge_cases,
    judge_integrity,
    judge_visits,
)
from .timeline import case_timeline
from .visit_log import (
    ParsedVisits,
    VisitLogError,
    frame_from_text,
    parse_visits,
    read_visit_file,
)


@dataclass(frozen=True)
class Analysis:
    """Visits, their cases and the findings, as frames that refer to each other by position.

    ``findings.row`` is a position in ``visits`` (-1 for case rules), ``findings.case_row``
    a position in ``cases`` (-1 for visit rules).
    """

    visits: pd.DataFrame
    cases: pd.DataFrame
    findings: pd.DataFrame

    def finding_table(self) -> pd.DataFrame:
        """The spec's findings columns, visit findings first, in visit then rule order."""
        table = finding_table(self.findings, self.visits, self.cases)
        return table[FINDING_COLUMNS]

    def indicators(self, timezone: str, scope: str | None = None, complaints=None, answers=None) -> pd.DataFrame:
        """``answers``: the applicants' answers (row, verdict), when the visits were stored."""
        return weekly_indicators(self.visits, self.cases, self.findings, timezone, scope, complaints,
                                 answers=answers)


def judge(visits: pd.DataFrame, frames: CatalogFrames, calendar: WorkingCalendar,
          as_of: pd.Timestamp, thresholds: Thresholds = Thresholds()) -> Analysis:
    """Judge every visit and every case they form against the catalog, as of ``as_of``."""
    visits = visits.reset_index(drop=True)
    as_of = pd.Timestamp(as_of)
    as_of = as_of.tz_localize(calendar.timezone_name) if as_of.tzinfo is None else as_of
    cases = case_timeline(visits, frames, calendar)
    findings = pd.concat([judge_visits(visits, frames),
                          judge_cases(cases, as_of.tz_convert("UTC"), thresholds),
                          judge_integrity(visits, cases, calendar.timezone_name, thresholds)],
                         ignore_index=True)
    findings["rule_order"] = findings["rule"].map({rule: order for order, rule in enumerate(RULES)})
    # Sorting on several columns is always stable in pandas (its ``kind`` applies to one column).
    findings = findings.sort_values(["row", "case_row", "rule_order"]) \
        .drop(columns="rule_order").reset_index(drop=True)
    findings = pd.concat([findings[findings["row"] >= 0], findings[findings["row"] < 0]],
                         ignore_index=True)
    return Analysis(visits, cases, findings)


__all__ = [
    "ALL_RULES", "APPLICANT_RULES", "Analysis", "CatalogFrames", "FINDING_COLUMNS", "INDICATORS", "INTEGRITY_RULES",
    "ParsedVisits", "RULES", "TIME_BOUND_RULES",
    "Thresholds", "VisitLogError", "case_timeline", "frame_from_text", "judge", "parse_visits",
    "read_visit_file", "services_judged_differently", "weekly_indicators",
]
