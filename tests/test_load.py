"""Loading the knowledge base: every kind of mistake, located and reported together."""

from __future__ import annotations

import re

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


BRIEFING = "briefings:\n  - id: b\n    title: T\n    bluf: B\n    tlp: amber\n    actors: [a]\n"


def _one(write_yaml, snippet: str) -> str:
    """The one problem of ``k.yaml`` beside a valid source and actor."""
    files = {"sources.yaml": SOURCE, "k.yaml": snippet}
    if "\nactors:" not in "\n" + snippet:
        files["a.yaml"] = "actors:\n  - id: a\n    name: A\n    kind: state\n"
    found = problems(write_yaml(files))
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("'0000'", "year 0000 does not exist"),
        ("0000-01-01", "year 0000 does not exist"),
        ("0001-01-01", "year 0001 in '0001-01-01' is out of range: dates run from 1000 to 2999"),
        ("9999-12-31", "year 9999 in '9999-12-31' is out of range"),
        ("'２０２３'", "non-ASCII digit '２'"),
        ("٢٠٢٣-09-12", "non-ASCII digit '٢'"),
        ("'2023-09-12 '", "has spaces before or after it"),
        ("' 2023'", "has spaces before or after it"),
    ],
)
def test_dates_written_oddly_are_refused_at_their_place(write_yaml, value, message):
    found = _one(write_yaml, f"events:\n  - id: e\n    date: {value}\n    title: T\n"
                             "    sources: [src]\n")
    assert "k.yaml:3:5: events[e].date: " in found
    assert message in found


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (".inf", "expected a number"),
        ("inf", "expected a number"),
        ("-.inf", "expected a number"),
        (".nan", "expected a number"),
        ("NaN", "expected a number"),
        ("1e400", "expected a finite number of at most 1e+18"),
        ("1e19", "expected a finite number of at most 1e+18"),
        ("'15 '", "has spaces before or after it"),
        ("١٥", "non-ASCII digit '١'"),
        ("1_000", "expected a number"),
        ("9" * 5000, "expected a finite number of at most 1e+18"),
    ],
)
def test_numbers_must_be_finite_plain_and_sane(write_yaml, value, message):
    found = _one(write_yaml, "measures:\n  - id: m\n    title: T\n    kind: tariff\n"
                             "    imposed_by: [a]\n    targets: [a]\n    status: threatened\n"
                             f"    sources: [src]\n    rate_percent: {value}\n")
    assert "k.yaml:9:5: measures[m].rate_percent: " in found
    assert message in found


def test_amounts_and_credibility_follow_the_same_rules(write_yaml):
    found = problems(write_yaml({
        "sources.yaml": SOURCE,
        "k.yaml": "actors:\n  - id: a\n    name: A\n    kind: state\n"
                  "dealings:\n  - id: d\n    from: a\n    to: a\n    kind: arms\n"
                  "    status: reported\n    sources: [{source: src, credibility: '٣'}]\n"
                  "    value: {amount: .inf, currency: USD}\n",
    }))
    assert len(found) == 2, found
    assert "dealings[d].sources[0].credibility: the number '٣'" in found[0]
    assert "dealings[d].value.amount: expected a number" in found[1]


def test_good_numbers_still_load(write_yaml):
    folder = write_yaml({
        "sources.yaml": SOURCE,
        "k.yaml": "actors:\n  - id: a\n    name: A\n    kind: state\n"
                  "dealings:\n  - id: d\n    from: a\n    to: a\n    kind: arms\n"
                  "    status: reported\n    sources: [{source: src, credibility: 3}]\n"
                  "    value: {amount: 1.75e9, currency: USD}\n",
    })
    dealing = load(folder)["dealings"]["d"]
    assert dealing.value.amount == 1.75e9
    assert dealing.sources[0].credibility == 3


