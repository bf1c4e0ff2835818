"""Changes that explain themselves: the reason rule, changes.json, and the new fields."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from conftest import ROOT, add_briefing, rewrite

from briefings.cli.main import cli
from briefings.config import Settings
from briefings.errors import InvalidKnowledgeBase
from briefings.publish.build import build
from briefings.publish.load import load

LEVY = "    likelihood: realistic-possibility\n    confidence: low\n"


def line_of(folder, needle):
    lines = (folder / "knowledge.yaml").read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if needle in line)


def make(seeds, out, day):
    return build(seeds=seeds, templates=None, out=out, date=day, jobs=1, figures=False)


def test_a_moved_judgment_without_a_reason_fails_the_build(tmp_path, sample_copy):
    out = tmp_path / "out"
    make(sample_copy, out, "2024-04-01")
    rewrite(sample_copy, (LEVY, "    likelihood: likely\n    confidence: low\n"))
    runner = CliRunner()
    args = ["build", "--seeds", str(sample_copy), "--out", str(out), "--date", "2024-04-08",
            "--jobs", "1"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    line = line_of(sample_copy, "id: levy-imposed")
    message = result.output.strip().splitlines()[0]
    assert f"knowledge.yaml:{line}:" in message
    assert "judgments[levy-imposed].reason_for_change" in message
    assert "realistic-possibility → likely" in message
    assert not (out / "river-dispute" / "2024-04-08").exists()  # nothing written


def test_a_reason_left_over_from_an_earlier_change_does_not_count(tmp_path, sample_copy):
    out = tmp_path / "out"
    make(sample_copy, out, "2024-04-01")
    rewrite(sample_copy, (LEVY, "    likelihood: likely\n    confidence: low\n"
                                "    reason_for_change: A date was set.\n"))
    make(sample_copy, out, "2024-04-08")
    rewrite(sample_copy, ("    confidence: low\n    reason_for_change",
                          "    confidence: moderate\n    reason_for_change"))
    with pytest.raises(InvalidKnowledgeBase, match=r"confidence low → moderate"):
        make(sample_copy, out, "2024-04-15")
    rewrite(sample_copy, ("A date was set.", "A second ministry confirmed it."))
    make(sample_copy, out, "2024-04-15")
    changes = json.loads((out / "river-dispute/2024-04-15/manifest.json").read_text())["changes"]
    assert changes == ["↑ Confidence in “Qamaria will impose the levy within six months.”: "
                       "low → moderate. Why: A second ministry confirmed it."]


def test_run_fails_only_the_briefing_whose_judgment_moved(tmp_path, sample_copy, monkeypatch):
    from datetime import UTC, datetime

    from briefings.cli.run import run_due

    monkeypatch.setenv("BRIEFINGS_STATE", str(tmp_path / "state.sqlite3"))
    monkeypatch.setenv("BRIEFINGS_OUTBOX", str(tmp_path / "outbox"))
    monkeypatch.delenv("BRIEFINGS_SMTP_URL", raising=False)
    other = ("  - id: council-watch\n    title: Basin Council watch\n    bluf: Quiet.\n"
             '    tlp: clear\n    actors: [basin-council]\n    schedule: "0 6 * * 1"\n')
    add_briefing(sample_copy, other)
    out = tmp_path / "out"

    def run(moment):
        report = run_due(seeds=sample_copy, templates=None, out=out, jobs=1,
                         now=datetime.fromisoformat(moment).astimezone(UTC),
                         settings=Settings.from_env())
        return {o.briefing: o for o in report.outcomes}

    assert {o.status for o in run("2024-04-01T09:00:00+00:00").values()} == {"done"}
    rewrite(sample_copy, (LEVY, "    likelihood: unlikely\n    confidence: low\n"))
    second = run("2024-04-08T09:00:00+00:00")
    assert second["river-dispute"].status == "failed"
    assert "realistic-possibility → unlikely" in second["river-dispute"].detail
    assert second["council-watch"].status == "done"


def test_changes_json_has_the_promised_shape_and_is_linked(tmp_path, sample_copy):
    out = tmp_path / "out"
    rewrite(sample_copy, ("    tlp: green\n", "    tlp: clear\n"))  # public: in the feed
    make(sample_copy, out, "2024-04-01")
    first = json.loads((out / "river-dispute/2024-04-01/changes.json").read_text())
    assert first == {"since": None, "changes": []}
    rewrite(sample_copy, (LEVY, "    likelihood: likely\n    confidence: moderate\n"
                                "    reason_for_change: A date was set.\n"),
            ("    status: threatened\n", "    status: in-force\n"),
            ("  - id: talks-resume\n", "  - id: talks-resume\n    basis: private working note\n"))
    rewrite(sample_copy, ("  - id: highland-power\n    actor: highland\n    goal: Sell "
                          "hydroelectric power to its neighbours\n    category: economic\n"
                          "    sources: [river-gazette]\n", ""))
    make(sample_copy, out, "2024-04-08")
    document = json.loads((out / "river-dispute/2024-04-08/changes.json").read_text())
    assert document["since"] == "2024-04-01"
    assert document["changes"] == [
        {"collection": "motives", "id": "highland-power", "change": "removed", "fields": {},
         "reason": None},
        {"collection": "measures", "id": "qamaria-levy", "change": "changed",
         "fields": {"status": {"before": "threatened", "after": "in-force"}}, "reason": None},
        {"collection": "judgments", "id": "levy-imposed", "change": "changed",
         "fields": {"likelihood": {"before": "realistic-possibility", "after": "likely"},
                    "confidence": {"before": "low", "after": "moderate"}},
         "reason": "A date was set."},
    ]
    assert "private working note" not in json.dumps(document)  # only what "What changed" says
    page = BeautifulSoup((out / "river-dispute/2024-04-08/index.html").read_text(), "html.parser")
    link = page.select_one('#changes a[href="changes.json"]')
    assert link is not None
    reason = [li.get_text() for li in page.select("#changes li") if "Why:" in li.get_text()]
    assert reason == ["↑ Confidence in “Qamaria will impose the levy within six months.”: "
                      "low → moderate. Why: A date was set."]
    public = out / "public" / "river-dispute" / "2024-04-08"
    assert json.loads((public / "changes.json").read_text()) == document  # the link works
    feed = ET.fromstring((out / "public" / "feed.xml").read_bytes())  # noqa: S314 - our own
    atom = "{http://www.w3.org/2005/Atom}"
    summaries = [e.findtext(f"{atom}summary") for e in feed.iter(f"{atom}entry")]
    latest = next(s for s in summaries if "2024-04-08" in s)
    assert "1 judgment changed" in latest
    assert "1 measure changed" in latest
    assert "1 motive removed" in latest


def test_what_changed_is_the_same_whatever_the_hash_seed(tmp_path, sample_copy):
    rewrite(sample_copy, ("events:\n", "events:\n" + "".join(
        f"  - id: extra-{n}\n    date: 2024-04-0{n}\n    title: Extra {n}\n"
        "    actors: [qamaria]\n    sources: [ministry-note]\n" for n in range(1, 4))),
        ("judgments:\n", "judgments:\n" + "".join(
            f"  - id: guess-{n}\n    statement: Guess {n}.\n    likelihood: unlikely\n"
            "    confidence: low\n    about: [qamaria]\n    sources: [ministry-note]\n"
            for n in range(1, 7))))
    script = (
        "import sys\nfrom pathlib import Path\nfrom briefings.publish.build import build\n"
        "from briefings.config import Settings\n"
        "seeds, out = Path(sys.argv[1]), Path(sys.argv[2])\n"
        "build(seeds=seeds, templates=None, out=out, date='2024-04-01', jobs=1, figures=False,\n"
        "      settings=Settings.from_env())\n"
        "k = seeds / 'knowledge.yaml'\n"
        "t = k.read_text()\n"
        "t = t.replace('    likelihood: likely\\n', '    likelihood: unlikely\\n"
        "    reason_for_change: why\\n', 1)\n"
        "t = t.replace('status: threatened', 'status: in-force', 1)\n"
        "t = t.replace('    likelihood: unlikely\\n    confidence: low\\n', "
        "'    likelihood: likely\\n    confidence: moderate\\n    reason_for_change: new\\n')\n"
        "t = t.replace('  - id: extra-', '  - id: gone-', 3)\n"
        "k.write_text(t)\n"
        "build(seeds=seeds, templates=None, out=out, date='2024-04-08', jobs=1, figures=False,\n"
        "      settings=Settings.from_env())\n"
    )
    results = []
    for seed in ("1", "2"):
        copy = tmp_path / f"seeds-{seed}"
        subprocess.run(["cp", "-r", str(sample_copy), str(copy)], check=True)
        environment = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT),
                       "SOURCE_DATE_EPOCH": "1712556000"}
        subprocess.run([sys.executable, "-c", script, str(copy), str(tmp_path / f"out-{seed}")],
                       env=environment, check=True, timeout=300)
        folder = tmp_path / f"out-{seed}" / "river-dispute" / "2024-04-08"
        manifest = json.loads((folder / "manifest.json").read_text())
        results.append(((folder / "changes.json").read_bytes(), manifest["changes"],
                        (folder / "index.html").read_bytes()))
    assert len(json.loads(results[0][0])["changes"]) >= 14
    assert results[0] == results[1]


@pytest.mark.parametrize(("outcome", "where", "message"), [
    ("{result: happened, on: 2024-04-20}", "judgments[talks-resume].outcome.sources",
     "required field is missing"),
    ("{result: happened, on: 2024-04-20, sources: []}", "judgments[talks-resume].outcome.sources",
     "at least 1"),
    ("{result: maybe, on: 2024-04-20, sources: [ministry-note]}",
     "judgments[talks-resume].outcome.result", "happened, not-happened, void"),
    ("{result: happened, on: TOMORROW, sources: [ministry-note]}",
     "judgments[talks-resume].outcome.on", "in the future"),
    ("{result: happened, on: 2024-04, sources: [ministry-note]}",
     "judgments[talks-resume].outcome.on", "YYYY-MM-DD"),
    ("{result: happened, on: 2024-04-20, sources: [nowhere]}",
     "judgments[talks-resume].outcome.sources[0]", "no source with id 'nowhere'"),
])
def test_outcomes_are_validated_where_they_are(sample_copy, outcome, where, message):
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    outcome = outcome.replace("TOMORROW", tomorrow)
    rewrite(sample_copy, ("    about: [basin-council, highland]\n",
                          f"    about: [basin-council, highland]\n    outcome: {outcome}\n"))
    line = line_of(sample_copy, "    outcome: ")
    with pytest.raises(InvalidKnowledgeBase) as caught:
        load(sample_copy)
    problems = [str(p) for p in caught.value.problems]
    assert len(problems) == 1, problems
    assert f"knowledge.yaml:{line}:" in problems[0]
    assert f"{where}:" in problems[0]
    assert message in problems[0]


def test_the_new_fields_are_in_the_json_schema():
    from briefings.publish.schema import json_schema

    schema = json.loads(json_schema())
    judgment = schema["$defs"]["Judgment"]["properties"]
    assert {"resolves_by", "resolves_when", "outcome", "reason_for_change"} <= set(judgment)
    outcome = schema["$defs"]["Outcome"]
    assert set(outcome["required"]) == {"result", "on", "sources"}
    assert outcome["properties"]["result"]["enum"] == ["happened", "not-happened", "void"]
