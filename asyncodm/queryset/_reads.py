"""Read terminals of a QuerySet: iterate, to_list, count, first, get, exists, distinct ...

Stage: queryset (awaits). Loading is the hot path: results are read from the cursor a batch at
a time (``cursor.batches()``) and each raw document becomes an instance with
``Model._from_son`` (``Model._from_projected_son`` after ``only``/``exclude``) in a tight loop,
with no per-document await and no copy of the raw data. A batch is dropped as soon as it is
handed out, so iterating a large collection never holds it whole. Fields that ask for work per
batch (``_io._batches``: a file field's details) get it before the batch is handed out.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from asyncodm import connection
from asyncodm._context import dereference_disabled
from asyncodm._io._batches import batch_work
from asyncodm._io._deref import after_batch
from asyncodm.errors import DoesNotExist, MultipleObjectsReturned
from asyncodm.fields._base import BaseField, Container
from asyncodm.fields._compound import copy_stored
from asyncodm.queryset import _joins
from asyncodm.queryset._compile import resolve_name

if TYPE_CHECKING:
    from asyncodm._drivers._protocol import CursorAdapter
    from asyncodm.queryset._queryset import QuerySet

__all__ = ["Mode", "count", "distinct", "exists", "first", "get", "iterate", "to_list"]


class Mode(str, enum.Enum):
    """What a queryset yields for each stored document (a ``str`` enum: it equals its value,
    as the plain strings it replaces did)."""

    DOCUMENTS = "documents"
    """Instances of the model (the default)."""
    RAW = "raw"
    """The stored dicts as the driver returned them (``as_pymongo``, ``values()``)."""
    VALUES = "values"
    """``{name: value}`` for the named fields (``values(*fields)``)."""
    VALUES_LIST = "values_list"
    """Tuples of the named fields' values."""
    FLAT = "flat"
    """The one named field's value (``values_list(field, flat=True)``, ``scalar``)."""

    @property
    def projects_fields(self) -> bool:
        """Only the named fields are loaded."""
        return self in (Mode.VALUES, Mode.VALUES_LIST, Mode.FLAT)


#: What a queryset yields (its documents, or plain data): the terminals return it.
R = TypeVar("R")


def open_cursor(qs: QuerySet, query: dict[str, Any] | None = None) -> CursorAdapter:
    """The find cursor for ``qs`` (nothing is sent until it is read; ``query``: its filter,
    when already compiled); the aggregation for a lookup through references joined with
    ``$lookup`` (``_joins``)."""
    if _joins.joined(qs):
        return _joins.read_cursor(qs)
    options = qs._cursor_options()
    sort = qs._sort()
    if sort:
        options["sort"] = sort
    if qs._skip:
        options["skip"] = qs._skip
    if qs._limit:
        options["limit"] = qs._limit
    if qs._batch_size:
        options["batch_size"] = qs._batch_size
    if query is None:
        query = qs._query
    return qs._collection().find(query, qs._projection(), **options)


def _extractor(qs: QuerySet, name: str) -> Callable[[dict[str, Any]], Any]:
    """Read one (possibly dotted) field from a raw document, converted by its field."""
    resolved = resolve_name(qs.model, name)
    field = resolved.field
    parts = resolved.path.split(".")
    convert = _converter(field, raw_references=_raw_references(qs))

    def walk(value: Any, i: int) -> Any:
        while i < len(parts):
            if isinstance(value, list) and not parts[i].isdigit():
                return [walk(item, i) for item in value]
            if isinstance(value, dict):
                value = value.get(parts[i])
            elif isinstance(value, list):
                index = int(parts[i])
                value = value[index] if index < len(value) else None
            else:
                return None
            i += 1
        return None if value is None else convert(value)

    return lambda raw: walk(raw, 0)


def _converter(field: BaseField[Any] | None, raw_references: bool = False) -> Callable[[Any], Any]:
    if field is None or field.identity_load:
        return lambda v: v
    if raw_references and hasattr(field.item_field or field, "read_container"):
        return copy_stored  # references (or lists / dicts of them) as stored: raw ids
    return field.to_python


def _raw_references(qs: QuerySet) -> bool:
    return bool(qs._no_dereference) or dereference_disabled(qs.model)


def loader(qs: QuerySet) -> Callable[[dict[str, Any]], Any] | None:
    """How a raw document becomes a result; None: the raw document itself."""
    mode = qs._mode
    if mode is Mode.DOCUMENTS:
        # With only/exclude the fields left out are missing on purpose: enforce_schema must
        # not reject them, so projected reads use the loader without that check.
        projected = qs._only is not None or bool(qs._exclude)
        model = qs.model
        load: Callable[[dict[str, Any]], Any] = (
            model._from_projected_son if projected else model._from_son
        )
        return load
    if mode is Mode.RAW:
        return None
    getters = [(name, _extractor(qs, name)) for name in qs._fields]
    if mode is Mode.VALUES:
        return lambda raw: {name: get(raw) for name, get in getters}
    if mode is Mode.FLAT:
        return getters[0][1]
    return lambda raw: tuple(get(raw) for _, get in getters)


