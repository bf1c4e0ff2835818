"""The email of an edition, rendered at build time into its folder.

``email.html`` (CSS inlined by css-inline) and ``email.txt`` are rendered from the
same slice, figures and changes as the web page and the PDF, and checked against
the 100 KB Gmail clips at. Each reader's unsubscribe link is left as
:data:`~briefings.editions.UNSUBSCRIBE_MARK`, filled in when the email is sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from briefings.editions import EMAIL_HTML, EMAIL_TEXT, UNSUBSCRIBE_MARK, pdf_name
from briefings.errors import UserError
from briefings.figure_image import content_id
from briefings.publish.drawing import FIGURE_SECTIONS
from briefings.publish.outline import EMAIL_ITEMS, outline
from briefings.publish.render import EmailContext, choices, note_context, render_template

if TYPE_CHECKING:
    import jinja2

    from briefings.figure_image import FigureImage
    from briefings.publish.figures import Figure
    from briefings.publish.scope import Slice

HTML_LIMIT = 100 * 1024  # Gmail clips a message whose HTML passes about 102 KB
_LONGEST_LINK = "https://" + "x" * 200  # the size check assumes an unsubscribe link this long


def render_email(  # noqa: PLR0913
    part: Slice, *, env: jinja2.Environment, date: str, number: int, changes: list[str] | None,
    since: Any, public_url: str | None,
    figures: tuple[Figure, ...] | tuple[FigureImage, ...] = (), correction: Any = None,
) -> dict[str, bytes]:
    """An edition's email parts as files: ``{EMAIL_HTML: ..., EMAIL_TEXT: ...}``.

    A template that pushes the HTML part over 100 KB fails the build with a clear
    message and changes nothing. Pass ``public_url`` only for an edition on the public
    site: the email of a restricted one never links to a web copy. A ``correction``
    says so at the top.
    """
    note = note_context(
        part, as_of=date, edition=number, changes=changes, since=since, medium="email",
        correction=correction,
    )
    briefing = part.briefing.id
    public_url = public_url.rstrip("/") if public_url else None
    number_of = int(correction["number"]) if correction else 0
    path = f"{briefing}/{date}/" + (f"correction-{number_of}/" if number_of else "")
    context = EmailContext(
        **note.as_dict(),
        pdf_name=pdf_name(briefing, date, number_of),
        web_url=f"{public_url}/{path}index.html" if public_url else None,
        unsubscribe_url=UNSUBSCRIBE_MARK,
        images=[  # the PNGs themselves travel beside the HTML (multipart/related)
            {"cid": content_id(f.name, f"{briefing}-{date}"), "alt": f.description,
             "caption": f.caption, "key": f.key, "section": FIGURE_SECTIONS.get(f.name)}
            for f in figures
        ],
        email_lines=outline(part),
        email_items=EMAIL_ITEMS,
    ).as_dict()
    html_names, text_names = choices(EMAIL_HTML, briefing), choices(EMAIL_TEXT, briefing)
    html = _inline(render_template(env, html_names, context))
    text = render_template(env.overlay(autoescape=False), text_names, context)
    _check_size(env, html, html_names, f"{briefing} {date}")
    return {EMAIL_HTML: html.encode(), EMAIL_TEXT: text.encode()}


def _inline(html: str) -> str:
    import css_inline

    inliner = css_inline.CSSInliner(load_remote_stylesheets=False, keep_link_tags=False)
    return inliner.inline(html)


def _check_size(env: jinja2.Environment, html: str, names: list[str], edition: str) -> None:
    size = len(html.replace(UNSUBSCRIBE_MARK, _LONGEST_LINK).encode())
    if size >= HTML_LIMIT:
        source = env.select_template(names).filename or names[-1]
        raise UserError(
            f"{source}: the email's HTML part for {edition} is "
            f"{size / 1024:.1f} KB; it must stay under {HTML_LIMIT // 1024} KB "
            "(Gmail clips longer messages): shorten the template"
        )
