"""Grouped querysets: ``values(...).annotate(...)`` rows and ``aggregate_values(...)``.

Stage: queryset (awaits). A ``GroupedQuerySet`` is, like a ``QuerySet``, a frozen value: the
queryset it groups (whose filter becomes the first ``$match``), the group keys, the
aggregates, and what acts on the grouped rows (a filter on the aggregates, an ordering, a
window). It sends one ``aggregate`` when iterated or awaited; the pipeline is available without
I/O as ``qs.pipeline()`` (compiled by ``_annotate``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from typing_extensions import Self

from asyncodm.queryset import _joins
from asyncodm.queryset._aggregate import _options
from asyncodm.queryset._annotate import (
    Aggregate,
    Grouping,
    compile_grouping,
    compile_having,
    compile_output_sort,
)
from asyncodm.queryset._q import Q

if TYPE_CHECKING:
    from asyncodm.queryset._queryset import QuerySet

__all__ = ["GroupedQuerySet", "aggregate_values"]


def _prefix(qs: QuerySet) -> list[dict[str, Any]]:
    """The stages for the grouped queryset's own filter (and a window taken before grouping:
    then its order matters, so it is sorted first)."""
    # the filter, or the $lookup stages of a lookup through references (after _ready)
    stages = _joins.filter_stages(qs)
    if qs._skip or qs._limit:
        stages.extend(_joins.window_stages(qs))
    return stages


@dataclass(frozen=True, slots=True, eq=False)
class GroupedQuerySet:
    """Rows of ``{grouped field: value, annotation: value}``, one per group.

    Example:
        ```python
        rows = await (
            Post.objects(published=True)  # $match before grouping
            .values("status")
            .annotate(n=Count(), total=Sum("views"))
            .filter(n__gte=2)  # $match on the aggregates (HAVING)
            .order_by("-total")
            .to_list()
        )
        ```
    """

    base: QuerySet
    keys: tuple[str, ...]
    aggregates: tuple[tuple[str, Aggregate], ...]
    _having: Q = field(default_factory=Q)
    _ordering: tuple[str | tuple[str, int], ...] = ()
    _skip: int | None = None
    _limit: int | None = None

    # --- chaining -------------------------------------------------------------------------------

    def annotate(self, **aggregates: Aggregate) -> Self:
        """More aggregates per group."""
        grown = replace(self, aggregates=self.aggregates + tuple(aggregates.items()))
        grown._grouping()  # an error names the bad annotation now, not when awaited
        return grown

    def filter(self, *queries: Q | Mapping[str, Any], **lookups: Any) -> Self:
        """Keep the groups whose grouped fields or aggregates match (SQL's HAVING):
        ``.filter(n__gte=2)``, ``Q(total__gt=100) | Q(status="draft")``."""
        node = self._having
        for query in queries:
            node = node & (query if isinstance(query, Q) else Q.from_raw(dict(query)))
        if lookups:
            node = node & Q(**lookups)
        return replace(self, _having=node)

    def __call__(self, *queries: Q | Mapping[str, Any], **lookups: Any) -> Self:
        return self.filter(*queries, **lookups)

    def order_by(self, *keys: str | tuple[str, int]) -> Self:
        """Sort the rows by grouped fields or aggregates (``"-total"``, ``"status"``,
        ``("total", -1)``)."""
        return replace(self, _ordering=tuple(keys))

    def skip(self, n: int | None) -> Self:
        return replace(self, _skip=n or None)

    def limit(self, n: int | None) -> Self:
        return replace(self, _limit=n or None)

    # --- compiled, without I/O ------------------------------------------------------------------

    def _grouping(self) -> Grouping:
        return compile_grouping(self.base.model._schema, self.keys, self.aggregates)

    def pipeline(self) -> list[dict[str, Any]]:
        """The aggregation pipeline this queryset sends."""
        grouping = self._grouping()
        stages = [*_prefix(self.base), *grouping.stages]
        having = compile_having(grouping.outputs, self._having)
        if having:
            stages.append({"$match": having})
        if self._ordering:
            stages.append({"$sort": compile_output_sort(grouping.outputs, self._ordering)})
        if self._skip:
            stages.append({"$skip": self._skip})
        if self._limit:
            stages.append({"$limit": self._limit})
        return stages

    def __repr__(self) -> str:
        try:
            shown = repr(self.pipeline())
        except Exception as exc:  # repr must not raise: show why it cannot compile
            shown = f"(does not compile: {exc})"
        return f"<{type(self).__name__} {self.base.model.__name__} {shown}>"

    # --- reads ----------------------------------------------------------------------------------

    async def _ready(self) -> Self:
        """This grouping over its queryset with lookups through references resolved."""
        base = await _joins.resolved(self.base)
        return self if base is self.base else replace(self, base=base)

    async def _rows(self, pipeline: list[dict[str, Any]], load: Any) -> list[Any]:
        if self.base._empty:
            return []
        cursor = self.base._collection().aggregate(pipeline, **_options(self.base, {}))
        try:
            return [load(raw) for raw in await cursor.to_list(None)]
        finally:
            await cursor.close()

    async def to_list(self) -> list[dict[str, Any]]:
        """Every row."""
        ready = await self._ready()
        return await ready._rows(ready.pipeline(), ready._grouping().load)

    def __await__(self) -> Generator[Any, None, list[dict[str, Any]]]:
        return self.to_list().__await__()

    async def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        """Stream the rows a server batch at a time."""
        if self.base._empty:
            return
        ready = await self._ready()
        load = ready._grouping().load
        cursor = ready.base._collection().aggregate(ready.pipeline(), **_options(ready.base, {}))
        try:
            async for batch in cursor.batches():
                for raw in batch:
                    yield load(raw)
        finally:
            await cursor.close()

    async def first(self) -> dict[str, Any] | None:
        """The first row in this order, or None."""
        found = await self.limit(1).to_list()
        return found[0] if found else None

    async def count(self) -> int:
        """The number of rows (groups left after the filter on the aggregates)."""
        ready = await self._ready()
        pipeline = [*ready.pipeline(), {"$count": "n"}]
        found = await ready._rows(pipeline, lambda raw: raw["n"])
        return found[0] if found else 0


async def aggregate_values(qs: QuerySet, aggregates: Mapping[str, Aggregate]) -> dict[str, Any]:
    """The aggregates over every match, as one dict (nothing matched: counts 0, others None)."""
    if not aggregates:
        raise TypeError("aggregate_values() needs at least one aggregate: avg=Avg('views')")
    grouped = await GroupedQuerySet(qs, (), tuple(aggregates.items()))._ready()
    grouping = grouped._grouping()
    found = await grouped._rows(grouped.pipeline(), grouping.load)
    if found:
        return found[0]  # type: ignore[no-any-return]
    return {name: out.empty for name, out in grouping.outputs.items()}
