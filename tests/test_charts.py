"""The SVG line chart's week labels never overlap, whatever the number of weeks (a phone shows
the chart at its 360-unit width scaled down, so overlapping labels cannot be read)."""
from __future__ import annotations

import re

import pytest

from monitor.views.charts import line_chart

LABEL = re.compile(r'<text x="([0-9.]+)" y="188" text-anchor="(middle|end)">([^<]+)</text>')
WIDTH = 0.62 * 14  # the widest character of a week label at the chart's 14-unit text


@pytest.mark.parametrize("weeks", [1, 2, 3, 4, 5, 8, 9, 12, 13, 26, 52, 53])
def test_week_labels_never_overlap_and_the_latest_is_named(weeks):
    labels = [f"2026-W{n:02d}" for n in range(1, weeks + 1)]
    svg = line_chart(labels, [float(n) for n in range(weeks)], "Cases accepted")
    placed = [(float(x), anchor, text) for x, anchor, text in LABEL.findall(svg)]
    assert placed and placed[-1][2] == labels[-1]
    spans = sorted((x - WIDTH * len(text) if anchor == "end" else x - WIDTH * len(text) / 2,
                    x if anchor == "end" else x + WIDTH * len(text) / 2) for x, anchor, text in placed)
    assert all(left >= 0 and right <= 360 for left, right in spans) or weeks == 1, spans
    assert all(later[0] - earlier[1] >= 14 / 2 for earlier, later in zip(spans, spans[1:])), spans  # a space
    assert len(placed) >= min(weeks, 2)  # the chart still names more than its last week
