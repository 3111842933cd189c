"""Charts for the pipeline report, as data, and drawn two ways: Mermaid (xychart-beta) for Markdown that
GitHub and GitLab render, and inline SVG for the self-contained HTML report.

The SVG uses presentation attributes only (no <style>, no style=""), so it renders under a
Content-Security-Policy that forbids inline styles, such as the one Jenkins serves published HTML with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 480, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 36, 56
COLOURS = ("#4269d0", "#efb118", "#ff725c", "#6cc5b0")


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float, ...]


@dataclass(frozen=True)
class Bars:
    """One bar per label for each series; limits, when given, drawn as a line (an SLO per label)."""

    title: str
    unit: str
    labels: tuple[str, ...]
    series: tuple[Series, ...]
    limits: Series | None = None
    in_markdown: bool = True
    """False: drawn in the HTML report only (its numbers are in a table of the Markdown already)."""


@dataclass(frozen=True)
class Curve:
    """A curve through points in [0, 1] x [0, 1], such as ROC or precision-recall."""

    title: str
    x_label: str
    y_label: str
    points: tuple[tuple[float, float], ...]
    diagonal: bool = False
    """Draw the chance line y = x (ROC)."""


@dataclass(frozen=True)
class Matrix:
    """Counts, rows by actual class and columns by predicted class."""

    title: str
    labels: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]


Chart = Bars | Curve | Matrix


def _quoted(text: str) -> str:
    return '"' + text.replace('"', "'") + '"'


def _range(values: list[float]) -> tuple[float, float]:
    """An axis range that includes 0 and every value, with a little room above."""
    low, high = min([0.0, *values]), max([0.0, *values])
    if high == low:
        high = low + 1
    room = (high - low) * 0.1
    return (low - room if low < 0 else low), high + room


def _number(value: float) -> str:
    """Fixed-point, trailing zeros dropped: Mermaid reads no exponent (1e-05), nor nan or inf (drawn as 0)."""
    if not math.isfinite(value):
        return "0"
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def mermaid(chart: Bars) -> str:
    """The bars as a Mermaid xychart-beta block (no legend in Mermaid: the table after it names series)."""
    values = [value for series in chart.series for value in series.values]
    if chart.limits:
        values += list(chart.limits.values)
    low, high = _range(values)
    lines = [
        "```mermaid",
        "xychart-beta",
        f"    title {_quoted(chart.title)}",
        f"    x-axis [{', '.join(_quoted(label) for label in chart.labels)}]",
        f"    y-axis {_quoted(chart.unit)} {_number(low)} --> {_number(high)}",
        *(f"    bar [{', '.join(_number(value) for value in series.values)}]" for series in chart.series),
    ]
    if chart.limits:
        lines.append(f"    line [{', '.join(_number(value) for value in chart.limits.values)}]")
    elif low < 0:
        # Mermaid draws every bar up from the axis' bottom, not from zero: a line at zero tells the sign.
        lines.append(f"    line [{', '.join('0' for _ in chart.labels)}]")
    return "\n".join([*lines, "```"])


def table_rows(chart: Bars) -> tuple[list[str], list[list[str]]]:
    """The same numbers as a table: a row per label, a column per series (and the limit)."""
    every = [*chart.series, *([chart.limits] if chart.limits else [])]
    headers = ["", *(series.name for series in every)]
    rows = [[label, *(_number(series.values[i]) for series in every)] for i, label in enumerate(chart.labels)]
    return headers, rows


def svg(chart: Chart) -> str:
    if isinstance(chart, Bars):
        return _svg_bars(chart)
    if isinstance(chart, Curve):
        return _svg_curve(chart)
    return _svg_matrix(chart)


def _frame(title: str, body: list[str]) -> str:
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
            'font-family="sans-serif" font-size="11">',
            f"<title>{escape(title)}</title>",
            f'<text x="{WIDTH / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">'
            f"{escape(title)}</text>",
            *body,
            "</svg>",
        ]
    )


def _text(x: float, y: float, text: str, anchor: str = "middle", **attributes: str) -> str:
    extra = "".join(f' {key.replace("_", "-")}="{value}"' for key, value in attributes.items())
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{escape(text)}</text>'


def _svg_bars(chart: Bars) -> str:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    values = [value for series in chart.series for value in series.values]
    low, high = _range([*values, *(chart.limits.values if chart.limits else ())])

    def y(value: float) -> float:
        return TOP + plot_h * (high - value) / (high - low)

    body = [
        f'<line x1="{LEFT}" y1="{y(0):.1f}" x2="{WIDTH - RIGHT}" y2="{y(0):.1f}" stroke="#333"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#333"/>',
        _text(LEFT - 6, y(high) + 4, _number(high), "end"),
        _text(LEFT - 6, y(low) + 4, _number(low), "end"),
        _text(14, TOP + plot_h / 2, chart.unit, transform=f"rotate(-90 14 {TOP + plot_h / 2})"),
    ]
    group = plot_w / max(len(chart.labels), 1)
    bar = group * 0.7 / max(len(chart.series), 1)
    for i, label in enumerate(chart.labels):
        start = LEFT + i * group + group * 0.15
        for s, series in enumerate(chart.series):
            value = series.values[i]
            top, bottom = sorted((y(value), y(0)))
            x = start + s * bar
            height = max(bottom - top, 0.5)
            tip = escape(f"{label}, {series.name}: {value:g}")
            body.append(
                f'<rect x="{x:.1f}" y="{top:.1f}" width="{bar * 0.9:.1f}" height="{height:.1f}" '
                f'fill="{COLOURS[s % len(COLOURS)]}"><title>{tip}</title></rect>'
            )
        body.append(_text(LEFT + (i + 0.5) * group, TOP + plot_h + 16, label))
        if chart.limits:
            limit = chart.limits.values[i]
            body.append(
                f'<line x1="{start - 4:.1f}" y1="{y(limit):.1f}" x2="{start + group * 0.7 + 4:.1f}" '
                f'y2="{y(limit):.1f}" stroke="#d00" stroke-width="2" stroke-dasharray="5 3">'
                f"<title>{escape(f'{label}, {chart.limits.name}: {limit:g}')}</title></line>"
            )
    legend = [*chart.series, *([chart.limits] if chart.limits else [])]
    for s, series in enumerate(legend):
        x = LEFT + s * 120
        colour = "#d00" if chart.limits is series else COLOURS[s % len(COLOURS)]
        body.append(f'<rect x="{x}" y="{HEIGHT - 18}" width="10" height="10" fill="{colour}"/>')
        body.append(_text(x + 14, HEIGHT - 9, series.name, "start"))
    return _frame(chart.title, body)


def _svg_curve(chart: Curve) -> str:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def xy(x: float, y: float) -> str:
        return f"{LEFT + plot_w * x:.1f},{TOP + plot_h * (1 - y):.1f}"

    finite = [(x, y) for x, y in chart.points if math.isfinite(x) and math.isfinite(y)]
    body = [
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#333"/>',
        _text(LEFT, TOP + plot_h + 14, "0"),
        _text(LEFT + plot_w, TOP + plot_h + 14, "1"),
        _text(LEFT - 6, TOP + 4, "1", "end"),
        _text(LEFT - 6, TOP + plot_h + 4, "0", "end"),
        _text(LEFT + plot_w / 2, TOP + plot_h + 30, chart.x_label),
        _text(14, TOP + plot_h / 2, chart.y_label, transform=f"rotate(-90 14 {TOP + plot_h / 2})"),
    ]
    if chart.diagonal:
        body.append(
            f'<polyline points="{xy(0, 0)} {xy(1, 1)}" fill="none" stroke="#999" stroke-dasharray="4 4"/>'
        )
    if finite:
        points = " ".join(xy(x, y) for x, y in finite)
        body.append(f'<polyline points="{points}" fill="none" stroke="{COLOURS[0]}" stroke-width="2"/>')
    return _frame(chart.title, body)


def _svg_matrix(chart: Matrix) -> str:
    size = len(chart.labels)
    cell = min((WIDTH - LEFT - RIGHT) / size, (HEIGHT - TOP - BOTTOM) / size)
    most = max([count for row in chart.counts for count in row] or [1]) or 1
    body = [
        _text(LEFT + cell * size / 2, HEIGHT - 8, "predicted"),
        _text(14, TOP + cell * size / 2, "actual", transform=f"rotate(-90 14 {TOP + cell * size / 2})"),
    ]
    for r, row in enumerate(chart.counts):
        body.append(_text(LEFT - 4, TOP + (r + 0.5) * cell + 4, chart.labels[r], "end"))
        for c, count in enumerate(row):
            shade = int(235 - 170 * count / most)
            x, y = LEFT + c * cell, TOP + r * cell
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{cell:.1f}" height="{cell:.1f}" '
                f'fill="rgb({shade},{shade + 10 if shade < 245 else 255},255)" stroke="#fff"/>'
            )
            body.append(_text(x + cell / 2, y + cell / 2 + 4, str(count), font_size="14"))
    for c, label in enumerate(chart.labels):
        body.append(_text(LEFT + (c + 0.5) * cell, TOP + size * cell + 14, label))
    return _frame(chart.title, body)
