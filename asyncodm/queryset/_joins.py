"""Lookups through references, run: each pending semi-join resolved right before a query is sent.

Stage: queryset (awaits). The pure compiler leaves a ``Join`` marker (``_join_plan``) where a
lookup crosses a reference. Every terminal that sends the filter first awaits ``resolved`` (or
``materialized``), which replaces each marker by one of two things:

* the semi-join (the default): one ``find`` on the target collection for the ids of the
  matching targets (with that collection's own ``switch_*`` contexts), then ``$in`` on the
  stored reference. It works on every backend and uses the reference's index; a
  ``find`` + ``$in`` is exactly two queries;
* one aggregation with ``$lookup`` when the target query matches more than ``LOOKUP_ABOVE``
  documents (an ``$in`` that long is slower than the join, and a very long one would exceed
  the 16 MB command limit) or when asked with ``.using_lookup()``. Only a marker reachable
  from the top of the filter and a target in the same database can be joined; any other is a
  semi-join whatever its size.

Reads of documents run the aggregation itself; terminals that have no aggregation form
(``update``, ``delete``, ``distinct``, ``modify``...) collect the matching ``_id`` values with it
and act on ``{"_id": {"$in": ...}}``, in chunks of ``LOOKUP_ABOVE`` where a write allows it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from bson import DBRef

from asyncodm._context import alias_for, collection_name_for
from asyncodm._io._collection import collection_for
from asyncodm.queryset._join_plan import (
    Join,
    contains_join,
    iter_joins,
    lookup_stages,
    substitute,
)
from asyncodm.queryset._q import Q

if TYPE_CHECKING:
    from asyncodm._drivers._protocol import CursorAdapter, RawDoc
    from asyncodm.queryset._queryset import QuerySet

__all__ = [
    "LOOKUP_ABOVE",
    "JoinedCursor",
    "Resolved",
    "aggregate_options",
    "count",
    "count_pipeline",
    "current",
    "exists",
    "filter_stages",
    "id_filters",
    "joined",
    "materialized",
    "prepared",
    "read_cursor",
    "read_pipeline",
    "resolve_filter",
    "resolved",
]

#: Above this many matching targets a semi-join becomes one ``$lookup`` aggregation.
LOOKUP_ABOVE = 10_000


@dataclass(frozen=True, slots=True, eq=False)
class Resolved:
    """What a queryset's filter became once its markers were resolved (kept on the queryset,
    valid while its Q tree is the one it was resolved from)."""

    q: Q
    """The Q tree this was resolved from."""
    query: dict[str, Any]
    """The filter to send (semi-joins resolved); not sendable when ``stages`` is set."""
    stages: list[dict[str, Any]] | None = None
    """The ``$match``/``$lookup``/``$project`` stages that filter instead (``$lookup`` mode)."""


def current(qs: QuerySet) -> Resolved | None:
    """The resolution recorded on ``qs``, if it is still for its filter."""
    found = qs._resolved
    return found if found is not None and found.q is qs._q else None


def filter_stages(qs: QuerySet, query: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The pipeline stages that select what ``qs`` filters (after ``resolved``; ``query``:
    its filter, when already compiled)."""
    found = current(qs)
    if found is not None and found.stages is not None:
        return list(found.stages)
    if query is None:
        query = qs._query
    return [{"$match": query}] if query else []


def joined(qs: QuerySet) -> bool:
    """Whether ``qs`` filters with ``$lookup`` stages (so it must be read by aggregation)."""
    found = current(qs)
    return found is not None and found.stages is not None


async def resolved(qs: QuerySet) -> QuerySet:
    """``qs`` with every marker of its filter resolved (semi-joins run, ``$lookup`` stages
    planned); ``qs`` itself when its filter has none."""
    return (await prepared(qs))[0]


async def prepared(qs: QuerySet) -> tuple[QuerySet, dict[str, Any]]:
    """``resolved(qs)`` and the filter it sends, compiled once (the common case, a filter
    without lookups through references, costs one walk of the compiled filter)."""
    if qs._empty:
        return qs, {}
    found = current(qs)
    if found is not None:
        return qs, found.query
    query = qs._query
    if not contains_join(query):
        return qs, query
    ready = await _resolve(qs, query)
    assert ready._resolved is not None
    return ready, ready._resolved.query


