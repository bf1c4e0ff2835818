"""``briefings withdraw``: mark an edition issued in error, and republish the archive.

The edition's files stay as they are (readers got them; the desk keeps them); a
``withdrawn.json`` beside them says why and when. The archive and the feed mark it
withdrawn, the public site drops its page and PDF, the delivery side sends it to
nobody else and tells the readers who got it (:mod:`briefings.deliver.notices`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from briefings.config import Settings
from briefings.editions import WITHDRAWN, Edition, current_edition, edition_folder, write_file
from briefings.errors import UserError
from briefings.publish.archive import write_archive
from briefings.publish.issuing import check_why
from briefings.publish.render import get_env

if TYPE_CHECKING:
    from pathlib import Path


def withdraw(  # noqa: PLR0913
    *, out: Path, templates: Path | None, briefing: str, date: str, why: str,
    settings: Settings | None = None,
) -> Edition:
    """Withdraw the edition of ``briefing`` of ``date``; the edition, now marked.
    ``settings`` say what may be public and the public URL (for the feed)."""
    settings = settings or Settings()
    why = check_why(why)
    edition = current_edition(edition_folder(out, briefing, date))
    if edition is None:
        raise UserError(f"no edition of {briefing} of {date} in {out}")
    if edition.withdrawn:
        raise UserError(f"{briefing} {date} was already withdrawn on "
                        f"{edition.withdrawn.get('when', '?')}: {edition.withdrawn.get('why', '')}")
    record = {"why": why, "when": datetime.now(UTC).replace(microsecond=0).isoformat()}
    folder = edition.folder.parent if edition.correction else edition.folder  # the original's
    write_file(folder / WITHDRAWN, (json.dumps(record, indent=2, sort_keys=True) + "\n").encode())
    write_archive(get_env(templates), out, levels=settings.public_levels,
                  public_url=settings.public_url)
    marked = current_edition(folder)
    assert marked is not None
    return marked
