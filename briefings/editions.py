"""The output folder: the one place that knows its layout, and the contract
between the wings: publish writes an edition folder and its manifest, deliver
reads them and never re-derives anything.

```
OUT/index.html                         the archive: every edition
OUT/<briefing>/<date>/index.html       the web edition
OUT/<briefing>/<date>/<id>-<date>.pdf  the PDF
OUT/<briefing>/<date>/figure-*.png     the figures as PNG, for the email
OUT/<briefing>/<date>/email.html       the email's HTML part, CSS inlined (format 1)
OUT/<briefing>/<date>/email.txt        the email's plain-text part (format 1)
OUT/<briefing>/<date>/snapshot.json    the slice it was built from
OUT/<briefing>/<date>/manifest.json    edition number, inputs hash, files, ...
```

The manifest (``format`` 1) records the briefing, edition number, date, TLP,
topics, title, summary (the BLUF), the email's parts (``email``), the figures'
PNGs (``figures``), and each file's size (``files``) and SHA-256 (``sha256``).
In the email parts, :data:`UNSUBSCRIBE_MARK` stands where each reader's own
unsubscribe link goes. A manifest without ``format`` is format 0 (before the
email was rendered at build time): no email parts, topics in ``snapshot.json``.

An edition is written to a temporary folder beside its place and moved in whole;
nothing is ever written outside ``OUT``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from briefings.errors import UserError
from briefings.stop import deferred

FORMAT = 1  # the manifest's format version; older editions stay readable
MANIFEST = "manifest.json"
EMAIL_HTML = "email.html"
EMAIL_TEXT = "email.txt"
UNSUBSCRIBE_MARK = "https://unsubscribe.invalid/briefings-unsubscribe-link"
RECORD = ".last-build.json"
SNAPSHOT = "snapshot.json"
_SAFE_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]*$")


@dataclass(frozen=True)
class Edition:
    """One written edition, as its manifest records it."""

    briefing: str
    date: str
    number: int
    title: str
    tlp: str
    inputs: str
    files: dict[str, int]
    folder: Path
    digest: str = ""  # the hash of the slice it was built from
    changes: tuple[str, ...] | None = None  # None: the first edition
    built: str = ""  # when it was written, ISO 8601 UTC
    since: dict[str, Any] | None = None  # the previous edition: {"date", "number"}
    figures: tuple[dict[str, Any], ...] = ()  # FigureImage records; PNGs beside the manifest
    format: int = 0  # 0: written before the manifest carried the email (see the module doc)
    topics: tuple[str, ...] = ()
    summary: str = ""  # the BLUF, as written (Markdown)
    email: dict[str, str] | None = None  # {"html": file, "text": file}; None before format 1
    sha256: dict[str, str] | None = None  # file name -> SHA-256 hex; None before format 1

    @property
    def html(self) -> Path:
        return self.folder / "index.html"

    @property
    def pdf(self) -> Path:
        return self.folder / pdf_name(self.briefing, self.date)


@dataclass(frozen=True)
class FigureImage:
    """A figure's PNG and its words: kept in the edition's folder, attached to its email."""

    name: str
    caption: str
    description: str
    key: tuple[str, ...]
    png: bytes = field(repr=False)

    @property
    def filename(self) -> str:
        return f"figure-{self.name}.png"

    @property
    def size(self) -> tuple[int, int]:
        """Pixels; twice the display size, for sharp images on dense screens."""
        return int.from_bytes(self.png[16:20], "big"), int.from_bytes(self.png[20:24], "big")

    def record(self) -> dict[str, object]:
        """Its entry in the edition's manifest (the PNG is a file beside it)."""
        return {"name": self.name, "file": self.filename, "caption": self.caption,
                "description": self.description, "key": list(self.key)}

    @classmethod
    def read(cls, record: dict[str, object], folder: Path) -> FigureImage:
        """The image a manifest ``record`` names, its PNG read from ``folder``."""
        png = (folder / str(record["file"])).read_bytes()
        key = record.get("key")
        return cls(str(record["name"]), str(record["caption"]), str(record["description"]),
                   tuple(map(str, key)) if isinstance(key, list) else (), png)


def content_id(name: str, edition_id: str) -> str:
    """``figure-NAME.EDITION@briefings.invalid``: unique per figure and edition (RFC 2392)."""
    safe = re.sub(r"[^A-Za-z0-9.-]", "-", edition_id)
    return f"figure-{name}.{safe}@briefings.invalid"


def pdf_name(briefing: str, date: str) -> str:
    return f"{briefing}-{date}.pdf"


def page_links(briefing: str, date: str) -> dict[str, str]:
    """Where an edition's web page links to, relative to the page: its PDF, the
    briefing's editions and the whole archive."""
    return {"pdf": pdf_name(briefing, date), "editions": "../index.html",
            "archive": "../../index.html"}


def edition_folder(out: Path, briefing: str, date: str) -> Path:
    for part in (briefing, date):
        if not _SAFE_NAME.match(part):
            raise UserError(f"refusing to write outside {out}: unsafe name {part!r}")
    return out / briefing / date


