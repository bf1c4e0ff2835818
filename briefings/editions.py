"""The output folder: the one place that knows its layout, and the contract
between the wings: publish writes an edition folder and its manifest, deliver
reads them and never re-derives anything.

```
OUT/index.html                         the desk's archive: every edition (private)
OUT/<briefing>/<date>/index.html       the web edition
OUT/<briefing>/<date>/<id>-<date>.pdf  the PDF
OUT/<briefing>/<date>/figure-*.png     the figures as PNG, for the email
OUT/<briefing>/<date>/email.html       the email's HTML part, CSS inlined (format 1)
OUT/<briefing>/<date>/email.txt        the email's plain-text part (format 1)
OUT/<briefing>/<date>/snapshot.json    the slice it was built from
OUT/<briefing>/<date>/manifest.json    edition number, inputs hash, files, ...
OUT/<briefing>/<date>/correction-<n>/  a correction: the same files, the original kept
OUT/<briefing>/<date>/withdrawn.json   why and when the edition was withdrawn, if it was
OUT/public/                            the publishable site (written by the archive)
```

The manifest (``format`` 1) records the briefing, edition number, date, TLP,
topics, title, summary (the BLUF), the email's parts (``email``), the figures'
PNGs (``figures``), and each file's size (``files``) and SHA-256 (``sha256``).
In the email parts, :data:`UNSUBSCRIBE_MARK` stands where each reader's own
unsubscribe link goes. A manifest without ``format`` is format 0 (before the
email was rendered at build time): no email parts, topics in ``snapshot.json``.

An edition is written to a temporary folder beside its place and moved in whole;
nothing is ever written outside ``OUT``. Once an edition has been delivered its files
never change: a correction is a new folder beside them, a withdrawal a new file.
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
from dataclasses import dataclass
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
WITHDRAWN = "withdrawn.json"
PUBLIC = "public"  # OUT/public: the publishable site
_CORRECTION = re.compile(r"^correction-([1-9][0-9]*)$")
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
    red_readers: tuple[str, ...] = ()  # the only readers a TLP:RED edition may go to
    correction: dict[str, Any] | None = None  # {"number", "why", "corrected", "original"}
    withdrawn: dict[str, Any] | None = None  # {"why", "when"}

    @property
    def html(self) -> Path:
        return self.folder / "index.html"

    @property
    def pdf(self) -> Path:
        return self.folder / pdf_name(self.briefing, self.date, self.correction_number)

    @property
    def correction_number(self) -> int:
        """0 for the edition as first issued, n for its n-th correction."""
        return int(self.correction["number"]) if self.correction else 0

    @property
    def path(self) -> str:
        """The edition's folder relative to ``OUT`` (and to ``OUT/public``), with a slash."""
        tail = f"correction-{self.correction_number}/" if self.correction else ""
        return f"{self.briefing}/{self.date}/{tail}"


def pdf_name(briefing: str, date: str, correction: int = 0) -> str:
    tail = f"-correction-{correction}" if correction else ""
    return f"{briefing}-{date}{tail}.pdf"


def page_links(briefing: str, date: str, correction: int = 0) -> dict[str, str]:
    """Where an edition's web page links to, relative to the page: its PDF, the
    briefing's editions and the whole archive (a correction is one folder deeper)."""
    up = "../" if correction else ""
    return {"pdf": pdf_name(briefing, date, correction), "editions": f"{up}../index.html",
            "archive": f"{up}../../index.html"}


def edition_folder(out: Path, briefing: str, date: str) -> Path:
    if briefing == PUBLIC:
        raise UserError(f"the briefing id {PUBLIC!r} is reserved: {out / PUBLIC} is the site")
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
            red_readers=tuple(data.get("red_readers") or ()), correction=data.get("correction"),
            withdrawn=_withdrawal(folder.parent if data.get("correction") else folder),
        )
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None


def _withdrawal(folder: Path) -> dict[str, Any] | None:
    try:
        record = json.loads((folder / WITHDRAWN).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def corrections(folder: Path) -> list[Edition]:
    """The corrections of the edition in ``folder``, first to last."""
    if not folder.is_dir():
        return []
    numbered = sorted(
        (int(match.group(1)), child) for child in folder.iterdir()
        if child.is_dir() and (match := _CORRECTION.match(child.name))
    )
    return [e for _, child in numbered if (e := read_edition(child))]


def current_edition(folder: Path) -> Edition | None:
    """The edition in ``folder`` as readers should now see it: its latest correction,
    or the edition as first issued."""
    original = read_edition(folder)
    if original is None:
        return None
    later = corrections(folder)
    return later[-1] if later else original


def editions(out: Path, briefing: str | None = None, *, as_issued: bool = False) -> list[Edition]:
    """Every edition in ``out`` (of one briefing, if given), oldest first.

    Each date gives its current version (its latest correction, if any), or with
    ``as_issued`` the edition as first issued. ``OUT/public`` holds no editions.
    """
    found: list[Edition] = []
    if not out.is_dir():
        return found
    folders = [out / briefing] if briefing else sorted(
        p for p in out.iterdir() if p.is_dir() and p.name != PUBLIC and p.name[0] != "."
    )
    read = read_edition if as_issued else current_edition
    for folder in folders:
        if not folder.is_dir():
            continue
        dated = (d for d in sorted(folder.iterdir()) if d.is_dir() and not d.name.startswith("."))
        found.extend(e for d in dated if (e := read(d)))
    return sorted(found, key=lambda e: (e.briefing, e.date))


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


def previous_edition(out: Path, briefing: str, date: str) -> Edition | None:
    """The latest edition of ``briefing`` dated before ``date``, if any."""
    earlier = [e for e in editions(out, briefing) if e.date < date]
    return earlier[-1] if earlier else None


@deferred()  # a stop waits until the edition is in place (or cleaned away)
def write_edition(  # noqa: PLR0913
    out: Path, *, briefing: str, date: str, files: dict[str, bytes], manifest: dict[str, Any],
    correction: int = 0,
) -> Edition:
    """Write an edition's files and manifest into place, all or nothing.

    With ``correction`` n, the files go to the new folder ``correction-<n>`` inside
    the edition's, which is never replaced.
    """
    final = edition_folder(out, briefing, date)
    if correction:
        final /= f"correction-{correction}"
        if final.exists():
            raise UserError(f"{final} exists already: a correction is never replaced")
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


def replace_folder(temporary: Path, final: Path) -> None:
    """Put the folder ``temporary`` in the place of ``final`` (replacing it, if any)."""
    _swap_in(temporary, final)


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
