"""Driver errors become asyncodm errors here, and nowhere else.

Stage: drivers. Every adapter method runs its driver call inside ``map_driver_errors``, the way
httpx wraps each transport call in ``map_httpcore_exceptions()``: code above the seam catches
``asyncodm.errors`` only, and each translated error keeps the driver's exception as
``__cause__`` for anyone who needs the raw code or details.

Translation rules (first match wins):

* ``pymongo.errors.ConnectionFailure`` and its subclasses (``ServerSelectionTimeoutError``,
  ``AutoReconnect``, ``NetworkTimeout``, ``NotPrimaryError``, ``WaitQueueTimeoutError``)
  -> ``ConnectionFailure`` naming the connection alias and the operation.
* a duplicate key (``DuplicateKeyError``, an ``OperationFailure`` with code 11000, or a
  ``BulkWriteError`` whose write errors include one) -> ``NotUniqueError`` with ``index`` and
  ``value`` taken from ``keyPattern``/``keyValue`` when the server reports them, else parsed from
  the error message.
* ``pymongo.errors.ConfigurationError`` -> ``ConfigurationError`` (the settings are wrong, not
  the operation).
* any other ``PyMongoError`` -> ``OperationError``.

mongomock re-uses PyMongo's exception classes whenever PyMongo is importable (always, for
asyncodm), so its errors follow the same rules; should a mongomock build ever ship its own
classes, they are recognised by module name and mapped the same way.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from bson import ObjectId
from pymongo import errors as pm_errors

from asyncodm import errors

__all__ = [
    "DUPLICATE_KEY_CODES",
    "duplicate_key_details",
    "is_driver_error",
    "map_driver_errors",
    "translate",
]

#: 11000 is the modern code; 11001 and 12582 are what old servers reported for the same thing.
DUPLICATE_KEY_CODES = frozenset({11000, 11001, 12582})

# "E11000 duplicate key error collection: db.c index: email_1 dup key: { email: "a" }"
_MONGODB_INDEX = re.compile(r"\bindex:\s*(\S+)")
_MONGODB_DUP_KEY = re.compile(r"dup key:\s*\{(.*)\}", re.DOTALL)
# nx-27017 (SQLite underneath): "UNIQUE constraint failed: index 'idx_users_email'" and, for
# the primary key, "UNIQUE constraint failed: users._id".
_SQLITE_INDEX = re.compile(r"UNIQUE constraint failed: index '([^']+)'")
_SQLITE_ID = re.compile(r"UNIQUE constraint failed: \S+\._id\b")
_KEY_VALUE_PAIR = re.compile(
    r"""\s*([^\s:,{}]*)\s*:\s*("(?:[^"\\]|\\.)*"|ObjectId\('[0-9a-fA-F]{24}'\)|[^,}]+?)\s*(?:,|$)"""
)
_OBJECT_ID = re.compile(r"ObjectId\('([0-9a-fA-F]{24})'\)")


class map_driver_errors:  # noqa: N801 - used like a function: ``with map_driver_errors(...)``
    """Translate driver exceptions raised inside the block into ``asyncodm.errors``.

    A class rather than ``@contextmanager``: it runs around every database call, and entering
    a slotted object costs a fraction of driving a generator.

    Args:
        alias: the connection alias, so the error says which connection failed.
        operation: what was being done, e.g. ``"insert_one"``.
        namespace: optional ``db.collection`` for the message.
    """

    __slots__ = ("alias", "namespace", "operation")

    def __init__(self, alias: str, operation: str, namespace: str | None = None) -> None:
        self.alias = alias
        self.operation = operation
        self.namespace = namespace

    def __enter__(self) -> map_driver_errors:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None or not is_driver_error(exc):
            return
        raise translate(exc, self.alias, self.operation, self.namespace) from exc


def is_driver_error(exc: BaseException) -> bool:
    """Whether ``exc`` comes from the driver (PyMongo's tree, or a fake's look-alike)."""
    return isinstance(exc, _driver_error_classes())


def translate(
    exc: BaseException, alias: str, operation: str, namespace: str | None = None
) -> errors.ODMError:
    """The asyncodm error for driver error ``exc`` (not raised, so callers choose the ``from``)."""
    where = f"{operation} on {namespace!r}" if namespace else operation
    context = f"during {where} (connection {alias!r})"
    if isinstance(exc, pm_errors.ConnectionFailure) or _is_foreign(exc, "ConnectionFailure"):
        return errors.ConnectionFailure(
            f"MongoDB unreachable {context}: {exc}", alias=alias, operation=operation
        )
    if _is_duplicate_key(exc):
        index, value, message = _duplicate_info(exc)
        what = f"unique index {index!r}" if index else "a unique index"
        shown = f" with value {value!r}" if value is not None else ""
        return errors.NotUniqueError(
            f"duplicate key for {what}{shown} {context}: {message}", index=index, value=value
        )
    if isinstance(exc, pm_errors.ConfigurationError):
        return errors.ConfigurationError(f"invalid settings {context}: {exc}")
    return errors.OperationError(f"{type(exc).__name__} {context}: {exc}")


