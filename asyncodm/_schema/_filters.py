"""Filters a class record implies: which classes a query on it matches, which shard it is on.

Stage: schema (pure). Two conditions are added to filters that the user never writes: the
``_cls`` condition of a query on a subclass in an inheritance hierarchy, and the shard key of
one stored document (every update and delete of it must carry it, so a sharded cluster can
route the write: https://www.mongodb.com/docs/manual/core/sharding-shard-key/). Each is built
here and nowhere else.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from typing import Any

from asyncodm._registry import registry
from asyncodm._schema._paths import STORED, resolve
from asyncodm._types import MISSING
from asyncodm.errors import InvalidDocumentError

__all__ = ["cls_filter", "shard_key_names", "shard_key_path", "shard_key_paths", "shard_values"]


def cls_filter(schema: Any) -> dict[str, Any]:
    """``{"_cls": {"$in": [...]}}`` when ``schema`` is a subclass in an inheritance hierarchy.

    The root of a hierarchy needs no condition: every document in its collection is one of
    its classes.
    """
    if not schema.stores_cls or "." not in schema.class_name:
        return {}
    return {"_cls": {"$in": registry.class_names_under(schema.model)}}


def shard_key_names(schema: Any) -> tuple[str, ...]:
    """The field names of ``meta["shard_key"]`` (one name or a tuple of them).

    Raises:
        InvalidDocumentError: it is neither.
    """
    shard_key = schema.meta.get("shard_key")
    if shard_key is None:
        return ()
    names = (shard_key,) if isinstance(shard_key, str) else shard_key
    if not isinstance(names, (tuple, list)) or not all(isinstance(n, str) for n in names):
        raise InvalidDocumentError(
            f"{schema.model.__name__}: meta['shard_key'] must be a field name or a tuple of "
            f"them, found {shard_key!r}"
        )
    return tuple(names)


def shard_key_path(schema: Any, name: str) -> str:
    """The stored path of one shard-key field (``dest__code`` or ``dest.code`` -> ``dest.c``).

    Raises:
        LookUpError: a part names no field.
    """
    dotted = name.replace("__", ".")
    return resolve(schema, dotted.split("."), written=name, sep=".", rules=STORED).path


_paths: weakref.WeakKeyDictionary[type, tuple[str, ...]] = weakref.WeakKeyDictionary()


def shard_key_paths(schema: Any) -> tuple[str, ...]:
    """The stored paths a document's identity filter adds to ``_id`` (the primary key is never
    repeated), resolved once per class."""
    if schema.meta.get("shard_key") is None:
        return ()
    found = _paths.get(schema.model)
    if found is None:
        paths = (shard_key_path(schema, name) for name in shard_key_names(schema))
        found = _paths[schema.model] = tuple(dict.fromkeys(p for p in paths if p != "_id"))
    return found


def shard_values(
    paths: tuple[str, ...],
    son: Mapping[str, Any] | None,
    fallback: Callable[[], Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """``{path: value}`` for the shard key: each value as stored in ``son``, else from
    ``fallback()`` (made at most once), else None (a missing key matches null)."""
    out: dict[str, Any] = {}
    other: Mapping[str, Any] | None = None
    for path in paths:
        value = _at(son, path) if son is not None else MISSING
        if value is MISSING and fallback is not None:
            if other is None:
                other = fallback()
            value = _at(other, path)
        out[path] = None if value is MISSING else value
    return out


def _at(son: Mapping[str, Any], path: str) -> Any:
    current: Any = son
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return MISSING
        current = current[part]
    return current
