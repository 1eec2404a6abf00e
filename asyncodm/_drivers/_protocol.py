"""The driver seam: the only shape of MongoDB the rest of asyncodm sees.

Stage: drivers. PyMongo's native async client, Motor and mongomock-motor differ in which calls
are coroutines (``aggregate``, ``list_indexes``, ``start_session``), in their error classes and
in what they support. Adapters in this package absorb every such difference behind these
protocols, and translate driver errors into ``asyncodm.errors`` (``map_driver_errors``), so no
other module knows which client it has.

Refinements made while implementing the adapters (all additive; existing names and signatures
are unchanged): ``CursorAdapter.batches`` takes an optional ``size`` and cursors expose ``raw``
and work as ``async with``; ``DatabaseAdapter`` exposes its ``client`` and ``command`` takes an
optional ``session``; ``ClientAdapter`` has ``alias``, ``bound_loop()``, ``close_now()`` and
passes driver options through ``start_session(**options)`` and
``start_transaction(session, **options)``, and answers ``supports_transactions()`` (a topology
question asked of the adapter on each use, so nothing above the seam reads driver internals).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, Protocol

DriverKind = Literal["pymongo", "motor", "mongomock"]
RawDoc = dict[str, Any]


@dataclass(frozen=True, slots=True)
class UpdateOutcome:
    """What an update or replace did, independent of the driver's result class."""

    matched: int
    modified: int
    upserted_id: Any = None


class CursorAdapter(Protocol):
    """An async cursor over raw documents; errors are already translated."""

    def __aiter__(self) -> AsyncIterator[RawDoc]: ...

    async def to_list(self, length: int | None = None) -> list[RawDoc]: ...

    def batches(self, size: int | None = None) -> AsyncIterator[list[RawDoc]]:
        """Yield the documents a batch at a time: the fast path for loading many documents.

        ``size`` caps each list (default: the ``batch_size`` given to ``find``, else 1000).
        """
        ...

    @property
    def raw(self) -> Any:
        """The driver's cursor; None until an ``aggregate`` cursor is first read."""
        ...

    async def close(self) -> None: ...

    async def __aenter__(self) -> CursorAdapter: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class ChangeStreamAdapter(Protocol):
    """An open change stream; every method maps driver errors."""

    @property
    def raw(self) -> Any: ...

    @property
    def resume_token(self) -> Mapping[str, Any] | None: ...

    async def next(self) -> RawDoc: ...

    async def try_next(self) -> RawDoc | None: ...

    async def close(self) -> None: ...


