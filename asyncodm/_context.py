"""Task-local switches: which database, collection, options and session a model uses right now.

Stage: context. Each ``with`` block sets a ``ContextVar`` and resets it on exit, so its effect
is visible only in the current task and in the tasks it starts inside the block (asyncio copies
the context into new tasks). Concurrent requests in one server therefore never see each other's
``switch_db`` or transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from asyncodm.errors import InvalidDocumentError

__all__ = [
    "LazyLoadingGuard",
    "ModelSwitch",
    "active_switches",
    "alias_for",
    "bound_session",
    "bound_sessions",
    "collection_name_for",
    "collection_options",
    "current_session",
    "dereference_disabled",
    "lazy_loading_forbidden",
    "no_auto_dereference",
    "no_lazy_loading",
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


#: The ``switch_*`` / ``collection_options`` / ``no_auto_dereference`` blocks in force in this
#: task, by model class (empty, hence falsy, when none is): one C call, for the save lane,
#: which hands over to the general path (``switch_for``) whenever any is in force.
active_switches: Callable[[], Mapping[type, ModelSwitch]] = _switches.get


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


# --- the N+1 guard -----------------------------------------------------------------------------

_lazy_forbidden: ContextVar[bool] = ContextVar("asyncodm_no_lazy_loading", default=False)


def lazy_loading_forbidden() -> bool:
    """Whether a ``no_lazy_loading()`` block is active in this task."""
    return _lazy_forbidden.get()


class LazyLoadingGuard:
    """The block ``no_lazy_loading()`` returns, entered with ``with`` or ``async with``.

    Each entry sets the context variable and keeps its token, so one guard object may be
    entered again while active (nested) and every exit restores what its own entry found."""

    __slots__ = ("_tokens",)

    def __init__(self) -> None:
        self._tokens: list[Token[bool]] = []

    def __enter__(self) -> None:
        self._tokens.append(_lazy_forbidden.set(True))

    def __exit__(self, *exc_info: object) -> None:
        _lazy_forbidden.reset(self._tokens.pop())

    async def __aenter__(self) -> None:
        self.__enter__()

    async def __aexit__(self, *exc_info: object) -> None:
        self.__exit__()

    def __repr__(self) -> str:
        return f"<no_lazy_loading {'active' if self._tokens else 'inactive'}>"


def no_lazy_loading() -> LazyLoadingGuard:
    """Inside the block, awaiting a reference that is not loaded yet raises ``LazyLoadError``
    instead of querying: the N+1 guard for request handlers and tests.

    References prefetched by ``select_related()``, already awaited, assigned as documents, or
    unset need no query and read as usual; queries you write yourself run as usual. Like the
    ``switch_*`` blocks it is task-local: a task started inside inherits it, a concurrent task
    outside never sees it."""
    return LazyLoadingGuard()


#: The sessions ``transaction()`` blocks bound in this task, by alias (empty, hence falsy,
#: when none is): one C call, for the save lane, which hands over to the general path
#: (``current_session`` per alias) whenever any is bound.
bound_sessions: Callable[[], Mapping[str, Any]] = _sessions.get


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