async def iterate(qs: QuerySet[Any, R]) -> AsyncIterator[R]:
    if qs._empty:
        return
    qs, query = await _joins.prepared(qs)
    cursor = open_cursor(qs, query)
    load = loader(qs)
    per_batch = qs._mode is Mode.DOCUMENTS and (qs._no_dereference or bool(qs._select_related))
    fields_work = batch_work(qs.model) if qs._mode is Mode.DOCUMENTS else None
    try:
        async for batch in cursor.batches():
            if load is None:
                for raw in batch:
                    yield raw  # type: ignore[misc]  # as_pymongo(): R is the raw dict
                continue
            results = [load(raw) for raw in batch]
            del batch
            if per_batch:
                await after_batch(qs, results)
            if fields_work is not None:
                await fields_work(results)
            for result in results:
                yield result
    finally:
        await cursor.close()


async def to_list(qs: QuerySet[Any, R], length: int | None = None) -> list[R]:
    if qs._empty:
        return []
    if length is not None:
        if length < 1:
            return []
        qs = qs.limit(length if qs._limit is None else min(length, qs._limit))
    qs, query = await _joins.prepared(qs)
    cursor = open_cursor(qs, query)
    load = loader(qs)
    per_batch = qs._mode is Mode.DOCUMENTS and (qs._no_dereference or bool(qs._select_related))
    fields_work = batch_work(qs.model) if qs._mode is Mode.DOCUMENTS else None
    out: list[Any] = []
    try:
        async for batch in cursor.batches():
            if load is None:
                out.extend(batch)
                continue
            loaded = [load(raw) for raw in batch]
            if per_batch:
                await after_batch(qs, loaded)
            if fields_work is not None:
                await fields_work(loaded)
            out.extend(loaded)
    finally:
        await cursor.close()
    return out


async def nth(qs: QuerySet[Any, R], index: int) -> R:
    """``await qs[index]``: ``qs`` is already the one-document window."""
    found = await to_list(qs)
    if not found:
        raise IndexError(f"{qs.model.__name__} query has no result at index {index}")
    return found[0]


async def first(qs: QuerySet[Any, R]) -> R | None:
    found = await to_list(qs.limit(1))
    return found[0] if found else None


async def get(qs: QuerySet[Any, R]) -> R:
    found = await to_list(qs.limit(2))
    model = qs.model
    if not found:
        error: type[Exception] = getattr(model, "DoesNotExist", DoesNotExist)
        raise error(f"{model.__name__} matching query does not exist (filter {qs._query!r})")
    if len(found) > 1:
        error = getattr(model, "MultipleObjectsReturned", MultipleObjectsReturned)
        raise error(
            f"{model.__name__}.get() matched more than one document (filter {qs._query!r}); "
            "narrow the query or use first()"
        )
    return found[0]


async def count(qs: QuerySet, with_limit_and_skip: bool) -> int:
    if qs._empty:
        return 0
    options = qs._cursor_options(command_names=True)  # count_documents takes maxTimeMS
    if with_limit_and_skip:
        if qs._skip:
            options["skip"] = qs._skip
        if qs._limit:
            options["limit"] = qs._limit
    qs, query = await _joins.prepared(qs)
    if _joins.joined(qs):
        return await _joins.count(qs, with_limit_and_skip)
    return await qs._collection().count_documents(query, **options)


async def exists(qs: QuerySet) -> bool:
    if qs._empty:
        return False
    qs, query = await _joins.prepared(qs)
    if _joins.joined(qs):
        return await _joins.exists(qs)
    options = qs._cursor_options()
    if qs._skip:
        options["skip"] = qs._skip
    cursor = qs._collection().find(query, {"_id": 1}, limit=1, **options)
    try:
        return bool(await cursor.to_list(1))
    finally:
        await cursor.close()


async def distinct(qs: QuerySet, name: str) -> list[Any]:
    if qs._empty:
        return []
    resolved = resolve_name(qs.model, name)
    qs, query = await _joins.materialized(qs)
    values = await qs._collection().distinct(resolved.path, query)
    field = resolved.field
    if field is not None and field.container is Container.LIST:
        field = field.item_field  # distinct flattens arrays: values are items
    convert = _converter(field, raw_references=_raw_references(qs))
    return [None if v is None else convert(v) for v in values]


async def in_bulk(qs: QuerySet, ids: Iterable[Any]) -> dict[Any, Any]:
    wanted = list(ids)
    if not wanted:
        return {}
    docs = await to_list(qs.filter(pk__in=wanted))
    return {doc.pk: doc for doc in docs}


async def explain(qs: QuerySet) -> dict[str, Any]:
    qs, query = await _joins.materialized(qs)
    collection = qs._collection()
    find: dict[str, Any] = {"find": collection.name, "filter": query}
    spec = qs.explain_filter()
    if spec["sort"]:
        find["sort"] = dict(spec["sort"])
    for key in ("projection", "skip", "limit"):
        if spec[key]:
            find[key] = spec[key]
    if qs._hint is not None:
        find["hint"] = dict(qs._hint) if isinstance(qs._hint, list) else qs._hint
    if qs._collation is not None:
        find["collation"] = qs._collation
    database = connection.get_database(collection.alias)
    return await database.command({"explain": find, "verbosity": "queryPlanner"})
