"""``python -m briefings``: the command line (:mod:`briefings.cli.main`)."""

from __future__ import annotations

from briefings.cli.main import main

if __name__ == "__main__":
    main()
