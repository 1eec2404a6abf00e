"""Snapshots of stored containers that a loaded document hands out without copying.

Stage: types. Reading ``post.tags`` or ``post.extra`` on a loaded document gives the list or
dict the driver decoded, not a copy: copies are what made loading cost more than decoding (each
one is another object the garbage collector tracks and scans again and again). Change tracking
still needs the stored state, so at that first read a snapshot of it is taken, in one of two
forms:

* a list whose items are all immutable scalars of exact, known types (``tags``: strings) is
  kept as ``tuple(list)``: one C call holding the very item objects, so it restores exactly
  (``1`` stays an ``int``, ``True`` a ``bool``, ``Binary`` a ``Binary``). A tuple of such
  items holds no tracked object, so the collector stops tracking it at its first collection;
* anything else (nested containers, ``extra``) is pickled: ``bytes`` are one allocation,
  made at C speed, never tracked by the collector, and restored only by a ``save()`` that has
  to compare.

Snapshots live in the document's ``_orig`` dict under ``key(name)``, a key no field name can
take.
"""

from __future__ import annotations

import datetime
import pickle
from typing import Any, TypeAlias

from bson import Binary, Decimal128, Int64, ObjectId, Timestamp

__all__ = [
    "IMMUTABLE_ITEMS",
    "Snapshot",
    "all_immutable",
    "is_key",
    "key",
    "of_dict",
    "of_list",
    "restore",
    "take",
]

_PREFIX = "\x00"  # never part of a Python identifier, so never of a field name

#: A snapshot: the items of a list of immutable scalars, or a pickled value.
Snapshot: TypeAlias = "tuple[Any, ...] | bytes"

#: Exact types whose values never change in place, so a tuple holding them is a snapshot
#: (a subclass is not one of them: ``bson.Code`` is a ``str`` that carries a mutable scope).
IMMUTABLE_ITEMS = frozenset(
    {
        str,
        int,
        float,
        bool,
        type(None),
        ObjectId,
        datetime.datetime,
        Int64,
        bytes,
        Binary,
        Decimal128,
        Timestamp,
    }
)
#: ``all_immutable(map(type, items))``: True when every item's type is in ``IMMUTABLE_ITEMS``
#: (C speed, stops at the first other type).
all_immutable = IMMUTABLE_ITEMS.issuperset


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


def of_list(value: list[Any]) -> Snapshot | None:
    """The snapshot of a stored list: a tuple of its items when they are all immutable
    scalars, else pickled (None: it cannot be, then the caller copies)."""
    if all_immutable(map(type, value)):
        return tuple(value)
    return take(value)


def of_dict(raw: dict[str, Any]) -> bytes | None:
    """The pickled snapshot of a stored schemaless dict handed out as stored; None when it
    must be converted into a copy instead.

    Stored data that reads differently from how it is stored (Decimal128 as Decimal, ``_cls``
    dicts as embedded documents) is converted; a string that merely contains these names only
    costs that copy. ``bytes.find``, not ``in``: ``in`` first tries its argument as an integer
    and pays for the ``TypeError``."""
    data = take(raw)
    if data is None or data.find(b"_cls") >= 0 or data.find(b"Decimal128") >= 0:
        return None
    return data


def restore(data: Snapshot) -> Any:
    """The value as it was when the snapshot was taken (one this process made itself)."""
    if type(data) is tuple:
        return list(data)
    return pickle.loads(data)  # type: ignore[arg-type]
