"""Numbers in the reader's language, with each pattern parsed once.

Flask-Babel's ``format_decimal``/``format_percent`` parse the number pattern on every call
(``babel.numbers.parse_pattern``); the weekly report formats thousands of numbers per
request. Here a pattern is parsed once per process (a parsed ``NumberPattern`` holds no
locale: the request's locale is applied at each call, exactly as Babel applies it), and a
text once made is kept: Babel formats a number from ``Decimal(str(number))``, so the text
depends only on the locale, the pattern and ``str(number)`` -- the key it is kept under. The
text is byte for byte Flask-Babel's (tests/test_number_words.py).
"""
from __future__ import annotations

from functools import lru_cache

from babel import Locale
from babel.numbers import NumberPattern, parse_pattern
from flask_babel import format_decimal as babel_decimal, get_locale


@lru_cache(maxsize=64)
def _pattern(pattern: str) -> NumberPattern:
    return parse_pattern(pattern)


# The locales texts were made in, by their parts: a tuple of strings is hashed and compared
# far faster than a Locale, and the report formats thousands of numbers per request.
_LOCALES: dict[tuple, Locale] = {}


@lru_cache(maxsize=16384)
def _text(locale_key: tuple, pattern: str, number: str) -> str:
    # NumberPattern.apply reads a number that is not a Decimal as Decimal(str(number)): given
    # str(number), it reads the very same Decimal.
    return _pattern(pattern).apply(number, _LOCALES[locale_key])


def format_decimal(number, format: str) -> str:
    """Flask-Babel's ``format_decimal(number, format=format)``, the pattern parsed once.

    A percent pattern (``#,##0.0%``) scales as Babel's ``format_percent`` does: the
    pattern carries its scale."""
    return format_in(get_locale(), number, format)


def format_in(locale: Locale | None, number, format: str) -> str:
    """``format_decimal`` in a locale the caller holds (the request's: ``get_locale()``)."""
    if locale is None:  # outside a request: Babel's default locale, as Flask-Babel does
        return babel_decimal(number, format=format)
    key = (locale.language, locale.territory, locale.script, locale.variant, locale.modifier)
    _LOCALES.setdefault(key, locale)
    return _text(key, format, str(number))


format_percent = format_decimal  # the pattern's own % makes it a percentage, as in Babel
