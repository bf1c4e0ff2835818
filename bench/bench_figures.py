"""How much the figures add to a cold build: ``python3 bench/bench_figures.py [--runs N]``.

Builds the seeds (or tests/sample when the seeds hold no briefing) into a fresh
folder, each run in a fresh Python process so imports count as they do for a
scheduled run, once with the figures and once without (``build(figures=False)``).
Prints the median times and their ratio (the target is at most 1.20).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, sys, time
from pathlib import Path
start = time.perf_counter()
from briefings.build import build
report = build(seeds=Path(sys.argv[1]), templates=None, out=Path(sys.argv[2]),
               date="2025-04-09", force=True, figures=sys.argv[3] == "with")
print(json.dumps({"seconds": time.perf_counter() - start, "built": len(report.built),
                  "pages": report.pages}))
"""


def seeds_folder() -> Path:
    seeds = ROOT / "seeds"
    has_briefings = any(
        "briefings:" in p.read_text(encoding="utf-8", errors="replace")
        for p in [*seeds.rglob("*.yaml"), *seeds.rglob("*.yml")]
    )
    return seeds if has_briefings else ROOT / "tests" / "sample"


def cold_build(seeds: Path, variant: str) -> dict:
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(seeds), out, variant],
            capture_output=True, text=True, check=True, cwd=ROOT,
        )
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    seeds = seeds_folder()
    cold_build(seeds, "with")  # warm the OS file cache and Matplotlib's font cache
    times: dict[str, list[float]] = {"without": [], "with": []}
    for _ in range(runs):
        for variant, seconds in times.items():  # interleaved, so drift hits both alike
            result = cold_build(seeds, variant)
            seconds.append(result["seconds"])
    without, with_ = statistics.median(times["without"]), statistics.median(times["with"])
    print(f"seeds: {seeds.relative_to(ROOT)}; {result['built']} editions, "
          f"{result['pages']} PDF pages; median of {runs} cold builds each")
    print(f"without figures: {without:.2f} s  {[round(t, 2) for t in times['without']]}")
    print(f"with figures:    {with_:.2f} s  {[round(t, 2) for t in times['with']]}")
    print(f"ratio: {with_ / without:.3f} (target <= 1.20)")


if __name__ == "__main__":
    main()
