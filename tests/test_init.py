"""``briefings init``: a starter desk that validates, lints clean and builds a PDF."""

from __future__ import annotations

import os

import pymupdf
from conftest import SAMPLE, SEEDS
from test_cli import run

from briefings.model import COLLECTIONS
from briefings.publish.desk import starter_files
from briefings.publish.load import load


def _tree(folder):
    return sorted((str(p.relative_to(folder)), p.read_bytes() if p.is_file() else b"")
                  for p in folder.rglob("*"))


def test_init_writes_a_desk_that_validates_lints_and_builds_a_pdf(tmp_path):
    desk = tmp_path / "desk"
    result = run("init", str(desk))
    assert result.returncode == 0, result.stderr
    written = {str(p.relative_to(desk)) for p in desk.rglob("*") if p.is_file()}
    assert written == {str(p) for p in starter_files()}
    assert {"README.md", "subscribers.csv", ".gitignore", "templates/README.md"} <= written
    kb = load(desk / "seeds")
    assert all(kb[name] for name in COLLECTIONS), "every collection has an example"

    assert run("validate", cwd=desk).returncode == 0
    newest = max(s.published for s in kb["sources"].values())
    linted = run("lint", "--strict", "--as-of", f"{newest[:4]}-12-31", cwd=desk)
    assert linted.returncode == 0, linted.stdout
    built = run("build", "--date", "2026-12-01", "--jobs", "1", cwd=desk)
    assert built.returncode == 0, built.stderr
    briefing = next(iter(kb["briefings"].values()))
    pdf = desk / "out" / briefing.id / "2026-12-01" / f"{briefing.id}-2026-12-01.pdf"
    with pymupdf.open(pdf) as document:
        text = " ".join(page.get_text() for page in document)
    assert briefing.title in " ".join(text.split())
    assert f"TLP:{briefing.tlp.upper()}" in text


def test_the_starter_subject_is_not_the_seeds_or_the_sample():
    starter = load(next(p for p in starter_files().values() if p.parent.name == "seeds").parent)
    for other in (SEEDS, SAMPLE):
        kb = load(other)
        for name in ("actors", "briefings", "sources"):
            assert not set(starter[name]) & set(kb[name]), (other, name)


def test_init_defaults_to_this_folder_and_its_csv_imports(tmp_path):
    assert run("init", cwd=tmp_path).returncode == 0
    assert (tmp_path / "seeds").is_dir()
    env = {**os.environ, "BRIEFINGS_STATE": str(tmp_path / "state.sqlite3")}
    imported = run("subscribers", "import", "subscribers.csv", cwd=tmp_path, env=env)
    assert imported.returncode == 0, imported.stderr
    rows = len((tmp_path / "subscribers.csv").read_text(encoding="utf-8").splitlines()) - 1
    assert imported.stdout.startswith(f"{rows} added")


def test_init_refuses_to_overwrite_and_changes_nothing(tmp_path):
    desk = tmp_path / "desk"
    (desk / "seeds").mkdir(parents=True)
    (desk / "seeds" / "mine.yaml").write_text("actors: []\n", encoding="utf-8")
    (desk / "notes.txt").write_text("my own notes\n", encoding="utf-8")
    before = _tree(desk)
    result = run("init", str(desk))
    assert result.returncode == 1
    assert "seeds" in result.stderr
    assert "Traceback" not in result.stderr
    assert _tree(desk) == before

    other = tmp_path / "other"
    other.mkdir()
    (other / "README.md").write_text("mine\n", encoding="utf-8")
    assert run("init", str(other)).returncode == 1
    assert _tree(other) == [("README.md", b"mine\n")]


def test_init_into_a_folder_with_other_files_keeps_them(tmp_path):
    (tmp_path / "notes.txt").write_text("my own notes\n", encoding="utf-8")
    assert run("init", str(tmp_path)).returncode == 0
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "my own notes\n"