@pytest.mark.parametrize(
    ("text", "char"),
    [
        ("Sta\u202etement", "U+202E"),  # right-to-left override
        ("State\u200bment", "U+200B"),  # zero-width space
        ("\u2066Statement\u2069", "U+2066"),  # left-to-right isolate
        ("State\u200dment ", None),  # a joiner inside a word: script, allowed
        ("Statement\u200d", "U+200D"),  # ... but not at its edge
        ("Soft\u00adhyphen", None),
        ('"Bell\\a"', "U+0007"),
        ("Hangul\u3164filler", "U+3164"),
        ("\ufeffStatement", "U+FEFF"),
    ],
)
def test_invisible_and_bidi_characters_are_refused_in_text(write_yaml, text, char):
    files = {"sources.yaml": SOURCE.replace("title: T", f"title: {text}")}
    if char is None:
        assert load(write_yaml(files))["sources"]["src"].title == text.strip()
        return
    found = problems(write_yaml(files))
    assert len(found) == 1, found
    assert "sources.yaml:4:5: sources[src].title: invisible character " + char in found[0]


def test_joiners_inside_a_word_of_a_native_name_are_script(write_yaml):
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # mi-khaham: ZWNJ inside
    sinhala = "\u0dc1\u0dca\u200d\u0dbb\u0dd3"  # Sri: ZWJ inside
    folder = write_yaml({"a.yaml": f"actors:\n  - id: a\n    name: A\n    kind: state\n"
                                   f"    native_name: {persian} {sinhala}\n"})
    assert load(folder)["actors"]["a"].native_name == f"{persian} {sinhala}"


def test_an_id_hundreds_of_characters_long_is_refused_saying_the_limit(write_yaml):
    long_id = "a" * 300
    found = _one(write_yaml, f"actors:\n  - id: {long_id}\n    name: A\n    kind: state\n")
    assert ".id: an id is at most 64 characters" in found
    assert "got 300" in found
    message = found.partition("k.yaml:")[2]  # the folder's path is the test's, not the message's
    assert "a" * 65 not in message and len(message) < 200, "the message does not repeat the id"


@pytest.mark.parametrize("route", ["public", "feed", "index", "static", "unsubscribe", "preview"])
def test_briefing_ids_that_are_web_routes_are_refused(write_yaml, route):
    found = _one(write_yaml, BRIEFING.replace("id: b", f"id: {route}"))
    assert f"k.yaml:2:5: briefings[{route}].id: the briefing id {route!r} is taken" in found


@pytest.mark.parametrize(
    "content",
    [
        "actors: " + "[" * 500 + "]" * 500 + "\n",  # JSON-style flow
        '{"actors": ' + '{"a": ' * 500 + "1" + "}" * 500 + "}\n",  # JSON itself
        "actors:\n" + "".join(" " * (i + 1) + f"k{i}:\n" for i in range(200)) + " " * 201 + "x\n",
        "actors: " + "[" * 100_000 + "]" * 100_000 + "\n",
    ],
)
def test_very_deep_nesting_is_refused_with_its_place(write_yaml, content):
    found = problems(write_yaml({"deep.yaml": content}))
    assert len(found) == 1, found
    assert re.search(r"/deep\.yaml:\d+:\d+: ", found[0]), found[0]
    assert re.search(r"nested deeper than 32 levels|exceeded maximum nesting depth", found[0])


