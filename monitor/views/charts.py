"""Small SVG line charts rendered by the app itself: no JavaScript, no external CDN."""
from __future__ import annotations

import math
from collections.abc import Callable
from html import escape

TEXT_SIZE = 14  # units: svg.chart text in static/css
CHARACTER_WIDTH = 0.62 * TEXT_SIZE  # at most, for the digits, capitals and dashes of a week label


def label_every(labels: list[str], step: float) -> int:
    """Name every n-th point (counted from the latest) so that no two labels touch: the latest
    ends at its point, the others are centred on theirs, so the latest needs one and a half
    labels' width and a space before the next one; at most about four are named."""
    if len(labels) < 2:
        return 1
    width = CHARACTER_WIDTH * max(len(label) for label in labels)
    return max(-(-len(labels) // 4), math.ceil((1.5 * width + TEXT_SIZE) / step) if step else 1, 1)


def _frame(css: str, width: int, height: int, title: str, top: float, y: Callable[[float], float],
           pad_left: int, pad_right: int, percent: bool, role: str = "img") -> list[str]:
    """The opening of a chart: the accessible <svg> with its title, and three labelled
    horizontal grid lines (0, half and the top of the scale). ``role`` "group" when its
    points are labelled one by one (an "img" hides its children from assistive technology)."""
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="{role}" '
             f'class="{css}" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for fraction in (0, 0.5, 1):
        level = top * fraction
        text = f"{level * 100:.0f}%" if percent else f"{level:.3g}"
        parts.append(f'<line x1="{pad_left}" x2="{width - pad_right}" y1="{y(level):.1f}" y2="{y(level):.1f}" '
                     f'class="grid"/><text x="{pad_left - 6}" y="{y(level) + 5:.1f}" text-anchor="end">{text}</text>')
    return parts


def line_chart(labels: list[str], values: list[float | None], title: str, width: int = 360,
               height: int = 200, percent: bool = False) -> str:
    """An accessible SVG chart; gaps where a value is empty (a week with no denominator).

    Drawn small (360 units wide, 14-unit text) so that its text stays legible when a
    phone shrinks it to the screen, and the page caps its width on large screens."""
    pad_left, pad_right, pad_top, pad_bottom = 52, 14, 16, 40
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

    parts = _frame("chart", width, height, title, top, y, pad_left, pad_right, percent)
    for points in segments:
        parts.append(f'<polyline points="{" ".join(points)}" class="series"/>')
        parts += [f'<circle cx="{p.split(",")[0]}" cy="{p.split(",")[1]}" r="3" class="point"/>'
                  for p in points]
    every = label_every(labels, step)
    for index, label in enumerate(labels):
        if (len(labels) - 1 - index) % every == 0:  # counted from the latest week, which is always named
            # The latest label ends at its point, so that it is never cut at the chart's edge.
            anchor = "end" if index == len(labels) - 1 and len(labels) > 1 else "middle"
            parts.append(f'<text x="{pad_left + index * step:.1f}" y="{height - 12}" '
                         f'text-anchor="{anchor}">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def funnel_chart(offices: list[tuple[str, float, float, str | None]], network: float,
                 limits: Callable[[list[float], float], tuple[list[float], list[float]]],
                 title: str, axis: str, percent: bool, width: int = 360, height: int = 240,
                 describe: Callable[[str, float, float, str | None], str] | None = None) -> str:
    """Offices' rates (y) against their number of cases (x, log scale) around the network's
    rate, between the 95 % (dashed) and 99.8 % (dotted) control limits; offices beyond the
    limits on the worse side are named. ``offices``: (code, n, value, standing);
    ``limits(ns, z)`` gives the lower and upper limits for those numbers of cases;
    ``describe(code, n, value, standing)`` says a point in words: its tooltip (<title>, on
    hover) and its label when it is focused with the keyboard (each point is a Tab stop)."""
    pad_left, pad_right, pad_top, pad_bottom = 52, 14, 16, 44
    plot_w, plot_h = width - pad_left - pad_right, height - pad_top - pad_bottom
    largest = max([n for _, n, _, _ in offices] + [10.0])
    span = math.log10(largest * 1.2)
    grid = [10 ** (span * i / 40) for i in range(41)]
    curves = {z: limits(grid, z) for z in (1.959964, 3.090232)}
    values = [v for _, _, v, _ in offices if v == v] + [network if network == network else 0]
    top = max(values + [v for v in curves[1.959964][1][4:] if v == v])
    top = min(1.0, top * 1.1) if percent else top * 1.1
    top = top or 1.0

    def x(n: float) -> float:
        return pad_left + plot_w * math.log10(max(n, 1)) / span

    def y(value: float) -> float:
        return pad_top + plot_h * (1 - min(max(value, 0), top) / top)

    parts = _frame("chart funnel", width, height, title, top, y, pad_left, pad_right, percent, role="group")
    for tick in (1, 10, 100, 1000, 10000, 100000):
        if tick <= largest * 1.2:
            parts.append(f'<text x="{x(tick):.1f}" y="{height - 24}" text-anchor="middle">{tick:,}</text>'
                         .replace(",", "\u202f"))
    parts.append(f'<text x="{pad_left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle">{escape(axis)}</text>')
    if network == network:
        parts.append(f'<line x1="{pad_left}" x2="{width - pad_right}" y1="{y(network):.1f}" '
                     f'y2="{y(network):.1f}" class="network"/>')
    for z, css in ((1.959964, "limit95"), (3.090232, "limit998")):
        low, high = curves[z]
        for line in (low, high):
            points = " ".join(f"{x(n):.1f},{y(v):.1f}" for n, v in zip(grid, line) if v == v)
            parts.append(f'<polyline points="{points}" class="{css}"/>')
    for code, n, value, standing in offices:
        if value != value:
            continue
        said = escape(describe(code, n, value, standing) if describe else code)
        parts.append(f'<g class="dot" tabindex="0" role="img" aria-label="{said}">'
                     f'<circle cx="{x(n):.1f}" cy="{y(value):.1f}" r="4" class="office {standing or ""}">'
                     f'<title>{said}</title></circle></g>')
        if standing in ("alarm", "warning"):
            parts.append(f'<text x="{x(n) + 6:.1f}" y="{y(value) - 6:.1f}" class="office-name">{escape(code)}</text>')
    parts.append("</svg>")
    return "".join(parts)
