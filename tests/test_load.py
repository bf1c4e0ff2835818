"""Loading the knowledge base: every kind of mistake, located and reported together."""

from __future__ import annotations

import pytest

from briefings.errors import InvalidKnowledgeBase
from briefings.publish.load import load
from briefings.reader import MAX_FILE_BYTES

SOURCE = """\
sources:
  - id: src
    publisher: P
    title: T
    published: 2023-09-12
"""


def problems(folder) -> list[str]:
    with pytest.raises(InvalidKnowledgeBase) as caught:
        load(folder)
    return [str(p) for p in caught.value.problems]


def only_problem(folder) -> str:
    found = problems(folder)
    assert len(found) == 1, found
    return found[0].split(": ", 1)[1] if "/" in found[0] else found[0]


@pytest.mark.parametrize(
    ("snippet", "where", "message"),
    [
        ("actors:\n  - id: putin\n    name: V\n    kind: leader\n",
         ":4:5: actors[putin].kind",
         "expected one of person, state, organisation, group, got 'leader'"),
        ("actors:\n  - id: putin\n    name: V\n    kind: person\n    colour: red\n",
         ":5:5: actors[putin].colour", "unknown field"),
        ("actors:\n  - id: putin\n    kind: person\n",
         ":2:5: actors[putin].name", "required field is missing"),
        ("actors:\n  - id: Putin_1\n    name: V\n    kind: person\n",
         ":2:5: actors[Putin_1].id", "slug"),
        ("actors:\n  - id: p\n    name: V\n    kind: person\n    country: XX\n",
         ":5:5: actors[p].country", "ISO 3166-1 alpha-2"),
        ("actors:\n  - id: p\n    name: V\n    kind: person\n    leads: nobody\n",
         ":5:5: actors[p].leads", "no actor with id 'nobody'"),
        ("events:\n  - id: e\n    date: 2023-02-30\n    title: T\n    sources: [src]\n",
         ":3:5: events[e].date", "day 30 does not exist"),
        ("events:\n  - id: e\n    date: 12 Sept 2023\n    title: T\n    sources: [src]\n",
         ":3:5: events[e].date", "YYYY, YYYY-MM or YYYY-MM-DD"),
        ("events:\n  - id: e\n    date: 2023\n    title: T\n    sources: [nosuch]\n",
         ":5:15: events[e].sources[0]", "no source with id 'nosuch'"),
        ("events:\n  - id: e\n    date: 2023\n    title: T\n"
         "    sources: [{source: src, credibility: 9}]\n",
         ":5:29: events[e].sources[0].credibility", "less than or equal to 6"),
        ("dealings:\n  - id: d\n    from: a\n    to: a\n    kind: arms\n    status: reported\n"
         "    sources: [src]\n    in_return_for: [a]\n",
         ":8:21: dealings[d].in_return_for[0]", "no dealing with id 'a'"),
        ("dealings:\n  - id: d\n    from: a\n    to: a\n    kind: arms\n    status: reported\n"
         "    sources: [src]\n    value: {amount: 5, currency: XYZ}\n",
         ":8:24: dealings[d].value.currency", "ISO 4217"),
        ("measures:\n  - id: m\n    title: T\n    kind: tariff\n    imposed_by: [a]\n"
         "    targets: [a]\n    status: threatened\n    sources: [src]\n    rate_percent: -3\n",
         ":9:5: measures[m].rate_percent", "greater than or equal to 0"),
        ("briefings:\n  - id: b\n    title: T\n    bluf: B\n    tlp: amber\n    actors: [a]\n"
         "    schedule: every monday\n",
         ":7:5: briefings[b].schedule", "5-field cron"),
        ("briefings:\n  - id: b\n    title: T\n    bluf: B\n    tlp: amber\n    actors: [a]\n"
         "    timezone: Mars/Olympus\n",
         ":7:5: briefings[b].timezone", "IANA time zone"),
        ("briefings:\n  - id: b\n    title: T\n    bluf: B\n    tlp: orange\n    actors: [a]\n",
         ":5:5: briefings[b].tlp", "expected one of clear, green, amber, amber+strict, red"),
        ("judgments:\n  - id: j\n    statement: S\n    likelihood: probable\n"
         "    confidence: high\n    sources: [src]\n",
         ":4:5: judgments[j].likelihood", "realistic-possibility"),
        ("villains:\n  - id: x\n", ":1:1: villains", "unknown collection"),
    ],
)
def test_each_mistake_is_located_and_explained(write_yaml, snippet, where, message):
    actor = "actors:\n  - id: a\n    name: A\n    kind: state\n"
    files = {"sources.yaml": SOURCE, "k.yaml": snippet}
    if not snippet.startswith("actors:"):
        files["a.yaml"] = actor
    folder = write_yaml(files)
    found = problems(folder)
    assert len(found) == 1, found
    assert f"k.yaml{where}: " in found[0], found[0]
    assert message in found[0]


