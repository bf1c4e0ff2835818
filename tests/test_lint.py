"""``briefings lint``: one planted fault per rule, clean items with none, the command."""

from __future__ import annotations

import json
import re

import pytest
from conftest import SEEDS
from test_cli import run

from briefings.errors import InvalidKnowledgeBase
from briefings.publish.lint import RULES, estimative_words, lint, word_count
from briefings.publish.load import load

AS_OF = "2025-06-30"
LONG_BLUF = " ".join(["The levy rises while the council meets again today"] * 7)  # 63 words

PLANTED = f"""\
sources:
  - {{id: wire-a, publisher: Wire A, title: Report A, published: 2025-05-02, reliability: B}}
  - {{id: wire-a-again, publisher: WIRE A, title: Report A2, published: 2025-05, reliability: A}}
  - {{id: paper-b, publisher: Paper B, title: Report B, published: 2025-04-11, reliability: C}}
  - {{id: blog-e, publisher: Blog E, title: Rumour E, published: 2025-06-01, reliability: E}}
  - {{id: forum-f, publisher: Forum F, title: Post F, published: 2025-06-02}}
  - {{id: old-c, publisher: Almanac C, title: Old, published: "2023", reliability: B}}
actors:
  - {{id: upland, name: Upland, kind: state}}
judgments:
  - id: clean-high
    statement: Upland raises the levy in May 2025 after the council meets.
    likelihood: highly-likely
    confidence: high
    about: [upland]
    indicators: [The council postpones its meeting]
    sources: [wire-a, paper-b]
  - id: clean-low
    statement: Upland keeps its border open.
    likelihood: remote-chance
    confidence: low
    about: [upland]
    indicators: [Troops move to the border]
    sources: [blog-e]
  - id: one-publisher
    statement: Upland closes the dam.
    likelihood: likely
    confidence: high
    indicators: [The dam stays open]
    sources: [wire-a, wire-a-again]
  - id: hedged-statement
    statement: Upland will probably close the dam.
    likelihood: likely
    confidence: moderate
    indicators: [The dam stays open]
    sources: [paper-b]
  - id: no-indicators
    statement: Upland sells power abroad.
    likelihood: unlikely
    confidence: moderate
    sources: [paper-b]
  - id: stale
    statement: Upland rejoins the council.
    likelihood: unlikely
    confidence: low
    indicators: [An application to rejoin]
    sources: [old-c]
  - id: weak-grades
    statement: Upland mobilises its reserves.
    likelihood: realistic-possibility
    confidence: high
    indicators: [Reservists called up]
    sources: [blog-e, forum-f]
  - id: overdue
    statement: Upland signs the river treaty.
    likelihood: likely
    confidence: low
    indicators: [The treaty text is published]
    resolves_by: 2025-05
    sources: [wire-a]
  - id: resolved-late
    statement: Upland opens the second dam.
    likelihood: likely
    confidence: low
    indicators: [Turbines delivered]
    resolves_by: 2025-05
    outcome: {{result: happened, on: 2025-06-01, sources: [wire-a]}}
    sources: [wire-a]
  - id: due-this-month
    statement: Upland hosts the summit.
    likelihood: likely
    confidence: low
    indicators: [Invitations sent]
    resolves_by: 2025-06
    sources: [wire-a]
  - id: opted-out
    statement: Upland devalues its currency.
    likelihood: unlikely
    confidence: low
    sources: [wire-a]
    lint_ignore: {{BR103: "a market call: nothing observable would change it"}}
briefings:
  - id: clean-briefing
    title: Clean
    bluf: It is **highly likely** Upland raises the levy; a realistic possibility it doubles.
    tlp: clear
    actors: [upland]
  - id: long-bluf
    title: Long
    bluf: {LONG_BLUF}.
    tlp: clear
    actors: [upland]
  - id: hedged-bluf
    title: Hedged
    bluf: Upland will probably raise the levy.
    tlp: clear
    actors: [upland]
"""

