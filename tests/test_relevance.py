"""What a note covers: subjects, include/exclude, the fallback, and the desk's ranking."""

from __future__ import annotations

import pymupdf
import pytest
from conftest import SEEDS

from briefings.errors import InvalidKnowledgeBase
from briefings.model import ITEMS
from briefings.publish.load import load
from briefings.publish.scope import information_cutoff, take_slice

BASE = """
sources:
  - {id: src, publisher: P, title: T, published: "2024-05"}
  - {id: late, publisher: P, title: Later, published: "2024-06-02"}
actors:
  - {id: us, name: United States, kind: state}
  - {id: cn, name: China, kind: state}
  - {id: ru, name: Russia, kind: state}
measures:
  - {id: tariff, title: A tariff, kind: tariff, imposed_by: [us], targets: [cn],
     status: in-force, sources: [src], subjects: [trade]}
  - {id: export-ban, title: An export ban, kind: export-control, imposed_by: [us],
     targets: [cn], status: in-force, sources: [src], subjects: [trade, tech]}
dealings:
  - {id: arms, from: cn, to: ru, kind: arms, status: suspected, sources: [late],
     subjects: [war]}
  - {id: untagged, from: cn, to: ru, kind: trade, status: confirmed, sources: [src]}
events:
  - {id: summit, date: "2024-04", title: A summit, actors: [cn, ru], sources: [src],
     subjects: [war]}
  - {id: tariff-day, date: "2024-05-01", title: Tariff day, actors: [us, cn],
     sources: [src], subjects: [trade]}
judgments:
  - {id: j-one, statement: One., likelihood: likely, confidence: low, about: [cn],
     sources: [src], subjects: [trade]}
  - {id: j-two, statement: Two., likelihood: likely, confidence: low, about: [cn],
     sources: [src], subjects: [trade]}
  - {id: j-three, statement: Three., likelihood: likely, confidence: low, about: [us],
     sources: [src], subjects: [trade]}
  - {id: j-war, statement: War., likelihood: likely, confidence: low, about: [cn],
     sources: [src], subjects: [war]}
"""


def _briefing(extra: str = "") -> str:
    return (BASE + "briefings:\n  - {id: b, title: B, bluf: x, tlp: clear, actors: [cn, us]"
            + extra + "}\n")


def _ids(part, collection: str) -> list[str]:
    return [item.id for item in getattr(part, collection)]


def test_items_sharing_a_subject_are_in_and_others_stay_out(write_yaml):
    kb = load(write_yaml({"kb.yaml": _briefing(", subjects: [trade]")}))
    part = take_slice(kb, "b")
    assert _ids(part, "measures") == ["tariff", "export-ban"]
    assert _ids(part, "dealings") == []  # war and untagged: China is named, not the subject
    assert _ids(part, "events") == ["tariff-day"]
    assert _ids(part, "judgments") == ["j-one", "j-two", "j-three"]


def test_include_and_exclude_name_items_by_id(write_yaml):
    extra = ", subjects: [trade], include: [summit, untagged], exclude: [export-ban, j-two]"
    part = take_slice(load(write_yaml({"kb.yaml": _briefing(extra)})), "b")
    assert _ids(part, "measures") == ["tariff"]
    assert _ids(part, "dealings") == ["untagged"]
    assert _ids(part, "events") == ["summit", "tariff-day"]  # date order
    assert _ids(part, "judgments") == ["j-one", "j-three"]
    assert "ru" in part.names  # named by an included item: shown by name


def test_without_subjects_a_briefing_takes_every_item_naming_its_actors(write_yaml):
    part = take_slice(load(write_yaml({"kb.yaml": _briefing()})), "b")
    assert _ids(part, "dealings") == ["arms", "untagged"]
    assert _ids(part, "judgments") == ["j-one", "j-two", "j-three", "j-war"]


def test_key_judgments_come_first_in_the_desks_order(write_yaml):
    extra = ", subjects: [trade], key_judgments: [j-three, j-war, j-one]"
    part = take_slice(load(write_yaml({"kb.yaml": _briefing(extra)})), "b")
    assert _ids(part, "judgments") == ["j-three", "j-war", "j-one", "j-two"]


