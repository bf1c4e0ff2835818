
"""Page 1 of each seed note as PNG, for the README: ``python docs/render_pages.py``.

Builds the seeds into a temporary folder (date fixed, so the images change only with
the notes) and renders the first page of each PDF at 110 dpi into ``docs/``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pymupdf

from briefings.publish.build import build

ROOT = Path(__file__).resolve().parent.parent

DATE = "2025-04-09"


def main() -> None:
    with tempfile.TemporaryDirectory() as out:
        build(seeds=ROOT / "seeds", templates=None, out=Path(out), date=DATE, force=True)
        for pdf_path in sorted(Path(out).glob(f"*/{DATE}/*.pdf")):
            briefing = pdf_path.parent.parent.name
            with pymupdf.open(pdf_path) as pdf:
                target = ROOT / "docs" / f"{briefing}-page-1.png"
                pdf[0].get_pixmap(dpi=110).save(target)
                print(f"{target.relative_to(ROOT)}  ({pdf.page_count} pages)")


if __name__ == "__main__":
    main()
