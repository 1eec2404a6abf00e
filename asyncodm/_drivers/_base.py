"""Database and client adapters shared by PyMongo's async API, Motor and mongomock-motor.

Stage: drivers. The drivers agree on databases, on ``commit``/``abort``/``end`` of a session
and disagree on ``start_session``, ``start_transaction`` and ``close``, which the subclasses in
``_pymongo``, ``_motor`` and ``_mongomock`` override (the *hook* methods).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from asyncodm._context import current_session
from asyncodm._drivers._collection import BaseCollection
from asyncodm._drivers._errors import map_driver_errors
from asyncodm._drivers._protocol import DriverKind, RawDoc
from asyncodm._drivers._topology import description_supports_transactions

__all__ = ["BaseClient", "BaseDatabase"]


class BaseDatabase:
    """``DatabaseAdapter`` whose option-less collection adapters are built once and reused.

    The model layer asks for a collection on every operation, so that must be a dict hit:
    ``model_adapters`` is where ``_io._collection.collection_for`` keeps, per model class, the
    adapter it built from the class's meta (options, preparation) when no switch or per-call
    option applies. It lives here so that it goes with the database adapter (a new connection
    or event loop starts empty) and is emptied whenever a cached collection is forgotten.
    """

    __slots__ = ("_alias", "_client", "_collections", "_raw", "model_adapters")

    collection_class: ClassVar[type[BaseCollection]] = BaseCollection

    def __init__(self, raw: Any, alias: str, client: BaseClient) -> None:
        self._raw = raw
        self._alias = alias
        self._client = client
        self._collections: dict[str, BaseCollection] = {}
        self.model_adapters: dict[type, Any] = {}

    @property
    def name(self) -> str:
        return str(self._raw.name)

    @property
    def alias(self) -> str:
        return self._alias

    @property
    def kind(self) -> DriverKind:
        return self._client.kind

    @property
    def raw(self) -> Any:
        return self._raw

    @property
    def client(self) -> BaseClient:
        """The client adapter this database belongs to (for sessions)."""
        return self._client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} alias={self._alias!r} driver={self.kind}>"

    def _errors(self, operation: str) -> map_driver_errors:
        return map_driver_errors(self._alias, operation, self.name)

    def _wrap_created(self, raw: Any) -> Any:
        """*hook*: turn what ``create_collection`` returned into an async driver collection."""
        return raw

    def collection(self, name: str, **options: Any) -> BaseCollection:
        if not options:
            cached = self._collections.get(name)
            if cached is None:
                cached = self._collections[name] = self.collection_class(
                    self._raw[name], self._alias
                )
            return cached
        with self._errors("collection"):
            raw = self._raw.get_collection(name, **options)
        return self.collection_class(raw, self._alias)

    async def create_collection(self, name: str, **options: Any) -> BaseCollection:
        with self._errors("create_collection"):
            raw = self._wrap_created(await self._raw.create_collection(name, **options))
        return self.collection_class(raw, self._alias)

    async def list_collection_names(self) -> list[str]:
        with self._errors("list_collection_names"):
            names = await self._raw.list_collection_names()
        return list(names)

    async def drop_collection(self, name: str) -> None:
        with self._errors("drop_collection"):
            await self._raw.drop_collection(name)
        self._collections.pop(name, None)
        self.model_adapters.clear()

    async def command(self, command: Mapping[str, Any], *, session: Any = None) -> RawDoc:
        with self._errors(f"command {next(iter(command), '?')}"):
            reply: RawDoc = await self._raw.command(
                command, session=session if session is not None else current_session(self._alias)
            )
        return reply

    def native_bucket(self, name: str, chunk_size: int) -> Any:
        """The driver's own async GridFS bucket ``name``, or None where the driver has none."""
        return None

    def native_gridout(self, bucket: str, file_document: Mapping[str, Any]) -> Any:
        """The driver's own async GridOut for a stored file record, or None where it has none.

        Handed to applications that want the driver's object (``gridout`` of a file value)."""
        return None

    async def drop(self) -> None:
        with self._errors("drop_database"):
            await self._client.raw.drop_database(self.name)
        self._collections.clear()
        self.model_adapters.clear()


class BaseClient:
    """``ClientAdapter`` with the session calls all drivers share.

    The subclasses override the ones that differ: ``start_session``, ``start_transaction``,
    ``close``.
    """

    __slots__ = ("_alias", "_databases", "_raw")

    kind: ClassVar[DriverKind]
    database_class: ClassVar[type[BaseDatabase]] = BaseDatabase
    supports_sessions: ClassVar[bool] = True

    def __init__(self, raw: Any, alias: str = "default") -> None:
        self._raw = raw
        self._alias = alias
        self._databases: dict[tuple[str, str], BaseDatabase] = {}

    @property
    def raw(self) -> Any:
        return self._raw

    @property
    def alias(self) -> str:
        """The alias named in error messages about this client's sessions."""
        return self._alias

    def __repr__(self) -> str:
        return f"<{type(self).__name__} alias={self._alias!r}>"

    def _errors(self, operation: str) -> map_driver_errors:
        return map_driver_errors(self._alias, operation)

    def database(self, name: str, *, alias: str) -> BaseDatabase:
        key = (name, alias)
        found = self._databases.get(key)
        if found is None:
            found = self._databases[key] = self.database_class(self._raw[name], alias, self)
        return found

    def bound_loop(self) -> Any:
        """*hook*: the event loop the driver has bound this client to, if it says so."""
        return None

    async def supports_transactions(self) -> bool:
        """Whether the deployment runs multi-document transactions; asked anew on every call.

        PyMongo's async client and Motor (through its delegate) both expose the driver's
        ``topology_description``, kept current by its monitors, so a known topology answers
        without a round trip. Only while it cannot tell (nothing has answered yet) is a server
        selected, with a ``ping``, within the client's ``serverSelectionTimeoutMS``. Nothing is
        remembered: a replica set in an election is asked again next time (see ``_topology``).

        Raises:
            ConnectionFailure: no server could be selected (the write would fail the same way).
        """
        if not self.supports_sessions:
            return False
        answer = description_supports_transactions(self._raw.topology_description)
        if answer is None:
            with self._errors("supports_transactions (selecting a server)"):
                await self._raw.admin.command("ping")
            answer = description_supports_transactions(self._raw.topology_description)
        return answer is True

    async def start_session(self, **options: Any) -> Any:
        """*hook*: a started driver session; ``options`` are the driver's session options."""
        raise NotImplementedError

    async def start_transaction(self, session: Any, **options: Any) -> None:
        """*hook*; ``options``: read_concern, write_concern, read_preference, max_commit_time_ms."""
        raise NotImplementedError

    async def commit_transaction(self, session: Any) -> None:
        with self._errors("commit_transaction"):
            await session.commit_transaction()

    async def abort_transaction(self, session: Any) -> None:
        with self._errors("abort_transaction"):
            await session.abort_transaction()

    async def end_session(self, session: Any) -> None:
        with self._errors("end_session"):
            await session.end_session()

    async def close(self) -> None:
        """*hook*: close the driver client."""
        raise NotImplementedError

    def close_now(self) -> bool:
        """*hook*: close without awaiting, if this driver can; False when it cannot.

        ``connection`` needs it to release a client from outside the client's event loop
        (a replaced connection, a loop that has already closed).
        """
        return False
