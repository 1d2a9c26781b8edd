"""Small SVG line charts rendered by the app itself: no JavaScript, no external CDN."""
from __future__ import annotations

import math
from html import escape


def line_chart(labels: list[str], values: list[float | None], title: str, width: int = 560,
               height: int = 180, percent: bool = False) -> str:
    """An accessible SVG chart; gaps where a value is empty (a week with no denominator)."""
    pad_left, pad_right, pad_top, pad_bottom = 48, 12, 16, 36
    known = [v for v in values if v is not None and not math.isnan(v)]
    top = max(known) if known else 1.0
    top = 1.0 if percent and top <= 1 else (top * 1.1 or 1.0)
    plot_w, plot_h = width - pad_left - pad_right, height - pad_top - pad_bottom
    step = plot_w / max(len(values) - 1, 1)

    def y(value: float) -> float:
        return pad_top + plot_h * (1 - value / top)

    segments, current = [], []
    for index, value in enumerate(values):
        if value is None or math.isnan(value):
            if current:
                segments.append(current)
            current = []
            continue
        current.append(f"{pad_left + index * step:.1f},{y(value):.1f}")
    if current:
        segments.append(current)

    def fmt(value: float) -> str:
        return f"{value * 100:.0f}%" if percent else f"{value:.3g}"

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'class="chart" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for fraction in (0, 0.5, 1):
        level = top * fraction
        parts.append(f'<line x1="{pad_left}" x2="{width - pad_right}" y1="{y(level):.1f}" '
                     f'y2="{y(level):.1f}" class="grid"/>'
                     f'<text x="{pad_left - 6}" y="{y(level) + 4:.1f}" text-anchor="end">{fmt(level)}</text>')
    for points in segments:
        parts.append(f'<polyline points="{" ".join(points)}" class="series"/>')
        parts += [f'<circle cx="{p.split(",")[0]}" cy="{p.split(",")[1]}" r="3" class="point"/>'
                  for p in points]
    every = max(1, len(labels) // 6)
    for index, label in enumerate(labels):
        if index % every == 0 or index == len(labels) - 1:
            parts.append(f'<text x="{pad_left + index * step:.1f}" y="{height - 12}" '
                         f'text-anchor="middle">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)