def test_links_that_leave_the_seeds_folder_are_refused_with_their_path(write_yaml, tmp_path):
    outside = tmp_path / "outside"
    (outside / "folder").mkdir(parents=True)
    (outside / "x.yaml").write_text(SOURCE, encoding="utf-8")
    (outside / "folder" / "y.yaml").write_text(SOURCE, encoding="utf-8")
    folder = write_yaml({"a.yaml": "actors:\n  - id: a\n    name: A\n    kind: state\n",
                         "inner/z.yaml": "events: []\n"})
    (folder / "linked.yaml").symlink_to(outside / "x.yaml")
    (folder / "linked-folder").symlink_to(outside / "folder", target_is_directory=True)
    (folder / "gone.yaml").symlink_to(folder / "nowhere.yaml")
    (folder / "inside.yml").symlink_to(folder / "inner" / "z.yaml")  # stays inside: read
    (folder / "inner-again").symlink_to(folder / "inner", target_is_directory=True)
    found = problems(folder)
    assert len(found) == 3, found
    assert found[0].endswith(f"gone.yaml:1:1: a link to {folder / 'nowhere.yaml'}, "
                             "which does not exist")
    assert f"linked-folder:1:1: a link to {outside / 'folder'}, outside the seeds folder" \
        in found[1]
    assert f"linked.yaml:1:1: a link to {outside / 'x.yaml'}, outside the seeds folder" \
        in found[2]
    (folder / "gone.yaml").unlink()
    (folder / "linked.yaml").unlink()
    (folder / "linked-folder").unlink()
    assert list(load(folder)["actors"]) == ["a"]


def test_an_item_that_fails_gives_one_error_not_one_per_reference(write_yaml):
    found = problems(write_yaml({
        "sources.yaml": SOURCE + "  - id: bad-source\n    publisher: P\n    title: T\n"
                                 "    published: yesterday\n",
        "a.yaml": "actors:\n  - id: putin\n    name: V\n    kind: leader\n"
                  "  - id: a\n    name: A\n    kind: state\n    leads: putin\n",
        "k.yaml": "events:\n  - id: e\n    date: 2023\n    title: T\n"
                  "    actors: [putin, a, putin]\n    sources: [src, bad-source]\n"
                  "motive:\n  - id: m\n"
                  "judgments:\n  - id: j\n    statement: S\n    likelihood: likely\n"
                  "    confidence: high\n    sources: [src]\n    about: [ghost]\n",
    }))
    assert len(found) == 4, found
    assert "a.yaml:4:5: actors[putin].kind: expected one of" in found[0]
    assert "k.yaml:7:1: motive: unknown collection; did you mean 'motives'?" in found[1]
    assert "k.yaml:15:13: judgments[j].about[0]: no actor with id 'ghost'" in found[2]
    assert "sources.yaml:9:5: sources[bad-source].published: expected a date" in found[3]


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        ("actors:\n  - id: a\n    name: A\n    kind: organization\n",
         "actors[a].kind: expected one of person, state, organisation, group, got "
         "'organization'; did you mean 'organisation'?"),
        ("actors:\n  - id: a\n    name: A\n    kind: State\n",
         "got 'State'; did you mean 'state'?"),
        ("actors:\n  - id: a\n    name: A\n    kind: state\n    contry: NO\n",
         "actors[a].contry: unknown field; did you mean 'country'?; the fields here are id, "
         "name, kind, native_name, lang, aliases, country, role, leads, summary, sources, "
         "profiles"),
        ("actors:\n  - id: a\n    name: A\n    kind: state\n"
         "    sources: [{source: src, cred: 2}]\n",
         "actors[a].sources[0].cred: unknown field; did you mean 'credibility'?; the fields here "
         "are source, credibility, locator, quote"),
        ("actors:\n  - id: a\n    name: A\n    kind: state\n  - id: b\n    name: B\n"
         "    kind: state\n    leads: aa\n",
         "actors[b].leads: no actor with id 'aa'; did you mean 'a'?"),
        ("actors:\n  - id: Vladimir_Putin\n    name: V\n    kind: person\n",
         "(a slug), got 'Vladimir_Putin'; did you mean 'vladimir-putin'?"),
        ("measures:\n  - id: m\n    title: T\n    kind: tariff\n    imposed_by: a\n"
         "    targets: [a]\n    status: threatened\n    sources: [src]\n",
         "measures[m].imposed_by: expected a list, e.g. [a], got 'a'"),
        ("events:\n  - id: e\n    date: 2023\n    title: T\n    sources: [scr]\n",
         "no source with id 'scr'; did you mean 'src'?"),
    ],
)
def test_mistakes_get_a_suggestion_when_one_is_close(write_yaml, snippet, expected):
    assert expected in _one(write_yaml, snippet)