def read_edition(folder: Path) -> Edition | None:
    """The edition in ``folder``, or None if there is none (or it is unreadable)."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        return Edition(
            briefing=data["briefing"], date=data["date"], number=int(data["edition"]),
            title=data["title"], tlp=data["tlp"], inputs=data["inputs"],
            files=dict(data["files"]), folder=folder, digest=data.get("slice", ""),
            changes=None if data.get("changes") is None else tuple(data["changes"]),
            built=data.get("built", ""), since=data.get("since"),
            figures=tuple(data.get("figures") or ()), format=int(data.get("format", 0)),
            topics=tuple(data["topics"] if "topics" in data else _snapshot_topics(folder)),
            summary=data.get("summary", ""), email=data.get("email"), sha256=data.get("sha256"),
        )
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None


def _snapshot_topics(folder: Path) -> list[str]:
    """A format-0 edition's topics: its manifest has none, its snapshot has them."""
    snapshot = json.loads((folder / SNAPSHOT).read_text(encoding="utf-8"))
    return list(snapshot["briefing"].get("topics") or ())


def read_part(edition: Edition, name: str) -> bytes:
    """One file of ``edition``, checked against the SHA-256 its manifest records."""
    if not _SAFE_NAME.match(name):
        raise UserError(f"{edition.folder / MANIFEST}: refusing to read the file {name!r}")
    data = (edition.folder / name).read_bytes()
    expected = (edition.sha256 or {}).get(name)
    if expected is not None and hashlib.sha256(data).hexdigest() != expected:
        raise UserError(f"{edition.folder / name}: changed since it was built "
                        "(its SHA-256 differs from the manifest's); rebuild the edition")
    return data


def editions(out: Path, briefing: str | None = None) -> list[Edition]:
    """Every edition in ``out`` (of one briefing, if given), oldest first."""
    found: list[Edition] = []
    if not out.is_dir():
        return found
    folders = [out / briefing] if briefing else sorted(p for p in out.iterdir() if p.is_dir())
    for folder in folders:
        if not folder.is_dir():
            continue
        dated = (d for d in sorted(folder.iterdir()) if d.is_dir() and not d.name.startswith("."))
        found.extend(e for d in dated if (e := read_edition(d)))
    return sorted(found, key=lambda e: (e.briefing, e.date))


def previous_edition(out: Path, briefing: str, date: str) -> Edition | None:
    """The latest edition of ``briefing`` dated before ``date``, if any."""
    earlier = [e for e in editions(out, briefing) if e.date < date]
    return earlier[-1] if earlier else None


@deferred()  # a stop waits until the edition is in place (or cleaned away)
def write_edition(
    out: Path, *, briefing: str, date: str, files: dict[str, bytes], manifest: dict[str, Any]
) -> Edition:
    """Write an edition's files and manifest into place, all or nothing."""
    final = edition_folder(out, briefing, date)
    unsafe = [name for name in files if not _SAFE_NAME.match(name)]
    if unsafe:
        raise UserError(f"refusing to write unsafe file names {unsafe}")
    with cannot_write(final):
        final.parent.mkdir(parents=True, exist_ok=True)
        temporary = Path(tempfile.mkdtemp(prefix=f".{date}-", dir=final.parent))
        try:
            temporary.chmod(0o755)
            sizes, hashes = {}, {}
            for name, content in files.items():
                _write_all(os.open(temporary / name, _NEW_FILE, 0o644), content)
                sizes[name] = len(content)
                hashes[name] = hashlib.sha256(content).hexdigest()
            record = {**manifest, "format": FORMAT, "briefing": briefing, "date": date,
                      "files": sizes, "sha256": hashes}
            text = json.dumps(record, indent=2, sort_keys=True) + "\n"
            _write_all(os.open(temporary / MANIFEST, _NEW_FILE, 0o644), text.encode())
            _swap_in(temporary, final)
        except BaseException:
            shutil.rmtree(temporary, ignore_errors=True)
            raise
    edition = read_edition(final)
    assert edition is not None
    return edition


def _swap_in(temporary: Path, final: Path) -> None:
    if not final.exists():
        temporary.rename(final)
        return
    old = final.with_name(f".{final.name}-old-{os.getpid()}")
    final.rename(old)
    try:
        temporary.rename(final)
    except BaseException:
        old.rename(final)
        raise
    shutil.rmtree(old, ignore_errors=True)


@deferred()
def write_file(path: Path, content: bytes) -> None:
    """Write one file by moving a finished temporary file over it."""
    with cannot_write(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
        try:
            _write_all(handle, content)
            Path(name).chmod(0o644)
            Path(name).replace(path)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise


_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def _write_all(handle: int, content: bytes) -> None:
    """Write ``content`` to the open file ``handle`` and close it (a full disk raises)."""
    try:
        view = memoryview(content)
        while view:
            view = view[os.write(handle, view):]
    finally:
        os.close(handle)


@contextmanager
def cannot_write(place: Path) -> Iterator[None]:
    """A failed write (full disk, read-only folder) as a clean error naming the place.

    Whatever was being written is left as it was: the writers above move finished
    files into place, and remove their temporary files when they fail.
    """
    try:
        yield
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise UserError(f"cannot write {place}: {reason}; it is left as it was") from None


def read_record(out: Path) -> dict[str, Any]:
    """What the last full build of ``out`` recorded (empty if none or unreadable)."""
    try:
        record = json.loads((out / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    return record if isinstance(record, dict) else {}


def write_record(out: Path, record: dict[str, Any]) -> None:
    """Record the last full build (an empty record forgets it)."""
    write_file(out / RECORD, json.dumps(record, sort_keys=True).encode())
