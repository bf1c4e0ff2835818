"""Subscribers: who they are, and how they are added, imported and removed.

An address is checked strictly (a plain ``local@domain``, no display name, no
spaces, quotes, commas or line breaks), so no address or name can ever inject a
header or a recipient. Two addresses are the same reader when they differ only in
case (``Ann@Example.org`` is ``ann@example.org``); a reader keeps the spelling first
given.

Who gets which edition is :mod:`briefings.deliver.routing`.
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from briefings.deliver.state import now, transaction
from briefings.errors import UserError
from briefings.model import TLP_LEVELS
from briefings.reader import ReadError, utf8_text
from briefings.values import check_visible

_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
CSV_HEADER = ["email", "name", "topics", "tlp"]
MAX_TEXT = 200  # a name or a topic: it goes into a mail header


@dataclass(frozen=True, slots=True)
class Subscriber:
    """One reader: address, name, topics, TLP clearance and status."""

    id: int
    address: str
    name: str
    topics: tuple[str, ...]
    tlp: str
    status: str
    created: str
    updated: str

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Subscriber:
        return cls(
            id=row["id"], address=row["address"], name=row["name"],
            topics=tuple(t for t in row["topics"].split(";") if t), tlp=row["tlp"],
            status=row["status"], created=row["created"], updated=row["updated"],
        )


def check_address(text: str, *, local_domain: bool = False) -> str:
    """The address, stripped, if it is a plain valid ``local@domain``; else ValueError.

    The domain needs a dot, unless ``local_domain`` (``briefings@localhost``).
    """
    if "\r" in text or "\n" in text:
        raise ValueError("an address may not contain a line break")
    address = text.strip()
    local, at, domain = address.rpartition("@")
    if not at or not _LOCAL.match(local) or len(local) > 64 or len(address) > 254:
        raise ValueError(f"not a valid email address: {text!r}")
    labels = domain.split(".")
    if len(labels) < 2 - local_domain or not all(_LABEL.match(label) for label in labels):
        raise ValueError(f"not a valid email address: {text!r}")
    return address


def address_key(address: str) -> str:
    """The address as compared: lower-cased whole (checked addresses are ASCII)."""
    return address.lower()


def legacy_address_key(address: str) -> str:
    """How addresses were compared before (local part as written): links signed then."""
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"


def check_text(value: str, what: str) -> str:
    if len(value) > MAX_TEXT:
        raise ValueError(f"{what} is at most {MAX_TEXT} characters, got {len(value):,}")
    if _CONTROL.search(value):
        raise ValueError(f"{what} may not contain a line break or control character: {value!r}")
    try:
        check_visible(value)
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None
    return value.strip()


def check_tlp(value: str) -> str:
    level = (value or "clear").strip().lower()
    if level not in TLP_LEVELS:
        raise ValueError(f"unknown TLP {value!r}; expected one of {', '.join(TLP_LEVELS)}")
    return level


def parse_topics(values: Iterable[str]) -> tuple[str, ...]:
    topics = (check_text(t, "a topic") for t in values)
    return tuple(dict.fromkeys(t for t in topics if t))


def add(  # noqa: PLR0913
    conn: sqlite3.Connection, *, address: str, name: str = "", topics: Iterable[str] = (),
    tlp: str = "clear", resubscribe: bool = False,
) -> tuple[Subscriber, bool]:
    """Add a subscriber or update the one with that address; (subscriber, created?).

    An unsubscribed reader stays unsubscribed unless ``resubscribe`` is given: a
    re-import of an old list must not mail someone who opted out.
    """
    try:
        address = check_address(address)
        name = check_text(name, "a name")
        topic_list = parse_topics(topics)
        tlp = check_tlp(tlp)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    with transaction(conn):
        return _upsert(conn, address, name, topic_list, tlp, resubscribe=resubscribe)


def _upsert(  # noqa: PLR0913
    conn: sqlite3.Connection, address: str, name: str, topics: tuple[str, ...], tlp: str,
    *, resubscribe: bool = False,
) -> tuple[Subscriber, bool]:
    key, stamp, joined = address_key(address), now(), ";".join(topics)
    row = conn.execute("SELECT * FROM subscribers WHERE address_key = ?", (key,)).fetchone()
    if row is None:
        conn.execute(
            "INSERT INTO subscribers (address, address_key, name, topics, tlp, created, updated)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)", (address, key, name, joined, tlp, stamp, stamp),
        )
    else:
        status = "active" if resubscribe else row["status"]
        conn.execute(  # the address keeps its first spelling: links signed with it work
            "UPDATE subscribers SET name = ?, topics = ?, tlp = ?, status = ?,"
            " updated = ? WHERE id = ?", (name, joined, tlp, status, stamp, row["id"]),
        )
    found = conn.execute("SELECT * FROM subscribers WHERE address_key = ?", (key,)).fetchone()
    return Subscriber.from_row(found), row is None


@dataclass
class ImportReport:
    """What an import did: counts, every bad row as ``FILE:LINE:COL: message``, and notes
    on rows that name a reader of an earlier row."""

    added: int = 0
    updated: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


Row = tuple[str, str, tuple[str, ...], str]
_Value = TypeVar("_Value")


def import_csv(conn: sqlite3.Connection, *, path: Path, skip_invalid: bool = False) -> ImportReport:
    """Import ``email,name,topics,tlp`` rows (topics separated by ``;``); idempotent.

    Every bad row is reported with the file's own line and column (a quoted field
    may span lines). Unless ``skip_invalid``, nothing is imported when any row is bad.
    Rows whose addresses differ only in case are one reader: an identical repeat is
    noted and counted once; a repeat that says something else is a bad row.
    """
    report = ImportReport()
    good: dict[str, tuple[int, Row]] = {}
    try:
        for line, places, fields in _records(utf8_text(path.read_bytes())):
            if line == 1:
                header = [h.strip().lower() for h in fields]
                if header != CSV_HEADER:
                    raise UserError(f"{path}:1:1: expected the header {','.join(CSV_HEADER)}, "
                                    f"got {','.join(header) or 'an empty file'}")
                continue
            try:
                row = _parse_row(fields, places)
            except _BadField as exc:
                report.problems.append(f"{path}:{exc.line}:{exc.column}: {exc.message}")
                continue
            _one_reader(path, line, row, good, report)
    except ReadError as exc:
        raise UserError(f"{path}:{exc.line}:{exc.column}: {exc.message}") from None
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    if report.problems and not skip_invalid:
        count = len(report.problems)
        raise UserError("\n".join([
            *report.problems,
            (f"{count} bad row{'s' if count != 1 else ''}: nothing imported "
             "(fix them, or use --skip-invalid to import the valid rows)"),
        ]))
    with transaction(conn):
        for _, (address, name, topics, tlp) in good.values():
            _, created = _upsert(conn, address, name, topics, tlp)
            report.added += created
            report.updated += not created
    return report


def _one_reader(
    path: Path, line: int, row: Row, good: dict[str, tuple[int, Row]], report: ImportReport,
) -> None:
    key = address_key(row[0])
    if key not in good:
        good[key] = (line, row)
        return
    first, earlier = good[key]
    same = "the same address" if earlier[0] == row[0] else f"{earlier[0]}, differing only in case"
    if earlier[1:] == row[1:]:
        report.notes.append(f"{path}:{line}:1: {row[0]} is the reader of line {first} "
                            f"({same}): one reader, imported once")
    else:
        report.problems.append(
            f"{path}:{line}:1: {row[0]} is the reader of line {first} ({same}) with another "
            "name, topics or TLP: keep one of the two rows"
        )


class _BadField(ValueError):
    def __init__(self, message: str, place: tuple[int, int]) -> None:
        super().__init__(message)
        self.message, (self.line, self.column) = message, place


def _records(text: str) -> Iterable[tuple[int, list[tuple[int, int]], list[str]]]:
    """Each non-blank record: its first line, the (line, column) of each field, its fields."""
    lines = list(io.StringIO(text, newline=""))  # as csv and editors count lines
    reader = csv.reader(lines)
    end = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # a NUL byte, a field over the size limit
            raise ReadError(str(exc), end + 1) from None
        start, end = end + 1, reader.line_num
        if fields:
            yield start, _field_places("".join(lines[start - 1:end]), start), fields


def _field_places(raw: str, line: int) -> list[tuple[int, int]]:
    """Where each field of one raw CSV record starts (quotes respected)."""
    places, column, quoted = [(line, 1)], 1, False
    for char in raw:
        column += 1
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            places.append((line, column))
        elif char == "\n":
            line, column = line + 1, 1
    return places


def _parse_row(row: list[str], places: list[tuple[int, int]]) -> Row:
    if len(row) != len(CSV_HEADER):
        message = f"expected 4 fields (email,name,topics,tlp), got {len(row)}"
        raise _BadField(message, places[0])

    def checked(index: int, check: Callable[[str], _Value]) -> _Value:
        value, place = row[index], places[index]
        if "\r" in value or "\n" in value:
            raise _BadField(f"a field contains a line break: {value!r}", place)
        try:
            return check(value)
        except ValueError as exc:
            raise _BadField(str(exc), place) from None

    address = checked(0, check_address)
    name = checked(1, lambda v: check_text(v, "a name"))
    topics = checked(2, lambda v: parse_topics(v.split(";")))
    return address, name, topics, checked(3, check_tlp)


def listing(conn: sqlite3.Connection) -> list[Subscriber]:
    """Every subscriber, by address."""
    rows = conn.execute("SELECT * FROM subscribers ORDER BY address_key").fetchall()
    return [Subscriber.from_row(r) for r in rows]


def remove(conn: sqlite3.Connection, *, address: str) -> None:
    """Delete a subscriber (and their ledger rows); UserError if there is none."""
    try:
        key = address_key(check_address(address))
    except ValueError as exc:
        raise UserError(str(exc)) from None
    with transaction(conn):
        gone = conn.execute("DELETE FROM subscribers WHERE address_key = ?", (key,)).rowcount
    if not gone:
        raise UserError(f"no subscriber with the address {address}")


def unsubscribe(conn: sqlite3.Connection, *, subscriber: int) -> Subscriber | None:
    """Mark a subscriber unsubscribed (idempotent); None if there is no such subscriber."""
    with transaction(conn):
        conn.execute(
            "UPDATE subscribers SET status = 'unsubscribed', updated = ? "
            "WHERE id = ? AND status != 'unsubscribed'", (now(), subscriber),
        )
        row = conn.execute("SELECT * FROM subscribers WHERE id = ?", (subscriber,)).fetchone()
    return Subscriber.from_row(row) if row else None