def test_every_error_is_reported_in_one_run(write_yaml):
    folder = write_yaml({
        "one.yaml": "actors:\n  - id: a\n    name: A\n    kind: leader\n",
        "two.yaml": "actors:\n  - id: a\n    name: B\n    kind: state\n",
        "three.yaml": "motives:\n  - id: m\n    actor: ghost\n    goal: G\n"
                      "    category: greed\n    sources: []\n",
    })
    found = problems(folder)
    assert any("one.yaml:4:5: actors[a].kind" in p for p in found)
    assert any("two.yaml:2:5: actors[a].id: duplicate id; first at" in p for p in found)
    assert any("three.yaml:5:5: motives[m].category" in p for p in found)
    assert len(found) == 3, found


@pytest.mark.parametrize(
    ("content", "place", "message"),
    [
        ("actors:\n\t- id: x\n", ":2:1:", "tab character"),
        (b"actors:\n  - id: \xff\n", ":2:9:", "not valid UTF-8"),
        ("a: &x [1]\nb: *x\n", ":1:4:", "aliases"),
        ("actors: []\nactors: []\n", ":2:1:", "duplicate key 'actors'"),
        ("actors:\n  - !!python/object/apply:os.system [echo hi]\n", ":2:5:", "not allowed"),
        ("actors:\n  - <<: {id: x}\n", ":2:5:", "merge keys"),
        ("actors: [\n", ":2:1:", "expected"),
        ("- just\n- a list\n", ":1:1:", "expected a mapping of collection names"),
    ],
)
def test_unsafe_or_broken_yaml_is_refused_with_its_place(write_yaml, content, place, message):
    folder = write_yaml({"bad.yaml": content})
    found = problems(folder)
    assert len(found) == 1, found
    assert f"bad.yaml{place}" in found[0]
    assert message in found[0]


def test_billion_laughs_is_refused_quickly(write_yaml):
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    folder = write_yaml({"bomb.yaml": "\n".join(lines) + "\n"})
    assert "aliases" in problems(folder)[0]


def test_oversized_file_is_not_read(write_yaml):
    folder = write_yaml({"big.yaml": "# " + "x" * MAX_FILE_BYTES + "\n"})
    assert "the limit is" in problems(folder)[0]


def test_dates_and_codes_stay_text_at_their_precision(write_yaml):
    folder = write_yaml({
        "sources.yaml": SOURCE,
        "a.yaml": "actors:\n  - id: norway\n    name: Norway\n    kind: state\n    country: NO\n"
                  "events:\n  - id: y\n    date: 2023\n    title: Y\n    sources: [src]\n"
                  "  - id: m\n    date: 2023-09\n    title: M\n    sources: [src]\n",
    })
    kb = load(folder)
    assert kb["actors"]["norway"].country == "NO"
    assert kb["sources"]["src"].published == "2023-09-12"
    assert [kb["events"][e].date for e in ("y", "m")] == ["2023", "2023-09"]


def test_bare_and_full_citations_and_yml_files_in_subfolders(write_yaml):
    folder = write_yaml({
        "nested/sources.yml": SOURCE,
        "b.yaml": "actors:\n  - id: a\n    name: A\n    kind: state\n"
                  "    sources: [src, {source: src, credibility: 2, locator: para 4}]\n",
    })
    actor = load(folder)["actors"]["a"]
    assert [c.source for c in actor.sources] == ["src", "src"]
    assert actor.sources[1].credibility == 2
    assert actor.sources[1].locator == "para 4"