def test_no_suggestion_when_nothing_is_close(write_yaml):
    found = _one(write_yaml, "actors:\n  - id: a\n    name: A\n    kind: volcano\n")
    assert "did you mean" not in found


@pytest.mark.parametrize(
    ("cron", "message"),
    [
        ("0 0 30 2 *", "never fires: day of month 30 or later does not occur in February"),
        ("0 0 31 4,6,9,11 *", "does not occur in April, June, September, November"),
        ("61 * * * *", "cron minute field '61' is not valid in '61 * * * *': it allows 0-59"),
        ("0 24 * * *", "cron hour field '24' is not valid"),
        ("0 7 0 * *", "cron day of month field '0' is not valid in '0 7 0 * *': it allows 1-31"),
        ("0 7 * 13 *", "cron month field '13' is not valid in '0 7 * 13 *': it allows 1-12"),
        ("0 7 * * 8", "cron day of week field '8' is not valid in '0 7 * * 8': it allows 0-7"),
        ("0 7 * *", "expected a 5-field cron expression (minute hour day-of-month month "
                    "day-of-week), got 4 fields"),
    ],
)
def test_a_bad_cron_names_its_field_and_what_it_allows(write_yaml, cron, message):
    found = _one(write_yaml, BRIEFING + f"    schedule: '{cron}'\n")
    assert "k.yaml:7:5: briefings[b].schedule: " in found
    assert message in found


def test_validate_echoes_each_schedule_in_words_and_refuses_one_that_never_fires(write_yaml):
    from click.testing import CliRunner

    from briefings.cli.main import cli

    folder = write_yaml({"sources.yaml": SOURCE,
                         "a.yaml": "actors:\n  - id: a\n    name: A\n    kind: state\n",
                         "k.yaml": BRIEFING + "    schedule: '0 7 * * 1'\n"})
    runner = CliRunner()
    result = runner.invoke(cli, ["validate", "--seeds", str(folder)])
    assert result.exit_code == 0, result.output
    assert "b: At 07:00, only on Monday (0 7 * * 1, UTC)" in result.output.splitlines()
    (folder / "k.yaml").write_text(BRIEFING + "    schedule: '0 0 30 2 *'\n", encoding="utf-8")
    for command in ("validate", "schedule", "run"):
        result = runner.invoke(cli, [command, "--seeds", str(folder)])
        assert result.exit_code == 1, (command, result.output)
        assert "briefings[b].schedule: cron expression '0 0 30 2 *' never fires" in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_items_in_a_misspelt_collection_are_reported_once(write_yaml):
    found = problems(write_yaml({
        "a.yaml": "act:\n  - id: a\n    name: A\n    kind: state\n",
        "k.yaml": BRIEFING,
    }))
    assert len(found) == 1, found
    assert "a.yaml:1:1: act: unknown collection; did you mean 'actors'?" in found[0]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "data:text/html,x",
                                 "//example.org/x", "example.org", "https:// x"])
def test_a_source_url_is_a_web_address(write_yaml, url):
    found = problems(write_yaml({"s.yaml": SOURCE + f"    url: '{url}'\n"}))
    assert len(found) == 1, found
    assert "s.yaml:6:5: sources[src].url: expected a web address starting with https://" \
        in found[0]
    good = write_yaml({"s.yaml": SOURCE + "    url: https://example.org/a?b=1#c\n"})
    assert load(good)["sources"]["src"].url == "https://example.org/a?b=1#c"


def test_a_section_listed_twice_is_refused(write_yaml):
    found = _one(write_yaml, BRIEFING + "    sections: [bluf, timeline, bluf]\n")
    assert "k.yaml:7:5: briefings[b].sections: 'bluf' is listed twice" in found
