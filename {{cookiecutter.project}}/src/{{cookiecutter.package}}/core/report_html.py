"""The pipeline report as one self-contained HTML file: no JavaScript, no stylesheet, no external request,
charts as inline SVG.

It stays readable under Jenkins' default Content-Security-Policy for published HTML ("sandbox;
default-src 'none'; img-src 'self'; style-src 'self';"), which blocks scripts, inline styles and every
fetch: the layout is plain HTML (tables with borders as attributes), the charts SVG presentation attributes.
"""

from __future__ import annotations

import re
from html import escape

from .charts import Bars, Curve, Matrix, svg, table_rows
from .report import MARKS, Block, Bullets, Part, Report, Table


def _inline(text: str) -> str:
    """Escaped text, `code` as <code>, [text](url) as a link."""
    html = escape(text)
    html = re.sub(r"`([^`]+)`", r"<code>\1</code>", html)
    return re.sub(r"\[([^\]]+)\]\((https?://[^)\s]+)\)", r'<a href="\2">\1</a>', html)


def _table(headers, rows, caption: str = "") -> str:
    head = "".join(f"<th>{_inline(header)}</th>" for header in headers)
    body = "".join("<tr>" + "".join(f"<td>{_inline(value)}</td>" for value in row) + "</tr>" for row in rows)
    caption_html = f"<caption>{_inline(caption)}</caption>" if caption else ""
    return f'<table border="1" cellpadding="4" cellspacing="0">{caption_html}<tr>{head}</tr>{body}</table>'


def block_html(block: Block) -> str:
    if isinstance(block, str):
        return f"<p>{_inline(block)}</p>"
    if isinstance(block, Table):
        return _table(block.headers, block.rows, block.caption)
    if isinstance(block, Bullets):
        items = "".join(f"<li>{_inline(item)}</li>" for item in block.items)
        caption = f"<p>{_inline(block.caption)}</p>" if block.caption else ""
        return f"{caption}<ul>{items}</ul>"
    if isinstance(block, Bars):
        headers, rows = table_rows(block)
        return f"<figure>{svg(block)}<figcaption>{_table(headers, rows)}</figcaption></figure>"
    if isinstance(block, Curve | Matrix):
        return f"<figure>{svg(block)}</figure>"
    raise TypeError(f"not a report block: {block!r}")


def _part(part: Part) -> str:
    blocks = "\n".join(block_html(block) for block in part.blocks)
    return (
        f'<section id="{escape(part.stage)}"><h2>{MARKS[part.status]} {escape(part.title)}</h2>'
        f"<p><strong>{_inline(part.headline)}</strong></p>\n{blocks}</section>"
    )


def to_html(report: Report) -> str:
    context = report.context
    facts = [
        (label, value)
        for label, value in (
            ("commit", context.commit),
            ("tested merged into its target", context.tested),
            ("branch", context.branch),
            ("run", context.run_url),
        )
        if value
    ]
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(report.title)}</title></head><body>",
            f"<h1>{escape(report.title)}</h1>",
            *(f"<p>{escape(label)}: {_inline(value)}</p>" for label, value in facts),
            _overview(report),
            *(_part(part) for part in report.parts),
            "</body></html>",
            "",
        ]
    )


def _overview(report: Report) -> str:
    rows = "".join(
        f'<tr><td>{MARKS[part.status]} <a href="#{escape(part.stage)}">{escape(part.stage)}</a></td>'
        f"<td>{_inline(part.headline)}</td></tr>"
        for part in report.parts
    )
    head = "<tr><th>stage</th><th>result</th></tr>"
    return f'<table border="1" cellpadding="4" cellspacing="0">{head}{rows}</table>'
