"""Snapshots of stored containers that a loaded document hands out without copying.

Stage: types. Reading ``post.tags`` or ``post.extra`` on a loaded document gives the list or
dict the driver decoded, not a copy: copies are what made loading cost more than decoding (each
one is another object the garbage collector tracks and scans again and again). Change tracking
still needs the stored state, so at that first read the value is pickled: ``bytes`` are one
allocation, made at C speed, never tracked by the collector, and restored only by a ``save()``
that has to compare. Snapshots live in the document's ``_orig`` dict under ``key(name)``, a
key no field name can take.
"""

from __future__ import annotations

import pickle
from typing import Any

__all__ = ["is_key", "key", "restore", "take"]

_PREFIX = "\x00"  # never part of a Python identifier, so never of a field name


def key(name: str) -> str:
    """The ``_orig`` key of the snapshot of field ``name``."""
    return _PREFIX + name


def is_key(name: str) -> bool:
    return name[:1] == _PREFIX


def take(value: Any) -> bytes | None:
    """The stored value as bytes; None if it cannot be pickled (then the caller copies)."""
    try:
        return pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
    except Exception:
        return None


def restore(data: bytes) -> Any:
    """The value as it was when ``take`` was called (bytes this process made itself)."""
    return pickle.loads(data)
