"""The scheduled run: `python3 bench/bench_run.py` prints figures and a ratio.

`briefings run` at a moment when every seed briefing is due (Monday 7 April 2025,
12:00 UTC: all three slots fall on that date), from a fresh output folder and state
database each time, with the sample readers imported (messages go to an outbox
folder), with --jobs 1 and --jobs 2. The knowledge base is loaded once and the due
editions are built together, so with two cores --jobs 2 should take clearly less
than --jobs 1 (target: ratio < 0.8x). Each figure is the median of a few runs.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
NOW = "2025-04-07T12:00Z"
RUNS = 3


def run(work: Path, jobs: int) -> float:
    """One cold `briefings run`: its wall time in seconds."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = {**os.environ, "BRIEFINGS_STATE": str(work / "state.sqlite3"),
           "BRIEFINGS_OUTBOX": str(work / "outbox"), "BRIEFINGS_SMTP_URL": ""}
    briefings = [sys.executable, "-m", "briefings"]
    subprocess.run([*briefings, "subscribers", "import", str(SEEDS / "subscribers.csv")],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    start = time.perf_counter()
    result = subprocess.run(
        [*briefings, "run", "--seeds", str(SEEDS), "--out", str(work / "out"), "--now", NOW,
         "--jobs", str(jobs)],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )
    seconds = time.perf_counter() - start
    done = result.stdout.splitlines()[-1]
    if not done.startswith("3 done"):
        raise SystemExit(f"expected every seed briefing to be due and done, got: {done}")
    return seconds


def main() -> None:
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        one = statistics.median(run(work / "one", 1) for _ in range(RUNS))
        two = statistics.median(run(work / "two", 2) for _ in range(RUNS))
    print(f"briefings run, 3 seed briefings due, on {os.cpu_count()} cores")
    print(f"  --jobs 1 : {one:6.2f} s")
    print(f"  --jobs 2 : {two:6.2f} s  ratio {two / one:.2f}x (< 0.8x)")


if __name__ == "__main__":
    main()
