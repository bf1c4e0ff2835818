"""Golden files: the seeds' web pages and email text, compared byte for byte.

Any change to what the seed notes say shows up here as a diff a reviewer can read.
After an intended change, regenerate them and commit the result:

    python -m pytest tests/test_golden.py --update-goldens

They are read from the session's build of the seeds (``seeds_out``). Each figure's
drawing (its inline ``<svg>``) is replaced by a marker: the goldens keep the text,
captions and descriptions; the drawings have tests of their own (tests/test_figures.py).
"""

from __future__ import annotations

import difflib
import re

import pytest
from conftest import ROOT

from briefings.editions import read_edition

GOLDEN = ROOT / "tests" / "golden"
DATE = "2025-04-09"
BRIEFINGS = ("russia-north-korea", "china-ukraine-war", "us-china-tariffs")


DRAWING = re.compile(r"<svg\b.*?</svg>", re.DOTALL)


def without_drawings(html: str) -> str:
    """The page with each figure's drawing replaced by a marker."""
    return DRAWING.sub("<svg><!-- drawing --></svg>", html)


def _check(name: str, actual: str, update: bool) -> None:
    path = GOLDEN / name
    if update:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"no golden {name}: run pytest tests/test_golden.py --update-goldens"
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = difflib.unified_diff(expected.splitlines(), actual.splitlines(),
                                    f"golden/{name}", "built now", lineterm="", n=1)
        pytest.fail("\n".join([*list(diff)[:60], "", "intended? run pytest "
                               "tests/test_golden.py --update-goldens and commit"]))


@pytest.mark.parametrize("briefing", BRIEFINGS)
def test_web_page_and_email_text_match_the_goldens(seeds_out, briefing, request):
    update = request.config.getoption("--update-goldens")
    folder = seeds_out / briefing / DATE
    _check(f"{briefing}.html",
           without_drawings(folder.joinpath("index.html").read_text(encoding="utf-8")), update)
    edition = read_edition(folder)
    assert edition is not None and edition.email
    _check(f"{briefing}.email.txt",
           folder.joinpath(edition.email["text"]).read_text(encoding="utf-8"), update)


def test_a_changed_note_fails_against_its_golden(tmp_path, monkeypatch):
    monkeypatch.setattr(__import__(__name__), "GOLDEN", tmp_path)
    (tmp_path / "note.html").write_text("<p>as committed</p>\n", encoding="utf-8")
    with pytest.raises(pytest.fail.Exception, match="as committed"):
        _check("note.html", "<p>changed</p>\n", update=False)
