"""``briefings preview``: the notes of the working files, on loopback, rebuilt as you save.

No state, subscribers or sending: :class:`Desk` builds pages from the seeds and
templates folders with the build's own stages (load, slice, figures, render, PDF,
email), on request, and keeps them until a file under either folder changes (it
compares every file's size and modification time, which is cheap). Each page
carries a small script that listens on ``/_preview/events`` (server-sent events)
and reloads when that stamp moves. Knowledge-base and template errors are shown in
the page instead of the note; the server keeps running.

Routes: ``/`` (the briefings), ``/<id>/`` (the web page, with the lint findings and
links beside it), ``/<id>/<id>-<date>.pdf``, ``/<id>/email.html`` (figures served
beside it instead of by Content-ID), ``/<id>/email.txt`` and ``/<id>/figure-<name>.png``.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from briefings.config import template_dirs
from briefings.errors import InvalidKnowledgeBase, Problem, UserError
from briefings.publish.render import get_env, note_context, render_note

if TYPE_CHECKING:
    from starlette.requests import Request

    from briefings.publish.load import KnowledgeBase

LOOPBACK = "127.0.0.1"
POLL_SECONDS = 0.25
STREAM_SECONDS = 25.0  # then the browser reconnects (EventSource does so by itself)
_NO_STORE = {"Cache-Control": "no-store"}
_MEDIA = {"pdf": "application/pdf", "png": "image/png", "txt": "text/plain; charset=utf-8",
          "html": "text/html; charset=utf-8", "web": "text/html; charset=utf-8",
          "print": "text/html; charset=utf-8"}


class _NotFound(LookupError):
    """No such briefing, or no such file of it."""


@dataclass
class _Build:
    """What was last built from the working files (replaced when a file changes)."""

    stamp: str
    kb: KnowledgeBase | None = None
    problems: list[Problem] = field(default_factory=list)
    findings: list[Any] = field(default_factory=list)
    pages: dict[tuple[str, str], bytes] = field(default_factory=dict)


class Desk:
    """The working files and the pages built from them, rebuilt when they change."""

    def __init__(
        self, *, seeds: Path, templates: Path | None, as_of: str,
        report: Callable[[str], None] | None = None,
    ) -> None:
        self.seeds, self.templates, self.as_of = seeds, templates, as_of
        self.report = report or (lambda _message: None)
        self._lock = threading.RLock()  # one build at a time: Matplotlib is not thread-safe
        self._build = _Build(stamp="")

    def stamp(self) -> str:
        """A hash of the name, size and modification time of every working file.

        Seeds count by their YAML files, templates by every file; hidden files and
        editors' backups (``.x.swp``, ``x~``) do not count.
        """
        digest = hashlib.sha256()
        for folder in (self.seeds, *template_dirs(self.templates)):
            for path in sorted(folder.rglob("*")):
                if _scratch(path.relative_to(folder)) or (
                    folder == self.seeds and path.suffix not in {".yaml", ".yml"}
                ):
                    continue
                try:
                    stat = path.stat()
                except OSError:  # removed while we looked: the next look sees it gone
                    continue
                digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
        return digest.hexdigest()[:16]

    def current(self) -> _Build:
        """The build of the files as they are now: reloaded if any file changed."""
        with self._lock:
            stamp = self.stamp()
            if stamp != self._build.stamp:
                self._build = self._reload(stamp)
            return self._build

    def _reload(self, stamp: str) -> _Build:
        from briefings.publish.lint import lint
        from briefings.publish.load import load

        build = _Build(stamp=stamp)
        try:
            build.kb = load(self.seeds)
        except InvalidKnowledgeBase as exc:
            build.problems = exc.problems
        except UserError as exc:
            build.problems = [Problem(str(self.seeds), 1, 1, "", exc.message)]
        if build.kb is not None:
            build.findings = lint(build.kb, as_of=self.as_of)
        count = len(build.problems)
        self.report(f"{self.seeds}: {count} error{'s' if count != 1 else ''}" if count
                    else f"{self.seeds}: read, {len(build.findings)} lint findings")
        return build

    def page(self, briefing_id: str, kind: str) -> tuple[bytes, str]:
        """One file of a briefing's preview and its media type; UserError if it cannot be."""
        with self._lock:
            build = self.current()
            if build.kb is None:
                raise InvalidKnowledgeBase(build.problems)
            if briefing_id not in build.kb["briefings"]:
                raise _NotFound(briefing_id)
            key = (briefing_id, kind)
            if key not in build.pages:
                build.pages[key] = self._make(build, briefing_id, kind)
            return build.pages[key], _MEDIA[kind.rsplit(".", 1)[-1]]

    def _make(self, build: _Build, briefing_id: str, kind: str) -> bytes:
        from briefings.publish.drawing import draw_figures  # redrawn when what they draw changed
        from briefings.publish.scope import take_slice

        assert build.kb is not None
        part = take_slice(build.kb, briefing_id)
        figures = draw_figures(part)
        if kind in {"web", "print"}:
            from briefings.editions import pdf_name

            links = {"pdf": pdf_name(briefing_id, self.as_of), "editions": "/", "archive": "/"}
            context = note_context(part, as_of=self.as_of, edition=1, changes=None,
                                   medium=kind, figures=figures, links=links)
            return render_note(get_env(self.templates), context).encode()
        if kind == "pdf":
            from briefings.publish.pdf import write_pdf

            html = self.page(briefing_id, "print")[0].decode()
            return write_pdf(html, asset_dirs=template_dirs(self.templates))[0]
        if kind.startswith("figure-"):
            name = kind.removeprefix("figure-").removesuffix(".png")
            for figure in figures:
                if figure.name == name and figure.drawn:
                    return figure.png
            raise _NotFound(kind)
        from briefings.editions import EMAIL_HTML, EMAIL_TEXT
        from briefings.figure_image import content_id
        from briefings.publish.email_parts import render_email

        images = tuple(f for f in figures if f.drawn)  # as the build: a sentence has no image
        parts = render_email(part, env=get_env(self.templates), date=self.as_of, number=1,
                             changes=None, since=None, public_url=None, figures=images)
        if kind == "email.txt":
            return parts[EMAIL_TEXT]
        html = parts[EMAIL_HTML].decode()
        for figure in images:  # the email's images, served beside it
            cid = content_id(figure.name, f"{briefing_id}-{self.as_of}")
            html = html.replace(f'src="cid:{cid}"', f'src="figure-{figure.name}.png"')
        return html.encode()

