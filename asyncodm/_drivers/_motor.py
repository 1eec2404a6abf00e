"""Adapter for Motor's ``AsyncIOMotorClient`` (PyMongo's sync driver run on a thread pool).

Stage: drivers. Where it differs from PyMongo async: ``aggregate()`` and ``list_indexes()``
return a cursor without awaiting, ``start_session()`` must be awaited while
``session.start_transaction()`` must not, and ``close()`` is a plain call. Importing this module
does not import Motor: the client object arrives already built (see ``connection``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from asyncodm._drivers._base import BaseClient, BaseDatabase
from asyncodm._drivers._collection import BaseCollection
from asyncodm._drivers._protocol import DriverKind

__all__ = ["MotorClient", "MotorCollection", "MotorDatabase"]


class MotorCollection(BaseCollection):
    __slots__ = ()

    async def _aggregate_cursor(
        self, pipeline: list[Mapping[str, Any]], session: Any, kwargs: dict[str, Any]
    ) -> Any:
        return self._raw.aggregate(pipeline, session=session, **kwargs)

    async def _list_indexes_cursor(self) -> Any:
        return self._raw.list_indexes()

    async def _open_change_stream(
        self, pipeline: list[Mapping[str, Any]], session: Any, kwargs: dict[str, Any]
    ) -> Any:
        # Motor opens the stream lazily, on the first read: open it now (its own ``async
        # with`` entry), so events after ``watch()`` returns are seen, as with PyMongo.
        stream = self._raw.watch(pipeline, session=session, **kwargs)
        await stream.__aenter__()
        return stream


class MotorDatabase(BaseDatabase):
    __slots__ = ()
    collection_class = MotorCollection

    def native_bucket(self, name: str, chunk_size: int) -> Any:
        from motor.motor_asyncio import AsyncIOMotorGridFSBucket

        return AsyncIOMotorGridFSBucket(self._raw, name, chunk_size_bytes=chunk_size)

    def native_gridout(self, bucket: str, file_document: Mapping[str, Any]) -> Any:
        from motor.motor_asyncio import AsyncIOMotorGridOut

        return AsyncIOMotorGridOut(self._raw[bucket], file_document=file_document)


class MotorClient(BaseClient):
    __slots__ = ()
    kind: ClassVar[DriverKind] = "motor"
    database_class = MotorDatabase

    def bound_loop(self) -> Any:
        # Motor resolves its io_loop lazily and keeps it (``_io_loop`` stays None until then).
        return getattr(self._raw, "_io_loop", None)

    async def start_session(self, **options: Any) -> Any:
        with self._errors("start_session"):
            return await self._raw.start_session(**options)

    async def start_transaction(self, session: Any, **options: Any) -> None:
        with self._errors("start_transaction"):
            session.start_transaction(**options)

    async def close(self) -> None:
        self.close_now()

    def close_now(self) -> bool:
        # Motor's close() is synchronous (its sockets live in PyMongo's threads), so it is
        # safe from any loop or none.
        with self._errors("close"):
            self._raw.close()
        return True