def duplicate_key_details(exc: BaseException) -> tuple[str | None, Any]:
    """``(index name, duplicate value)`` of a duplicate-key error; either may be None.

    The value is the scalar for a single-field index and a ``{field: value}`` dict for a
    compound one. Sources, best first: the server's ``keyPattern``/``keyValue`` details, then
    the MongoDB message (``index: email_1 dup key: { email: "a" }``), then a SQLite-style
    message from wire-compatible servers (``UNIQUE constraint failed: index 'idx_…'``).
    """
    index, value, _ = _duplicate_info(exc)
    return index, value


def _duplicate_info(exc: BaseException) -> tuple[str | None, Any, str]:
    info: Mapping[str, Any] = getattr(exc, "details", None) or {}
    op: Any = None
    write_errors = info.get("writeErrors")
    if write_errors:  # BulkWriteError: the first duplicate-key write error tells the story
        for entry in write_errors:
            if entry.get("code") in DUPLICATE_KEY_CODES:
                info, op = entry, entry.get("op")
                break
    message = str(info.get("errmsg") or _message(exc))
    if "keyPattern" not in info and "full error: {" in message:
        info = {**_literal_tail(message), **info}
    key_pattern = info.get("keyPattern")
    key_value = info.get("keyValue")

    index = _first_group(_MONGODB_INDEX, message) or _first_group(_SQLITE_INDEX, message)
    if index is None and isinstance(key_pattern, Mapping) and key_pattern:
        index = "_".join(f"{field}_{direction}" for field, direction in key_pattern.items())
    if index is None and _SQLITE_ID.search(message):
        index = "_id_"

    value: Any = None
    if isinstance(key_value, Mapping) and key_value:
        value = _collapse(dict(key_value))
    else:
        match = _MONGODB_DUP_KEY.search(message)
        if match:
            value = _parse_dup_key(match.group(1))
        elif index == "_id_" and isinstance(op, Mapping):
            value = op.get("_id")
    return index, value, message.split(", full error: ", 1)[0]


def _is_duplicate_key(exc: BaseException) -> bool:
    if isinstance(exc, pm_errors.DuplicateKeyError):
        return True
    code = getattr(exc, "code", None)
    if code in DUPLICATE_KEY_CODES:
        return True
    if isinstance(exc, pm_errors.BulkWriteError) or _is_foreign(exc, "BulkWriteError"):
        details = getattr(exc, "details", None) or {}
        return any(e.get("code") in DUPLICATE_KEY_CODES for e in details.get("writeErrors", ()))
    return False


def _message(exc: BaseException) -> str:
    """The driver's own message, without PyMongo's ``, full error: {...}`` suffix."""
    message = getattr(exc, "_message", None)
    return str(message) if message else str(exc)


def _first_group(pattern: re.Pattern[str], text: str) -> str | None:
    match = pattern.search(text)
    return match.group(1) if match else None


def _collapse(key_value: dict[str, Any]) -> Any:
    return next(iter(key_value.values())) if len(key_value) == 1 else key_value


def _parse_dup_key(body: str) -> Any:
    """``email: "a", n: 1`` -> ``{"email": "a", "n": 1}`` (one pair collapses to its value)."""
    pairs: dict[str, Any] = {}
    for field, raw in _KEY_VALUE_PAIR.findall(body.strip()):
        pairs[field] = _parse_scalar(raw)
    return _collapse(pairs) if pairs else None


def _parse_scalar(raw: str) -> Any:
    oid = _OBJECT_ID.fullmatch(raw)
    if oid:
        return ObjectId(oid.group(1))
    try:
        return json.loads(raw)
    except ValueError:
        return raw.strip()


def _literal_tail(message: str) -> dict[str, Any]:
    """Details a driver or fake folded into the message as ``…, full error: {...}``."""
    tail = message.split("full error: ", 1)[1]
    try:
        parsed = ast.literal_eval(tail)
    except (ValueError, SyntaxError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


_FOREIGN_MODULES = ("mongomock",)
_classes_cache: dict[bool, tuple[type[BaseException], ...]] = {}


def _driver_error_classes() -> tuple[type[BaseException], ...]:
    """PyMongo's root error plus a fake's look-alike root once that fake has been imported.

    Only consulted when an exception is actually propagating, so the happy path pays nothing.
    """
    mock_loaded = "mongomock" in sys.modules
    cached = _classes_cache.get(mock_loaded)
    if cached is not None:
        return cached
    found: list[type[BaseException]] = [pm_errors.PyMongoError]
    root = getattr(sys.modules.get("mongomock"), "PyMongoError", None)
    if isinstance(root, type) and issubclass(root, BaseException) and root not in found:
        found.append(root)
    _classes_cache[mock_loaded] = tuple(found)
    return _classes_cache[mock_loaded]


def _is_foreign(exc: BaseException, name: str) -> bool:
    """True for a fake's own class called ``name`` (mongomock without PyMongo's classes)."""
    return any(
        klass.__name__ == name and klass.__module__.split(".")[0] in _FOREIGN_MODULES
        for klass in type(exc).__mro__
    )
