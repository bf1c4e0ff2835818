"""The email of an edition: composed once, addressed to each reader.

:func:`compose` reads the parts the build wrote into the edition's folder
(``email.html`` with CSS inlined, ``email.txt``, the figures' PNGs) as its manifest
lists them, so an older edition's email is what was built then, and prepares the
PDF attachment. :func:`message_for` then makes one reader's message: only ``To``,
``Message-ID`` and the unsubscribe link differ.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from functools import cached_property
from typing import TYPE_CHECKING, cast

from markupsafe import escape

from briefings.config import DEFAULT_FROM
from briefings.deliver.subscribers import Subscriber, address_key, check_address, check_text
from briefings.editions import UNSUBSCRIBE_MARK, pdf_name, read_part
from briefings.errors import UserError
from briefings.figure_image import FigureImage, content_id

if TYPE_CHECKING:
    from briefings.editions import Edition

_MARK = UNSUBSCRIBE_MARK  # where each reader's unsubscribe link goes


def sender_address(text: str = DEFAULT_FROM) -> Address:
    """``BRIEFINGS_FROM`` (``Name <addr>`` or ``addr``) as an Address; UserError if bad."""
    if "\r" in text or "\n" in text:
        raise UserError("BRIEFINGS_FROM may not contain a line break")
    name, addr = email.utils.parseaddr(text)
    try:
        check_text(name, "the name")  # no invisible or bidi characters in a header
    except ValueError as exc:
        raise UserError(f"BRIEFINGS_FROM: {exc}") from None
    try:
        return Address(display_name=name, addr_spec=check_address(addr, local_domain=True))
    except ValueError:
        raise UserError(f"BRIEFINGS_FROM is not a valid address: {text!r}") from None


@dataclass(frozen=True)
class Letter:
    """An edition's email, rendered once, ready to be addressed to readers."""

    edition: Edition
    subject: str
    sender: Address
    html: str
    text: str
    attachment: MIMEPart
    attachment_body: bytes
    boundary: str
    public_url: str | None
    figures: tuple[FigureImage, ...] = ()  # PNGs attached by Content-ID beside the HTML

    @cached_property
    def frame(self) -> Frame:
        return _frame(self)

    def unsubscribe_url(self, path: str) -> str | None:
        return f"{self.public_url}{path}" if self.public_url else None

    @property
    def mailto(self) -> str:
        return f"mailto:{self.sender.addr_spec}?subject=unsubscribe"


def subject_line(*, tlp: str, title: str, date: str, kind: str = "") -> str:
    """``[TLP:GREEN] Title - date``; ``kind`` (Correction, Withdrawn) goes before the title."""
    kind = f"{kind}: " if kind else ""
    return " ".join(f"[TLP:{tlp.upper()}] {kind}{title} - {date}".split())


def compose(
    edition: Edition, *, sender: Address | None = None, public_url: str | None = None
) -> Letter:
    """An edition's email, from the parts its build wrote, ready to be addressed.

    An edition of format 0 (built before the email was rendered at build time) has
    no parts: it gets a short letter from its manifest, with the PDF attached.
    """
    public_url = public_url.rstrip("/") if public_url else None
    sender = sender or sender_address()
    if edition.email:
        html = read_part(edition, edition.email["html"]).decode()
        text = read_part(edition, edition.email["text"]).decode()
        figures = tuple(  # the PNGs the HTML shows (a section left out shows none)
            image for image in (FigureImage.read(r, edition.folder) for r in edition.figures)
            if content_id(image.name, f"{edition.briefing}-{edition.date}") in html
        )
    else:
        html, text, figures = *_letter_without_parts(edition), ()
    attachment = MIMEPart(policy=policy.SMTP)
    attachment.set_content(
        read_part(edition, edition.pdf.name), maintype="application",
        subtype="pdf", disposition="attachment", filename=edition.pdf.name,
    )
    body = str(attachment.get_payload()).replace("\n", "\r\n").encode("ascii")
    return Letter(
        edition=edition, attachment_body=body, boundary=secrets.token_hex(16),
        subject=subject_line(tlp=edition.tlp, title=edition.title, date=edition.date,
                             kind="Correction" if edition.correction else ""),
        sender=sender, html=html, text=text, attachment=attachment, public_url=public_url,
        figures=figures,
    )


