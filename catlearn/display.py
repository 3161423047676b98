"""Small pieces of HTML for Jupyter's rich display (``_repr_html_``).

A leaf module: it knows tables, headers and lists of names, nothing of
catlearn, so every layer's objects can show themselves with it. Everything
the user wrote (names, labels) is escaped.

>>> print(table(["name", "value"], [["a<b", "1"]]))
<table><thead><tr><th>name</th><th>value</th></tr></thead><tbody><tr><td>a&lt;b</td><td>1</td></tr></tbody></table>
>>> names(["a", "b", "c", "d"], limit=2)
'a, b, … (4 in all)'
"""
from __future__ import annotations

import html
from typing import Iterable, Optional, Sequence


def table(head: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """An HTML table of text cells (escaped)."""
    def row(cells, tag):
        return "<tr>" + "".join(f"<{tag}>{html.escape(str(c))}</{tag}>" for c in cells) + "</tr>"
    return ("<table><thead>" + row(head, "th") + "</thead><tbody>"
            + "".join(row(r, "td") for r in rows) + "</tbody></table>")


def block(title: str, parts: Sequence[str] = (), warnings: Sequence[str] = (),
          picture: Optional[str] = None) -> str:
    """A titled block: the title (escaped, bold), HTML parts under it, warnings
    as a red list, and an SVG picture (trusted: catlearn drew it)."""
    out = [f"<div><div><b>{html.escape(title)}</b></div>"]
    out += list(parts)
    if warnings:
        out.append('<ul style="color:#b00">' + "".join(
            f"<li>{html.escape(w)}</li>" for w in warnings) + "</ul>")
    if picture is not None:
        out.append(f"<div>{picture[picture.find('<svg'):]}</div>")
    return "".join(out) + "</div>"


def text(line: str) -> str:
    """A paragraph of plain text (escaped)."""
    return f"<div>{html.escape(line)}</div>"


def names(items: Sequence[str], limit: int = 6) -> str:
    """The first ``limit`` names, and how many there are when that is not all."""
    items = list(items)
    if len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[:limit]) + f", … ({len(items)} in all)"
