"""Numbers, dates and names as a reader writes them: the note's text filters.

- Money: the house style is the currency's symbol or code, then the amount with at
  most four significant digits and a short scale: ``US$93.8bn``, ``£34bn``,
  ``€1.75m``, ``US$15,000``, ``CHF 2.5bn``; an estimate reads ``about US$1.75bn``.
  The amount printed is the data's amount (``amount`` times its ``scale``).
- Dates keep their precision (``2023``, ``September 2023``, ``12 September 2023``);
  ranges and open ranges are words: ``January-May 2023`` (with an en dash),
  ``since 2023``, ``until May 2024``.
- Percentages: ``6.5%``, once.
- Native names: the data's BCP 47 ``lang``; Arabic-script, Hebrew and other
  right-to-left text also gets ``dir="rtl"``.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from markdown_it.token import Token

MONTHS = (
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
)
SYMBOLS = {"USD": "US$", "GBP": "£", "EUR": "€", "JPY": "¥", "CNY": "CN¥", "RUB": "₽"}
_UNITS = ((1e12, "tn"), (1e9, "bn"), (1e6, "m"))
_RTL = ("ARABIC", "HEBREW", "SYRIAC", "THAANA", "NKO")


def date_text(value: str) -> str:
    """A partial date at its precision: ``2023``, ``September 2023``, ``12 September 2023``."""
    parts = value.split("-")
    if len(parts) == 1:
        return value
    month = MONTHS[int(parts[1]) - 1]
    return f"{month} {parts[0]}" if len(parts) == 2 else f"{int(parts[2])} {month} {parts[0]}"


def date_range(start: str | None, end: str | None = None) -> str:
    """A span in words: ``since 2023``, ``until May 2024``, ``January-May 2023`` (en dash)."""
    if start and end:
        return _span(start, end)
    if start:
        return f"since {date_text(start)}"
    return f"until {date_text(end)}" if end else ""


def _span(start: str, end: str) -> str:
    if start == end:
        return date_text(start)
    a, b = start.split("-"), end.split("-")
    if len(a) == len(b) == 1:
        return f"{start}–{end}"
    if len(a) == len(b) == 2 and a[0] == b[0]:
        return f"{MONTHS[int(a[1]) - 1]}–{date_text(end)}"
    if len(a) == len(b) == 3 and a[:2] == b[:2]:
        return f"{int(a[2])}–{date_text(end)}"
    return f"{date_text(start)} to {date_text(end)}"


def period_text(value: str | None) -> str:
    """A value's period: a date range ``2023-01/2023-05`` in words, other text as written."""
    if not value:
        return ""
    start, _, end = value.partition("/")
    if _is_date(start) and (not end or _is_date(end)):
        return _span(start, end) if end else date_text(start)
    return value


def _is_date(text: str) -> bool:
    from briefings.model import _DATE  # the one date pattern

    return bool(_DATE.match(text))


def money(value: Any) -> str:
    """A :class:`briefings.model.Value` in the house style: ``US$93.8bn``."""
    total = value.total
    code = value.currency
    symbol = SYMBOLS.get(code, f"{code}\N{NO-BREAK SPACE}")
    for size, unit in _UNITS:
        if total >= size:
            text = f"{symbol}{_significant(total / size)}{unit}"
            break
    else:
        text = f"{symbol}{_significant(total)}"
    return f"about {text}" if value.estimate else text


def _significant(number: float) -> str:
    """At most four significant digits, thousands grouped: ``93.8``, ``15,000``."""
    if number < 1000:
        return f"{number:.4g}"
    digits = len(str(int(number)))
    return f"{round(number, 4 - digits):,.0f}"


def percent(value: float) -> str:
    """A percentage, once: ``6.5%``."""
    return f"{value:g}%"


def text_dir(value: str | None) -> str | None:
    """``rtl`` for text whose first strong letters are right-to-left, else ``None``."""
    for char in value or "":
        if char.isalpha():
            return "rtl" if _name(char).startswith(_RTL) else None
    return None


@cache
def _name(char: str) -> str:
    return unicodedata.name(char, "")


@cache
def markdown_parser() -> Any:
    """The one CommonMark parser: raw HTML off (it stays text), images as links."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False})
    md.add_render_rule("image", _image_as_link)
    return md


def _image_as_link(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    """An image becomes a link to it (its alt text): no reader's client fetches anything."""
    from markdown_it.common.utils import escapeHtml

    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env)
    src = str(token.attrGet("src") or "")
    in_link = sum((t.type == "link_open") - (t.type == "link_close") for t in tokens[:idx]) > 0
    if in_link or not src.startswith(("https://", "http://")):
        return escapeHtml(alt)
    return f'<a href="{escapeHtml(src)}">{escapeHtml(alt or src)}</a>'


def plain(text: str | None) -> str:
    """CommonMark as plain text: emphasis marks, links and code fences dropped."""
    words: list[str] = []
    for block in markdown_parser().parse(text or ""):
        if block.type == "inline":
            for token in block.children or ():
                if token.type in {"text", "code_inline"}:
                    words.append(token.content)
                elif token.type in {"softbreak", "hardbreak"}:
                    words.append("\n" if token.type == "hardbreak" else " ")
        elif block.type in {"paragraph_close", "heading_close"}:
            words.append("\n\n")
        elif block.type == "list_item_open":
            words.append("- ")
        elif block.type in {"fence", "code_block"}:
            words.append(block.content + "\n")
    return "".join(words).strip()