def create_app(
    *, seeds: Path, templates: Path | None, as_of: str,
    report: Callable[[str], None] | None = None, stopping: Callable[[], bool] = lambda: False,
) -> Starlette:
    """The preview's ASGI app for the working files in ``seeds`` and ``templates``.

    ``stopping`` tells open event streams that the server is shutting down.
    """
    desk = Desk(seeds=seeds, templates=templates, as_of=as_of, report=report)
    views = _Views(desk, stopping=stopping)
    routes = [
        Route("/", views.index),
        Route("/_preview/events", views.events),
        Route("/{briefing}/{name:path}", views.briefing_file),
        Route("/{briefing}", views.folder),
    ]
    app = Starlette(routes=routes)
    app.state.desk = views.desk
    return app


class _Views:
    """The preview's pages, each a view of the desk's current build."""

    def __init__(self, desk: Desk, *, stopping: Callable[[], bool]) -> None:
        self.desk, self.as_of, self.stopping = desk, desk.as_of, stopping
        self.env = get_env(desk.templates)

    def _chrome(self, status: int, **context: Any) -> Response:
        """The preview's own page: the briefings, the errors, or what is missing."""
        page = {"problems": [], "missing": None, "briefings": [], "findings": [], **context}
        html = self.env.get_template("preview.html").render(
            stamp=self.desk.current().stamp, as_of=self.as_of, **page)
        return Response(html, status, media_type=_MEDIA["html"], headers=_NO_STORE)

    def index(self, _request: Request) -> Response:
        build = self.desk.current()
        if build.kb is None:
            return self._chrome(500, problems=build.problems)
        return self._chrome(200, briefings=list(build.kb["briefings"].values()),
                            findings=build.findings)

    def folder(self, request: Request) -> Response:
        briefing_id = request.path_params["briefing"]
        return Response(status_code=307, headers={"Location": f"/{briefing_id}/"})

    def briefing_file(self, request: Request) -> Response:
        briefing_id, name = request.path_params["briefing"], request.path_params["name"]
        kind = _kind(briefing_id, name, self.as_of)
        if kind is None:
            return self._chrome(404, missing=request.url.path)
        try:
            body, media = self.desk.page(briefing_id, kind)
        except InvalidKnowledgeBase as exc:
            return self._chrome(500, problems=exc.problems)
        except _NotFound:
            return self._chrome(404, missing=request.url.path)
        except UserError as exc:  # a template mistake, already located in its message
            return self._chrome(500, problems=[Problem("", 0, 0, "", exc.message)])
        if kind in {"web", "email.html"}:
            build = self.desk.current()
            ids = {briefing_id, *(j.id for j in _judgments(build, briefing_id))}
            panel = self.env.get_template("_preview-panel.html").render(
                stamp=build.stamp, briefing_id=briefing_id, as_of=self.as_of, kind=kind,
                findings=[f for f in build.findings if f.item in ids],
            )
            body = _inject(body.decode(), panel).encode()
        return Response(body, media_type=media, headers=_NO_STORE)

    async def events(self, request: Request) -> StreamingResponse:
        """``reload`` as soon as the files differ from the page's ``stamp``."""
        seen = request.query_params.get("stamp", "")

        async def stream() -> AsyncIterator[str]:
            yield "retry: 1000\n\n"
            loop = asyncio.get_running_loop()
            deadline = loop.time() + STREAM_SECONDS
            while loop.time() < deadline and not self.stopping():
                stamp = await run_in_threadpool(self.desk.stamp)
                if stamp != seen:
                    yield f"event: reload\ndata: {stamp}\n\n"
                    return
                await asyncio.sleep(POLL_SECONDS)

        return StreamingResponse(stream(), media_type="text/event-stream", headers=_NO_STORE)


