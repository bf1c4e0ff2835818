"""Rules for single values, whatever field they are in: how a number or a date is
written, which characters text may hold, which ids are taken.

Each check returns the value or raises ValueError with a message for the analyst;
the model attaches them to its types.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

_NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
FIRST_YEAR, LAST_YEAR = 1000, 2999  # what a timeline can draw; else a typo (0000, 9999)
MAX_NUMBER = 1e18  # larger is a typo (or an attack on the layout), whatever the currency
# Web addresses of `serve`, `preview` and the public archive: no briefing may take one.
ROUTES = (
    "api", "archive", "assets", "events", "feed", "index", "preview", "public", "static",
    "unsubscribe",
)


def check_written(value: str, what: str) -> None:
    """Refuse what is almost always a paste or a trick in a date or number."""
    if value != value.strip():
        raise ValueError(f"{what} {value!r} has spaces before or after it")
    odd = next((c for c in value if c.isdigit() and not c.isascii()), None)
    if odd is not None:
        raise ValueError(
            f"{what} {value!r} is written with the non-ASCII digit {odd!r} "
            f"({unicodedata.name(odd, 'unnamed')}); write 0-9"
        )


def check_number(value: Any) -> Any:
    """A number as written in YAML: ASCII digits, finite, at most ``MAX_NUMBER``."""
    if isinstance(value, str):
        check_written(value, "the number")
        if not _NUMBER.match(value):
            raise ValueError(f"expected a number such as 15, 2.5 or 1.2e9, got {value!r}")
        whole = not any(c in value for c in ".eE")
        value = float(value)  # a 5,000-digit integer is inf here, and refused below
        if whole and math.isfinite(value) and abs(value) <= MAX_NUMBER:
            value = int(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and (
        not math.isfinite(value) or abs(value) > MAX_NUMBER
    ):
        raise ValueError(f"expected a finite number of at most {MAX_NUMBER:.0e}, got {value!r}")
    return value


# Characters that show nothing, or turn text around: refused in every text field.
# Zero-width (non-)joiners are script inside a word (Persian, Indic names): allowed there.
_JOINERS = {"\u200c", "\u200d"}
_INVISIBLE_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0"}  # Hangul fillers


def check_visible(value: str) -> str:
    for index, char in enumerate(value):
        kind = unicodedata.category(char)
        if char in "\n\t" or char == "\u00ad":  # line breaks, tabs and soft hyphens are text
            continue
        if char in _JOINERS and 0 < index < len(value) - 1 and _in_word(value, index):
            continue
        if kind in {"Cc", "Cf", "Zl", "Zp", "Cs"} or char in _INVISIBLE_LETTERS:
            name = unicodedata.name(char, "a control character")
            raise ValueError(
                f"invisible character U+{ord(char):04X} ({name}) at character {index + 1} "
                f"of {_shorten(value)!r}: delete it (bidi controls, zero-width and control "
                "characters hide or reorder text)"
            )
    return value


def _in_word(value: str, index: int) -> bool:
    return all(unicodedata.category(c)[0] in "LM" for c in (value[index - 1], value[index + 1]))


def _shorten(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def check_briefing_id(value: str) -> str:
    if value in ROUTES:
        raise ValueError(
            f"the briefing id {value!r} is taken by a web address (/{value}/); "
            f"choose another (reserved: {', '.join(ROUTES)})"
        )
    return value


_WEB_ADDRESS = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE)


def check_web_address(value: str) -> str:
    """An ``http(s)://`` address: never ``javascript:``, ``file:`` or ``data:``."""
    if not _WEB_ADDRESS.match(value):
        raise ValueError(f"expected a web address starting with https:// or http://, "
                         f"got {_shorten(value)!r}")
    return value


def check_once(values: list[Any]) -> list[Any]:
    """A list that names each thing once (``sections: [bluf, bluf]`` is a slip)."""
    seen: set[Any] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{value!r} is listed twice")
        seen.add(value)
    return values


_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")


def check_language(value: str) -> str:
    """A BCP 47 language tag whose primary language ISO 639 knows: ``ko``, ``zh-Hans``."""
    import pycountry

    primary = value.split("-", maxsplit=1)[0].lower()
    field = "alpha_2" if len(primary) == 2 else "alpha_3"
    if not _LANGUAGE.match(value) or pycountry.languages.get(**{field: primary}) is None:
        raise ValueError(f"expected a BCP 47 language tag such as ko, ru or zh-Hans, got {value!r}")
    return value
