"""Task-local switches: which database, collection, options and session a model uses right now.

Stage: context. Each ``with`` block sets a ``ContextVar`` and resets it on exit, so its effect
is visible only in the current task and in the tasks it starts inside the block (asyncio copies
the context into new tasks). Concurrent requests in one server therefore never see each other's
``switch_db`` or transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from asyncodm.errors import InvalidDocumentError

__all__ = [
    "ModelSwitch",
    "alias_for",
    "bound_session",
    "collection_name_for",
    "collection_options",
    "current_session",
    "dereference_disabled",
    "no_auto_dereference",
    "schema_of",
    "switch_collection",
    "switch_db",
    "switch_for",
]


@dataclass(frozen=True, slots=True)
class ModelSwitch:
    """What the active ``switch_*`` blocks change for one model class."""

    alias: str | None = None
    collection: str | None = None
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    no_dereference: bool = False


_EMPTY: Mapping[type, ModelSwitch] = MappingProxyType({})
_switches: ContextVar[Mapping[type, ModelSwitch]] = ContextVar("asyncodm_switches", default=_EMPTY)
_sessions: ContextVar[Mapping[str, Any]] = ContextVar(
    "asyncodm_sessions", default=MappingProxyType({})
)


def switch_for(model: type) -> ModelSwitch | None:
    """The switch in force for ``model`` (or the nearest switched parent class), if any."""
    switches = _switches.get()
    if not switches:
        return None
    for klass in model.__mro__:
        found = switches.get(klass)
        if found is not None:
            return found
    return None


# --- which connection and collection a model uses right now -----------------------------------


def schema_of(model: type) -> Any:
    """The compiled schema of a document class that has a collection."""
    schema = model._schema  # type: ignore[attr-defined]
    if not schema.is_document:
        kind = "abstract" if schema.abstract else "embedded"
        raise InvalidDocumentError(f"{model.__name__} is {kind} and has no collection")
    return schema


def alias_for(model: type) -> str:
    switch = switch_for(model)
    if switch is not None and switch.alias is not None:
        return switch.alias
    alias: str = schema_of(model).meta.get("db_alias") or "default"
    return alias


def collection_name_for(model: type) -> str:
    switch = switch_for(model)
    if switch is not None and switch.collection is not None:
        return switch.collection
    name: str | None = schema_of(model).collection
    assert name is not None
    return name


@contextmanager
def _switched(model: type, **changes: Any) -> Iterator[type]:
    current = _switches.get()
    # Build on what applies to ``model`` now, its own or a parent's switch, so an inner block
    # on a subclass keeps the outer block's switch of the parent.
    base = switch_for(model) or ModelSwitch()
    if "options" in changes:
        changes["options"] = MappingProxyType({**base.options, **changes["options"]})
    updated = dict(current)
    updated[model] = ModelSwitch(
        alias=changes.get("alias", base.alias),
        collection=changes.get("collection", base.collection),
        options=changes.get("options", base.options),
        no_dereference=changes.get("no_dereference", base.no_dereference),
    )
    token = _switches.set(MappingProxyType(updated))
    try:
        yield model
    finally:
        _switches.reset(token)


@contextmanager
def switch_db(model: type, alias: str) -> Iterator[type]:
    """Use the connection ``alias`` for ``model`` inside the block (PyMODM: switch_connection)."""
    with _switched(model, alias=alias) as m:
        yield m


@contextmanager
def switch_collection(model: type, collection_name: str) -> Iterator[type]:
    """Read and write ``model`` in ``collection_name`` inside the block."""
    with _switched(model, collection=collection_name) as m:
        yield m


@contextmanager
def collection_options(model: type, **options: Any) -> Iterator[type]:
    """Apply driver collection options (read_preference, read_concern, write_concern,
    codec_options) to ``model`` inside the block."""
    allowed = {"read_preference", "read_concern", "write_concern", "codec_options"}
    unknown = set(options) - allowed
    if unknown:
        raise TypeError(
            f"collection_options got unknown options {sorted(unknown)}; allowed: {sorted(allowed)}"
        )
    with _switched(model, options=options) as m:
        yield m


@contextmanager
def no_auto_dereference(model: type) -> Iterator[type]:
    """References of ``model`` read as raw ids / DBRefs inside the block."""
    with _switched(model, no_dereference=True) as m:
        yield m


def dereference_disabled(model: type) -> bool:
    found = switch_for(model)
    return found is not None and found.no_dereference


def current_session(alias: str) -> Any:
    """The session a ``transaction()`` block bound for ``alias`` in this task, or None."""
    sessions = _sessions.get()
    return sessions.get(alias) if sessions else None


@contextmanager
def bound_session(alias: str, session: Any) -> Iterator[Any]:
    """Make ``session`` the implicit session for ``alias`` in this task and its children."""
    updated = dict(_sessions.get())
    updated[alias] = session
    token = _sessions.set(MappingProxyType(updated))
    try:
        yield session
    finally:
        _sessions.reset(token)


switch_connection = switch_db
