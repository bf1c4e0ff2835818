"""The track record: scoring from the edition archive, `briefings scorecard`, the annex."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, date, datetime

import pymupdf
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from conftest import add_briefing, rewrite

from briefings.cli.main import cli
from briefings.config import Settings
from briefings.publish.build import build
from briefings.publish.load import load
from briefings.publish.scorecard import NEVER_PUBLISHED, VOID, archive, overdue, score
from briefings.publish.withdraw import withdraw

LEVY = "    likelihood: realistic-possibility\n    confidence: low\n"
TALKS = "    about: [basin-council, highland]\n"
SOURCE = ("sources:\n  - id: wire\n    publisher: Basin Wire\n    title: Levy in force\n"
          "    published: 2024-04-30\n    reliability: B\n")


@pytest.fixture
def build_on():
    """Build as a scheduled desk would have: the build time is the edition's day, 06:00 UTC."""
    def run(seeds, out, day, *, figures=False, built=None):
        moment = datetime.fromisoformat(f"{built or day}T06:00:00").replace(tzinfo=UTC)
        settings = Settings(source_date_epoch=int(moment.timestamp()))
        return build(seeds=seeds, templates=None, out=out, date=day, jobs=1, figures=figures,
                     settings=settings)

    return run


def outcome(result, on, source="wire"):
    return f"    outcome: {{result: {result}, on: {on}, sources: [{source}]}}\n"


def history(sample_copy, out, build_on):
    """Edition 1 (1 April), edition 2 (8 April: the levy raised), then outcomes."""
    build_on(sample_copy, out, "2024-04-01")
    rewrite(sample_copy, (LEVY, "    likelihood: highly-likely\n    confidence: low\n"
                                "    reason_for_change: A date was set.\n"))
    build_on(sample_copy, out, "2024-04-08")
    (sample_copy / "wire.yaml").write_text(SOURCE, encoding="utf-8")
    rewrite(sample_copy,
            ("    reason_for_change: A date was set.\n",
             "    reason_for_change: A date was set.\n" + outcome("happened", "2024-04-20")),
            (TALKS, TALKS + outcome("not-happened", "2024-04-30")))


def test_the_forecast_scored_is_what_the_last_edition_printed(tmp_path, sample_copy, build_on):
    out = tmp_path / "out"
    history(sample_copy, out, build_on)
    # edited after its outcome: the archive, not the YAML, says what was forecast
    rewrite(sample_copy, ("    likelihood: highly-likely\n", "    likelihood: almost-certain\n"))
    kb = load(sample_copy)
    record = score(kb["judgments"].values(), archive(out))
    by_id = {s.id: s for s in record.judgments}
    assert by_id["levy-imposed"].forecast.likelihood == "highly-likely"
    assert by_id["levy-imposed"].forecast.date == "2024-04-08"
    assert by_id["levy-imposed"].probability == 0.85
    assert by_id["talks-resume"].probability == 0.65
    assert by_id["levy-imposed"].brier == pytest.approx(0.15 ** 2)
    assert by_id["talks-resume"].brier == pytest.approx(0.65 ** 2)
    assert record.brier == pytest.approx((0.15 ** 2 + 0.65 ** 2) / 2)
    assert [(b.likelihood, b.n, b.happened) for b in record.bands()] == [
        ("likely", 1, 0), ("highly-likely", 1, 1)]


def test_an_edition_after_the_outcome_never_counts(tmp_path, sample_copy, build_on):
    out = tmp_path / "out"
    history(sample_copy, out, build_on)
    rewrite(sample_copy, ("    likelihood: highly-likely\n", "    likelihood: almost-certain\n"),
            ("    reason_for_change: A date was set.\n", "    reason_for_change: Hindsight.\n"))
    # back-dated to before the outcome, but built after it: not a forecast
    build_on(sample_copy, out, "2024-04-15", built="2024-05-01")
    kb = load(sample_copy)
    levy = {s.id: s for s in score(kb["judgments"].values(), archive(out)).judgments}[
        "levy-imposed"]
    assert (levy.forecast.date, levy.forecast.likelihood) == ("2024-04-08", "highly-likely")
    folder = out / "river-dispute" / "2024-04-08"

    def levy_forecast():
        levy = {s.id: s for s in score(kb["judgments"].values(), archive(out)).judgments}[
            "levy-imposed"]
        return levy.forecast.date, levy.forecast.likelihood

    # a correction kept beside edition 2 (its own folder) is not what was first issued
    correction = folder / "correction-1"
    shutil.copytree(folder, correction)
    manifest = json.loads((correction / "manifest.json").read_text())
    manifest["correction"] = {"number": 1, "why": "hindsight", "original": "2024-04-08/"}
    (correction / "manifest.json").write_text(json.dumps(manifest))
    snapshot = (correction / "snapshot.json").read_text().replace(
        '"highly-likely"', '"almost-certain"')
    (correction / "snapshot.json").write_text(snapshot)
    assert levy_forecast() == ("2024-04-08", "highly-likely")
    # withdrawn now, after the outcome: it was still the forecast readers had
    withdraw(out=out, templates=None, briefing="river-dispute", date="2024-04-08",
             why="issued in error")
    assert json.loads((folder / "withdrawn.json").read_text())["when"] > "2024-04-20"
    assert levy_forecast() == ("2024-04-08", "highly-likely")
    # withdrawn before the outcome: not a forecast any more
    (folder / "withdrawn.json").write_text(json.dumps(
        {"why": "issued in error", "when": "2024-04-10T09:00:00+00:00"}))
    assert levy_forecast() == ("2024-04-01", "realistic-possibility")


