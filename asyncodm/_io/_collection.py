"""Which driver collection a model uses right now, prepared (capped, indexed) before first use.

Stage: persistence. Combines the model's Schema (collection name, ``db_alias``, read/write
options from meta) with the task-local ``switch_db`` / ``switch_collection`` /
``collection_options`` contexts, and asks the connection for the adapter. Every operation of
every model goes through ``collection_for``, so it stays synchronous and cheap: a model with
neither ``auto_create_index`` nor a capped size gets the plain adapter.

A model whose collection must be *prepared* first (``_prepare``: created capped, and indexed
with ``auto_create_index=True``) gets a thin ``PreparingCollection`` instead. It awaits the
one-time preparation before its first awaited call and before the first batch of a
``find``/``aggregate`` cursor, so building a cursor stays free of I/O.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast

from bson.codec_options import CodecOptions
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from asyncodm import connection
from asyncodm._context import alias_for, collection_name_for, schema_of, switch_for
from asyncodm._io._prepare import Target, ensure_prepared, forget_prepared, is_prepared

if TYPE_CHECKING:
    from asyncodm._drivers._protocol import (
        CollectionAdapter,
        CursorAdapter,
        RawDoc,
    )

__all__ = [
    "PreparingCollection",
    "alias_for",
    "collection_for",
    "collection_name_for",
    "needs_preparation",
    "normalise_options",
]

_OPTION_KEYS = ("read_preference", "read_concern", "write_concern", "codec_options")


def normalise_options(options: dict[str, Any]) -> dict[str, Any]:
    """Accept dicts where the driver wants option objects (``{"w": "majority"}``...)."""
    out = dict(options)
    wc = out.get("write_concern")
    if isinstance(wc, dict):
        out["write_concern"] = WriteConcern(**wc)
    rc = out.get("read_concern")
    if isinstance(rc, dict):
        out["read_concern"] = ReadConcern(**rc)
    elif isinstance(rc, str):
        out["read_concern"] = ReadConcern(rc)
    co = out.get("codec_options")
    if isinstance(co, dict):
        out["codec_options"] = CodecOptions(**co)
    return {k: v for k, v in out.items() if v is not None}


def needs_preparation(meta: Mapping[str, Any]) -> bool:
    """Whether the class's collection must be prepared (created capped, or indexed) before
    its first use: its adapter is then a ``PreparingCollection``."""
    return bool(meta.get("auto_create_index")) or (
        meta.get("max_documents") is not None or meta.get("max_size") is not None
    )


def collection_for(model: type, **extra: Any) -> CollectionAdapter:
    """The adapter for ``model``'s collection under the current task's switches.

    Without a switch in force and without per-call options (``extra`` all None: a ``save()``
    passes ``write_concern=None``), the adapter depends only on the class's meta and the
    connection, so it is built once per database adapter and model
    (``BaseDatabase.model_adapters``): a save pays a context read and two dict hits."""
    schema = schema_of(model)
    switch = switch_for(model)
    if switch is None and (not extra or all(v is None for v in extra.values())):
        database = connection.get_database(schema.meta.get("db_alias") or "default")
        cache = database.model_adapters
        adapter = cache.get(model)
        if adapter is None:
            adapter = cache[model] = _build(model, schema, None, database, {})
        return adapter
    alias = (
        (switch.alias if switch is not None else None) or schema.meta.get("db_alias") or "default"
    )
    return _build(model, schema, switch, connection.get_database(alias), extra)


def _build(
    model: type, schema: Any, switch: Any, database: Any, extra: Mapping[str, Any]
) -> CollectionAdapter:
    """The adapter of ``model``'s collection in ``database`` with the meta's, the switch's
    and the call's options, prepared first if the class asks for it."""
    name = (switch.collection if switch is not None else None) or schema.collection
    assert name is not None
    options: dict[str, Any] = {}
    meta = schema.meta
    for key in _OPTION_KEYS:
        if meta.get(key) is not None:
            options[key] = meta[key]
    if switch is not None and switch.options:
        options.update(switch.options)
    options.update({k: v for k, v in extra.items() if v is not None})
    if options:
        adapter = database.collection(name, **normalise_options(options))
    else:
        adapter = database.collection(name)
    if not needs_preparation(meta):
        return adapter  # type: ignore[no-any-return]
    # Delegates through __getattr__, so it is an adapter by behaviour, not by declaration.
    return cast("CollectionAdapter", PreparingCollection(adapter, Target.of(model, database, name)))


