"""The command line: the only package that imports click, and both wings."""

from __future__ import annotations

import click

from briefings.config import Settings


def current_settings() -> Settings:
    """The settings the ``briefings`` group read from the environment for this command."""
    return click.get_current_context().find_object(Settings) or Settings.from_env()
