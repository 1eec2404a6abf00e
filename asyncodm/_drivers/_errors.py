"""Driver errors become asyncodm errors here, and nowhere else.

Stage: drivers. Every adapter method runs its driver call inside ``map_driver_errors``, the way
httpx wraps each transport call in ``map_httpcore_exceptions()``: code above the seam catches
``asyncodm.errors`` only, and each translated error keeps the driver's exception as
``__cause__`` for anyone who needs the raw code or details.

The translation is the table ``ERROR_MAP`` (httpx's ``HTTPCORE_EXC_MAP``), read top to bottom,
first match wins; each row names a driver exception class, optionally a test on the instance,
and the builder of the asyncodm error:

* ``pymongo.errors.ConnectionFailure`` and its subclasses (``ServerSelectionTimeoutError``,
  ``AutoReconnect``, ``NetworkTimeout``, ``NotPrimaryError``, ``WaitQueueTimeoutError``)
  -> ``ConnectionFailure`` naming the connection alias and the operation.
* a duplicate key (``DuplicateKeyError``, a ``BulkWriteError`` whose write errors include one,
  or an ``OperationFailure`` with code 11000, as a unique index build over duplicates raises)
  -> ``NotUniqueError`` with ``index`` and ``value`` from the server's error document as
  MongoDB sends it: ``keyPattern``/``keyValue``, and the ``errmsg`` text (``... index: email_1
  dup key: { email: "a@b" }``), which also names a custom index name.
* ``pymongo.errors.ConfigurationError`` -> ``ConfigurationError`` (the settings are wrong, not
  the operation).
* any other ``PyMongoError`` -> ``OperationError``.

Only what MongoDB itself sends is read. A test server that reports duplicates differently gets
less detail (``index``/``value`` None); its tests say so with markers, the library does not
learn its dialect. mongomock-motor, a supported embedded driver, re-uses PyMongo's exception
classes whenever PyMongo is importable (always, for asyncodm); should a mongomock build ever
ship its own classes, a row also matches a mongomock class of the same name.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, NamedTuple

from bson import ObjectId
from pymongo import errors as pm_errors

from asyncodm import errors

__all__ = [
    "DUPLICATE_KEY_CODES",
    "ERROR_MAP",
    "ErrorRule",
    "Where",
    "driver_error_code",
    "duplicate_key_details",
    "has_error_label",
    "is_driver_error",
    "map_driver_errors",
    "translate",
]

#: 11000 is the modern code; 11001 and 12582 are what old servers reported for the same thing.
DUPLICATE_KEY_CODES = frozenset({11000, 11001, 12582})

# "E11000 duplicate key error collection: db.c index: email_1 dup key: { email: "a" }"
_MONGODB_INDEX = re.compile(r"\bindex:\s*(\S+)")
_MONGODB_DUP_KEY = re.compile(r"dup key:\s*\{(.*)\}", re.DOTALL)
_KEY_VALUE_PAIR = re.compile(
    r"""\s*([^\s:,{}]*)\s*:\s*("(?:[^"\\]|\\.)*"|ObjectId\('[0-9a-fA-F]{24}'\)|[^,}]+?)\s*(?:,|$)"""
)
_OBJECT_ID = re.compile(r"ObjectId\('([0-9a-fA-F]{24})'\)")


class Where(NamedTuple):
    """What was being done when the driver raised: every builder names it in its message."""

    alias: str
    operation: str
    namespace: str | None

    def context(self) -> str:
        """``during insert_one on 'db.users' (connection 'default')``."""
        where = f"{self.operation} on {self.namespace!r}" if self.namespace else self.operation
        return f"during {where} (connection {self.alias!r})"


@dataclass(frozen=True, slots=True)
class ErrorRule:
    """One row of ``ERROR_MAP``.

    Attributes:
        driver_error: the driver exception class the row catches (subclasses included).
        build: makes the asyncodm error from the driver's exception and where it happened.
        when: an extra test on the instance, for rows a class alone cannot decide (a
            ``BulkWriteError`` is a duplicate key only if one of its write errors is).
    """

    driver_error: type[BaseException]
    build: Callable[[BaseException, Where], errors.ODMError]
    when: Callable[[BaseException], bool] | None = None


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


def has_error_label(exc: BaseException, label: str) -> bool:
    """Whether ``exc`` -- a driver error, or an asyncodm error translated from one -- has ``label``.

    Code that retries (``run_in_transaction``) may meet either: the ODM's calls raise asyncodm
    errors (the driver's as ``__cause__``), an application's direct driver calls raise PyMongo's.
    """
    if isinstance(exc, errors.ODMError):
        return exc.has_error_label(label)
    ask = getattr(exc, "has_error_label", None)
    return is_driver_error(exc) and callable(ask) and bool(ask(label))


def driver_error_code(exc: BaseException) -> int | None:
    """The server's error code of a driver error, or of the one behind an asyncodm error."""
    driver = exc.__cause__ if isinstance(exc, errors.ODMError) else exc
    code = getattr(driver, "code", None) if driver is not None else None
    return code if isinstance(code, int) else None


