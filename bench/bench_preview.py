"""Preview benchmark: `python bench/bench_preview.py` prints figures and ratios.

- cold build: `briefings build --force` of the seeds into an empty folder (a new
  process, as an analyst runs it), the reference;
- preview rebuild after a one-file change, measured in a running preview (its
  first page already served, as when an analyst has it open), for three kinds of
  change: a judgment's statement, an event's title (redraws the figures) and a
  template (re-renders the page);
- the PDF link after a change (WeasyPrint, on request only).
Target: a one-file rebuild well under the cold build (ratio < 0.25). Each figure is
the median of a few runs.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
DATE = "2025-04-09"
RUNS = 3


def cold_build(work: Path) -> float:
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "briefings", "build", "--seeds", str(SEEDS),
                    "--out", str(out), "--date", DATE, "--force"],
                   cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def _file_of(seeds: Path, item_id: str) -> Path:
    return next(p for p in sorted(seeds.glob("*.yaml"))
                if f"id: {item_id}\n" in p.read_text(encoding="utf-8"))


def _change(path: Path, anchor: str, field: str, value: str) -> None:
    """Set the first ``field`` after ``anchor`` in ``path`` to ``value``: a one-file edit."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(n for n, line in enumerate(lines) if anchor in line)
    at = next(n for n in range(start, len(lines)) if lines[n].lstrip().startswith(field))
    indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
    if field.startswith("<"):
        lines[at] = lines[at].replace(field, value, 1)
    else:
        lines[at] = f"{indent}{field}: {value}\n"
    path.write_text("".join(lines), encoding="utf-8")


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from briefings.publish.load import load
    from briefings.publish.preview import create_app
    from briefings.publish.scope import take_slice

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        seeds, templates = work / "seeds", work / "templates"
        shutil.copytree(SEEDS, seeds)
        shutil.copytree(ROOT / "templates", templates)
        kb = load(seeds)
        briefing = next(iter(kb["briefings"]))
        part = take_slice(kb, briefing)
        judgment, event = part.judgments[0], part.events[0]
        changes = {  # kind -> (file, the line to find after an anchor, new values)
            "judgment": (_file_of(seeds, judgment.id), judgment.id, "likelihood",
                         ["remote-chance", "almost-certain", "unlikely"]),
            "event": (_file_of(seeds, event.id), event.id, "title",
                      [f"Edited title {n}" for n in range(RUNS)]),
            "template": (templates / "sections" / "bluf.html", "", "<div",
                         [f'<div data-edit="{n}"' for n in range(RUNS)]),
        }
        cold = statistics.median(cold_build(work) for _ in range(RUNS))

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            client = TestClient(create_app(seeds=seeds, templates=templates, as_of=DATE))
        page = f"/{briefing}/"
        client.get(page).raise_for_status()  # the page the analyst has open
        print(f"cold build of {len(kb['briefings'])} briefings (web pages and PDFs): "
              f"{cold:.2f} s")
        for kind, (path, anchor, field, values) in changes.items():
            times = []
            for value in values:
                _change(path, anchor, field, value)
                start = time.perf_counter()
                client.get(page).raise_for_status()
                times.append(time.perf_counter() - start)
            rebuild = statistics.median(times)
            print(f"preview rebuild after a one-file change ({kind}): {rebuild:.3f} s, "
                  f"ratio {rebuild / cold:.3f} of the cold build")
        start = time.perf_counter()
        client.get(f"{page}{briefing}-{DATE}.pdf").raise_for_status()
        print(f"its PDF on request: {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
