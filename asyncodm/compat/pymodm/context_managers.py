"""PyMODM's context managers (``pymodm.context_managers``) over asyncodm's.

Stage: compat. Unlike PyMODM's, which changed class-level settings for every thread at once,
these are task-local (contextvars): concurrent requests never see each other's switches.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import asyncodm
from asyncodm import no_auto_dereference, switch_collection, switch_connection

__all__ = ["collection_options", "no_auto_dereference", "switch_collection", "switch_connection"]


@contextmanager
def collection_options(
    model: type,
    codec_options: Any = None,
    read_preference: Any = None,
    write_concern: Any = None,
    read_concern: Any = None,
) -> Iterator[type]:
    """Use these collection options for ``model`` inside the block (PyMODM's signature; an
    option left as None keeps the model's own)."""
    given = {
        "codec_options": codec_options,
        "read_preference": read_preference,
        "write_concern": write_concern,
        "read_concern": read_concern,
    }
    with asyncodm.collection_options(model, **{k: v for k, v in given.items() if v is not None}):
        yield model
