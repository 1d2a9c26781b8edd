"""Numbers formatted with each pattern parsed once (views/numbers.py) read byte for byte as
Flask-Babel's ``format_decimal``/``format_percent`` write them, in Kazakh, Russian and
English: the report's indicators, their week-on-week changes, fees and finding parameters."""
from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest
from flask_babel import force_locale, format_decimal, format_percent, gettext as _, ngettext

from monitor.compliance import INDICATORS
from monitor.compliance.indicator_table import BY_NAME, RATE_INDICATORS, THROUGHPUT
from monitor.views import format_money, numbers, words
from monitor.views.finding_words import _number

VALUES = [0, 1, 2, 3, 4, 5, 11, 21, 22, 25, 101, 999, 1000, 1001, 1234.5, 21000, 34600, 1_000_000, 12_345_678.9,
          0.1, 0.05, 0.049, 0.0449, 0.5, 0.994, 0.995, 0.9995, 1 / 3, 2 / 3, 0.125, 0.135, 2.5, 3.5, 99.95, 100,
          -0.1, -1, -2.5, -1234.56, 1e-9, 7.0, np.float64(0.35), np.float64(12.25), np.int64(42), np.int64(-3),
          np.float32(0.1), Decimal("2.675"), Decimal("1E+3"), Decimal("-0.05"), 2.675, 1e21, 1.5e-7]


def reference_indicator(value, name: str) -> str:
    """words.format_indicator as it was written with Flask-Babel's own functions."""
    if value is None or value != value:
        return "—"
    if name in RATE_INDICATORS:
        return format_percent(value, format="#,##0.0%")
    return format_decimal(value, format="#,##0" if float(value).is_integer() else "#,##0.0")


def reference_change(delta, name: str, better: str) -> dict | None:
    if delta is None or delta != delta:
        return None
    if delta == 0:
        return {"css": "same", "arrow": "=", "amount": "", "word": _("no change")}
    if name in RATE_INDICATORS:
        amount = _("%(n)s pp", n=format_decimal(abs(delta) * 100, format="#,##0.0"))
    else:
        amount = reference_indicator(abs(delta), name)
    if name in THROUGHPUT:
        css, word = "neutral", (_("up") if delta > 0 else _("down"))
    else:
        worse = delta > 0 if better == "lower" else delta < 0
        css, word = ("worse", _("worse")) if worse else ("better", _("better"))
    return {"css": css, "arrow": "▲" if delta > 0 else "▼", "amount": amount, "word": word}


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_indicators_and_changes_read_as_flask_babel_writes_them(app, language):
    compared = 0
    with app.test_request_context(), force_locale(language):
        for name in [*INDICATORS, "findings"]:
            better = BY_NAME[name].better if name in BY_NAME else "lower"
            for value in VALUES + [None, math.nan]:
                assert words.format_indicator(value, name) == reference_indicator(value, name), (name, value)
                want = reference_change(value, name, better)
                assert words.describe_change(value, name, better) == want, (name, value)
                assert words.change_describer()(value, name, better) == want, (name, value)
                compared += 1
        for value in VALUES:
            assert format_money(value) == format_decimal(value, format="#,##0.##")
            assert _number(value) == format_decimal(float(value), format="#,##0.##")
            for pattern in ("#,##0", "#,##0.0", "#,##0.##", "#,##0.0%", "0.00%"):
                assert numbers.format_decimal(value, pattern) == format_decimal(value, format=pattern)
                assert numbers.format_percent(value, pattern) == format_percent(value, format=pattern)
    assert compared == (len(INDICATORS) + 1) * (len(VALUES) + 2)


@pytest.mark.parametrize("language, separator", [("kk", ","), ("ru", ","), ("en", ".")])
def test_each_language_keeps_its_own_separators_after_another_was_used(app, language, separator):
    # A parsed pattern holds no locale: one language formatted first must not leak into the next.
    with app.test_request_context():
        with force_locale("en"):
            assert words.format_indicator(0.125, "on_time_rate") == "12.5%"
        with force_locale(language):
            assert words.format_indicator(1234.5, "visits_per_case") == format_decimal(1234.5, format="#,##0.0")
            assert separator in words.format_indicator(2.5, "visits_per_case")


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_plural_sentences_with_formatted_numbers_match(app, language):
    """The report's sentences put formatted numbers into plural forms (kk 2, ru 3): the
    same numbers give the same sentences."""
    with app.test_request_context(), force_locale(language):
        for n in (0, 1, 2, 3, 4, 5, 11, 12, 21, 22, 25, 101, 111, 1001, 21000):
            ours = ngettext("%(num)d working day", "%(num)d working days", n)
            assert words.unit_words(n, "working_days") == ours
            assert _("%(n)s pp", n=numbers.format_decimal(n, "#,##0.0")) == \
                _("%(n)s pp", n=format_decimal(n, format="#,##0.0"))
        if language == "ru":
            assert words.unit_words(2, "working_days") != words.unit_words(5, "working_days")


def test_outside_a_request_babel_formats_as_before(app):
    assert numbers.format_decimal(1234.5, "#,##0.0") == format_decimal(1234.5, format="#,##0.0")
