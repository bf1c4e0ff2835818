"""The code is ruff clean and strictly typed (the configuration is in pyproject.toml)."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

from conftest import ROOT


def test_ruff_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "briefings", "tests", "bench"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "pyproject.toml"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_strict_typing_stays_on_for_our_code():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert config["strict"] is True
    assert config["files"] == ["briefings"]
    for override in config.get("overrides", []):
        modules = override["module"]
        assert not any(m.startswith("briefings") for m in modules), override
        assert set(override) == {"module", "ignore_missing_imports"}, override


def test_type_ignores_are_rare_and_each_says_which_error_and_why():
    ignores = [
        (path.relative_to(ROOT), line)
        for path in sorted((ROOT / "briefings").rglob("*.py"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if "type: ignore" in line
    ]
    assert len(ignores) <= 3, ignores
    for path, line in ignores:
        assert re.search(r"# type: ignore\[[a-z-]+(, ?[a-z-]+)*\]  # \S", line), (path, line)


def test_pyproject_cites_only_files_in_the_repository():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    cited = set(re.findall(r"[\w./-]+\.(?:md|py|sh|toml|txt|cfg|ini)\b", text))
    assert "STYLE.md" in cited
    missing = sorted(name for name in cited if not (ROOT / name).exists()
                     and not list(ROOT.glob(f"**/{name}")))
    assert not missing, missing
