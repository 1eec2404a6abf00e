"""Adapter for mongomock-motor's ``AsyncMongoMockClient``: Motor's API over in-memory mongomock.

Stage: drivers. It behaves like Motor except where mongomock-motor falls short of its own
model, which this adapter absorbs so callers see the protocol unchanged:

* ``create_collection()`` and ``with_options()`` hand back mongomock's *synchronous*
  collection; they are wrapped back into the async one.
* a cursor's ``to_list(length)`` ignores ``length``; the cursor reads one document at a time
  instead (it is all in memory, so nothing is lost).
* there are no sessions: ``supports_sessions`` is False (so ``supports_transactions()``
  answers False without I/O) and starting one raises
  ``OperationError`` rather than mongomock's ``NotImplementedError``; likewise for
  ``create_collection`` with options (capped...), ``options()``, and the database commands it
  does not implement (``listCollections``, ``collMod``...).

Importing this module imports mongomock-motor; ``connection`` only does so when asked for
``mongomock://`` or handed an ``AsyncMongoMockClient``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, NoReturn

import mongomock_motor

from asyncodm import errors
from asyncodm._drivers._collection import BaseCollection
from asyncodm._drivers._cursor import DriverCursor
from asyncodm._drivers._motor import MotorClient, MotorCollection, MotorDatabase
from asyncodm._drivers._protocol import DriverKind, RawDoc

__all__ = ["MongomockClient", "MongomockCollection", "MongomockDatabase"]


def _as_async(raw: Any, database: Any) -> Any:
    if isinstance(raw, mongomock_motor.AsyncMongoMockCollection):
        return raw
    return mongomock_motor.AsyncMongoMockCollection(database, raw)


class MongomockCursor(DriverCursor):
    __slots__ = ()

    async def _fetch(self, length: int | None) -> list[RawDoc]:
        cursor = await self._cursor()
        if length is None:
            everything: list[RawDoc] = await cursor.to_list(None)
            return everything
        out: list[RawDoc] = []
        while len(out) < length:
            try:
                out.append(await cursor.next())
            except StopAsyncIteration:
                break
        return out


class MongomockCollection(MotorCollection):
    __slots__ = ()
    cursor_class = MongomockCursor

    def _wrap_raw(self, raw: Any) -> Any:
        return _as_async(raw, self._raw.database)

    async def _open_change_stream(
        self, pipeline: list[Mapping[str, Any]], session: Any, kwargs: dict[str, Any]
    ) -> Any:
        # mongomock has no change streams (its ``watch`` attribute is a sub-collection).
        raise errors.OperationError(
            f"watch() on {self._namespace!r} (connection {self._alias!r}): this server offers "
            "no change streams (mongomock-motor has none); change streams need a MongoDB "
            "replica set or sharded cluster"
        )

    async def options(self) -> dict[str, Any]:
        # mongomock's Collection has no options(): the attribute is a sub-collection.
        raise errors.OperationError(
            f"options() of {self._namespace!r} (connection {self._alias!r}): mongomock-motor "
            "does not report collection options"
        )


class MongomockDatabase(MotorDatabase):
    __slots__ = ()
    collection_class = MongomockCollection

    def _wrap_created(self, raw: Any) -> Any:
        return _as_async(raw, self._raw)

    def native_bucket(self, name: str, chunk_size: int) -> Any:
        return None  # mongomock-motor has no GridFS: asyncodm's own bucket serves it

    def native_gridout(self, bucket: str, file_document: Mapping[str, Any]) -> Any:
        return None

    async def create_collection(self, name: str, **options: Any) -> BaseCollection:
        try:
            created = await super().create_collection(name, **options)
        except NotImplementedError as exc:  # mongomock: "Special options not supported"
            raise errors.OperationError(
                f"create_collection {name!r} with options {sorted(options)} (connection "
                f"{self._alias!r}): mongomock-motor cannot create a collection with options "
                "(capped, validators, ...); run this against a MongoDB server"
            ) from exc
        return created

    async def command(self, command: Mapping[str, Any], *, session: Any = None) -> RawDoc:
        try:
            return await super().command(command, session=session)
        except NotImplementedError as exc:  # mongomock: "... not implemented in Mongomock yet"
            name = next(iter(command), "?")
            raise errors.OperationError(
                f"command {name!r} (connection {self._alias!r}): mongomock-motor does not "
                "implement it; run this against a MongoDB server"
            ) from exc


class MongomockClient(MotorClient):
    __slots__ = ()
    kind: ClassVar[DriverKind] = "mongomock"
    database_class = MongomockDatabase
    supports_sessions: ClassVar[bool] = False

    def bound_loop(self) -> Any:
        return None  # in-process: not tied to any event loop

    def _no_sessions(self, operation: str) -> NoReturn:
        raise errors.OperationError(
            f"{operation} (connection {self._alias!r}): mongomock-motor has no sessions or "
            "transactions; run this against a MongoDB server (a replica set for transactions)"
        )

    async def start_session(self, **options: Any) -> Any:
        self._no_sessions("start_session")

    async def start_transaction(self, session: Any, **options: Any) -> None:
        self._no_sessions("start_transaction")
