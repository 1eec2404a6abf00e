"""Creating, comparing and listing a model's indexes: ``ensure_indexes`` and friends.

Stage: indexes (awaits). Indexes are created only when asked -- ``await Model.ensure_indexes()``,
``await asyncodm.ensure_indexes()`` -- or once, lazily, with ``meta["auto_create_index"]``
(see ``_collection``): building an index on a large collection is an operation to schedule, not
a side effect of importing a module. What is created is compiled purely by ``_index_specs``;
this module only decides where, and talks to the server.

Every call honours the task's ``switch_db`` / ``switch_collection`` blocks, and never runs
inside the caller's transaction: MongoDB restricts creating collections and indexes there.
https://www.mongodb.com/docs/manual/core/transactions-operations/#explicit-creation
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Coroutine, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from asyncodm import connection
from asyncodm._io._collection import PreparingCollection, alias_for, collection_for
from asyncodm._io._prepare import mark_prepared, prepare_collection
from asyncodm._registry import registry
from asyncodm._schema._index_plans import (
    capped_options,
    collection_members,
    collection_plans,
    failed_definition,
    indexes_match,
)
from asyncodm.errors import ConfigurationError, InvalidDocumentError

if TYPE_CHECKING:
    from asyncodm._drivers._protocol import CollectionAdapter, DatabaseAdapter
    from asyncodm._schema._compile import Schema

__all__ = ["compare_indexes", "ensure_indexes", "ensure_model_indexes", "list_indexes"]

T = TypeVar("T")


async def _isolated(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` outside the caller's transaction (an empty context has no session)."""
    task = contextvars.Context().run(asyncio.get_running_loop().create_task, coro)
    return await task


def _document_model(model: type) -> Schema:
    schema: Schema | None = getattr(model, "_schema", None)
    if schema is None or not schema.is_document:
        kind = "abstract" if schema is not None and schema.abstract else "not a top-level document"
        raise InvalidDocumentError(f"{model.__name__} is {kind}: it has no collection to index")
    return schema


def _plain_adapter(model: type) -> CollectionAdapter:
    """The model's collection under the current switches, without lazy preparation."""
    adapter = collection_for(model)
    return adapter.inner if isinstance(adapter, PreparingCollection) else adapter


def _target(model: type) -> tuple[DatabaseAdapter, str]:
    adapter = _plain_adapter(model)
    return connection.get_database(adapter.alias), adapter.name


async def ensure_model_indexes(model: type) -> list[str]:
    """Create ``model``'s collection (capped, if it says so) and every index declared by the
    classes stored in it; existing identical indexes are left as they are.

    Returns:
        The index names ``createIndexes`` reported.

    Raises:
        OperationError: the server refused an index (conflicting options, or an index with
            the same name and other keys), or an existing collection is not capped as
            declared. ``NotUniqueError`` when a unique index meets existing duplicates.
    """
    _document_model(model)
    database, name = _target(model)
    names = await _isolated(prepare_collection(model, database, name, indexes=True))
    mark_prepared(model, database, name)
    return names


async def ensure_indexes(
    *models: type, alias: str | None = None
) -> dict[tuple[str, str], list[str]]:
    """Create the indexes (and capped collections) of ``models``, or of every registered
    non-abstract document when none are given; each collection is handled once.

    Args:
        models: the models to index; default: every registered document class.
        alias: only models using this connection alias. Without it and without ``models``,
            models whose alias is not connected are skipped.

    Returns:
        ``{(alias, collection): [index names]}`` for each collection handled.
    """
    chosen = list(models) or [
        m
        for m in registry.documents()
        if m._schema.is_document and not failed_definition(m)  # type: ignore[attr-defined]
    ]
    groups: dict[tuple[str, str, str], tuple[DatabaseAdapter, list[type]]] = {}
    for model in chosen:
        _document_model(model)
        if alias is not None and alias_for(model) != alias:
            continue
        try:
            database, name = _target(model)
        except ConfigurationError:
            if models or alias is not None:
                raise
            continue  # a model of a connection this application does not use
        key = (database.alias, database.name, name)
        members = groups.setdefault(key, (database, []))[1]
        for member in collection_members(model):
            if member not in members:
                members.append(member)
    done: dict[tuple[str, str], list[str]] = {}
    for (alias_name, _, name), (database, members) in groups.items():
        owner = _capped_owner(members)
        created = await _isolated(
            prepare_collection(owner, database, name, indexes=True, members=members)
        )
        for member in members:
            mark_prepared(member, database, name)
        done[(alias_name, name)] = created
    return done


def _capped_owner(members: list[type]) -> type:
    """The member whose capped settings the shared collection takes (they must agree)."""
    settings = {m: capped_options(m) for m in members}
    declared = {repr(v): m for m, v in settings.items() if v is not None}
    if len(declared) > 1:
        raise InvalidDocumentError(
            "models sharing one collection declare different capped settings: "
            + "; ".join(f"{m.__name__}: {settings[m]}" for m in declared.values())
        )
    return next(iter(declared.values()), members[0])


async def list_indexes(model: type) -> list[dict[str, Any]]:
    """The indexes the server lists for ``model``'s collection (``_id_`` included), each as
    ``{"key": {...}, "name": ..., options}``; nothing is created."""
    _document_model(model)
    listed = await _plain_adapter(model).list_indexes()
    return [_clean(ix) for ix in listed]


async def compare_indexes(model: type) -> dict[str, list[dict[str, Any]]]:
    """What differs between the declared indexes and the collection's, by key pattern and
    options (``unique``, ``sparse``, ``expireAfterSeconds``, ``partialFilterExpression``,
    ``collation``, text ``weights``...), never by name: names are derived, and some servers
    rename indexes.

    Returns:
        ``{"missing": [...], "extra": [...]}``: declared indexes the collection lacks (as
        ``createIndexes`` would send them) and listed ones nothing declares (``_id_`` aside).
    """
    _document_model(model)
    declared = [p.document for p in collection_plans(collection_members(model))]
    declared = [d for d in declared if list(d["key"]) != ["_id"]]
    listed = [ix for ix in await list_indexes(model) if list(ix["key"]) != ["_id"]]
    return {
        "missing": [d for d in declared if not any(indexes_match(d, ix) for ix in listed)],
        "extra": [ix for ix in listed if not any(indexes_match(d, ix) for d in declared)],
    }


def _clean(index: Mapping[str, Any]) -> dict[str, Any]:
    """A listed index as plain dicts (drivers return SON), without the ``v``/``ns`` noise."""
    out: dict[str, Any] = {}
    for key, value in index.items():
        if key in ("v", "ns"):
            continue
        out[key] = _plain(value)
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value
