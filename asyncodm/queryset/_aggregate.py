"""Aggregation over a QuerySet: ``aggregate``, ``sum``, ``average``, ``item_frequencies``.

Stage: queryset (awaits). ``aggregate`` prepends stages for what the queryset already says
(``$match`` filter, ``$sort``, ``$skip``, ``$limit``, ``$project``) so a pipeline refines the
query instead of starting over (https://www.mongodb.com/docs/manual/core/aggregation-pipeline/).
Its result is both async-iterable and awaitable: PyMongo's async ``aggregate`` is a coroutine
returning a cursor while Motor returns the cursor directly, and MongoMotor code writes
``cursor = await qs.aggregate(...)``; both spellings work here on every driver.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bson import Decimal128

from asyncodm.fields._base import Container
from asyncodm.queryset import _joins
from asyncodm.queryset._compile import resolve_name
from asyncodm.queryset._join_plan import contains_join

if TYPE_CHECKING:
    from asyncodm._drivers._protocol import CursorAdapter, RawDoc
    from asyncodm.queryset._queryset import QuerySet

__all__ = ["AggregationResult", "aggregate", "item_frequencies", "pipeline_prefix", "total"]


class _EmptyCursor:
    """The cursor of a ``none()`` queryset: no results, no I/O."""

    def __aiter__(self) -> _EmptyCursor:
        return self

    async def __anext__(self) -> RawDoc:
        raise StopAsyncIteration

    async def to_list(self, length: int | None = None) -> list[RawDoc]:
        return []

    async def batches(self, size: int | None = None) -> AsyncIterator[list[RawDoc]]:
        return
        yield  # an async generator that yields nothing

    async def close(self) -> None:
        return None


class AggregationResult:
    """An aggregation not yet sent: ``async for`` it, ``await`` it for the cursor, or
    ``await result.to_list()``."""

    __slots__ = ("_cursor", "_open")

    def __init__(self, open_cursor: Any) -> None:
        self._open = open_cursor
        self._cursor: CursorAdapter | _EmptyCursor | None = None

    def cursor(self) -> CursorAdapter | _EmptyCursor:
        """The cursor (the pipeline is sent when it is first read)."""
        if self._cursor is None:
            self._cursor = self._open()
        assert self._cursor is not None
        return self._cursor

    def __aiter__(self) -> AsyncIterator[RawDoc]:
        return self.cursor().__aiter__()

    def __await__(self) -> Generator[Any, None, CursorAdapter | _EmptyCursor]:
        async def opened() -> CursorAdapter | _EmptyCursor:
            return self.cursor()

        return opened().__await__()

    async def to_list(self, length: int | None = None) -> list[RawDoc]:
        return await self.cursor().to_list(length)

    def batches(self) -> AsyncIterator[list[RawDoc]]:
        return self.cursor().batches()

    async def close(self) -> None:
        if self._cursor is not None:
            await self._cursor.close()


def pipeline_prefix(
    qs: QuerySet, *, project: bool = True, query: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The stages that say what ``qs`` says: filter, sort, skip, limit, projection
    (``query``: its filter, when already compiled)."""
    # the filter, or the $lookup stages of a lookup through references (after _joins.resolved)
    stages = [*_joins.filter_stages(qs, query), *_joins.window_stages(qs)]
    if project:
        projection = qs._projection()
        if projection:
            stages.append({"$project": projection})
    return stages


def _options(qs: QuerySet, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Aggregate options by the driver's names, the queryset's first, the caller's on top."""
    return {**_joins.aggregate_options(qs), **kwargs}


def aggregate(
    qs: QuerySet,
    pipeline: Sequence[Mapping[str, Any]] | Mapping[str, Any],
    *stages: Mapping[str, Any],
    **kwargs: Any,
) -> AggregationResult:
    """``qs.aggregate([...])`` (also ``qs.aggregate(stage1, stage2)``, MongoEngine's old form)."""
    given = [pipeline] if isinstance(pipeline, Mapping) else list(pipeline)
    if qs._empty:
        return AggregationResult(_EmptyCursor)
    options = _options(qs, kwargs)
    tail = [*(dict(s) for s in given), *(dict(s) for s in stages)]
    query = qs._query
    if _joins.current(qs) is None and contains_join(query):
        # a lookup through references: resolved (awaited) when the cursor is first read
        async def opened() -> CursorAdapter:
            ready = await _joins.resolved(qs)
            return ready._collection().aggregate([*pipeline_prefix(ready), *tail], **options)

        return AggregationResult(lambda: _joins.JoinedCursor(opened))
    full = [*pipeline_prefix(qs, query=query), *tail]
    return AggregationResult(lambda: qs._collection().aggregate(full, **options))


def _path(qs: QuerySet, name: str) -> tuple[str, Any, list[dict[str, Any]]]:
    """The stored path of a field, its field, and ``$unwind`` stages for every list on the way
    (``reviews__stars`` unwinds ``reviews``; a list field itself is unwound too; a list
    followed by an index is not)."""
    resolved = resolve_name(qs.model, name)
    steps = resolved.steps
    unwinds: list[dict[str, Any]] = []
    stored: list[str] = []
    for i, step in enumerate(steps):
        stored.append(step.stored)
        field = step.field
        indexed = i + 1 < len(steps) and steps[i + 1].stored.isdigit()
        if field is not None and field.container is Container.LIST and not indexed:
            unwinds.append({"$unwind": "$" + ".".join(stored)})
    return resolved.path, resolved.field, unwinds


async def _run(qs: QuerySet, stages: list[dict[str, Any]]) -> list[RawDoc]:
    if qs._empty:
        return []
    qs, query = await _joins.prepared(qs)
    pipeline = [*pipeline_prefix(qs, project=False, query=query), *stages]
    cursor = qs._collection().aggregate(pipeline, **_options(qs, {}))
    try:
        return await cursor.to_list(None)
    finally:
        await cursor.close()


async def total(qs: QuerySet, name: str, operator: str) -> Any:
    """``$sum`` or ``$avg`` of a field over the matches (list items unwound first).

    https://www.mongodb.com/docs/manual/reference/operator/aggregation/group/
    """
    path, _field, stages = _path(qs, name)
    stages.append({"$group": {"_id": None, "total": {operator: f"${path}"}}})
    found = await _run(qs, stages)
    result = found[0].get("total") if found else None
    if isinstance(result, Decimal128):
        return result.to_decimal()
    return 0 if result is None else result


async def item_frequencies(qs: QuerySet, name: str, normalize: bool) -> dict[Any, Any]:
    """How often each value of a field occurs (each item of a list field)."""
    path, field, stages = _path(qs, name)
    if field is not None and field.container is Container.LIST:
        field = field.item_field
    stages.append({"$group": {"_id": f"${path}", "count": {"$sum": 1}}})
    found = await _run(qs, stages)
    convert = (lambda v: v) if field is None or field.identity_load else field.to_python
    counts: dict[Any, Any] = {}
    for row in found:
        key = row.get("_id")
        key = None if key is None else convert(key)
        if isinstance(key, Decimal128):
            key = key.to_decimal()
        try:
            counts[key] = counts.get(key, 0) + row["count"]
        except TypeError:  # an unhashable value (a subdocument): key it by its repr
            counts[repr(key)] = counts.get(repr(key), 0) + row["count"]
    if normalize:
        whole = sum(counts.values())
        return (
            {
                k: (Decimal(v) / whole if isinstance(v, Decimal) else v / whole)
                for k, v in counts.items()
            }
            if whole
            else {}
        )
    return counts
