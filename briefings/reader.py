"""The one YAML reader: safe, strict and located.

Every value keeps the place it came from, so the loader can name ``file:line:col``.
Scalars stay text (``2023-09-12`` and ``NO`` are strings; numbers are converted by
the model where a field wants one). Aliases, custom tags, duplicate keys and nesting
deeper than ``MAX_DEPTH`` are refused; files over ``MAX_FILE_BYTES`` are not read, nor
files and folders reached through a link that leaves the seeds folder.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from briefings.errors import InvalidKnowledgeBase, Problem, UserError

try:
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]  # same API, in Python

_TAG_OF_KIND = {
    yaml.ScalarNode: "tag:yaml.org,2002:str",
    yaml.SequenceNode: "tag:yaml.org,2002:seq",
    yaml.MappingNode: "tag:yaml.org,2002:map",
}


class _Loader(_SafeLoader):
    """Composes nodes only; untagged values get the plain str/seq/map tag.

    We decide what a plain scalar means ourselves (text, or null), so PyYAML's
    implicit resolvers (dates, booleans like ``NO``) are skipped: faster and safer.
    """

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:  # noqa: ARG002
        return _TAG_OF_KIND[kind]

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 32  # the format needs 5 levels; deeper is a mistake or an attack
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_STANDARD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:timestamp",
}

Path_ = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Located:
    """A document's plain data and the 1-based (line, column) of each path in it."""

    data: Any
    marks: dict[Path_, tuple[int, int]]

    def mark(self, path: Path_) -> tuple[int, int]:
        """The place of ``path``, or of the nearest enclosing value that has one."""
        while path not in self.marks and path:
            path = path[:-1]
        return self.marks.get(path, (1, 1))


class ReadError(Exception):
    """A file that cannot be read as YAML; carries its place."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


def yaml_files(seeds: Path) -> list[Path]:
    """The knowledge-base files below ``seeds``, in a stable order; links out refused."""
    files, refused = seed_files(seeds)
    if refused:
        raise InvalidKnowledgeBase(refused)
    return files


def seed_files(seeds: Path) -> tuple[list[Path], list[Problem]]:
    """The ``*.yaml``/``*.yml`` files below ``seeds`` (hidden ones left out), and a
    problem for each file or folder reached through a link that leaves the folder.

    A linked folder that stays inside is not walked twice (its files are read where
    they are); a linked file that stays inside is read.
    """
    if not seeds.is_dir():
        raise UserError(f"{seeds}: no such folder (the seeds folder holds the YAML files)")
    root = seeds.resolve()
    files: list[Path] = []
    refused: list[Problem] = []

    def leaves(path: Path) -> bool:
        if not path.is_symlink():
            return False
        target = path.resolve()
        if target.is_relative_to(root) and target.exists():
            return False
        message = (f"a link to {target}, outside the seeds folder: only files inside it are "
                   "read (copy them in)") if target.exists() else \
            f"a link to {target}, which does not exist"
        refused.append(Problem(display(path), 1, 1, "", message))
        return True

    for folder, subfolders, names in os.walk(seeds):
        here = Path(folder)
        subfolders[:] = sorted(
            name for name in subfolders
            if not name.startswith(".") and not leaves(here / name)
            and not (here / name).is_symlink()
        )
        files.extend(
            here / name for name in names
            if Path(name).suffix in {".yaml", ".yml"} and not name.startswith(".")
            and not leaves(here / name) and (here / name).is_file()
        )
    return sorted(files), refused


def display(path: Path) -> str:
    """How errors name a file: relative to the current folder when it is below it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)
    return str(path) if relative.startswith("..") else relative



def read_yaml(path: Path) -> Located:
    """Read one YAML file into plain data (dicts, lists, strings, None)."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ReadError(f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}")
        raw = path.read_bytes()
    except OSError as exc:
        raise ReadError(f"cannot read the file: {exc.strerror or exc}") from None
    text = utf8_text(raw)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        lines = text.splitlines()
        if line <= len(lines) and "\t" in lines[line - 1][:column]:
            problem = "tab character: YAML indents with spaces only"
        raise ReadError(problem, line, column) from None
    except yaml.YAMLError as exc:
        raise ReadError(str(exc).splitlines()[0]) from None
    except RecursionError:  # the pure-Python composer, on very deep nesting
        raise ReadError(f"nested deeper than {MAX_DEPTH} levels") from None
    marks: dict[Path_, tuple[int, int]] = {}
    data = _plain(node, (), marks, set()) if node is not None else None
    return Located(data, marks)


def utf8_text(raw: bytes) -> str:
    """``raw`` as UTF-8 text (a BOM dropped); ReadError at the first byte that is not."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - raw.rfind(b"\n", 0, exc.start)
        raise ReadError("not valid UTF-8 text", line, column) from None


def _plain(
    node: yaml.Node, path: Path_, marks: dict[Path_, tuple[int, int]], seen: set[int],
) -> Any:
    _check_node(node, path, seen)
    marks.setdefault(path, _place(node))
    if isinstance(node, yaml.ScalarNode):
        if node.style is None and _NULL.match(node.value):
            return None
        return node.value
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item, (*path, i), marks, seen) for i, item in enumerate(node.value)]
    result: dict[str, Any] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise ReadError("mapping keys must be plain text", *_place(key_node))
        key = key_node.value
        if key == "<<":
            raise ReadError("merge keys (<<) are not allowed", *_place(key_node))
        if key in result:
            raise ReadError(f"duplicate key {key!r}", *_place(key_node))
        marks[(*path, key)] = _place(key_node)
        result[key] = _plain(value_node, (*path, key), marks, seen)
    return result


def _check_node(node: yaml.Node, path: Path_, seen: set[int]) -> None:
    if id(node) in seen:
        raise ReadError("aliases (*name) are not allowed", *_place(node))
    if len(path) > MAX_DEPTH:
        raise ReadError(f"nested deeper than {MAX_DEPTH} levels", *_place(node))
    seen.add(id(node))
    if node.tag not in _STANDARD_TAGS:
        raise ReadError(f"tag {node.tag} is not allowed", *_place(node))


def _place(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1