def test_never_published_and_void_are_unscored(tmp_path, sample_copy, build_on):
    out = tmp_path / "out"
    build_on(sample_copy, out, "2024-04-01")
    (sample_copy / "wire.yaml").write_text(SOURCE + (
        "judgments:\n  - id: late\n    statement: The levy is challenged in court.\n"
        "    likelihood: likely\n    confidence: low\n    about: [qamaria]\n"
        "    sources: [wire]\n" + outcome("happened", "2024-04-20")
    ), encoding="utf-8")
    rewrite(sample_copy, (TALKS, TALKS + outcome("void", "2024-04-30")))
    kb = load(sample_copy)
    record = score(kb["judgments"].values(), archive(out))
    reasons = {s.id: s.unscored for s in record.judgments}
    assert reasons == {"talks-resume": VOID, "late": NEVER_PUBLISHED}
    assert record.scored == ()
    assert record.brier is None
    # published only on the day of the outcome is not "before" it either
    rewrite(sample_copy, (LEVY, LEVY + outcome("happened", "2024-04-01")))
    kb = load(sample_copy)
    levy = [s for s in score(kb["judgments"].values(), archive(out)).judgments
            if s.id == "levy-imposed"]
    assert levy[0].unscored == NEVER_PUBLISHED


def test_scorecard_json_and_table(tmp_path, sample_copy, build_on):
    out = tmp_path / "out"
    history(sample_copy, out, build_on)
    rewrite(sample_copy, ("  - id: talks-resume\n",
                          "  - id: talks-resume\n    resolves_by: 2024-03\n"))
    runner = CliRunner()
    args = ["scorecard", "--seeds", str(sample_copy), "--out", str(out), "--as-of", "2024-07-01"]
    result = runner.invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["scored"] == 2
    assert data["unscored"] == 0
    assert data["brier"] == pytest.approx((0.15 ** 2 + 0.65 ** 2) / 2, abs=1e-4)
    judged = {j["id"]: j for j in data["judgments"]}
    assert judged["levy-imposed"]["edition"] == "2024-04-08"
    assert judged["levy-imposed"]["probability"] == 0.85
    assert judged["levy-imposed"]["result"] == "happened"
    assert judged["talks-resume"]["brier"] == pytest.approx(0.4225)
    assert {(b["likelihood"], b["probability"], b["n"], b["happened"]) for b in data["bands"]} == {
        ("likely", 0.65, 1, 0), ("highly-likely", 0.85, 1, 1)}
    assert data["overdue"] == []  # resolved, so not overdue
    table = runner.invoke(cli, args)
    assert table.exit_code == 0
    lines = table.output.splitlines()
    assert "2 scored, 0 unscored" in lines[0]
    assert re.search(r"Brier score: 0\.2225", table.output)
    row = next(line for line in lines if line.startswith("levy-imposed"))
    assert row.split()[-5:] == ["river-dispute", "2024-04-08", "happened", "2024-04-20", "0.0225"]
    assert "highly-likely" in row
    assert "0.850" in row
    assert "Calibration, river-dispute" in table.output


def test_overdue_judgments_are_for_the_analyst_only(tmp_path, sample_copy, build_on):
    rewrite(sample_copy, ("  - id: talks-resume\n",
                          "  - id: talks-resume\n    resolves_by: 2024-05\n"))
    kb = load(sample_copy)
    assert overdue(kb, today=date(2024, 5, 31)) == ()
    late = overdue(kb, today=date(2024, 6, 1))
    assert [o.id for o in late] == ["talks-resume"]
    assert re.match(r".*knowledge\.yaml:\d+:\d+: judgments\[talks-resume\]\.resolves_by",
                    str(late[0]))
    result = CliRunner().invoke(cli, ["scorecard", "--seeds", str(sample_copy), "--out",
                                      str(tmp_path / "out"), "--as-of", "2024-06-01"])
    assert "Overdue" in result.output
    assert "talks-resume" in result.output
    out = tmp_path / "out"
    build_on(sample_copy, out, "2024-05-06")
    build_on(sample_copy, out, "2024-06-03")
    before = BeautifulSoup((out / "river-dispute/2024-05-06/index.html").read_text(),
                           "html.parser")
    assert "May 2024" in before.select_one("#judgment-talks-resume .resolution").get_text()
    page = (out / "river-dispute" / "2024-06-03" / "index.html").read_text()
    assert "overdue" not in page.lower()
    soup = BeautifulSoup(page, "html.parser")
    assert soup.select_one("#judgment-talks-resume") is not None
    assert soup.select_one("#judgment-talks-resume .resolution") is None  # past: not shown


