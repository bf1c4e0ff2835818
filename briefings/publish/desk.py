"""``briefings init``: a starter desk, written from the package's ``starter/`` folder.

The starter is files, not strings in code: a small knowledge base on a made-up
subject exercising every collection and a briefing, a ``templates/`` folder with a
note on overriding, example subscribers and a README. Nothing is overwritten: if any
path the starter would write exists, nothing is written at all.
"""

from __future__ import annotations

from pathlib import Path

from briefings.errors import UserError

STARTER = Path(__file__).parent / "starter"
_RENAMED = {"gitignore": ".gitignore"}  # kept without the dot in the package


def starter_files() -> dict[Path, Path]:
    """Each file of the starter desk: its place in a new desk -> the packaged file."""
    files = {}
    for path in sorted(STARTER.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            relative = path.relative_to(STARTER)
            files[relative.with_name(_RENAMED.get(relative.name, relative.name))] = path
    return files


def init_desk(*, target: Path) -> list[Path]:
    """Write the starter desk into ``target``; the paths written, relative to it."""
    if target.exists() and not target.is_dir():
        raise UserError(f"{target}: not a folder (nothing was written)")
    files = starter_files()
    tops = {Path(relative.parts[0]) for relative in files}
    clashes = sorted(str(target / top) for top in tops
                     if (target / top).exists() or (target / top).is_symlink())
    if clashes:
        raise UserError(f"{', '.join(clashes)}: already exists; init writes only into "
                        "a folder without them (nothing was written)")
    for relative, packaged in files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(packaged.read_bytes())
    return list(files)
