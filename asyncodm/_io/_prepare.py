"""Getting a model's collection ready once: created capped, and indexed when asked.

Stage: persistence (awaits). A capped collection (``max_documents`` / ``max_size``) must exist
before the first insert, or MongoDB creates an ordinary one; a model with
``auto_create_index=True`` wants its indexes before its first operation. ``ensure_prepared``
does that work once per (event loop, alias, database, collection, class hierarchy) as one
shared task, so concurrent first operations wait for the same work instead of racing to create
the collection. If it fails, every waiter gets the error and the next operation tries again.

It runs in an empty context: never inside the caller's transaction (MongoDB restricts creating
collections and indexes there) and unaffected by the caller's ``switch_*`` blocks (the target
was resolved before).
https://www.mongodb.com/docs/manual/core/transactions-operations/#explicit-creation
"""

from __future__ import annotations

import asyncio
import contextvars
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from asyncodm._schema._index_plans import capped_options, collection_members, collection_plans
from asyncodm.errors import OperationError

if TYPE_CHECKING:
    from asyncodm._drivers._protocol import DatabaseAdapter

__all__ = [
    "Key",
    "Target",
    "ensure_prepared",
    "forget_prepared",
    "is_prepared",
    "mark_prepared",
    "prepare_collection",
]


Key = tuple[str, str, str, type, bool]
"""(alias, database, collection, hierarchy root, with indexes): what was prepared."""


@dataclass(frozen=True, slots=True)
class Target:
    """A collection to prepare for ``model``, and the key that says it was done.

    Whether indexes are part of the work is in the key: a capped-only preparation (a model
    without ``auto_create_index``) does not stand in for an indexing one.
    """

    model: type
    database: DatabaseAdapter
    name: str
    key: Key

    @classmethod
    def of(cls, model: type, database: DatabaseAdapter, name: str) -> Target:
        indexes = bool(model._schema.meta.get("auto_create_index"))  # type: ignore[attr-defined]
        key = (database.alias, database.name, name, _root(model), indexes)
        return cls(model, database, name, key)

    @property
    def indexes(self) -> bool:
        return self.key[4]


def _root(model: type) -> type:
    """The topmost class whose documents share ``model``'s collection."""
    collection = model._schema.collection  # type: ignore[attr-defined]
    root = model
    for klass in model.__mro__[1:]:
        schema = klass.__dict__.get("_schema")
        if schema is not None and schema.is_document and schema.collection == collection:
            root = klass
    return root


@dataclass(slots=True)
class _LoopState:
    done: set[Key] = field(default_factory=set)
    running: dict[Key, asyncio.Task[None]] = field(default_factory=dict)

    def record(self, key: Key) -> None:
        self.done.add(key)
        if key[4]:  # indexed implies capped
            self.done.add((*key[:4], False))


_states: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState] = (
    weakref.WeakKeyDictionary()
)


def _state() -> _LoopState:
    loop = asyncio.get_running_loop()
    state = _states.get(loop)
    if state is None:
        state = _states[loop] = _LoopState()
    return state


def is_prepared(target: Target) -> bool:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return False
    state = _states.get(loop)
    return state is not None and target.key in state.done


def mark_prepared(model: type, database: DatabaseAdapter, name: str) -> None:
    """Record that ``ensure_indexes`` prepared this collection, indexes and all, in the
    running loop."""
    key = Target.of(model, database, name).key
    _state().record((*key[:4], True))


def forget_prepared(database: DatabaseAdapter, name: str) -> None:
    """The collection was dropped: prepare it again before its next use, in every loop."""
    for state in list(_states.values()):
        for key in [k for k in state.done if k[:3] == (database.alias, database.name, name)]:
            state.done.discard(key)


async def ensure_prepared(target: Target) -> None:
    state = _state()
    if target.key in state.done:
        return
    task = state.running.get(target.key)
    if task is None:
        coro = _prepare_once(target, state)
        # An empty context: no transaction session, no switch_* of the first caller.
        task = contextvars.Context().run(asyncio.get_running_loop().create_task, coro)
        task.add_done_callback(_retrieve)
        state.running[target.key] = task
    # Shielded: a caller that is cancelled must not cancel the others' preparation.
    await asyncio.shield(task)


def _retrieve(task: asyncio.Task[None]) -> None:
    """Mark a failed preparation's exception as seen (every waiter re-raises it anyway)."""
    if not task.cancelled():
        task.exception()


async def _prepare_once(target: Target, state: _LoopState) -> None:
    try:
        capped_done = (*target.key[:4], False) in state.done
        await prepare_collection(
            target.model,
            target.database,
            target.name,
            indexes=target.indexes,
            capped=not capped_done,
        )
        state.record(target.key)
    finally:
        state.running.pop(target.key, None)


async def prepare_collection(
    model: type,
    database: DatabaseAdapter,
    name: str,
    *,
    indexes: bool,
    capped: bool = True,
    members: Sequence[type] | None = None,
) -> list[str]:
    """Create ``name`` capped if ``model`` says so (unless ``capped`` is False: done before),
    then (if ``indexes``) the indexes of every class stored there (``members``; default:
    ``model``'s hierarchy).

    Returns the names ``createIndexes`` reported (MongoDB's; a wire-compatible server may
    list them under other names).
    https://www.mongodb.com/docs/manual/reference/command/createIndexes/
    """
    settings = capped_options(model) if capped else None
    if settings is not None:
        await _ensure_capped(model, database, name, settings)
    if not indexes:
        return []
    plans = collection_plans(members or collection_members(model))
    if not plans:
        return []
    return await database.collection(name).create_indexes([p.to_model() for p in plans])


async def _ensure_capped(
    model: type, database: DatabaseAdapter, name: str, capped: dict[str, Any]
) -> None:
    """Create the capped collection, or check that the existing one has the same settings.

    MongoDB creates a collection implicitly, uncapped, on the first insert; converting it
    afterwards needs ``convertToCapped``, so the ODM never does it silently.
    https://www.mongodb.com/docs/manual/core/capped-collections/
    """
    if name not in await database.list_collection_names():
        try:
            await database.create_collection(name, **capped)
            return
        except OperationError:
            if name not in await database.list_collection_names():
                raise
            # created meanwhile by another process: check it like an existing one
    existing = await database.collection(name).options()
    if (
        existing.get("capped")
        and existing.get("size") == capped["size"]
        and existing.get("max") == capped.get("max")
    ):
        return
    wanted = f"capped, size={capped['size']}" + (
        f", max={capped['max']}" if "max" in capped else ""
    )
    if existing.get("capped"):
        found = f"capped with size={existing.get('size')}, max={existing.get('max')}"
    else:
        found = "not capped"
    raise OperationError(
        f"collection {database.name}.{name} (connection {database.alias!r}) already exists and "
        f"is {found}, but {model.__name__} declares it {wanted} (meta max_documents="
        f"{model._schema.meta.get('max_documents')!r}, max_size="  # type: ignore[attr-defined]
        f"{model._schema.meta.get('max_size')!r}); drop it, convert it with the "  # type: ignore[attr-defined]
        "convertToCapped command, or change the model's meta"
    )
