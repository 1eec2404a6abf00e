"""Change streams of a model: ``QuerySet.watch()`` / ``Model.watch()`` (API.md §13).

Stage: queryset (awaits). The pure half, ``change_stream_match``/``watch_pipeline``, turns a
queryset's compiled filter into the stream's ``$match``: a change event carries the document
under ``fullDocument``, so every field path gains that prefix, inside ``$and``/``$or``/``$nor``
too, and field references in ``$expr`` (``"$views"``) become ``"$fullDocument.views"``. The
compiler that produced the filter is the queryset's own, so lookups, stored names, regex
escaping and the ``_cls`` condition of a subclass are exactly those of a ``find``.

Only events that carry a ``fullDocument`` can match a filter: inserts and replaces always,
updates with ``full_document="updateLookup"`` (or ``"whenAvailable"``/``"required"`` with
pre- and post-images), deletes never. A stream without a filter sees every event.

The awaited half, ``ChangeStream``, opens the stream through the driver seam
(``CollectionAdapter.watch``) on entering ``async with`` or on the first ``async for`` step,
and yields frozen ``Change`` values. Resuming after a resumable error is the driver's job;
``resume_after``/``start_after``/``start_at_operation_time`` resume from a stored point.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from asyncodm.errors import OperationError

if TYPE_CHECKING:
    from asyncodm._drivers._protocol import ChangeStreamAdapter, RawDoc
    from asyncodm.queryset._queryset import QuerySet

__all__ = ["Change", "ChangeStream", "change_stream_match", "open_watch", "watch_pipeline"]

D = TypeVar("D")

#: The prefix under which a change event carries the changed document.
FULL_DOCUMENT = "fullDocument"

_LOGICAL = frozenset({"$and", "$or", "$nor"})
#: Top-level operators a change stream's ``$match`` cannot evaluate on ``fullDocument``
#: (https://www.mongodb.com/docs/manual/changeStreams/#modify-change-stream-output).
_UNSUPPORTED = frozenset({"$text", "$where", "$near", "$nearSphere"})
_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _prefix_expression(expr: Any) -> Any:
    """Rewrite field paths (``"$a.b"``) in an aggregation expression; ``"$$var"`` stays."""
    if isinstance(expr, str):
        if expr.startswith("$") and not expr.startswith("$$"):
            return f"${FULL_DOCUMENT}.{expr[1:]}"
        return expr
    if isinstance(expr, Mapping):
        if "$literal" in expr and len(expr) == 1:
            return dict(expr)
        return {key: _prefix_expression(value) for key, value in expr.items()}
    if isinstance(expr, (list, tuple)):
        return [_prefix_expression(item) for item in expr]
    return expr


def change_stream_match(query: Mapping[str, Any]) -> dict[str, Any]:
    """A find filter -> the same condition on a change event's ``fullDocument``.

    Example:
        ```python
        change_stream_match({"tags": "a", "$or": [{"n": {"$gt": 1}}, {"n": None}]})
        # {"fullDocument.tags": "a",
        #  "$or": [{"fullDocument.n": {"$gt": 1}}, {"fullDocument.n": None}]}
        ```

    Raises:
        OperationError: the filter uses an operator a change stream cannot run
            (``$text``, ``$where``, ``$near``).
    """
    out: dict[str, Any] = {}
    for key, value in query.items():
        if key in _LOGICAL:
            out[key] = [change_stream_match(part) for part in value]
        elif key == "$expr":
            out[key] = _prefix_expression(value)
        elif key == "$comment":
            out[key] = value
        elif key in _UNSUPPORTED or key.startswith("$"):
            raise OperationError(f"{key} cannot be used in a change stream's $match")
        else:
            out[f"{FULL_DOCUMENT}.{key}"] = value
    return out


#: The ``$match`` of ``qs.none().watch()``: every change event has an ``_id`` (its resume
#: token), so this stream yields nothing, as the empty queryset it comes from.
NO_EVENTS: dict[str, Any] = {"$match": {"_id": {"$exists": False}}}


def watch_pipeline(
    query: Mapping[str, Any], operation_types: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """The stream's pipeline: one ``$match`` on the filter and the operation types, if any."""
    parts: list[dict[str, Any]] = []
    if operation_types:
        parts.append({"operationType": {"$in": list(operation_types)}})
    if query:
        parts.append(change_stream_match(query))
    if not parts:
        return []
    if len(parts) == 1:
        return [{"$match": parts[0]}]
    if not set(parts[0]) & set(parts[1]):
        return [{"$match": {**parts[0], **parts[1]}}]
    return [{"$match": {"$and": parts}}]