def translate(
    exc: BaseException, alias: str, operation: str, namespace: str | None = None
) -> errors.ODMError:
    """The asyncodm error for driver error ``exc`` (not raised, so callers choose the ``from``).

    The first row of ``ERROR_MAP`` that matches builds it; a driver error no row names (a fake's
    root class) is an ``OperationError``.
    """
    where = Where(alias, operation, namespace)
    foreign = _foreign_names(exc)
    for rule in ERROR_MAP:
        caught = isinstance(exc, rule.driver_error) or rule.driver_error.__name__ in foreign
        if caught and (rule.when is None or rule.when(exc)):
            return rule.build(exc, where)
    return _operation_error(exc, where)


def duplicate_key_details(exc: BaseException) -> tuple[str | None, Any]:
    """``(index name, duplicate value)`` of a duplicate-key error; either may be None.

    The value is the scalar for a single-field index and a ``{field: value}`` dict for a
    compound one. Sources, as MongoDB sends them: the index name from the ``errmsg`` text
    (``index: email_1 dup key: { email: "a" }``, the only place a custom name appears), else
    built from ``keyPattern``; the value from ``keyValue``, else parsed from the ``errmsg``.
    """
    index, value, _ = _duplicate_info(exc)
    return index, value


# --- the builders, one per kind of asyncodm error -----------------------------------------


def _unreachable(exc: BaseException, where: Where) -> errors.ODMError:
    return errors.ConnectionFailure(
        f"MongoDB unreachable {where.context()}: {exc}",
        alias=where.alias,
        operation=where.operation,
    )


def _not_unique(exc: BaseException, where: Where) -> errors.ODMError:
    index, value, message = _duplicate_info(exc)
    what = f"unique index {index!r}" if index else "a unique index"
    shown = f" with value {value!r}" if value is not None else ""
    return errors.NotUniqueError(
        f"duplicate key for {what}{shown} {where.context()}: {message}", index=index, value=value
    )


def _invalid_settings(exc: BaseException, where: Where) -> errors.ODMError:
    return errors.ConfigurationError(f"invalid settings {where.context()}: {exc}")


def _operation_error(exc: BaseException, where: Where) -> errors.ODMError:
    return errors.OperationError(f"{type(exc).__name__} {where.context()}: {exc}")


# --- the tests a class alone cannot decide ------------------------------------------------


def _has_duplicate_write(exc: BaseException) -> bool:
    details: Mapping[str, Any] = getattr(exc, "details", None) or {}
    return any(e.get("code") in DUPLICATE_KEY_CODES for e in details.get("writeErrors", ()))


def _has_duplicate_code(exc: BaseException) -> bool:
    return getattr(exc, "code", None) in DUPLICATE_KEY_CODES


#: The translation table: first match wins, so a subclass's row comes before its base's
#: (``DuplicateKeyError`` and ``BulkWriteError`` are ``OperationFailure``s; everything is a
#: ``PyMongoError``).
ERROR_MAP: Final[tuple[ErrorRule, ...]] = (
    ErrorRule(pm_errors.ConnectionFailure, _unreachable),
    ErrorRule(pm_errors.DuplicateKeyError, _not_unique),
    ErrorRule(pm_errors.BulkWriteError, _not_unique, when=_has_duplicate_write),
    ErrorRule(pm_errors.OperationFailure, _not_unique, when=_has_duplicate_code),
    ErrorRule(pm_errors.ConfigurationError, _invalid_settings),
    ErrorRule(pm_errors.PyMongoError, _operation_error),
)


# --- reading MongoDB's duplicate-key error document ---------------------------------------


def _duplicate_info(exc: BaseException) -> tuple[str | None, Any, str]:
    info: Mapping[str, Any] = getattr(exc, "details", None) or {}
    write_errors = info.get("writeErrors")
    if write_errors:  # BulkWriteError: the first duplicate-key write error tells the story
        for entry in write_errors:
            if entry.get("code") in DUPLICATE_KEY_CODES:
                info = entry
                break
    message = str(info.get("errmsg") or _message(exc))
    if "keyPattern" not in info and "full error: {" in message:
        info = {**_literal_tail(message), **info}
    key_pattern = info.get("keyPattern")
    key_value = info.get("keyValue")

    index = _first_group(_MONGODB_INDEX, message)
    if index is None and isinstance(key_pattern, Mapping) and key_pattern:
        index = "_".join(f"{field}_{direction}" for field, direction in key_pattern.items())

    value: Any = None
    if isinstance(key_value, Mapping) and key_value:
        value = _collapse(dict(key_value))
    else:
        match = _MONGODB_DUP_KEY.search(message)
        if match:
            value = _parse_dup_key(match.group(1))
    return index, value, message.split(", full error: ", 1)[0]


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
    """Details folded into the message as ``…, full error: {...}``.

    mongomock-motor (a supported driver, not a test stand-in) reports a bulk write's
    duplicate key this way: its write error's ``errmsg`` carries ``keyPattern``/``keyValue``.
    """
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


def _foreign_names(exc: BaseException) -> frozenset[str]:
    """Names of the classes in ``exc``'s MRO that a fake defines itself (empty for PyMongo's).

    mongomock without PyMongo's classes would raise its own ``DuplicateKeyError`` and so on;
    a row of ``ERROR_MAP`` matches such a class by name.
    """
    return frozenset(
        klass.__name__
        for klass in type(exc).__mro__
        if klass.__module__.split(".")[0] in _FOREIGN_MODULES
    )
