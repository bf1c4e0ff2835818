"""The wheel carries the default templates and the starter desk: `pip install .` works anywhere."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from conftest import ROOT, SAMPLE, SAMPLE_DATE


def test_installed_wheel_builds_a_note_with_its_packaged_templates(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(wheels), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)],
                   check=True, timeout=120)
    python = venv / "bin" / "python"
    # The dependencies come from the environment running the tests (a virtualenv or
    # not): its site-packages is added after the new venv's own, which holds the wheel.
    purelib = sysconfig.get_paths()["purelib"]
    ask = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = subprocess.run([str(python), "-c", ask], check=True, capture_output=True, text=True,
                          timeout=60).stdout.strip()
    (Path(site) / "outer.pth").write_text(f"import site; site.addsitedir({purelib!r})\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                    "--no-deps",
                    *map(str, wheels.glob("*.whl"))], check=True, capture_output=True,
                   timeout=300)
    work = tmp_path / "elsewhere"
    shutil.copytree(SAMPLE, work / "seeds")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the wheel, not ROOT
    where = subprocess.run(
        [str(python), "-c", "import briefings, sys; print(briefings.__file__)"],
        cwd=work, capture_output=True, text=True, check=True, timeout=60, env=env,
    )
    assert str(venv) in where.stdout
    result = subprocess.run(
        [str(python), "-m", "briefings", "build", "--date", SAMPLE_DATE, "--jobs", "1"],
        cwd=work, capture_output=True, text=True, timeout=300, check=False, env=env,
    )
    assert result.returncode == 0, result.stderr
    assert not (work / "templates").exists()
    assert (work / "out" / "river-dispute" / SAMPLE_DATE / "index.html").is_file()
    assert (work / "out" / "river-dispute" / SAMPLE_DATE /
            f"river-dispute-{SAMPLE_DATE}.pdf").stat().st_size > 10_000
    desk = tmp_path / "desk"
    started = subprocess.run([str(python), "-m", "briefings", "init", str(desk)],
                             capture_output=True, text=True, timeout=60, check=False)
    assert started.returncode == 0, started.stderr
    checked = subprocess.run([str(python), "-m", "briefings", "validate"], cwd=desk,
                             capture_output=True, text=True, timeout=60, check=False)
    assert checked.returncode == 0, checked.stderr
    assert (desk / ".gitignore").is_file()
    assert (desk / "templates" / "README.md").is_file()
