"""The house rules, read from the source with ``ast`` (imports inside functions and
``TYPE_CHECKING`` blocks count):

- ``briefings/publish/`` (knowledge base -> edition) never imports deliver;
  ``briefings/deliver/`` (edition -> readers) never imports publish; the core
  (modules directly in ``briefings/``) imports neither wing; only
  ``briefings/cli/`` (and the ``python -m briefings`` shim) imports the CLI,
  click, or both wings;
- only ``briefings/config.py`` reads the environment;
- WeasyPrint, Matplotlib and Graphviz only in publish; smtplib only in deliver;
- no import cycles between our modules.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT

PACKAGE = ROOT / "briefings"
WINGS = ("publish", "deliver")
LIBRARIES = {  # a third-party or standard library -> the only wing that may import it
    "weasyprint": "publish", "matplotlib": "publish", "graphviz": "publish",
    "smtplib": "deliver",
}
_ENVIRONMENT = {"environ", "getenv", "putenv", "unsetenv", "environb", "getenvb"}


@dataclass(frozen=True)
class Module:
    name: str  # dotted, e.g. briefings.publish.build
    path: Path
    imports: frozenset[str]  # every module named by an import, dotted
    reads_environment: bool

    @property
    def part(self) -> str:
        """publish, deliver, cli or core."""
        parts = self.name.split(".")
        if self.name == "briefings.__main__":
            return "cli"  # the `python -m briefings` shim
        return parts[1] if len(parts) > 1 and parts[1] in {*WINGS, "cli"} else "core"


def parse(name: str, source: str, path: Path) -> Module:
    tree = ast.parse(source, filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    imports: set[str] = set()
    environment = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imports.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x, from ..core import y
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            imports.add(base)
            imports.update(f"{base}.{alias.name}" for alias in node.names)  # may be modules
            if base == "os" and {a.name for a in node.names} & _ENVIRONMENT:
                environment = True
        elif (isinstance(node, ast.Attribute) and node.attr in _ENVIRONMENT
              and isinstance(node.value, ast.Name) and node.value.id == "os"):
            environment = True
    return Module(name, path, frozenset(imports), environment)


def modules() -> dict[str, Module]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(ROOT).with_suffix("")
        parts = list(relative.parts)
        if parts[-1] == "__init__":
            parts.pop()
        name = ".".join(parts)
        found[name] = parse(name, path.read_text(encoding="utf-8"), path)
    return found


def ours(module: Module, known: dict[str, Module]) -> set[str]:
    """The modules of ours that ``module`` imports (a package counts as its __init__)."""
    return {name for name in module.imports if name in known and name != module.name}


def broken_rules(known: dict[str, Module]) -> list[str]:
    """Every rule broken, as ``module: what``."""
    problems = []
    for module in known.values():
        targets = {known[n].part for n in ours(module, known) if n != "briefings"}
        if module.part in WINGS:
            other = WINGS[1 - WINGS.index(module.part)]
            problems += [f"{module.name}: {module.part} imports {p}"
                         for p in sorted(targets & {other, "cli"})]
        elif module.part == "core":
            problems += [f"{module.name}: the core imports {p}"
                         for p in sorted(targets & {*WINGS, "cli"})]
        top = {name.split(".")[0] for name in module.imports}
        if "click" in top and module.part != "cli":
            problems.append(f"{module.name}: imports click outside briefings/cli/")
        for library, wing in LIBRARIES.items():
            if library in top and module.part != wing:
                problems.append(f"{module.name}: imports {library} outside {wing}")
        if module.reads_environment and module.name != "briefings.config":
            problems.append(f"{module.name}: reads the environment outside config.py")
    return problems


def cycles(known: dict[str, Module]) -> list[list[str]]:
    """Import cycles among our modules (each found once, from its first module)."""
    graph = {name: sorted(ours(m, known)) for name, m in known.items()}
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        path.append(name)
        for target in graph[name]:
            if state.get(target) == 1:
                found.append([*path[path.index(target):], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[name] = 2

    for name in graph:
        if name not in state:
            visit(name)
    return found


def test_every_part_exists():
    parts = {m.part for m in modules().values()}
    assert parts == {"publish", "deliver", "cli", "core"}


def test_the_wings_the_core_and_the_cli_keep_their_directions():
    assert broken_rules(modules()) == []


def test_only_the_cli_imports_both_wings():
    known = modules()
    both = sorted(m.name for m in known.values()
                  if {known[n].part for n in ours(m, known)} >= set(WINGS))
    assert both, "the scheduled run needs both wings"
    assert all(known[name].part == "cli" for name in both), both


def test_there_are_no_import_cycles():
    assert cycles(modules()) == []


@pytest.mark.parametrize(("name", "source", "expected"), [
    ("briefings.publish.x", "def f():\n    from briefings.deliver import mail\n",
     "publish imports deliver"),
    ("briefings.deliver.x", "from briefings.publish.render import get_env\n",
     "deliver imports publish"),
    ("briefings.editions", "if TYPE_CHECKING:\n    from briefings.publish import scope\n",
     "the core imports publish"),
    ("briefings.errors", "import click\n", "imports click outside"),
    ("briefings.deliver.x", "import os\nos.environ.get('X')\n", "reads the environment"),
    ("briefings.deliver.x", "from os import getenv\n", "reads the environment"),
    ("briefings.deliver.x", "def f():\n    import weasyprint\n", "imports weasyprint outside"),
    ("briefings.publish.x", "import smtplib\n", "imports smtplib outside deliver"),
    ("briefings.deliver.x", "from ..publish import render\n", "deliver imports publish"),
])
def test_the_checker_catches_each_kind_of_break(name, source, expected):
    known = modules()
    known[name] = parse(name, source, PACKAGE / "x.py")
    assert any(expected in problem for problem in broken_rules(known)), broken_rules(known)


def test_the_checker_catches_a_cycle():
    known = modules()
    known["briefings.errors"] = parse("briefings.errors", "def f():\n    import briefings.config\n",
                                      PACKAGE / "errors.py")
    assert ["briefings.config", "briefings.errors", "briefings.config"] in cycles(known)


def test_no_module_is_over_350_lines():
    long = {m.name: n for m in modules().values()
            if (n := len(m.path.read_text(encoding="utf-8").splitlines())) > 350}
    assert long == {}