@dataclass(frozen=True)
class Change(Generic[D]):
    """One change event, with the document loaded as the model it belongs to.

    Attributes:
        operation: ``"insert"``, ``"update"``, ``"replace"``, ``"delete"``, ``"drop"``,
            ``"rename"``, ``"invalidate"`` ...
        document: The changed document as a model instance when the event carries it
            (inserts, replaces, updates with ``full_document="updateLookup"``); else None.
        document_key: The event's ``documentKey`` (``{"_id": ...}``, plus the shard key).
        updated_fields / removed_fields: An update's ``updateDescription``, by stored names.
        resume_token: The event's ``_id``: pass it as ``resume_after`` to continue after it.
        raw: The event as the driver delivered it.
    """

    operation: str
    document: D | None
    document_key: Mapping[str, Any] | None
    updated_fields: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    removed_fields: tuple[str, ...] = ()
    resume_token: Mapping[str, Any] | None = None
    raw: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


def _change(model: Any, event: RawDoc) -> Change[Any]:
    full = event.get("fullDocument")
    description = event.get("updateDescription") or {}
    return Change(
        operation=str(event.get("operationType")),
        document=model._from_son(dict(full)) if isinstance(full, Mapping) else None,
        document_key=event.get("documentKey"),
        updated_fields=MappingProxyType(dict(description.get("updatedFields") or {})),
        removed_fields=tuple(description.get("removedFields") or ()),
        resume_token=event.get("_id"),
        raw=event,
    )


class ChangeStream(Generic[D]):
    """A model's change stream: ``async with`` it (closes the server cursor on exit) and
    ``async for`` over it; iterating without ``async with`` opens it on the first step.

    The collection is chosen when the stream is built, so a ``switch_db``/
    ``switch_collection`` around ``watch()`` applies even if the stream is read later.
    """

    __slots__ = ("_collection", "_model", "_options", "_pipeline", "_stream")

    def __init__(
        self,
        model: type[D],
        collection: Any,
        pipeline: list[dict[str, Any]],
        options: dict[str, Any],
    ) -> None:
        self._model = model
        self._collection = collection
        self._pipeline = pipeline
        self._options = options
        self._stream: ChangeStreamAdapter | None = None

    @property
    def pipeline(self) -> list[dict[str, Any]]:
        """The pipeline sent to the server (a copy)."""
        return [dict(stage) for stage in self._pipeline]

    @property
    def resume_token(self) -> Mapping[str, Any] | None:
        """Where the stream is now: store it and pass it as ``resume_after`` later."""
        return self._stream.resume_token if self._stream is not None else None

    async def open(self) -> ChangeStream[D]:
        """Open the server cursor (done for you by ``async with`` and ``async for``)."""
        if self._stream is None:
            self._stream = await self._collection.watch(self._pipeline, **self._options)
        return self

    async def close(self) -> None:
        if self._stream is not None:
            await self._stream.close()

    async def __aenter__(self) -> ChangeStream[D]:
        return await self.open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __aiter__(self) -> ChangeStream[D]:
        return self

    async def __anext__(self) -> Change[D]:
        stream = self._stream or (await self.open())._stream
        assert stream is not None
        event = await stream.next()
        return _change(self._model, event)

    async def try_next(self) -> Change[D] | None:
        """The next change, or None if none arrived within ``max_await_time_ms``."""
        stream = self._stream or (await self.open())._stream
        assert stream is not None
        event = await stream.try_next()
        return None if event is None else _change(self._model, event)


def open_watch(
    qs: QuerySet,
    *,
    full_document: str | None = None,
    full_document_before_change: str | None = None,
    resume_after: Mapping[str, Any] | None = None,
    start_after: Mapping[str, Any] | None = None,
    start_at_operation_time: Any = None,
    operation_types: Sequence[str] | None = None,
    batch_size: int | None = None,
    max_await_time_ms: int | None = None,
    show_expanded_events: bool | None = None,
    session: Any = None,
) -> ChangeStream[Any]:
    """The ``ChangeStream`` for ``qs``: its filter as ``$match``, the options as PyMongo's."""
    options = {
        "full_document": full_document,
        "full_document_before_change": full_document_before_change,
        "resume_after": resume_after,
        "start_after": start_after,
        "start_at_operation_time": start_at_operation_time,
        "batch_size": batch_size if batch_size is not None else qs._batch_size,
        "max_await_time_ms": max_await_time_ms,
        "show_expanded_events": show_expanded_events,
        "session": session,
    }
    pipeline = watch_pipeline(qs._query, operation_types) if not qs._empty else [NO_EVENTS]
    kept = {key: value for key, value in options.items() if value is not None}
    return ChangeStream(qs.model, qs._collection(), pipeline, kept)
