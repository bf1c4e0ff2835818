"""The command line, run as a user runs it: a subprocess, its output and exit code."""

from __future__ import annotations

import json
import subprocess
import sys

import jsonschema
import pytest
import yaml
from conftest import ROOT, SAMPLE, SAMPLE_DATE


def run(*args: str, cwd=ROOT, env=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "briefings", *args], cwd=cwd, capture_output=True, text=True,
        timeout=120, env=env, check=False,
    )


def imports_after(args: list[str]) -> set[str]:
    code = (
        "import sys\nfrom briefings.cli.main import cli\n"
        f"try:\n    cli({args!r}, prog_name='briefings')\nexcept SystemExit:\n    pass\n"
        "print(' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, check=False)
    return set(result.stderr.split()[-1000:]) | set(result.stderr.split())


@pytest.mark.parametrize("args", [["--help"], ["validate", "--seeds", str(SAMPLE)]])
def test_help_and_validate_never_import_weasyprint(args):
    modules = imports_after(args)
    assert "click" in modules
    assert "weasyprint" not in modules
    if args[0] == "validate":
        assert "briefings.publish.load" in modules


def test_help_documents_every_option_of_every_command():
    from click.testing import CliRunner

    from briefings.cli.main import cli

    assert run("--help").returncode == 0  # as a user runs it; each command's help below
    for name, command in cli.commands.items():  # in this process: the same click text
        result = CliRunner().invoke(cli, [name, "--help"], prog_name="briefings")
        assert result.exit_code == 0, result.output
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--"):
                    assert opt in result.output, (name, opt)
            if param.param_type_name == "option":
                assert param.help, (name, param.name)


def test_validate_reports_every_error_without_a_traceback(tmp_path):
    bad = tmp_path / "kb"
    bad.mkdir()
    (bad / "a.yaml").write_text("actors:\n  - id: x\n    name: X\n    kind: leader\n"
                                "  - id: y\n    kind: state\n", encoding="utf-8")
    result = run("validate", "--seeds", str(bad))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0].endswith("a.yaml:4:5: actors[x].kind: expected one of person, state, "
                             "organisation, group, got 'leader'")
    assert lines[1].endswith("a.yaml:5:5: actors[y].name: required field is missing")
    assert lines[2] == "2 errors in the knowledge base"


def test_validate_on_a_good_knowledge_base(tmp_path):
    result = run("validate", "--seeds", str(SAMPLE))
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout and "1 briefings" in result.stdout


def test_build_with_errors_writes_nothing(tmp_path):
    bad = tmp_path / "kb"
    bad.mkdir()
    (bad / "a.yaml").write_text("actors: 3\n", encoding="utf-8")
    result = run("build", "--seeds", str(bad), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "a.yaml:1:1: actors: expected a list of items" in result.stderr
    assert not (tmp_path / "out").exists()


def test_build_skip_force_summary_and_plain_progress(tmp_path):
    out = tmp_path / "out"
    args = ("build", "--seeds", str(SAMPLE), "--out", str(out), "--date", SAMPLE_DATE,
            "--jobs", "1")
    first = run(*args)
    assert first.returncode == 0, first.stderr
    assert "[1/1] river-dispute" in first.stderr
    assert "1 built, 0 unchanged and skipped" in first.stdout
    assert "pages" in first.stdout and "bytes" in first.stdout
    pdf = out / "river-dispute" / SAMPLE_DATE / f"river-dispute-{SAMPLE_DATE}.pdf"
    stamp = pdf.stat().st_mtime_ns
    second = run(*args)
    assert "0 built, 1 unchanged and skipped" in second.stdout
    assert pdf.stat().st_mtime_ns == stamp
    forced = run(*args, "--force")
    assert "1 built, 0 unchanged and skipped" in forced.stdout
    manifest = json.loads((pdf.parent / "manifest.json").read_text())
    assert manifest["edition"] == 1
    assert manifest["files"][pdf.name] == pdf.stat().st_size


def test_build_only_named_briefings_and_unknown_ids(tmp_path):
    result = run("build", "--seeds", str(SAMPLE), "--out", str(tmp_path), "no-such")
    assert result.returncode == 1
    assert "no briefing with id 'no-such'" in result.stderr
    assert "river-dispute" in result.stderr
    assert "Traceback" not in result.stderr
    bad_date = run("build", "--seeds", str(SAMPLE), "--date", "2024-13-01")
    assert bad_date.returncode == 2 and "YYYY-MM-DD" in bad_date.stderr


def test_schema_is_json_schema_that_accepts_the_sample_and_rejects_typos():
    result = run("schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in SAMPLE.glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data = json.loads(json.dumps(data, default=str))
        errors = list(validator.iter_errors(data))
        assert not errors, [e.message for e in errors]
    typo = {"actors": [{"id": "x", "name": "X", "kind": "leader"}]}
    assert list(validator.iter_errors(typo))