# --------------------------------------------------------------------------------------------
# The adapter that prepares first


class PreparingCollection:
    """A ``CollectionAdapter`` that makes sure the collection is prepared before its first
    real use, then delegates every call to the plain adapter.

    ``raw``, ``name`` and ``alias`` need no preparation (the driver object performs no I/O
    of its own until used); ``drop`` skips it and forgets that the collection was prepared.
    """

    __slots__ = ("_inner", "_target")

    def __init__(self, inner: CollectionAdapter, target: Target) -> None:
        self._inner = inner
        self._target = target

    def __repr__(self) -> str:
        return f"<PreparingCollection {self._inner!r}>"

    async def _ready(self) -> CollectionAdapter:
        if not is_prepared(self._target):
            await ensure_prepared(self._target)
        return self._inner

    @property
    def inner(self) -> CollectionAdapter:
        """The plain adapter (no preparation)."""
        return self._inner

    # Listed, not left to __getattr__: driver collection objects are callable.
    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def alias(self) -> str:
        return self._inner.alias

    @property
    def raw(self) -> Any:
        return self._inner.raw

    def with_options(self, **options: Any) -> CollectionAdapter:
        return cast(
            "CollectionAdapter",
            PreparingCollection(self._inner.with_options(**options), self._target),
        )

    async def drop(self) -> None:
        await self._inner.drop()
        forget_prepared(self._target.database, self._target.name)

    def __getattr__(self, name: str) -> Any:
        """Every other adapter method: coroutines prepare first; a returned cursor prepares
        before its first batch."""
        attr = getattr(self._inner, name)
        if inspect.iscoroutinefunction(attr):

            async def prepared(*args: Any, **kwargs: Any) -> Any:
                await self._ready()
                return await attr(*args, **kwargs)

            return prepared
        if callable(attr) and not isinstance(attr, type):

            def call(*args: Any, **kwargs: Any) -> Any:
                result = attr(*args, **kwargs)
                if hasattr(result, "batches") and hasattr(result, "to_list"):
                    return _PreparingCursor(result, self._ready)
                return result

            return call
        return attr


class _PreparingCursor:
    """A cursor whose first read waits for the collection's preparation."""

    __slots__ = ("_cursor", "_iterator", "_prepare", "_ready")

    def __init__(self, cursor: CursorAdapter, prepare: Callable[[], Awaitable[Any]]) -> None:
        self._cursor = cursor
        self._prepare = prepare
        self._ready = False
        self._iterator: AsyncIterator[RawDoc] | None = None

    async def _wait(self) -> CursorAdapter:
        if not self._ready:
            await self._prepare()
            self._ready = True
        return self._cursor

    @property
    def raw(self) -> Any:
        return getattr(self._cursor, "raw", None)

    def __aiter__(self) -> _PreparingCursor:
        return self

    async def __anext__(self) -> RawDoc:
        if self._iterator is None:
            self._iterator = (await self._wait()).__aiter__()
        return await self._iterator.__anext__()

    async def to_list(self, length: int | None = None) -> list[RawDoc]:
        return await (await self._wait()).to_list(length)

    async def batches(self, size: int | None = None) -> AsyncIterator[list[RawDoc]]:
        cursor = await self._wait()
        async for batch in cursor.batches(size):
            yield batch

    async def close(self) -> None:
        await self._cursor.close()

    async def __aenter__(self) -> _PreparingCursor:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)
