"""How much the figures add to a cold build: ``python3 bench/bench_figures.py [--runs N]``.

Builds the seeds (or tests/sample when the seeds hold no briefing) into a fresh
folder, each run in a fresh Python process so imports count as they do for a
scheduled run, once with the figures and once without (``build(figures=False)``).
Prints the median times, the median of the ratios of runs made side by side (on a
shared machine the pairs share its load; issue 12: at most 1.25), the CPU
time of the build and its workers, which load on the machine barely moves, and
the lowest wall ratio any schedule could reach: the CPU time with figures spread
over every core, against the wall time without.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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
from briefings.publish.build import build
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
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(seeds), out, variant],
            capture_output=True, text=True, check=True, cwd=ROOT,
        )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {**json.loads(done.stdout), "cpu": cpu}  # the build, its workers and dot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    seeds = seeds_folder()
    cold_build(seeds, "with")  # warm the OS file cache and Matplotlib's font cache
    results: dict[str, list[dict]] = {"without": [], "with": []}
    for _ in range(runs):
        for variant, done in results.items():  # side by side, so drift hits both alike
            done.append(cold_build(seeds, variant))
    last = results["with"][-1]
    print(f"seeds: {seeds.relative_to(ROOT)}; {last['built']} editions, "
          f"{last['pages']} PDF pages; {runs} cold builds each")
    for key, unit in (("seconds", "s wall"), ("cpu", "s CPU")):
        medians = {v: statistics.median(r[key] for r in done) for v, done in results.items()}
        ratios = [w[key] / o[key] for o, w in zip(results["without"], results["with"],
                                                  strict=True)]
        for variant, done in results.items():
            print(f"  {variant:7} figures: {medians[variant]:5.2f} {unit}  "
                  f"{[round(r[key], 2) for r in done]}")
        print(f"  ratio, median of pairs: {statistics.median(ratios):.3f}  "
              f"{[round(r, 3) for r in ratios]}"
              + ("  (target <= 1.25)" if key == "seconds" else ""))
    cores = os.cpu_count() or 1  # no schedule beats the CPU time spread over every core
    floors = [w["cpu"] / cores / o["seconds"] for o, w in zip(results["without"],
                                                             results["with"], strict=True)]
    print(f"  lowest wall ratio any schedule could reach on {cores} cores (CPU with figures "
          f"/ cores / wall without), median of pairs: {statistics.median(floors):.3f}")


if __name__ == "__main__":
    main()