async def _resolve(qs: QuerySet, query: dict[str, Any]) -> QuerySet:
    """Run the semi-joins of ``query`` and plan its ``$lookup`` stages."""
    conditions: dict[int, Any] = {}
    sources: dict[int, str] = {}
    local_alias = alias_for(qs.model)
    for join in top_joins(query):
        joinable = alias_for(join.target) == local_alias
        if joinable and qs._lookup:
            sources[id(join)] = collection_name_for(join.target)
            continue
        ids = await target_ids(join, LOOKUP_ABOVE + 1 if joinable else None)
        if len(ids) > LOOKUP_ABOVE and joinable:
            sources[id(join)] = collection_name_for(join.target)
        else:
            conditions[id(join)] = condition(join, ids)

    # every other marker is a semi-join: those outside the planned joins' reach, and those
    # inside the target queries of the planned joins
    for join in iter_joins(query):
        inner = iter_joins(join.query) if id(join) in sources else (join,)
        for each in inner:
            if id(each) not in conditions:
                conditions[id(each)] = condition(each, await target_ids(each, None))

    def resolve(join: Join) -> Any:
        return conditions[id(join)]

    if not sources:
        return replace(qs, _resolved=Resolved(qs._q, substitute(query, resolve)))
    stages = lookup_stages(query, lambda join: sources.get(id(join)), resolve)
    return replace(qs, _resolved=Resolved(qs._q, query, stages))


async def materialized(qs: QuerySet) -> tuple[QuerySet, dict[str, Any]]:
    """``qs`` with a filter that can be sent as it is, and that filter: after a ``$lookup``
    resolution, the matching documents' ``{"_id": {"$in": ...}}`` (collected with the
    aggregation)."""
    qs, query = await prepared(qs)
    if not joined(qs):
        return qs, query
    query = {"_id": {"$in": await matching_ids(qs)}}
    return replace(qs, _resolved=Resolved(qs._q, query)), query


async def id_filters(qs: QuerySet) -> tuple[QuerySet, list[dict[str, Any]]]:
    """``resolved(qs)`` and the filters a write sends: the filter itself, or after a
    ``$lookup`` resolution the matching ``_id`` values in chunks (one empty ``$in`` when
    nothing matches, so an upsert still inserts)."""
    qs, query = await prepared(qs)
    if not joined(qs):
        return qs, [query]
    ids = await matching_ids(qs)
    chunks = range(0, max(len(ids), 1), LOOKUP_ABOVE)
    return qs, [{"_id": {"$in": ids[i : i + LOOKUP_ABOVE]}} for i in chunks]


async def matching_ids(qs: QuerySet) -> list[Any]:
    """The ``_id`` of every document a ``$lookup``-resolved queryset matches, in its order."""
    pipeline = [*filter_stages(qs), *window_stages(qs), {"$project": {"_id": 1}}]
    cursor = qs._collection().aggregate(pipeline, **aggregate_options(qs))
    try:
        return [raw["_id"] for raw in await cursor.to_list(None)]
    finally:
        await cursor.close()


def window_stages(qs: QuerySet) -> list[dict[str, Any]]:
    """``$sort``, ``$skip`` and ``$limit`` for what ``qs`` says."""
    stages: list[dict[str, Any]] = []
    sort = qs._sort()
    if sort:
        stages.append({"$sort": dict(sort)})
    if qs._skip:
        stages.append({"$skip": qs._skip})
    if qs._limit:
        stages.append({"$limit": qs._limit})
    return stages


def top_joins(query: dict[str, Any]) -> Iterator[Join]:
    """The markers a ``$lookup`` stage can serve: reachable through ``$and``/``$or``/``$nor``."""
    for key, value in query.items():
        if isinstance(value, Join):
            yield value
        elif key in ("$and", "$or", "$nor") and isinstance(value, list):
            for part in value:
                if isinstance(part, dict):
                    yield from top_joins(part)


async def resolve_filter(query: dict[str, Any]) -> dict[str, Any]:
    """A filter with every marker resolved as a semi-join (the target queries of joins)."""
    if not contains_join(query):
        return query
    known = {id(j): condition(j, await target_ids(j, None)) for j in iter_joins(query)}
    return substitute(query, lambda join: known[id(join)])  # type: ignore[no-any-return]


