"""The scheduled run: `python3 bench/bench_run.py` prints figures and a ratio.

`briefings run` at a moment when every seed briefing is due (Monday 7 April 2025,
12:00 UTC: all three slots fall on that date), from a fresh output folder and state
database each time, with the sample readers imported (messages go to an outbox
folder), with --jobs 1 and --jobs 2. The knowledge base is loaded once and the due
editions are built together, so with two cores --jobs 2 should take clearly less
than --jobs 1 (target: ratio < 0.8x). Each figure is the median of a few runs.

Then, in this process, the shape of the work: the three editions built as `run`
used to build them (one build per due briefing, each loading the knowledge base and
starting its own PDF workers) against one build of all three with the knowledge base
loaded once, alternated, the fastest of a few of each (least disturbed by a busy
machine).
"""

from __future__ import annotations

import os
import resource
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


def cpu() -> float:
    """CPU seconds (user + system) of every child process that has ended so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cpu_all() -> float:
    """CPU seconds of this process and of its children that have ended (PDF workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime + cpu()


def shapes() -> None:
    sys.path.insert(0, str(ROOT))
    from briefings.publish.build import build
    from briefings.publish.load import load

    briefings = list(load(SEEDS)["briefings"])
    date = NOW[:10]

    def once(*, together: bool, jobs: int) -> tuple[float, float]:
        with tempfile.TemporaryDirectory() as temp:
            out = Path(temp)
            start, used = time.perf_counter(), cpu_all()
            if together:
                build(seeds=SEEDS, kb=load(SEEDS), templates=None, out=out, date=date,
                      only=briefings, jobs=jobs)
            else:
                for briefing in briefings:
                    build(seeds=SEEDS, templates=None, out=out, date=date, only=[briefing],
                          jobs=jobs)
            return time.perf_counter() - start, cpu_all() - used

    print("building the due editions, fastest of "
          f"{RUNS}: one build per briefing (before) vs one build (now)")
    for jobs in (1, 2):
        runs: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
        for _ in range(RUNS):
            for together in (False, True):
                runs[together].append(once(together=together, jobs=jobs))
        (before, before_cpu), (now, now_cpu) = (
            (min(w for w, _ in runs[t]), min(c for _, c in runs[t])) for t in (False, True))
        print(f"  --jobs {jobs}: {before:5.2f} s -> {now:5.2f} s wall ({now / before:.2f}x), "
              f"{before_cpu:5.2f} s -> {now_cpu:5.2f} s CPU")


def run(work: Path, jobs: int) -> tuple[float, float]:
    """One cold `briefings run`: its wall time and CPU time (with its workers) in seconds."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = {**os.environ, "BRIEFINGS_STATE": str(work / "state.sqlite3"),
           "BRIEFINGS_OUTBOX": str(work / "outbox"), "BRIEFINGS_SMTP_URL": ""}
    briefings = [sys.executable, "-m", "briefings"]
    subprocess.run([*briefings, "subscribers", "import", str(SEEDS / "subscribers.csv")],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    start, used = time.perf_counter(), cpu()
    result = subprocess.run(
        [*briefings, "run", "--seeds", str(SEEDS), "--out", str(work / "out"), "--now", NOW,
         "--jobs", str(jobs)],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )
    seconds, used = time.perf_counter() - start, cpu() - used
    if not any(line.startswith("3 done") for line in result.stdout.splitlines()):
        raise SystemExit(f"expected every seed briefing to be due and done:\n{result.stdout}")
    return seconds, used


def main() -> None:
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        one = [run(work / "one", 1) for _ in range(RUNS)]
        two = [run(work / "two", 2) for _ in range(RUNS)]
    print(f"briefings run, 3 seed briefings due, on {os.cpu_count()} cores "
          f"(load average {os.getloadavg()[0]:.1f}: figures from a busy machine mean little)")
    wall = {}
    for jobs, runs in ((1, one), (2, two)):
        wall[jobs] = statistics.median(w for w, _ in runs)
        used = statistics.median(c for _, c in runs)
        print(f"  --jobs {jobs} : {wall[jobs]:6.2f} s wall, {used:6.2f} s CPU "
              f"(CPU / wall {used / wall[jobs]:.2f})")
    print(f"  ratio --jobs 2 / --jobs 1: {wall[2] / wall[1]:.2f}x (< 0.8x)")
    shapes()


if __name__ == "__main__":
    main()
