"""Server-side SVG charts for the statistics pages.

No JavaScript, no external resources, no `<style>` element and no `style="…"` attribute: only
SVG presentation attributes (fill, font-size, …), so the charts render under a strict
Content-Security-Policy (style-src 'self'). Every piece of text is XML-escaped, and characters
XML cannot carry are dropped, so a hostile label can neither inject markup nor break the XML.
"""
from __future__ import annotations

import math
import re
import unicodedata

from markupsafe import Markup, escape

EMPTY_TEXT = "暂无数据"
FONT = 'font-family="sans-serif"'
BAR_COLOR = "#3b6ea5"
LINE_COLOR = "#b5452f"
TEXT_COLOR = "#222222"
MUTED_COLOR = "#666666"
GRID_COLOR = "#dddddd"
FONT_SIZE = 12
ROW_HEIGHT = 24
TITLE_HEIGHT = 32

# Characters outside XML 1.0's Char production (control characters, lone surrogates, …).
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: object) -> str:
    """`value` as XML character data or attribute text: escaped, XML-safe."""
    return str(escape(_NOT_XML.sub("", str(value))))


def _text_width(text: str) -> float:
    """Rough rendered width in pixels: wide (CJK) characters count double."""
    wide = sum(1 for c in text if unicodedata.east_asian_width(c) in ("W", "F"))
    return (wide + 0.6 * (len(text) - wide)) * FONT_SIZE


def _truncate(text: str, max_width: float) -> str:
    """`text`, shortened with "…" to fit `max_width` pixels."""
    if _text_width(text) <= max_width:
        return text
    while text and _text_width(text + "…") > max_width:
        text = text[:-1]
    return text + "…"


def _open_svg(title: str, width: int, height: int, description: str) -> list[str]:
    """The root element, its accessible name and description, and the visible heading."""
    name = _text(title)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{name}" '
        f'{FONT} font-size="{FONT_SIZE}">',
        f"<title>{name}</title>",
        f"<desc>{_text(description)}</desc>",
        f'<text x="8" y="20" font-size="{FONT_SIZE + 2}" font-weight="bold" '
        f'fill="{TEXT_COLOR}">{name}</text>',
    ]