EXPECTED = {  # item id -> (code, the field its finding points at)
    "one-publisher": ("BR101", "confidence"),
    "hedged-statement": ("BR102", "statement"),
    "no-indicators": ("BR103", "id"),
    "stale": ("BR104", "sources"),
    "weak-grades": ("BR105", "confidence"),
    "long-bluf": ("BR106", "bluf"),
    "hedged-bluf": ("BR107", "bluf"),
    "overdue": ("BR108", "resolves_by"),
}


def _line_of(text: str, item_id: str, field: str) -> tuple[int, int]:
    """Where ``field`` of the item ``item_id`` is written in ``text`` (1-based)."""
    lines = text.splitlines()
    start = next(n for n, line in enumerate(lines) if line.strip() == f"- id: {item_id}")
    for n in range(start, len(lines)):
        match = re.match(rf"^(\s*-?\s*){field}:", lines[n])
        if match:
            return n + 1, len(match.group(1)) + 1
    raise AssertionError(field)


@pytest.fixture
def planted(write_yaml):
    return write_yaml({"desk.yaml": PLANTED})


def test_each_planted_fault_gives_one_finding_where_it_is(planted):
    findings = lint(load(planted), as_of=AS_OF)
    by_item = {f.item: f for f in findings}
    assert len(findings) == len(by_item) == len(EXPECTED)
    assert {item: f.code for item, f in by_item.items()} == {
        item: code for item, (code, _) in EXPECTED.items()
    }
    for item, (_, field) in EXPECTED.items():
        finding = by_item[item]
        assert finding.file.endswith("desk.yaml")
        assert (finding.line, finding.column) == _line_of(PLANTED, item, field), item
    assert set(RULES) == {code for code, _ in EXPECTED.values()}  # every rule is planted


def test_findings_say_what_is_wrong(planted):
    text = {f.code: str(f) for f in lint(load(planted), as_of=AS_OF)}
    assert "'probably'" in text["BR102"]
    assert "'probably'" in text["BR107"]
    assert "63 words" in text["BR106"]
    assert "1 publisher" in text["BR101"]
    assert "2025-06-30" in text["BR104"]


def test_staleness_is_judged_against_the_as_of_date(planted):
    kb = load(planted)
    assert "BR104" not in {f.code for f in lint(kb, as_of="2024-06-30")}
    late = [f for f in lint(kb, as_of="2026-06-30") if f.code == "BR104"]
    assert len(late) == len(kb["judgments"])  # the opt-out is for BR103 only
    assert not [f for f in lint(kb, as_of=AS_OF, ignore=frozenset({"BR104"}))
                if f.code == "BR104"]


@pytest.mark.parametrize(("text", "words"), [
    ("Upland will probably close the dam", ["probably"]),
    ("It could happen; it might not", ["could", "might"]),
    ("Talks resume in May 2025", []),
    ("On 3 May the talks resumed", []),
    ("Talks may resume", ["may"]),
    ("A highly likely rise, an unlikely fall", ["highly likely", "unlikely"]),
    ("It will almost certainly pass", ["almost certainly"]),
])
def test_estimative_words_in_a_statement(text, words):
    assert [w.lower() for w in estimative_words(text, allow_phia=False)] == words


def test_a_bluf_may_use_phia_terms_only():
    assert estimative_words("Highly likely; a realistic possibility", allow_phia=True) == []
    assert estimative_words("A remote chance, perhaps less", allow_phia=True) == ["perhaps"]
    assert estimative_words("There is a good chance of a deal", allow_phia=True) == ["chance"]


def test_word_count_ignores_markup_and_link_targets():
    assert word_count("A **15% levy** on [Highland](https://example.org/a-b-c) goods.") == 6


def test_an_opt_out_needs_a_known_code_shape_and_a_reason(write_yaml):
    base = PLANTED.replace('{BR103: "a market call: nothing observable would change it"}',
                           "{BR103: ''}")
    with pytest.raises(InvalidKnowledgeBase) as caught:
        load(write_yaml({"desk.yaml": base}))
    assert "judgments[opted-out].lint_ignore.BR103: must not be empty" in str(caught.value)
    bad_code = PLANTED.replace("{BR103: ", "{no-indicators: ")
    with pytest.raises(InvalidKnowledgeBase):
        load(write_yaml({"desk.yaml": bad_code}))