def _letter_without_parts(edition: Edition) -> tuple[str, str]:
    """(HTML, text) of a format-0 edition's email: its title, marking and the PDF."""
    marking = f"TLP:{edition.tlp.upper()} - edition {edition.number} of {edition.date}"
    attached = (f"The full note, with its sources, is attached as "
                f"{pdf_name(edition.briefing, edition.date)}.")
    text = f"{marking}\n\n{edition.title}\n\n{attached}\n\nUnsubscribe: {_MARK}\n"
    html = (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(edition.title)}</title></head><body>"
        f"<p><strong>{escape(marking)}</strong></p><h1>{escape(edition.title)}</h1>"
        f"<p>{escape(attached)}</p>"
        f'<p><a href="{_MARK}">Unsubscribe</a>.</p></body></html>\n'
    )
    return html, text


def message_id(letter: Letter, reader: Subscriber, *, correction: int | None = None) -> str:
    """A Message-ID derived from the edition and the reader: the same on a resend.

    Each correction has its own; ``correction=0`` gives the original's."""
    edition = letter.edition
    number = edition.correction_number if correction is None else correction
    version = f".c{number}" if number else ""  # short: kept on one header line
    seed = f"{edition.briefing}|{edition.date}{version}|{address_key(reader.address)}"
    digest = hashlib.sha256(seed.encode()).hexdigest()[:20]
    return f"<{edition.briefing}.{edition.date}{version}.{digest}@{letter.sender.domain}>"


def message_for(
    letter: Letter, reader: Subscriber, *, unsubscribe_path: str, when: datetime | None = None
) -> EmailMessage:
    """One reader's message: the edition's letter with their address and link.

    The reference build, through the ``email`` package part by part;
    :func:`message_bytes` gives the same bytes faster.
    """
    return _message(letter, reader, letter.unsubscribe_url(unsubscribe_path), when)


def message_bytes(
    letter: Letter, reader: Subscriber, *, unsubscribe_path: str, when: datetime | None = None
) -> bytes:
    """``message_for(...).as_bytes()``, from the letter's frame: only the reader's
    headers are folded and the two text parts encoded; the PDF is encoded once."""
    frame = letter.frame
    link = letter.unsubscribe_url(unsubscribe_path)
    values = _reader_headers(letter, reader, link, when)
    head = b"".join(
        item if isinstance(item, bytes) else _fold(item, values[item]) for item in frame.headers
    )
    shown = link or letter.mailto
    text = _base64_text(letter.text.replace(_MARK, shown))
    html = _base64_text(letter.html.replace(_MARK, str(escape(shown))))
    before_text, before_html, before_pdf, after_pdf = frame.body
    return b"".join(
        (head, before_text, text, before_html, html, before_pdf, letter.attachment_body, after_pdf)
    )


@dataclass(frozen=True)
class Frame:
    """A letter's message with holes: header lines (bytes, or the name of a header
    that differs per reader) and the body around the text, HTML and PDF payloads."""

    headers: tuple[bytes | str, ...]
    body: tuple[bytes, bytes, bytes, bytes]


def _frame(letter: Letter) -> Frame:
    stand_in = Subscriber(0, "reader@stand-in.invalid", "", (), "red", "active", "", "")
    model = _message(letter, stand_in, letter.unsubscribe_url("/stand-in"), None)
    alternative, attachment = model.iter_parts()
    text, html = alternative.iter_parts()
    if html.is_multipart():  # multipart/related: the HTML, then the figures' PNGs
        html = next(html.iter_parts())
    pdf = MIMEPart(policy=policy.SMTP)  # a stand-in: the letter's own part stays whole
    for name, value in attachment.items():
        pdf[name] = value
    _parts(model)[1] = pdf
    for part, payload in ((text, "@TEXT@"), (html, "@HTML@"), (pdf, "@PDF@")):
        part.set_payload(payload)
    data = model.as_bytes()
    split = data.index(b"\r\n\r\n") + 2
    headers = tuple(
        name if name in _PER_READER else policy.SMTP.fold_binary(name, value)
        for name, value in model.raw_items()
    )
    rest = data[split:]
    before_text, rest = rest.split(b"@TEXT@", 1)
    before_html, rest = rest.split(b"@HTML@", 1)
    before_pdf, after_pdf = rest.split(b"@PDF@", 1)
    return Frame(headers, (before_text, before_html, before_pdf, after_pdf))


_PER_READER = frozenset(
    {"To", "Date", "Message-ID", "List-Unsubscribe", "In-Reply-To", "References"})


def _fold(name: str, value: object) -> bytes:
    return policy.SMTP.fold_binary(*policy.SMTP.header_store_parse(name, value))


