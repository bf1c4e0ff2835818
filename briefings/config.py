"""Settings: the one module that reads the environment.

The command line builds :class:`Settings` once (:meth:`Settings.from_env`) and
passes it down by keyword; no other module reads ``os.environ``. A caller that
builds settings itself (a test, a script) gets the documented defaults.

| variable | field | default |
| --- | --- | --- |
| ``BRIEFINGS_SMTP_URL`` | ``smtp_url`` | unset: mail goes to the outbox folder |
| ``BRIEFINGS_OUTBOX`` | ``outbox`` | ``outbox`` |
| ``BRIEFINGS_FROM`` | ``sender`` | ``briefings@localhost`` |
| ``BRIEFINGS_STATE`` | ``state`` | ``briefings.sqlite3`` |
| ``BRIEFINGS_SECRET`` | ``secret`` | unset: one generated and kept in the state database |
| ``BRIEFINGS_PUBLIC_URL`` | ``public_url`` | unset: no web links, no unsubscribe URL |
| ``BRIEFINGS_ALERT_TO`` | ``alert_to`` | unset: nobody is alerted |
| ``BRIEFINGS_PUBLIC_TLP`` | ``public_tlp`` | ``clear``: only TLP:CLEAR editions are public |
| ``BRIEFINGS_ORG_DOMAINS`` | ``org_domains`` | unset: nobody gets TLP:AMBER+STRICT |
| ``SOURCE_DATE_EPOCH`` | ``source_date_epoch`` | unset: the build time is now |
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from briefings.errors import UserError

if TYPE_CHECKING:
    import jinja2

DEFAULT_STATE = Path("briefings.sqlite3")
DEFAULT_OUTBOX = Path("outbox")
DEFAULT_FROM = "briefings@localhost"


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Every setting from the environment, read once."""

    smtp_url: str | None = None
    outbox: Path = DEFAULT_OUTBOX
    sender: str = DEFAULT_FROM
    state: Path = DEFAULT_STATE
    secret: str | None = None
    public_url: str | None = None
    alert_to: str | None = None
    source_date_epoch: int | None = None
    public_tlp: str = "clear"  # the most restricted TLP the public site holds: clear or green
    org_domains: tuple[str, ...] = ()  # the desk's own email domains (TLP:AMBER+STRICT)

    @property
    def public_levels(self) -> tuple[str, ...]:
        """The TLP levels the public site may hold: CLEAR, or CLEAR and GREEN."""
        return ("clear", "green") if self.public_tlp == "green" else ("clear",)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings in ``environ`` (default: this process's environment)."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            return env.get(name) or None  # set but empty counts as unset

        epoch = get("SOURCE_DATE_EPOCH")
        try:
            source_date_epoch = int(epoch) if epoch is not None else None
        except ValueError:
            raise UserError(
                f"SOURCE_DATE_EPOCH must be whole seconds since 1970, got {epoch!r}"
            ) from None
        public_tlp = (get("BRIEFINGS_PUBLIC_TLP") or "clear").strip().lower()
        if public_tlp not in {"clear", "green"}:
            raise UserError(f"BRIEFINGS_PUBLIC_TLP must be clear or green, got {public_tlp!r}: "
                            "AMBER, AMBER+STRICT and RED editions are never public")
        domains = (get("BRIEFINGS_ORG_DOMAINS") or "").split(",")
        return cls(
            public_tlp=public_tlp,
            org_domains=tuple(d.strip().lstrip("@").lower() for d in domains if d.strip()),
            smtp_url=get("BRIEFINGS_SMTP_URL"),
            outbox=Path(get("BRIEFINGS_OUTBOX") or DEFAULT_OUTBOX),
            sender=get("BRIEFINGS_FROM") or DEFAULT_FROM,
            state=Path(get("BRIEFINGS_STATE") or DEFAULT_STATE),
            secret=get("BRIEFINGS_SECRET"),
            public_url=get("BRIEFINGS_PUBLIC_URL"),
            alert_to=get("BRIEFINGS_ALERT_TO"),
            source_date_epoch=source_date_epoch,
        )


def packaged_templates() -> Path:
    """The packaged default templates (``templates/`` of a source checkout)."""
    packaged = Path(__file__).parent / "templates"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "templates"


def template_dirs(templates: Path | None) -> list[Path]:
    """The folders searched for templates and assets, most specific first."""
    dirs = [templates] if templates is not None and templates.is_dir() else []
    default = packaged_templates()
    if default.resolve() not in {d.resolve() for d in dirs}:
        dirs.append(default)
    return dirs


DEFAULT_PREFIX = "default"


def template_env(templates: Path | None) -> jinja2.Environment:
    """The one template environment: :func:`template_loader`, every template autoescaped,
    undefined names an error. Publishing adds its filters (``publish.render.get_env``)."""
    import jinja2

    return jinja2.Environment(
        loader=template_loader(templates),
        bytecode_cache=_compiled_templates(),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@functools.cache
def _compiled_templates() -> jinja2.BytecodeCache:
    """One in-memory cache of compiled templates for the process.

    Every build makes a fresh environment; a process that builds again (``run``
    with several due briefings, ``preview``, the tests) compiles each template
    once. Jinja checks each entry against the template's source, so an edited
    template is compiled afresh.
    """
    import jinja2

    class MemoryCache(jinja2.BytecodeCache):
        def __init__(self) -> None:
            self.code: dict[str, bytes] = {}

        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            if bucket.key in self.code:
                bucket.bytecode_from_string(self.code[bucket.key])

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            self.code[bucket.key] = bucket.bytecode_to_string()

    return MemoryCache()


def template_loader(templates: Path | None) -> jinja2.BaseLoader:
    """The loader every template environment uses (Datasette's ``default:`` prefix).

    A name is looked up in the project's folder, then in the packaged templates;
    ``default:NAME`` is always the packaged one, so a desk template can
    ``{% extends "default:briefing.html" %}`` and replace one block.
    """
    import jinja2

    return jinja2.ChoiceLoader([
        jinja2.FileSystemLoader([str(d) for d in template_dirs(templates)]),
        jinja2.PrefixLoader(
            {DEFAULT_PREFIX: jinja2.FileSystemLoader(str(packaged_templates()))}, delimiter=":"
        ),
    ])