def test_information_cutoff_is_the_newest_source_or_event_or_the_briefings(write_yaml):
    folder = write_yaml({"kb.yaml": _briefing()})
    assert information_cutoff(take_slice(load(folder), "b")) == "2024-06-02"
    folder = write_yaml({"kb.yaml": _briefing(", subjects: [trade]")})
    assert information_cutoff(take_slice(load(folder), "b")) == "2024-05-01"
    folder = write_yaml({"kb.yaml": _briefing(', cutoff: "2024-03"')})
    assert information_cutoff(take_slice(load(folder), "b")) == "2024-03"


def test_an_unknown_id_in_include_exclude_or_key_judgments_is_located(write_yaml):
    extra = ", include: [nope], exclude: [tariff], key_judgments: [tariff]"
    text = _briefing(extra)
    last = text.splitlines()[-1]
    where = f"kb.yaml:{len(text.splitlines())}:{last.index('nope') + 1}: "
    with pytest.raises(InvalidKnowledgeBase) as caught:
        load(write_yaml({"kb.yaml": text}))
    lines = str(caught.value).splitlines()
    assert any(where in line and "briefings[b].include[0]: no motive or measure or dealing "
               "or event or judgment with id 'nope'" in line for line in lines), lines
    assert any("briefings[b].key_judgments[0]: no judgment with id 'tariff'" in line
               for line in lines), lines
    assert not any("exclude" in line for line in lines)


def test_each_seed_note_holds_only_what_bears_on_its_subject():
    kb = load(SEEDS)
    for briefing in kb["briefings"].values():
        assert briefing.subjects, briefing.id
        part = take_slice(kb, briefing.id)
        for collection in ITEMS:
            for item in getattr(part, collection):
                chosen = item.id in {*briefing.include, *briefing.key_judgments}
                assert chosen or set(item.subjects) & set(briefing.subjects), (
                    briefing.id, item.id)
    tariffs = take_slice(kb, "us-china-tariffs")
    assert not {a.id for a in tariffs.names.values()} & {"north-korea", "ukraine", "russia"}


@pytest.mark.parametrize(("briefing", "off_subject"), [
    ("us-china-tariffs", ("Donetsk", "North Korea", "Kim Jong", "Ukraine", "munitions")),
    ("china-ukraine-war", ("tariff", "rare earth", "fentanyl")),
    ("russia-north-korea", ("tariff", "rare earth", "fentanyl")),
])
def test_a_seed_note_says_nothing_of_the_other_notes_subjects(seeds_out, briefing, off_subject):
    folder = seeds_out / briefing / "2025-04-09"
    with pymupdf.open(folder / f"{briefing}-2025-04-09.pdf") as pdf:
        text = " ".join(page.get_text() for page in pdf)  # annexes and sources included
    for other in off_subject:
        assert other not in text, other


PROFILED = """
    summary: China in general.
    sources: [src]
    profiles:
      - subjects: [trade]
        summary: China as a trading power.
        sources: [{source: late, locator: para 9}]
"""


def test_an_actor_is_profiled_for_the_notes_subject_where_it_has_a_profile(write_yaml):
    text = _briefing(", subjects: [trade]").replace(
        "  - {id: cn, name: China, kind: state}\n",
        "  - id: cn\n    name: China\n    kind: state" + PROFILED)
    kb = load(write_yaml({"kb.yaml": text}))
    china = take_slice(kb, "b").actors[0]
    assert (china.summary, [c.source for c in china.sources]) == (
        "China as a trading power.", ["late"])
    assert "late" in [s.id for s in take_slice(kb, "b").sources]
    other = load(write_yaml({"kb.yaml": text.replace("subjects: [trade]}", "subjects: [war]}")}))
    china = take_slice(other, "b").actors[0]
    assert (china.summary, [c.source for c in china.sources]) == ("China in general.", ["src"])


def test_a_profiles_unknown_source_is_located(write_yaml):
    text = _briefing().replace(
        "  - {id: cn, name: China, kind: state}\n",
        "  - id: cn\n    name: China\n    kind: state" + PROFILED.replace("source: late",
                                                                          "source: nope"))
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "nope" in row)
    with pytest.raises(InvalidKnowledgeBase,
                       match=rf"kb.yaml:{line}:\d+: actors\[cn\]\.profiles\[0\]\.sources\[0\]: "
                             r"no source with id 'nope'"):
        load(write_yaml({"kb.yaml": text}))
