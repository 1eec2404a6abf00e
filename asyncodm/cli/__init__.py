"""The ``asyncodm`` command line (``asyncodm ...`` or ``python -m asyncodm ...``; API.md §13).

Stage: integration (the top of the package: the public API, ``describe()`` and the
migrations). Click and Rich come with the ``cli`` extra; ``import asyncodm`` never imports
them, and without them ``main()`` says which extra to install instead of a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]

_MISSING_EXTRA = (
    "asyncodm's command line needs Click and Rich: pip install 'asyncodm[cli]' ({error})"
)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command line; exits 0 (done), 1 (drift found with ``--check``) or 2 (usage)."""
    try:
        from asyncodm.cli._app import run
    except ImportError as exc:  # the cli extra is not installed
        if exc.name not in ("click", "rich") and not str(exc.name or "").startswith("rich."):
            raise
        print(_MISSING_EXTRA.format(error=exc), file=sys.stderr)  # noqa: T201 - the CLI's output
        raise SystemExit(2) from None
    run(argv)