def _base64_text(text: str) -> bytes:
    """As ``set_content(text, cte="base64")`` encodes it, with CRLF line ends."""
    lines = text.encode("utf-8").splitlines()
    return base64.encodebytes(b"\r\n".join(lines) + b"\r\n").replace(b"\n", b"\r\n")


def _reader_headers(
    letter: Letter, reader: Subscriber, link: str | None, when: datetime | None
) -> dict[str, object]:
    values: dict[str, object] = {
        "To": Address(display_name=reader.name, addr_spec=check_address(reader.address)),
        "Date": email.utils.format_datetime(when or datetime.now(UTC)),
        "Message-ID": message_id(letter, reader),
        "List-Unsubscribe": f"<{link}>, <{letter.mailto}>" if link else f"<{letter.mailto}>",
    }
    if letter.edition.correction:  # a correction answers the edition it corrects
        values["In-Reply-To"] = values["References"] = message_id(letter, reader, correction=0)
    return values


def _message(
    letter: Letter, reader: Subscriber, link: str | None, when: datetime | None
) -> EmailMessage:
    values = _reader_headers(letter, reader, link, when)
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = letter.sender
    message["To"] = values["To"]
    message["Subject"] = letter.subject
    message["Date"] = values["Date"]
    message["Message-ID"] = values["Message-ID"]
    for name in ("In-Reply-To", "References"):
        if name in values:
            message[name] = values[name]
    message["List-Id"] = f"<{letter.edition.briefing}.{letter.sender.domain}>"
    message["List-Unsubscribe"] = values["List-Unsubscribe"]
    if link:
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    shown = link or letter.mailto
    message.set_content(letter.text.replace(_MARK, shown), cte="base64")
    message.add_alternative(
        letter.html.replace(_MARK, str(escape(shown))), subtype="html", cte="base64"
    )
    # Boundaries of "=" and hex cannot occur in base64 text, so they need not be
    # searched for in the content.
    message.set_boundary(f"=={letter.boundary}.0==")
    if letter.figures:
        html_part = _parts(message)[1]
        edition_id = f"{letter.edition.briefing}-{letter.edition.date}"
        for figure in letter.figures:
            html_part.add_related(
                figure.png, maintype="image", subtype="png", disposition="inline",
                cid=f"<{content_id(figure.name, edition_id)}>", filename=figure.filename,
            )
        html_part.set_boundary(f"=={letter.boundary}.2==")
    message.make_mixed()
    message.set_boundary(f"=={letter.boundary}.1==")
    _parts(message).append(letter.attachment)  # what attach() does; typeshed wants a message
    return message


def _parts(message: MIMEPart) -> list[MIMEPart]:
    """The parts of a multipart message (its payload is a list of them)."""
    return cast("list[MIMEPart]", message.get_payload())


def withdrawal_message(  # noqa: PLR0913
    edition: Edition, reader: Subscriber, *, sender: Address, original_id: str,
    unsubscribe_url: str | None, when: datetime | None = None,
) -> EmailMessage:
    """The short notice that ``edition``, which ``reader`` got, has been withdrawn.

    It answers the original message (``In-Reply-To``), so it sits beside it."""
    assert edition.withdrawn is not None
    mailto = f"mailto:{sender.addr_spec}?subject=unsubscribe"
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    message["To"] = Address(display_name=reader.name, addr_spec=check_address(reader.address))
    message["Subject"] = subject_line(tlp=edition.tlp, title=edition.title, date=edition.date,
                                      kind="Withdrawn")
    message["Date"] = email.utils.format_datetime(when or datetime.now(UTC))
    seed = f"{edition.briefing}|{edition.date}|withdrawn|{address_key(reader.address)}"
    digest = hashlib.sha256(seed.encode()).hexdigest()[:20]
    message["Message-ID"] = f"<{edition.briefing}.{edition.date}.w.{digest}@{sender.domain}>"
    if original_id:
        message["In-Reply-To"] = original_id
        message["References"] = original_id
    message["List-Id"] = f"<{edition.briefing}.{sender.domain}>"
    links = f"<{unsubscribe_url}>, <{mailto}>" if unsubscribe_url else f"<{mailto}>"
    message["List-Unsubscribe"] = links
    if unsubscribe_url:
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(
        f"TLP:{edition.tlp.upper()}\n\n"
        f'Edition {edition.number} of {edition.date} of "{edition.title}", which was sent '
        f"to you, has been withdrawn: {edition.withdrawn['why']}\n\n"
        "Please disregard it, and delete the message and its PDF.\n\n"
        f"--\nUnsubscribe: {unsubscribe_url or mailto}\n",
        cte="quoted-printable",
    )
    return message