async def target_ids(join: Join, limit: int | None) -> list[Any]:
    """The ids of the target documents the join's query matches (at most ``limit``): one
    ``find`` on the target's collection as its current contexts name it (after the ids of
    any reference crossed inside that query)."""
    query = await resolve_filter(join.query)
    options: dict[str, Any] = {} if limit is None else {"limit": limit}
    cursor = collection_for(join.target).find(query, {"_id": 1}, **options)
    try:
        return [raw["_id"] for raw in await cursor.to_list(None)]
    finally:
        await cursor.close()


def condition(join: Join, ids: list[Any]) -> dict[str, Any]:
    """The semi-join's condition on the stored reference: its value is one of the ids (a
    DBRef to one of them, for a reference stored as a DBRef)."""
    if join.dbref:
        collection = collection_name_for(join.target)
        return {"$in": [DBRef(collection, i) for i in ids]}
    return {"$in": ids}


class JoinedCursor:
    """A cursor whose query is resolved (awaited) before it is opened: what a synchronous
    opener (``aggregate()``) returns for a filter through references."""

    __slots__ = ("_cursor", "_open")

    def __init__(self, open_cursor: Callable[[], Any]) -> None:
        self._open = open_cursor
        self._cursor: CursorAdapter | None = None

    async def _opened(self) -> CursorAdapter:
        if self._cursor is None:
            self._cursor = await self._open()
        assert self._cursor is not None
        return self._cursor

    def __aiter__(self) -> AsyncIterator[RawDoc]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[RawDoc]:
        async for raw in await self._opened():
            yield raw

    async def to_list(self, length: int | None = None) -> list[RawDoc]:
        return await (await self._opened()).to_list(length)

    async def batches(self, size: int | None = None) -> AsyncIterator[list[RawDoc]]:
        async for batch in (await self._opened()).batches(size):
            yield batch

    async def close(self) -> None:
        if self._cursor is not None:
            await self._cursor.close()


def aggregate_options(qs: QuerySet) -> dict[str, Any]:
    """The queryset's cursor options by the names ``aggregate`` takes (every aggregation the
    queryset sends: its own, a ``$lookup`` read, a grouping): ``find``'s options, with the
    names ``aggregate`` takes, and the batch size."""
    out = qs._cursor_options(command_names=True)
    if qs._batch_size:
        out["batchSize"] = qs._batch_size
    return out


def read_pipeline(qs: QuerySet) -> list[dict[str, Any]]:
    """The aggregation that reads what a ``$lookup``-resolved ``qs`` yields: the joins and the
    filter, then sort, skip, limit and projection as ``find`` would apply them."""
    pipeline = [*filter_stages(qs), *window_stages(qs)]
    projection = qs._projection()
    if projection:
        pipeline.append({"$project": projection})
    return pipeline


def read_cursor(qs: QuerySet) -> CursorAdapter:
    """The cursor of ``read_pipeline`` (sent when first read)."""
    return qs._collection().aggregate(read_pipeline(qs), **aggregate_options(qs))


def count_pipeline(qs: QuerySet, with_limit_and_skip: bool) -> list[dict[str, Any]]:
    """The aggregation that counts what a ``$lookup``-resolved ``qs`` matches."""
    pipeline = filter_stages(qs)
    if with_limit_and_skip:
        if qs._skip:
            pipeline.append({"$skip": qs._skip})
        if qs._limit:
            pipeline.append({"$limit": qs._limit})
    pipeline.append({"$count": "n"})
    return pipeline


async def count(qs: QuerySet, with_limit_and_skip: bool) -> int:
    """``count()`` of a ``$lookup``-resolved queryset: one aggregation ending in ``$count``."""
    options = aggregate_options(qs)
    options.pop("batchSize", None)
    cursor = qs._collection().aggregate(count_pipeline(qs, with_limit_and_skip), **options)
    try:
        found = await cursor.to_list(None)
    finally:
        await cursor.close()
    return int(found[0]["n"]) if found else 0


async def exists(qs: QuerySet) -> bool:
    """``exists()`` of a ``$lookup``-resolved queryset: one ``_id`` at most."""
    pipeline = filter_stages(qs)
    if qs._skip:
        pipeline.append({"$skip": qs._skip})
    pipeline += [{"$limit": 1}, {"$project": {"_id": 1}}]
    cursor = qs._collection().aggregate(pipeline, **aggregate_options(qs))
    try:
        return bool(await cursor.to_list(None))
    finally:
        await cursor.close()