def test_the_seed_knowledge_base_passes_every_rule_but_staleness():
    assert lint(load(SEEDS), as_of=AS_OF, ignore=frozenset({"BR104"})) == []
    result = run("lint", "--strict", "--ignore", "BR104")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "no findings"


def test_lint_command_prints_findings_with_fixes_and_exits_by_strictness(planted):
    result = run("lint", "--seeds", str(planted), "--as-of", AS_OF)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    located = [line for line in lines if re.match(r"^\S+:\d+:\d+: BR1\d\d ", line)]
    assert len(located) == len(EXPECTED)
    for line in located:
        fix = lines[lines.index(line) + 1]
        code = line.split(": ")[1].split()[0]
        assert fix.strip() == f"fix: {RULES[code][1]}"
    assert lines[-1] == f"{len(EXPECTED)} findings"
    strict = run("lint", "--seeds", str(planted), "--as-of", AS_OF, "--strict")
    assert strict.returncode == 1
    assert strict.stdout == result.stdout


def test_lint_command_refuses_unknown_codes_and_invalid_knowledge_bases(write_yaml):
    result = run("lint", "--seeds", str(SEEDS), "--ignore", "BR999")
    assert result.returncode == 2
    assert "BR999" in result.stderr
    broken = write_yaml({"a.yaml": "judgments:\n  - id: j\n    statement: S\n"})
    result = run("lint", "--seeds", str(broken))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert re.search(r"a\.yaml:2:5: judgments\[j\]", result.stderr)


def test_help_lists_every_rule():
    result = run("lint", "--help")
    for code, (what, _) in RULES.items():
        assert code in result.stdout, (code, what)


def test_build_prints_the_findings_as_warnings(planted, tmp_path):
    result = run("build", "--seeds", str(planted), "--out", str(tmp_path / "out"),
                 "--date", AS_OF, "--jobs", "1", "hedged-bluf")
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if ": warning: BR1" in line]
    expected = lint(load(planted), as_of=AS_OF)
    assert warnings == [f"{f.file}:{f.line}:{f.column}: warning: {f.text}" for f in expected]
    assert (tmp_path / "out" / "hedged-bluf" / AS_OF / f"hedged-bluf-{AS_OF}.pdf").is_file()


def test_the_schema_documents_the_opt_out():
    from briefings.publish.schema import json_schema

    schema = json.loads(json_schema())
    for model in ("Judgment", "Briefing"):
        field = schema["$defs"][model]["properties"]["lint_ignore"]
        assert "reason" in field["description"]


@pytest.mark.parametrize(("published", "as_of", "stale"), [
    ("2024-06", "2025-06-30", False),   # June 2024 counts as its last day, 365 days before
    ("2024-06", "2025-07-01", True),
    ("2024", "2025-12-31", False),
    ("2024-02-29", "2025-03-01", True),
])
def test_staleness_reads_a_partial_date_as_its_last_day(write_yaml, published, as_of, stale):
    kb = load(write_yaml({"kb.yaml": (
        f'sources:\n  - {{id: s, publisher: P, title: T, published: "{published}"}}\n'
        "judgments:\n  - id: j\n    statement: S.\n    likelihood: likely\n"
        "    confidence: low\n    indicators: [I]\n    sources: [s]\n")}))
    assert [f.code for f in lint(kb, as_of=as_of)] == (["BR104"] if stale else [])


def test_an_unchanged_rebuild_reads_nothing_and_repeats_no_warning(planted, tmp_path):
    from click.testing import CliRunner

    from briefings.cli.main import cli

    args = ["build", "--seeds", str(planted), "--out", str(tmp_path / "out"), "--date", AS_OF]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert ": warning: BR1" in first.stderr
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 0, again.output
    assert "0 built," in again.stdout and "unchanged and skipped" in again.stdout
    assert "warning" not in again.stderr
