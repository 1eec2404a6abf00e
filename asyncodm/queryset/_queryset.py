"""The QuerySet: an immutable description of a query, run only when awaited or iterated.

Stage: queryset (awaits). A ``QuerySet`` is a frozen dataclass; every chainable method returns
a new one made with ``dataclasses.replace`` (STYLE rule 6), so a queryset can be shared, stored
on a class, or refined in two directions without either seeing the other's changes. Nothing
touches the network until a terminal is awaited (``to_list``, ``count``, ``first`` ...) or the
queryset is iterated with ``async for``. The compiled filter, sort and projection are available
without I/O through ``qs._query`` and ``qs.explain_filter()``.

Reads live in ``_reads``, writes in ``_writes`` and aggregations in ``_aggregate``; the methods
here are thin, documented entry points to them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Generator, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Generic, Literal, overload

from typing_extensions import Self, TypeVar

from asyncodm._context import switch_db
from asyncodm._drivers._protocol import CollectionAdapter
from asyncodm._io._collection import collection_for
from asyncodm.errors import LookUpError
from asyncodm.queryset import _aggregate, _grouped, _joins, _reads, _watch, _writes
from asyncodm.queryset._compile import compile_filter, compile_projection, compile_sort
from asyncodm.queryset._join_plan import contains_join
from asyncodm.queryset._q import Q
from asyncodm.queryset._reads import Mode

if TYPE_CHECKING:
    from asyncodm._instance._base import BaseDocument
    from asyncodm.queryset._annotate import Aggregate

__all__ = ["QuerySet"]

SortKey = str | tuple[str, Any]

#: The model a queryset queries (``Any`` where a queryset is handled whatever its model).
D = TypeVar("D", bound="BaseDocument", default=Any)
#: What it yields: the model's documents, or plain data after ``values()`` / ``as_pymongo()``.
R = TypeVar("R", default=D)


@dataclass(frozen=True, slots=True, eq=False)
class QuerySet(Generic[D, R]):
    """A query on one model: filters, shape and cursor options, as a value.

    ``QuerySet[Post]`` yields ``Post`` documents; its chain methods return the same type
    (``Self``: a custom queryset class is kept), and ``values()``, ``values_list()`` and
    ``as_pymongo()`` turn it into a ``QuerySet[Post, dict[str, Any]]`` (tuples, values) for
    type checkers. The parameters exist for type checkers only: nothing subscripts them at
    run time.

    Example:
        ```python
        recent = Page.objects(tags="mongodb").order_by("-date_modified")
        async for page in recent.skip(10).limit(5):
            ...
        total = await recent.count()
        ```
    """

    model: type[D]
    _q: Q = field(default_factory=Q)
    _ordering: tuple[SortKey, ...] | None = None
    """None: the model's ``meta["ordering"]``; ``()``: explicitly unsorted."""
    _skip: int | None = None
    _limit: int | None = None
    _only: frozenset[str] | None = None
    _exclude: frozenset[str] = frozenset()
    _mode: Mode = Mode.DOCUMENTS
    _fields: tuple[str, ...] = ()
    _empty: bool = False
    _batch_size: int | None = None
    _hint: Any = None
    _comment: Any = None
    _max_time_ms: int | None = None
    _collation: Any = None
    _read_preference: Any = None
    _read_concern: Any = None
    _alias: str | None = None
    _no_dereference: bool = False
    _select_related: tuple[str, ...] = ()
    _lookup: bool = False
    """Lookups through references join with ``$lookup`` whatever their size (``_joins``)."""
    _resolved: _joins.Resolved | None = None
    """The filter with its lookups through references resolved (``_joins.resolved``), for
    the Q tree it names."""

    # --- filtering ----------------------------------------------------------------------------

    def __call__(self, *queries: Q | Mapping[str, Any], **lookups: Any) -> Self:
        """``Page.objects(title="x")`` (MongoEngine): the same as ``filter``."""
        return self.filter(*queries, **lookups)

    def filter(self, *queries: Q | Mapping[str, Any], **lookups: Any) -> Self:
        """Narrow the query: Q objects, raw filter dicts and keyword lookups, all ANDed."""
        node = self._q
        for query in queries:
            node = node & (query if isinstance(query, Q) else Q.from_raw(dict(query)))
        if lookups:
            node = node & Q(**lookups)
        return replace(self, _q=node)

    def raw(self, query: Mapping[str, Any]) -> Self:
        """AND a raw MongoDB filter, sent as given (PyMODM / minimongo ``raw``)."""
        return replace(self, _q=self._q & Q.from_raw(dict(query)))

    def all(self) -> Self:
        """A copy of this queryset (MongoEngine / Django)."""
        return replace(self)

    def clone(self) -> Self:
        return replace(self)

    def none(self) -> Self:
        """A queryset that matches nothing and never sends a query."""
        return replace(self, _empty=True)

    # --- ordering and windows ------------------------------------------------------------------

    def order_by(self, *keys: SortKey | Sequence[tuple[str, Any]]) -> Self:
        """Sort by ``"-x"`` (descending), ``"+x"``/``"x"`` or ``(field, direction)`` pairs; a
        list of pairs is accepted too. No arguments clears the sort, including the default
        ``meta["ordering"]``."""
        flat: list[SortKey] = []
        for key in keys:
            if isinstance(key, list):
                flat.extend(tuple(k) if isinstance(k, (list, tuple)) else k for k in key)
            else:
                flat.append(key)  # type: ignore[arg-type]
        return replace(self, _ordering=tuple(flat))

    def skip(self, n: int | None) -> Self:
        """Skip the first ``n`` matches (https://www.mongodb.com/docs/manual/reference/method/cursor.skip/)."""
        return replace(self, _skip=n or None)

    def limit(self, n: int | None) -> Self:
        """Return at most ``n`` documents; 0 or None means no limit, as in PyMongo."""
        return replace(self, _limit=n or None)

    @overload
    def __getitem__(self, key: int) -> Awaitable[R]: ...

    @overload
    def __getitem__(self, key: slice) -> Self: ...

    def __getitem__(self, key: int | slice) -> Awaitable[R] | Self:
        """``await qs[0]`` fetches one document (IndexError if absent); ``qs[10:20]`` is a
        queryset with skip and limit."""
        if isinstance(key, slice):
            if key.step not in (None, 1):
                raise ValueError("QuerySet slices do not support a step")
            return self._window(key.start or 0, key.stop)
        if isinstance(key, bool):
            raise TypeError(
                f"QuerySet indices must be integers or slices, not {type(key).__name__}"
            )
        if key < 0:
            raise IndexError("negative indexing is not supported by MongoDB cursors")
        return _reads.nth(self._window(key, key + 1), key)

    def _window(self, start: int, stop: int | None) -> Self:
        if start < 0 or (stop is not None and stop < 0):
            raise IndexError("negative slice bounds are not supported by MongoDB cursors")
        skip = (self._skip or 0) + start
        remaining = None if self._limit is None else max(self._limit - start, 0)
        limit = remaining
        if stop is not None:
            span = max(stop - start, 0)
            limit = span if remaining is None else min(span, remaining)
        if limit == 0:
            return replace(self, _skip=skip or None, _limit=None, _empty=True)
        return replace(self, _skip=skip or None, _limit=limit)

    # --- shape -------------------------------------------------------------------------------

    def only(self, *fields: str) -> Self:
        """Load only these fields (plus ``_id``). Saving such a document sends only what was
        changed, so the fields that were not loaded are left as stored."""
        current = self._only or frozenset()
        return replace(self, _only=current | frozenset(fields))

    def exclude(self, *fields: str) -> Self:
        """Load every field but these."""
        return replace(self, _exclude=self._exclude | frozenset(fields))

    def all_fields(self) -> Self:
        """Undo ``only``/``exclude``."""
        return replace(self, _only=None, _exclude=frozenset())

    def as_pymongo(self) -> QuerySet[D, dict[str, Any]]:
        """Yield the raw stored dicts instead of documents (no conversion at all)."""
        return replace(self, _mode=Mode.RAW)  # type: ignore[return-value]

    def values(self, *fields: str) -> QuerySet[D, dict[str, Any]]:
        """Yield dicts: the raw stored documents (PyMODM) or, with field names, ``{name: value}``
        with values converted by their fields (Django)."""
        if not fields:
            return replace(self, _mode=Mode.RAW)  # type: ignore[return-value]
        return replace(self, _mode=Mode.VALUES, _fields=fields)  # type: ignore[return-value]

    @overload
    def values_list(
        self, *fields: str, flat: Literal[False] = ...
    ) -> QuerySet[D, tuple[Any, ...]]: ...

    @overload
    def values_list(self, *fields: str, flat: bool) -> QuerySet[D, Any]: ...

    def values_list(self, *fields: str, flat: bool = False) -> QuerySet[D, Any]:
        """Yield tuples of converted values, or bare values with ``flat=True`` (one field)."""
        if flat and len(fields) != 1:
            raise TypeError("values_list(flat=True) takes exactly one field")
        if not fields:
            raise TypeError("values_list() needs at least one field name")
        return replace(self, _mode=Mode.FLAT if flat else Mode.VALUES_LIST, _fields=fields)

    def scalar(self, *fields: str) -> QuerySet[D, Any]:
        """MongoEngine's ``scalar``: bare values for one field, tuples for several."""
        return self.values_list(*fields, flat=len(fields) == 1)

    def no_dereference(self) -> Self:
        """Load references as raw ids / DBRefs (kept in the spec for the reference loader)."""
        return replace(self, _no_dereference=True)

    def using_lookup(self) -> Self:
        """Run lookups through references (``author__name="Ann"``) as one aggregation with
        ``$lookup`` instead of a query for the targets' ids and ``$in`` (see ``_joins``)."""
        return replace(self, _lookup=True, _resolved=None)

    def select_related(self, *paths: str, max_depth: int = 1) -> Self:
        """Prefetch references a batch at a time while loading: one ``$in`` query per target
        collection and batch, not one per document (``_deref`` reads this from the spec).

        No paths means every reference of the model (recorded as ``""``); ``max_depth`` is
        accepted for MongoEngine compatibility.
        """
        del max_depth
        return replace(self, _select_related=self._select_related + (tuple(paths) or ("",)))

    # --- cursor and collection options ---------------------------------------------------------

    def batch_size(self, n: int) -> Self:
        """Documents per server batch (https://www.mongodb.com/docs/manual/reference/method/cursor.batchSize/)."""
        return replace(self, _batch_size=n)

    def hint(self, index: Any) -> Self:
        """Force an index: its name or key spec (https://www.mongodb.com/docs/manual/reference/method/cursor.hint/)."""
        if isinstance(index, (list, tuple)) and index and isinstance(index[0], str):
            index = compile_sort(self.model, list(index))
        return replace(self, _hint=index)

    def comment(self, text: Any) -> Self:
        """Tag the query in the server's logs and profiler."""
        return replace(self, _comment=text)

    def max_time_ms(self, ms: int | None) -> Self:
        """Abort the query on the server after ``ms`` milliseconds."""
        return replace(self, _max_time_ms=ms)

    def collation(self, collation: Any) -> Self:
        """Language-aware matching and sorting (https://www.mongodb.com/docs/manual/reference/collation/)."""
        return replace(self, _collation=collation)

    def read_preference(self, read_preference: Any) -> Self:
        return replace(self, _read_preference=read_preference)

    def read_concern(self, read_concern: Any) -> Self:
        return replace(self, _read_concern=read_concern)

    def using(self, alias: str) -> Self:
        """Run on the connection ``alias`` (what ``switch_db`` does, for this queryset only)."""
        return replace(self, _alias=alias)

    # --- compiled, without I/O -------------------------------------------------------------------

    @property
    def _query(self) -> dict[str, Any]:
        """The filter document this queryset sends (a lookup through a reference holds a
        pending ``_join_plan.Join`` until the terminal resolves it)."""
        found = self._resolved
        if found is not None and found.q is self._q:
            return found.query
        return compile_filter(self.model, self._q)

    def _sort(self) -> list[tuple[str, Any]]:
        keys = self._ordering
        if keys is None:
            default = self.model._schema.meta.get("ordering") or ()
            keys = tuple(default) if not isinstance(default, str) else (default,)
        return compile_sort(self.model, keys) if keys else []

    def _projection(self) -> dict[str, Any] | None:
        if self._mode.projects_fields:
            return compile_projection(self.model, self._fields)
        return compile_projection(self.model, self._only, self._exclude)

    def explain_filter(self) -> dict[str, Any]:
        """What would be sent, computed without I/O: filter, sort, projection, skip, limit."""
        return {
            "filter": self._query,
            "sort": self._sort() or None,
            "projection": self._projection(),
            "skip": self._skip,
            "limit": self._limit,
        }

    def _switched(self) -> AbstractContextManager[Any]:
        """The ``switch_db`` for ``using(alias)``, for writes made through documents."""
        return switch_db(self.model, self._alias) if self._alias is not None else nullcontext()

    def _collection(self, **options: Any) -> CollectionAdapter:
        options.setdefault("read_preference", self._read_preference)
        options.setdefault("read_concern", self._read_concern)
        with self._switched():
            return collection_for(self.model, **options)

    def _cursor_options(self, *, command_names: bool = False) -> dict[str, Any]:
        """Options shared by find, count and aggregate, by their PyMongo names (``find``'s
        ``max_time_ms``; with ``command_names``, ``maxTimeMS`` as ``count_documents`` and
        ``aggregate`` take it)."""
        out: dict[str, Any] = {}
        if self._hint is not None:
            out["hint"] = self._hint
        if self._comment is not None:
            out["comment"] = self._comment
        if self._max_time_ms is not None:
            out["maxTimeMS" if command_names else "max_time_ms"] = self._max_time_ms
        if self._collation is not None:
            out["collation"] = self._collation
        return out

    def __repr__(self) -> str:
        try:
            shown = repr(self.explain_filter())
        except Exception as exc:  # repr must not raise: show why the query cannot compile
            shown = f"{self._q!r} (does not compile: {exc})"
        return f"<{type(self).__name__} {self.model.__name__} {shown}>"

    def __bool__(self) -> bool:
        raise TypeError(
            "a QuerySet has no truth value without a query: use `await qs.exists()` or "
            "`await qs.count()`"
        )

    # --- reads -------------------------------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[R]:
        """Stream the results a server batch at a time (``async for doc in qs``)."""
        return _reads.iterate(self)

    def __await__(self) -> Generator[Any, None, list[R]]:
        """``await qs`` is ``await qs.to_list()`` (MongoMotor habit)."""
        return _reads.to_list(self).__await__()

    async def to_list(self, length: int | None = None) -> list[R]:
        """Every result (at most ``length``) in a list."""
        return await _reads.to_list(self, length)

    async def count(self, with_limit_and_skip: bool = False) -> int:
        """The number of matches, counted by the server (``count_documents``).

        ``with_limit_and_skip`` applies this queryset's skip and limit.
        https://www.mongodb.com/docs/manual/reference/method/db.collection.countDocuments/
        """
        return await _reads.count(self, with_limit_and_skip)

    async def first(self) -> R | None:
        """The first result in this queryset's order, or None."""
        return await _reads.first(self)

    async def get(self, *queries: Q | Mapping[str, Any], **lookups: Any) -> R:
        """The single match; ``Model.DoesNotExist`` if none, ``Model.MultipleObjectsReturned`` if
        more than one. A dict positional argument is a raw filter (PyMODM ``get(raw_query)``)."""
        return await _reads.get(self.filter(*queries, **lookups))

    async def exists(self) -> bool:
        """Whether anything matches (one ``_id`` fetched at most)."""
        return await _reads.exists(self)

    async def distinct(self, field: str) -> list[Any]:
        """The distinct values of ``field`` among the matches, converted by the field.

        For a list field the values are its items.
        https://www.mongodb.com/docs/manual/reference/method/db.collection.distinct/
        """
        return await _reads.distinct(self, field)

    async def in_bulk(self, ids: Iterable[Any]) -> dict[Any, R]:
        """``{pk: document}`` for the given primary keys, in one query."""
        return await _reads.in_bulk(self, ids)

    async def explain(self) -> dict[str, Any]:
        """The server's query plan for this find (the ``explain`` command)."""
        return await _reads.explain(self)

    # --- aggregation ---------------------------------------------------------------------------

    def aggregate(
        self,
        pipeline: Sequence[Mapping[str, Any]] | Mapping[str, Any],
        *stages: Mapping[str, Any],
        **kwargs: Any,
    ) -> _aggregate.AggregationResult:
        """Run ``pipeline`` after stages for this queryset's filter, sort, skip, limit and
        projection. The result can be iterated (``async for``) or awaited for a cursor."""
        return _aggregate.aggregate(self, pipeline, *stages, **kwargs)

    def annotate(self, **aggregates: Aggregate) -> _grouped.GroupedQuerySet:
        """``values("status").annotate(n=Count(), total=Sum("views"))``: one row per distinct
        combination of the ``values`` fields, with each aggregate computed over its group
        (``_grouped``, compiled by ``_annotate``)."""
        if self._mode is not Mode.VALUES:
            raise TypeError(
                "annotate() groups by the fields of values(): write "
                "qs.values('status').annotate(n=Count()); for one result over every match use "
                "aggregate_values(n=Count())"
            )
        grouped = _grouped.GroupedQuerySet(self, self._fields, ())
        return grouped.annotate(**aggregates)

    async def aggregate_values(self, **aggregates: Aggregate) -> dict[str, Any]:
        """The aggregates over every match as one dict: ``{"avg": ..., "top": ...}``; when
        nothing matches a ``Count`` is 0 and the others None."""
        return await _grouped.aggregate_values(self, aggregates)

    async def sum(self, field: str) -> Any:
        """The sum of ``field`` over the matches (items of a list field)."""
        return await _aggregate.total(self, field, "$sum")

    async def average(self, field: str) -> Any:
        """The average of ``field`` over the matches (items of a list field)."""
        return await _aggregate.total(self, field, "$avg")

    async def item_frequencies(self, field: str, normalize: bool = False) -> dict[Any, Any]:
        """``{value: count}`` of ``field`` (each item for a list field); ``normalize`` gives
        fractions of the total."""
        return await _aggregate.item_frequencies(self, field, normalize)

    # --- writes --------------------------------------------------------------------------------

    async def create(self, **values: Any) -> D:
        """Build a document from ``values``, insert it and return it."""
        return await _writes.create(self, values)  # type: ignore[no-any-return]

    async def bulk_create(
        self, documents: Any, retrieve: bool = False, full_clean: bool = False, **kwargs: Any
    ) -> list[Any]:
        """Validate, then insert every document with ONE ``insert_many``; the ids, or the
        documents themselves (now saved) with ``retrieve=True``."""
        return await _writes.bulk_create(self, documents, retrieve, full_clean, **kwargs)

    async def insert(self, documents: Any, load_bulk: bool = True, **kwargs: Any) -> Any:
        """MongoEngine's ``insert``: ``bulk_create`` returning documents (or ids), a single one
        for a single document."""
        single = not isinstance(documents, (list, tuple))
        out = await _writes.bulk_create(
            self, [documents] if single else documents, load_bulk, False, **kwargs
        )
        return out[0] if single else out

    async def update(self, *raw: Any, upsert: bool = False, **operations: Any) -> Any:
        """Apply update operators to every match; the number matched (1 for an upsert).
        Accepts ``op__path=value`` keywords and/or raw update documents."""
        return await _writes.update(self, raw, operations, upsert=upsert, multi=True)

    async def update_one(self, *raw: Any, upsert: bool = False, **operations: Any) -> Any:
        """Like ``update`` for the first match only."""
        return await _writes.update(self, raw, operations, upsert=upsert, multi=False)

    async def upsert_one(self, *raw: Any, **operations: Any) -> D:
        """Update the first match or insert one; returns the document as stored after."""
        return await _writes.modify(self, raw, operations, upsert=True, remove=False, new=True)  # type: ignore[no-any-return]

    async def modify(
        self, *raw: Any, upsert: bool = False, remove: bool = False, new: bool = False,
        **operations: Any,
    ) -> D | None:  # fmt: skip
        """Atomically update (or ``remove``) the first match and return it, as it was before
        or, with ``new=True``, after (``find_one_and_update`` / ``find_one_and_delete``)."""
        return await _writes.modify(self, raw, operations, upsert=upsert, remove=remove, new=new)  # type: ignore[no-any-return]

    def watch(self, **options: Any) -> _watch.ChangeStream[Any]:
        """A change stream of the documents this queryset matches (``_watch.open_watch``)."""
        if not self._empty and contains_join(self._query):
            raise LookUpError(
                f"a change stream of {self.model.__name__} cannot filter through a reference "
                "(an event carries only the changed document): filter on the reference itself"
            )
        return _watch.open_watch(self, **options)

    async def delete(self, write_concern: Any = None) -> int:
        """Delete every match, applying delete rules; the number deleted."""
        return await _writes.delete(self, write_concern)
