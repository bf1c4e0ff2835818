"""``briefings serve``: the public site, read-only, and the unsubscribe endpoint.

Starlette serves ``OUT/public`` and nothing else (the archive writes there only what
may be public: see :mod:`briefings.publish.archive`) with ``StaticFiles``: GET and HEAD only,
no path outside the folder (``..``, encoded slashes), no symlink out of it, no dot
file. Edition folders, snapshots, manifests and the state database are never
reachable. Restricted editions are not offered on the web at all. It also serves the
one-click unsubscribe URL ``/unsubscribe/<subscriber>/<token>``:

- ``POST`` (RFC 8058 one-click, or the confirm button) unsubscribes at once, with
  no cookie or login;
- ``GET`` shows a page with a confirm button and changes nothing (mail scanners
  follow links);
- a forged or altered token gets 403 and changes nothing.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from briefings.config import Settings, template_env
from briefings.deliver.state import connect, state_path
from briefings.deliver.subscribers import Subscriber, unsubscribe
from briefings.deliver.tokens import secret, verify_reader
from briefings.editions import PUBLIC

if TYPE_CHECKING:
    import sqlite3

    from starlette.requests import Request
    from starlette.types import Scope

_PAGE = "unsubscribe.html"
_ID = re.compile(r"^[0-9]{1,18}$")  # SQLite integers stop at 2**63
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # ours are 32 URL-safe characters


class _PublicFiles(StaticFiles):
    """StaticFiles that also refuses every dot file or folder and any backslash."""

    def get_path(self, scope: Scope) -> str:
        path = super().get_path(scope)
        if "\\" in path or any(p[:1] == "." and p != "." for p in path.split("/")):
            raise HTTPException(status_code=404)
        return path


def create_app(
    *, out: Path, state: Path | None = None, templates: Path | None = None,
    secret_key: str | None = None,
) -> Starlette:
    """The ASGI app serving ``out`` and the unsubscribe endpoint on ``state``;
    ``secret_key`` is ``BRIEFINGS_SECRET`` (unset: the database's own)."""
    state = state_path(state, out=out)
    env = template_env(templates)
    connect(state).close()  # create the database (and its secret) before the first request

    def page(state_name: str, status: int, reader: Subscriber | None = None) -> HTMLResponse:
        html = env.get_template(_PAGE).render(state=state_name, reader=reader)
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})

    def check(conn: sqlite3.Connection, request: Request) -> Subscriber | None:
        number, token = request.path_params["subscriber"], request.path_params["token"]
        if not _ID.match(number) or not _TOKEN.match(token):
            return None  # not a link we made (and too long for SQLite or the HMAC)
        row = conn.execute("SELECT * FROM subscribers WHERE id = ?", (int(number),)).fetchone()
        if row is None:
            return None
        reader = Subscriber.from_row(row)
        return reader if verify_reader(secret(conn, configured=secret_key), reader, token) else None

    def confirm(request: Request) -> HTMLResponse:
        conn = connect(state)
        try:
            reader = check(conn, request)
        finally:
            conn.close()
        if reader is None:
            return page("invalid", 403)
        return page("done" if reader.status == "unsubscribed" else "confirm", 200, reader)

    def one_click(request: Request) -> HTMLResponse:
        conn = connect(state)
        try:
            reader = check(conn, request)
            if reader is None:
                return page("invalid", 403)
            reader = unsubscribe(conn, subscriber=reader.id) or reader
        finally:
            conn.close()
        return page("done", 200, reader)

    routes = [
        Route("/unsubscribe/{subscriber}/{token}", confirm, methods=["GET"]),
        Route("/unsubscribe/{subscriber}/{token}", one_click, methods=["POST"]),
        Mount("/", app=_PublicFiles(directory=out / PUBLIC, html=True, check_dir=False),
              name="public"),
    ]
    return Starlette(routes=routes)


def serve(
    *, out: Path, host: str = "127.0.0.1", port: int = 8000, settings: Settings | None = None,
) -> None:
    """Serve until interrupted."""
    import uvicorn

    settings = settings or Settings()
    (out / PUBLIC).mkdir(parents=True, exist_ok=True)
    app = create_app(out=out, state=settings.state, secret_key=settings.secret)
    uvicorn.run(app, host=host, port=port, log_level="info", server_header=False,
                access_log=False)  # access lines would log unsubscribe tokens