class CollectionAdapter(Protocol):
    """One collection. Every method maps driver errors; ``session`` may be None."""

    @property
    def name(self) -> str: ...

    @property
    def alias(self) -> str: ...

    @property
    def raw(self) -> Any:
        """The driver's own collection object (for ``mongo_*`` passthrough and power users)."""
        ...

    def with_options(self, **options: Any) -> CollectionAdapter: ...

    async def insert_one(self, document: Mapping[str, Any], *, session: Any = None) -> Any:
        """Insert and return the inserted ``_id``."""
        ...

    async def insert_many(
        self, documents: Sequence[Mapping[str, Any]], *, ordered: bool = True, session: Any = None
    ) -> list[Any]: ...

    async def find_one(
        self,
        filter: Mapping[str, Any],
        projection: Mapping[str, Any] | None = None,
        *,
        session: Any = None,
        **kwargs: Any,
    ) -> RawDoc | None: ...

    def find(
        self,
        filter: Mapping[str, Any],
        projection: Mapping[str, Any] | None = None,
        *,
        session: Any = None,
        **kwargs: Any,
    ) -> CursorAdapter:
        """``kwargs`` are PyMongo ``find`` options: sort, skip, limit, batch_size, hint, ..."""
        ...

    async def update_one(
        self,
        filter: Mapping[str, Any],
        update: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        *,
        upsert: bool = False,
        session: Any = None,
        **kwargs: Any,
    ) -> UpdateOutcome: ...

    async def update_many(
        self,
        filter: Mapping[str, Any],
        update: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        *,
        upsert: bool = False,
        session: Any = None,
        **kwargs: Any,
    ) -> UpdateOutcome: ...

    async def replace_one(
        self,
        filter: Mapping[str, Any],
        replacement: Mapping[str, Any],
        *,
        upsert: bool = False,
        session: Any = None,
    ) -> UpdateOutcome: ...

    async def delete_one(self, filter: Mapping[str, Any], *, session: Any = None) -> int: ...

    async def delete_many(self, filter: Mapping[str, Any], *, session: Any = None) -> int: ...

    async def count_documents(
        self, filter: Mapping[str, Any], *, session: Any = None, **kwargs: Any
    ) -> int: ...

    async def estimated_document_count(self) -> int: ...

    async def distinct(
        self, key: str, filter: Mapping[str, Any] | None = None, *, session: Any = None
    ) -> list[Any]: ...

    async def find_one_and_update(
        self,
        filter: Mapping[str, Any],
        update: Mapping[str, Any],
        *,
        projection: Mapping[str, Any] | None = None,
        sort: Sequence[tuple[str, int]] | None = None,
        upsert: bool = False,
        return_new: bool = False,
        session: Any = None,
    ) -> RawDoc | None: ...

    async def find_one_and_delete(
        self,
        filter: Mapping[str, Any],
        *,
        projection: Mapping[str, Any] | None = None,
        sort: Sequence[tuple[str, int]] | None = None,
        session: Any = None,
    ) -> RawDoc | None: ...

    def aggregate(
        self, pipeline: Sequence[Mapping[str, Any]], *, session: Any = None, **kwargs: Any
    ) -> CursorAdapter:
        """A cursor for the pipeline, whether the driver's ``aggregate`` is a coroutine or not."""
        ...

    async def create_indexes(self, indexes: Sequence[Any], *, session: Any = None) -> list[str]: ...

    async def index_information(self) -> dict[str, Any]: ...

    async def list_indexes(self) -> list[RawDoc]: ...

    async def watch(
        self, pipeline: Sequence[Mapping[str, Any]] = (), *, session: Any = None, **kwargs: Any
    ) -> ChangeStreamAdapter:
        """Open a change stream; ``OperationError`` where the server offers none."""
        ...

    async def drop_index(self, name: str) -> None: ...

    async def drop(self) -> None: ...

    async def options(self) -> dict[str, Any]: ...


class DatabaseAdapter(Protocol):
    """One database of one connection."""

    @property
    def name(self) -> str: ...

    @property
    def alias(self) -> str: ...

    @property
    def kind(self) -> DriverKind: ...

    @property
    def raw(self) -> Any: ...

    def collection(self, name: str, **options: Any) -> CollectionAdapter:
        """``options``: codec_options, read_preference, read_concern, write_concern."""
        ...

    async def create_collection(self, name: str, **options: Any) -> CollectionAdapter: ...

    async def list_collection_names(self) -> list[str]: ...

    async def drop_collection(self, name: str) -> None: ...

    @property
    def client(self) -> ClientAdapter:
        """The client adapter this database belongs to (sessions, transactions)."""
        ...

    async def command(self, command: Mapping[str, Any], *, session: Any = None) -> RawDoc: ...

    async def drop(self) -> None: ...


class ClientAdapter(Protocol):
    """A driver client bound to one event loop."""

    @property
    def kind(self) -> DriverKind: ...

    @property
    def raw(self) -> Any: ...

    @property
    def supports_sessions(self) -> bool: ...

    async def supports_transactions(self) -> bool:
        """Whether the deployment runs multi-document transactions (replica set, sharded, load
        balanced), asked anew on each call: no round trip once the topology is known, a server
        selection while it is not; never cached, so an election does not turn it off."""
        ...

    def database(self, name: str, *, alias: str) -> DatabaseAdapter: ...

    @property
    def alias(self) -> str:
        """The alias named in this client's error messages."""
        ...

    def bound_loop(self) -> Any:
        """The event loop the driver reports this client bound to, or None (best effort)."""
        ...

    def close_now(self) -> bool:
        """Close without awaiting if the driver can (Motor, mongomock); False otherwise."""
        ...

    async def start_session(self, **options: Any) -> Any:
        """A started driver session (the caller ends it with ``end_session``)."""
        ...

    async def start_transaction(self, session: Any, **options: Any) -> None:
        """``options``: read_concern, write_concern, read_preference, max_commit_time_ms."""
        ...

    async def commit_transaction(self, session: Any) -> None: ...

    async def abort_transaction(self, session: Any) -> None: ...

    async def end_session(self, session: Any) -> None: ...

    async def close(self) -> None: ...
