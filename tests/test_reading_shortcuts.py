"""The shortcuts `flask analyze` takes on the usual input give what the long way gives.

Each shortcut (issue 21, "Analyze close to the read") looks at the whole input at once and
takes the long way only when it must: these tests hold the two ways to the same answer on
the inputs where the shortcut is taken, and where it is not.
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import yaml

from monitor.compliance.visit_log import (
    CONTROL_CHARACTERS,
    _holds_control_character,
    _no_blank_line_but_the_last,
    nonblank_line_numbers,
    row_line_numbers,
)
from services_catalog import BUNDLED_CATALOG, loader


def test_line_numbers_counted_are_the_line_numbers_searched():
    """Every text of up to 8 bytes of a, LF and CR: the lines of its rows (header left out),
    counted when no line before the last is blank, searched otherwise."""
    ways = set()
    for length in range(1, 9):
        for pieces in itertools.product((b"a", b"\n", b"\r"), repeat=length):
            data = b"".join(pieces)
            searched = nonblank_line_numbers(np.frombuffer(data, dtype=np.uint8), 1)[1:]
            assert row_line_numbers(data).tolist() == searched.tolist(), data
            ways.add(_no_blank_line_but_the_last(data))
    assert ways == {True, False}  # both the count and the search were taken


@pytest.mark.parametrize("dtype", ["str", object])
def test_every_character_is_a_control_character_exactly_when_the_pattern_says(dtype):
    characters = [chr(code) for code in range(0x300)] + ["\u2028", "\ufeff", "Қ"]
    for character in characters:
        values = pd.Series(["plain", f"a{character}b", "other"], dtype=dtype)
        for part in (values, values.iloc[1:], values[values != "plain"]):
            expected = [bool(CONTROL_CHARACTERS.search(text)) for text in part]
            assert _holds_control_character(part).tolist() == expected, repr(character)


def test_a_column_of_text_without_control_characters_has_none_and_one_with_has_it():
    values = pd.Series([f"V{n:08d}" for n in range(10_000)], dtype="str")
    assert not _holds_control_character(values).any()
    values[5_000] = "V\x00"
    assert _holds_control_character(values).tolist() == [n == 5_000 for n in range(10_000)]


def test_the_bundled_catalog_reads_the_same_on_libyaml_and_on_pure_python():
    if loader._LibyamlCatalogLoader is None:
        pytest.fail("this PyYAML has no libyaml: the catalog is read by the slow reader")
    files = sorted(BUNDLED_CATALOG.rglob("*.yaml"))
    assert files
    for file in files:
        raw = file.read_bytes()
        assert yaml.load(raw, Loader=loader._LibyamlCatalogLoader) == yaml.load(  # nosec B506
            raw, Loader=loader._CatalogYamlLoader), file.name


def test_codes_stay_text_and_nesting_stays_bounded_on_libyaml():
    fast = loader._LibyamlCatalogLoader
    assert yaml.load(b"code: 00101\ncount: 12\nodd: 1_0\n", Loader=fast) == {  # nosec B506
        "code": "00101", "count": 12, "odd": "1_0"}
    deep = "".join("  " * level + f"k{level}:\n" for level in range(40)) + "  " * 40 + "x: 1\n"
    with pytest.raises(loader.RefusedFile, match="nested deeper than 32 levels"):
        yaml.load(deep.encode(), Loader=fast)  # nosec B506
