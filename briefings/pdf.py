"""Print HTML to PDF with WeasyPrint, fetching nothing but the project's assets.

WeasyPrint is imported here only, so that commands which render no PDF
(``--help``, ``validate``) never pay for it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import unquote, urlsplit

import weasyprint
from weasyprint.urls import URLFetcher

logger = logging.getLogger(__name__)


class AssetFetcher(URLFetcher):
    """Fetches ``data:`` URLs and files inside the asset folders; refuses the rest."""

    def __init__(self, asset_dirs: list[Path]) -> None:
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False, timeout=2)
        self.asset_dirs = [d.resolve() for d in asset_dirs]

    def fetch(self, url: str, headers: dict | None = None):  # noqa: ANN201
        parts = urlsplit(url)
        if parts.scheme == "file":
            path = Path(unquote(parts.path)).resolve()
            if parts.netloc not in {"", "localhost"} or not any(
                path.is_relative_to(d) for d in self.asset_dirs
            ):
                raise ValueError(f"refused to read {url}: outside the template folders")
        elif parts.scheme != "data":
            raise ValueError(f"refused to fetch {url}: notes fetch nothing from the network")
        return super().fetch(url, headers)


def warm_up() -> None:
    """Load fonts and the layout engine once, so a worker's first PDF pays nothing extra."""
    weasyprint.HTML(string="<p>x</p>").render()


def write_pdf(html: str, *, asset_dirs: list[Path]) -> tuple[bytes, int]:
    """The PDF of ``html`` and its page count: A4, tagged (PDF/UA), fonts embedded."""
    document = weasyprint.HTML(
        string=html,
        base_url=asset_dirs[0].resolve().as_uri() + "/",
        url_fetcher=AssetFetcher(asset_dirs),
        media_type="print",
    )
    options = {"pdf_variant": "pdf/ua-1", "pdf_tags": True, "attachments": []}
    rendered = document.render(**options)
    return rendered.write_pdf(**options), len(rendered.pages)