def test_the_annex_shows_the_record_in_page_and_pdf(tmp_path, sample_copy, build_on):
    out = tmp_path / "out"
    history(sample_copy, out, build_on)
    build_on(sample_copy, out, "2024-05-06", figures=True)
    folder = out / "river-dispute" / "2024-05-06"
    soup = BeautifulSoup((folder / "index.html").read_text(), "html.parser")
    annex = soup.select_one("#track-record")
    assert re.fullmatch(r"Annex [A-J]: Track record", annex.select_one("h2").get_text())
    contents = [a.get_text() for a in soup.select("#contents a")]
    assert annex.select_one("h2").get_text() in contents
    assert annex.select_one(".brier").get_text() == "0.223"
    assert annex.select_one("svg#figure-calibration-svg") is not None
    # resolved judgments have left the key judgments, in the note and in the email
    assert soup.select("#key-judgments .judgment") == []
    html = (folder / "email.html").read_text()
    text = (folder / "email.txt").read_text()
    key = BeautifulSoup(html, "html.parser").find("h2", string="Key judgments").parent
    assert "Qamaria will impose" not in key.get_text()
    assert "No judgments in this briefing's scope." in text
    said = [li.select_one(".said").get_text(" ", strip=True) for li in annex.select("li")]
    assert any("Highly likely" in s and "edition 2" in s for s in said)
    with pymupdf.open(folder / "river-dispute-2024-05-06.pdf") as document:
        pages = [page.get_text() for page in document]
    annex_text = " ".join(p for p in pages if "Resolved judgments" in p).replace("\n", " ")
    assert re.search(r"Annex [A-J]: Track record", " ".join(pages))
    assert "Qamaria will impose the levy within six months." in annex_text
    assert "It happened." in annex_text
    assert "It did not happen." in annex_text
    assert "Stated probability" in " ".join(pages)  # the chart's axis: real vector text
    with pymupdf.open(folder / "river-dispute-2024-05-06.pdf") as document:
        sizes = [span["size"] for page in document for block in page.get_text("dict")["blocks"]
                 for line in block.get("lines", ()) for span in line["spans"]
                 if span["text"].strip() in {"0 of 1", "1 of 1", "50%"}]
    assert sizes
    assert min(sizes) >= 7


def test_no_annex_without_a_scored_judgment(sample_out):
    soup = BeautifulSoup((sample_out / "river-dispute" / "2024-04-01" / "index.html").read_text(),
                         "html.parser")
    assert soup.select_one("#track-record") is None


def test_a_clear_note_never_quotes_an_amber_edition(tmp_path, sample_copy, build_on):
    rewrite(sample_copy, ("    tlp: green\n", "    tlp: clear\n"))
    amber = ("  - id: river-amber\n    title: Lower Basin, restricted\n    bluf: Restricted.\n"
             "    tlp: amber\n    actors: [qamaria]\n")
    out = tmp_path / "out"
    build_on(sample_copy, out, "2024-04-01")  # the clear note prints "realistic possibility"
    add_briefing(sample_copy, amber)
    rewrite(sample_copy, (LEVY, "    likelihood: highly-likely\n    confidence: low\n"
                                "    reason_for_change: A date was set.\n"))
    build_on(sample_copy, out, "2024-04-08", figures=False)  # both; the amber one is new
    (sample_copy / "wire.yaml").write_text(SOURCE, encoding="utf-8")
    rewrite(sample_copy, ("    reason_for_change: A date was set.\n",
                          "    reason_for_change: A date was set.\n"
                          + outcome("happened", "2024-04-20")))
    # the clear note is not built on 8 April: remove it, so the amber edition is the last
    shutil.rmtree(out / "river-dispute" / "2024-04-08")
    build_on(sample_copy, out, "2024-05-06")
    clear = BeautifulSoup((out / "river-dispute/2024-05-06/index.html").read_text(),
                          "html.parser").select_one("#track-record")
    assert "Realistic possibility" in clear.select_one("#resolved-levy-imposed").get_text()
    assert "Lower Basin, restricted" not in clear.get_text()
    restricted = BeautifulSoup((out / "river-amber/2024-05-06/index.html").read_text(),
                               "html.parser").select_one("#track-record")
    assert "Highly likely" in restricted.select_one("#resolved-levy-imposed").get_text()
    kb = load(sample_copy)
    overall = {s.id: s for s in score(kb["judgments"].values(), archive(out)).judgments}
    assert overall["levy-imposed"].forecast.briefing == "river-amber"