def _scratch(relative: Path) -> bool:
    """Hidden files and editors' backups: saving them changes no note."""
    return any(part.startswith(".") for part in relative.parts) or relative.name.endswith("~")


def _kind(briefing_id: str, name: str, as_of: str) -> str | None:
    """What a file name under ``/<id>/`` asks for, or None."""
    names = {"": "web", "index.html": "web", "email.html": "email.html",
             "email.txt": "email.txt", f"{briefing_id}-{as_of}.pdf": "pdf"}
    if name in names:
        return names[name]
    return name if re.fullmatch(r"figure-[a-z]+\.png", name) else None


def _judgments(build: _Build, briefing_id: str) -> tuple[Any, ...]:
    from briefings.publish.scope import take_slice

    assert build.kb is not None
    return take_slice(build.kb, briefing_id).judgments


def _inject(page: str, panel: str) -> str:
    """The page with the preview's panel and reload script before ``</body>``."""
    at = page.rfind("</body>")
    return page + panel if at < 0 else page[:at] + panel + page[at:]


def preview(*, seeds: Path, templates: Path | None, as_of: str, port: int,
            report: Callable[[str], None] | None = None) -> None:
    """Serve the preview on loopback until interrupted."""
    import uvicorn

    app = create_app(seeds=seeds, templates=templates, as_of=as_of, report=report,
                     stopping=lambda: server.should_exit)  # Ctrl+C ends the event streams
    server = uvicorn.Server(uvicorn.Config(
        app, host=LOOPBACK, port=port, log_level="warning", server_header=False,
        timeout_graceful_shutdown=2,
    ))
    server.run()
