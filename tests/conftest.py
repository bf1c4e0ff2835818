"""Shared fixtures: the sample knowledge base built once, and YAML written on the fly."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from briefings.publish.build import build

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "sample"
SEEDS = ROOT / "seeds"
SAMPLE_DATE = "2024-04-01"


@pytest.fixture(scope="session")
def sample_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample knowledge base built once for the session (read-only for tests)."""
    out = tmp_path_factory.mktemp("sample-out")
    build(seeds=SAMPLE, templates=None, out=out, date=SAMPLE_DATE, jobs=1)
    return out


@pytest.fixture(scope="session")
def seeds_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed knowledge base built once for the session (read-only for tests)."""
    out = tmp_path_factory.mktemp("seeds-out")
    build(seeds=SEEDS, templates=None, out=out, date="2025-04-09", jobs=2)
    return out


def rewrite(folder: Path, *pairs: tuple[str, str]) -> None:
    """Replace text in ``folder/knowledge.yaml`` (a copy of the sample), each once."""
    path = folder / "knowledge.yaml"
    text = path.read_text(encoding="utf-8")
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")


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


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true",
                     help="rewrite tests/golden/ from the seeds instead of comparing")
