"""Track record benchmark: `python3 bench/bench_scorecard.py` prints figures.

The scorecard reads every edition's snapshot. This builds the seeds' editions once,
copies them into an archive of 3 briefings x 260 weekly editions (five years), records
an outcome for every judgment, and times, as the median of a few runs:

- reading the archive and scoring every judgment (`scorecard.archive` + `score`);
- `briefings scorecard --json` as a user runs it (process start and load included).
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WEEKS = 260
RUNS = 3


def make_archive(out: Path) -> None:
    from briefings.publish.build import build

    build(seeds=ROOT / "seeds", templates=None, out=out, date="2020-01-06", jobs=2,
          figures=False)
    for briefing in [p for p in out.iterdir() if p.is_dir()]:
        first = briefing / "2020-01-06"
        for week in range(1, WEEKS):
            day = (date(2020, 1, 6) + timedelta(weeks=week)).isoformat()
            shutil.copytree(first, briefing / day)
            manifest = briefing / day / "manifest.json"
            record = json.loads(manifest.read_text())
            record.update(date=day, edition=week + 1, built=f"{day}T06:00:00+00:00")
            manifest.write_text(json.dumps(record))


def resolved_seeds(target: Path) -> Path:
    """The seeds with an outcome on every judgment (happened, on 2025-01-01)."""
    from briefings.publish.load import load

    source = next(iter(load(ROOT / "seeds")["sources"]))
    shutil.copytree(ROOT / "seeds", target)
    outcome = f"    outcome: {{result: happened, on: 2025-01-01, sources: [{source}]}}\n"
    for path in target.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("    confidence: ", outcome + "    confidence: "),
                        encoding="utf-8")
    return target


def main() -> None:
    from briefings.publish.load import load
    from briefings.publish.scorecard import archive, score

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        out = work / "out"
        make_archive(out)
        seeds = resolved_seeds(work / "seeds")
        kb = load(seeds)
        editions = sum(1 for _ in out.glob("*/*/snapshot.json"))

        def in_process() -> float:
            start = time.perf_counter()
            record = score(kb["judgments"].values(), archive(out))
            assert record.scored
            return time.perf_counter() - start

        def command() -> float:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "briefings", "scorecard", "--seeds", str(seeds),
                            "--out", str(out), "--json"], cwd=ROOT, check=True,
                           capture_output=True, env={"PYTHONPATH": str(ROOT)})
            return time.perf_counter() - start

        core = statistics.median(in_process() for _ in range(RUNS))
        cli = statistics.median(command() for _ in range(RUNS))
        size = sum(p.stat().st_size for p in out.glob("*/*/snapshot.json"))
        print(f"archive: {editions} editions, {size / 1e6:.1f} MB of snapshots, "
              f"{len(kb['judgments'])} judgments resolved")
        print(f"read + score: {core:.2f} s ({core / editions * 1000:.2f} ms per edition)")
        print(f"briefings scorecard --json: {cli:.2f} s")


if __name__ == "__main__":
    main()