def _empty(title: str, width: int) -> Markup:
    """A small chart that says there is nothing to show."""
    parts = _open_svg(title, width, 72, EMPTY_TEXT)
    parts.append(f'<text x="{width // 2}" y="54" text-anchor="middle" '
                 f'fill="{MUTED_COLOR}">{EMPTY_TEXT}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _describe(items: list[tuple[str, int]]) -> str:
    """The data as one sentence, for screen readers (children of role="img" are hidden)."""
    return "；".join(f"{label}：{value}" for label, value in items)


def bar_chart(title: str, items: list[tuple[str, int]], width: int = 640) -> Markup:
    """A horizontal bar chart: one row per (label, value), label left, value after the bar.

    Long labels are shortened on screen; the full label is in each row's <title> tooltip and
    in the chart's <desc>.
    """
    width = max(int(width), 240)
    every = [(str(label), int(value)) for label, value in items]
    # Rows of 0 say nothing and push the others off screen; the description names them.
    items = [(label, value) for label, value in every if value]
    if not items:
        return _empty(title, width)
    zero = [label for label, value in every if not value]
    value_width = max(_text_width(str(v)) for _, v in items) + 12
    label_width = min(max(_text_width(label) for label, _ in items), width * 0.4) + 12
    bar_space = max(width - label_width - value_width - 8, 10)
    top = max((v for _, v in items), default=0) or 1
    height = TITLE_HEIGHT + ROW_HEIGHT * len(items) + 8

    described = _describe(items) + (f"；其余 {len(zero)} 项为 0" if zero else "")
    parts = _open_svg(title, width, height, described)
    for i, (label, value) in enumerate(items):
        y = TITLE_HEIGHT + i * ROW_HEIGHT
        bar = round(bar_space * max(value, 0) / top, 1)
        baseline = y + ROW_HEIGHT / 2 + FONT_SIZE / 3
        parts += [
            "<g>",
            f"<title>{_text(label)}：{value}</title>",
            f'<text x="{label_width - 6:.1f}" y="{baseline:.1f}" text-anchor="end" '
            f'fill="{TEXT_COLOR}">{_text(_truncate(label, label_width - 12))}</text>',
            f'<rect x="{label_width:.1f}" y="{y + 4}" width="{bar}" height="{ROW_HEIGHT - 8}" '
            f'fill="{BAR_COLOR}"/>',
            f'<text x="{label_width + bar + 4:.1f}" y="{baseline:.1f}" '
            f'fill="{TEXT_COLOR}">{value}</text>',
            "</g>",
        ]
    parts.append("</svg>")
    return Markup("".join(parts))


def _nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 × 10^k not below `value` (at least 1): a tidy axis maximum."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def line_chart(title: str, points: list[tuple[str, int]], width: int = 640,
               height: int = 240) -> Markup:
    """A line chart of (x label, value) points in order, e.g. reports per month."""
    width, height = max(int(width), 240), max(int(height), 140)
    points = [(str(label), int(value)) for label, value in points]
    if not points:
        return _empty(title, width)
    left, right, top, bottom = 48, 16, TITLE_HEIGHT + 8, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    y_max = _nice_ceiling(max(v for _, v in points))

    def x_of(i: int) -> float:
        return left + (plot_w / 2 if len(points) == 1 else plot_w * i / (len(points) - 1))

    def y_of(value: int) -> float:
        return top + plot_h - plot_h * max(value, 0) / y_max

    parts = _open_svg(title, width, height, _describe(points))
    # Horizontal grid lines with their values: 0, half, maximum.
    for tick in sorted({0, y_max // 2, y_max}):
        y = y_of(tick)
        parts += [
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
            f'stroke="{GRID_COLOR}" stroke-width="1"/>',
            f'<text x="{left - 6}" y="{y + FONT_SIZE / 3:.1f}" text-anchor="end" '
            f'fill="{MUTED_COLOR}">{tick}</text>',
        ]
    coords = " ".join(f"{x_of(i):.1f},{y_of(v):.1f}" for i, (_, v) in enumerate(points))
    if len(points) > 1:
        parts.append(f'<polyline points="{coords}" fill="none" stroke="{LINE_COLOR}" '
                     f'stroke-width="2"/>')
    # Label every k-th point on the x axis so labels (up to 120 px) do not overlap; show
    # values above the points while there are few of them.
    step = plot_w / max(len(points) - 1, 1)
    widest = min(max(_text_width(label) for label, _ in points), 120)
    label_every = max(1, math.ceil((widest + 8) / step))
    label_room = step * label_every - 8
    show_values = len(points) <= 24
    for i, (label, value) in enumerate(points):
        x, y = x_of(i), y_of(value)
        parts += [
            "<g>",
            f"<title>{_text(label)}：{value}</title>",
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{LINE_COLOR}"/>',
        ]
        if show_values:
            parts.append(f'<text x="{x:.1f}" y="{y - 6:.1f}" text-anchor="middle" '
                         f'fill="{TEXT_COLOR}">{value}</text>')
        last = i == len(points) - 1
        # Every k-th label and always the last; the end labels are anchored inside the chart,
        # so the last month is never cut at the edge ("2026-1").
        if last or (i % label_every == 0 and len(points) - 1 - i >= label_every):
            anchor = "middle"
            if len(points) > 1:
                anchor = "end" if last else "start" if i == 0 else "middle"
            parts.append(f'<text x="{x:.1f}" y="{height - bottom + 18}" text-anchor="{anchor}" '
                         f'fill="{MUTED_COLOR}">{_text(_truncate(label, label_room))}</text>')
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))
