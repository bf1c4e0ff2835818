"""Build benchmarks: `python3 bench/bench_build.py` prints figures and ratios.

- cold build of the seeds (--jobs 1 and --jobs 2) vs. WeasyPrint alone writing the same
  PDFs from the same HTML in one process (targets: <= 1.15x and < 0.8x);
- no-op rebuild (target <= 0.3 s);
- validate on generated knowledge bases of three sizes, up to 2,000 actors and 10,000
  other items (target <= 2 s, growing linearly);
- `briefings --help` (target <= 0.25 s).
Each figure is the median of a few runs; ratios are measured in the same run.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Self

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
DATE = "2025-04-09"
RUNS = 3


def timed(command: list[str], cwd: Path = ROOT) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def median(command_factory, runs: int = RUNS) -> float:  # noqa: ANN001
    return statistics.median(command_factory() for _ in range(runs))


def briefings(*args: str) -> list[str]:
    return [sys.executable, "-m", "briefings", *args]


def print_html(folder: Path) -> list[Path]:
    """The print HTML of every seed briefing, exactly as the build hands it to WeasyPrint."""
    sys.path.insert(0, str(ROOT))
    from briefings.publish import build as build_module

    paths: list[Path] = []

    class Capture:
        """Stands in for the PDF printer: keeps each print HTML, prints nothing."""

        def __init__(self, **_options: object) -> None:
            pass

        def __enter__(self) -> Self:
            return self

        def __exit__(self, *_exc: object) -> None:
            pass

        def submit(self, briefing: str, html: str) -> None:
            path = folder / f"{briefing}.html"
            path.write_text(html, encoding="utf-8")
            paths.append(path)

        def results(self, *, when_free: Callable[[], None]) -> list[tuple[bytes, int]]:
            when_free()  # the figures' PNGs, as the build draws them
            return [(b"", 0)] * len(paths)

    build_module.Printer = Capture
    build_module.build(seeds=SEEDS, templates=ROOT / "templates", out=folder / "capture",
                       date=DATE, force=True)
    return paths


WEASYPRINT_ALONE = """
import sys, weasyprint
import briefings.publish.pdf  # the same WeasyPrint as the build's: SVG text shaped as runs
for name in sys.argv[2:]:
    html = open(name, encoding="utf-8").read()
    weasyprint.HTML(string=html, base_url=sys.argv[1]).write_pdf(
        name + ".pdf", pdf_variant="pdf/ua-1", pdf_tags=True)
"""


def cold_build(work: Path) -> None:
    pages = print_html(work)
    base = (ROOT / "templates").as_uri() + "/"
    alone = median(lambda: timed([sys.executable, "-c", WEASYPRINT_ALONE, base,
                                  *map(str, pages)]))

    def build(jobs: int) -> float:
        out = work / f"out-{jobs}"
        shutil.rmtree(out, ignore_errors=True)
        return timed(briefings("build", "--out", str(out), "--date", DATE, "--jobs", str(jobs)))

    one = median(lambda: build(1))
    two = median(lambda: build(2))
    print(f"cold build, {len(pages)} briefings")
    print(f"  WeasyPrint alone, one process : {alone:6.2f} s")
    print(f"  briefings build --jobs 1      : {one:6.2f} s  ratio {one / alone:.2f}x (<= 1.15x)")
    print(f"  briefings build --jobs 2      : {two:6.2f} s  ratio {two / alone:.2f}x (< 0.8x)")
    noop = median(lambda: timed(briefings("build", "--out", str(work / "out-2"),
                                          "--date", DATE)), runs=5)
    print(f"no-op rebuild                   : {noop:6.3f} s  (<= 0.3 s)")


def generate(folder: Path, actors: int, others: int) -> None:
    """A synthetic knowledge base: `actors` actors and `others` items of other kinds."""
    folder.mkdir(parents=True)
    lines = ["sources:"] + [
        f"  - id: s{i}\n    publisher: P{i}\n    title: Title {i}\n    published: 2024-0{1 + i % 9}"
        for i in range(max(1, others // 10))
    ]
    lines.append("actors:")
    lines += [f"  - id: a{i}\n    name: Actor {i}\n    kind: state\n    country: GB\n"
              f"    sources: [s{i % 10}]" for i in range(actors)]
    kinds = ["motives", "events", "dealings", "judgments"]
    per_kind = (others - max(1, others // 10)) // len(kinds)
    for kind in kinds:
        lines.append(f"{kind}:")
        for i in range(per_kind):
            a, b, s = f"a{i % actors}", f"a{(i + 1) % actors}", f"s{i % 10}"
            lines.append({
                "motives": f"  - id: m{i}\n    actor: {a}\n    goal: Goal {i}\n"
                           f"    category: economic\n    sources: [{s}]",
                "events": f"  - id: e{i}\n    date: 2024-03-1{i % 10}\n    title: Event {i}\n"
                          f"    actors: [{a}, {b}]\n    sources: [{{source: {s}, credibility: 2}}]",
                "dealings": f"  - id: d{i}\n    from: {a}\n    to: {b}\n    kind: trade\n"
                            f"    status: reported\n    sources: [{s}]\n"
                            f"    value: {{amount: {i}, currency: USD}}",
                "judgments": f"  - id: j{i}\n    statement: Statement {i}\n    likelihood: likely\n"
                             f"    confidence: low\n    about: [{a}]\n    sources: [{s}]",
            }[kind])
    (folder / "kb.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def validate_sizes(work: Path) -> None:
    print("validate on generated knowledge bases")
    previous = None
    for scale in (1, 2, 4):
        actors, others = 500 * scale, 2500 * scale
        folder = work / f"kb-{scale}"
        generate(folder, actors, others)
        seconds = median(lambda f=folder: timed(briefings("validate", "--seeds", str(f))))
        per_item = seconds / (actors + others) * 1e6
        growth = f"  x{seconds / previous:.2f} for x2 items" if previous else ""
        print(f"  {actors:5,} actors + {others:6,} others: {seconds:5.2f} s "
              f"({per_item:.0f} µs/item){growth}")
        previous = seconds
    print("  target: <= 2 s at 2,000 actors + 10,000 others, linear growth (x2 per doubling)")


def main() -> None:
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        help_time = median(lambda: timed(briefings("--help")), runs=5)
        print(f"briefings --help                : {help_time:6.3f} s  (<= 0.25 s)")
        cold_build(work)
        validate_sizes(work)


if __name__ == "__main__":
    main()
