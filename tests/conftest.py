"""Shared fixtures: the sample knowledge base built once, and YAML written on the fly."""

from __future__ import annotations

import fcntl
import gc
import hashlib
import logging
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from briefings.publish import pdf
from briefings.publish.build import build

# The build prints PDFs in worker processes forked from this one. A one-off command
# lets each worker import WeasyPrint while it prepares the notes; the test session,
# like any long-running process, imports it once here and its workers start with it.
# The session holds every module it imported for good: frozen, the collector never
# scans them again (the PDF workers tune theirs the same way, publish/printer.py).
gc.freeze()

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "sample"
SEEDS = ROOT / "seeds"
SAMPLE_DATE = "2024-04-01"


def _run_folder(factory: pytest.TempPathFactory) -> Path:
    """This run's folder, the one every pytest-xdist worker of the run shares."""
    own = factory.getbasetemp()
    return own.parent if "PYTEST_XDIST_WORKER" in os.environ else own


def _built_once(factory: pytest.TempPathFactory, name: str, **options: Any) -> Path:
    """An output folder built once for the whole run, shared by pytest-xdist's workers.

    The first worker to ask builds it under a lock; the others wait and read it.
    """
    shared = _run_folder(factory)
    out, done = shared / name, shared / f"{name}.done"
    with (shared / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(out, ignore_errors=True)
            build(out=out, templates=None, **options)
            done.touch()
    return out


@pytest.fixture(scope="session")
def sample_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample knowledge base built once for the run (read-only for tests)."""
    return _built_once(tmp_path_factory, "sample-out", seeds=SAMPLE, date=SAMPLE_DATE, jobs=1)


@pytest.fixture(scope="session")
def seeds_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed knowledge base built once for the run (read-only for tests)."""
    return _built_once(tmp_path_factory, "seeds-out", seeds=SEEDS, date="2025-04-09", jobs=2)


def rewrite(folder: Path, *pairs: tuple[str, str]) -> None:
    """Replace text in ``folder/knowledge.yaml`` (a copy of the sample), each once."""
    path = folder / "knowledge.yaml"
    text = path.read_text(encoding="utf-8")
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")


DAILY = (  # a second briefing for a copy of the sample: daily at 06:00 UTC
    "  - id: second\n    title: Second\n    bluf: B\n    tlp: green\n"
    "    actors: [highland]\n    schedule: '0 6 * * *'\n    timezone: UTC\n"
)


def add_briefing(folder: Path, text: str = DAILY) -> None:
    """Append a briefing to ``folder/knowledge.yaml`` (a copy of the sample, whose
    briefings list comes last)."""
    path = folder / "knowledge.yaml"
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def fail_builds_of(monkeypatch: pytest.MonkeyPatch, briefing: str) -> Any:
    """Make every build that includes ``briefing`` fail as on a full disk; the real
    ``build``, to put back."""
    from briefings.publish import build as build_module

    real = build_module.build

    def flaky(**kwargs: Any) -> Any:
        if briefing in kwargs["only"]:
            raise OSError("disk full")
        return real(**kwargs)

    monkeypatch.setattr(build_module, "build", flaky)
    return real


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    """A writable copy of the sample knowledge base."""
    target = tmp_path / "seeds"
    shutil.copytree(SAMPLE, target)
    return target


@pytest.fixture
def write_yaml(tmp_path: Path):
    """Write YAML files into a fresh seeds folder: ``write_yaml({"a.yaml": text})``."""
    folder = tmp_path / "kb"
    folder.mkdir()

    def write(files: dict[str, str | bytes]) -> Path:
        for name, content in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return folder

    return write


@pytest.fixture
def no_warnings(caplog: pytest.LogCaptureFixture):
    """Fail the test if anything logged a warning or worse (silent degradation is a bug)."""
    caplog.set_level(logging.WARNING)
    yield caplog
    bad = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not bad, [r.getMessage() for r in bad]


@pytest.fixture(autouse=True)
def print_each_note_once(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
                         tmp_path_factory: pytest.TempPathFactory) -> None:
    """Share printed PDFs between tests: WeasyPrint prints each distinct input once a run.

    Many tests build the same note (the sample, unchanged) only to reach the state
    they test. Printing is deterministic (tests/test_reproducible.py), so a PDF is
    kept under the hash of everything WeasyPrint reads: the print HTML and the
    files of the asset folders. A different note, template or stylesheet is printed
    anew. The workers are forked, so the PDFs are shared through files (by every
    pytest-xdist worker too). Tests of printing itself carry ``@pytest.mark.fresh_pdfs``.
    """
    if request.node.get_closest_marker("fresh_pdfs"):
        return
    shelf = _run_folder(tmp_path_factory) / "printed"
    shelf.mkdir(exist_ok=True)
    real = pdf.write_pdf

    def write_pdf(html: str, *, asset_dirs: list[Path]) -> tuple[bytes, int]:
        key = hashlib.sha256(html.encode())
        for folder in asset_dirs:
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                key.update(str(path).encode() + b"\0" + path.read_bytes())
        kept = shelf / f"{key.hexdigest()}.pdf"
        if kept.exists():
            pages, _, data = kept.read_bytes().partition(b"\n")
            return data, int(pages)
        data, pages = real(html, asset_dirs=asset_dirs)
        partial = kept.with_suffix(f".{os.getpid()}")
        partial.write_bytes(b"%d\n" % pages + data)
        partial.replace(kept)
        return data, pages

    monkeypatch.setattr(pdf, "write_pdf", write_pdf)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "fresh_pdfs: print every PDF anew (see print_each_note_once)")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true",
                     help="rewrite tests/golden/ from the seeds instead of comparing")
