"""Adapter for PyMongo's native asyncio client, ``pymongo.AsyncMongoClient``.

Stage: drivers. Where it differs from Motor: ``aggregate()`` and ``list_indexes()`` are
coroutines that return the cursor, ``start_session()`` is a plain call while
``session.start_transaction()`` must be awaited, and ``close()`` is a coroutine.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from asyncodm._drivers._base import BaseClient, BaseDatabase
from asyncodm._drivers._collection import BaseCollection
from asyncodm._drivers._protocol import DriverKind

__all__ = ["PyMongoClient", "PyMongoCollection", "PyMongoDatabase"]


class PyMongoCollection(BaseCollection):
    __slots__ = ()

    async def _aggregate_cursor(
        self, pipeline: list[Mapping[str, Any]], session: Any, kwargs: dict[str, Any]
    ) -> Any:
        return await self._raw.aggregate(pipeline, session=session, **kwargs)

    async def _list_indexes_cursor(self) -> Any:
        return await self._raw.list_indexes()

    async def _open_change_stream(
        self, pipeline: list[Mapping[str, Any]], session: Any, kwargs: dict[str, Any]
    ) -> Any:
        return await self._raw.watch(pipeline, session=session, **kwargs)


class PyMongoDatabase(BaseDatabase):
    __slots__ = ()
    collection_class = PyMongoCollection

    def native_bucket(self, name: str, chunk_size: int) -> Any:
        from gridfs.asynchronous import AsyncGridFSBucket

        return AsyncGridFSBucket(self._raw, name, chunk_size_bytes=chunk_size)

    def native_gridout(self, bucket: str, file_document: Mapping[str, Any]) -> Any:
        from gridfs.asynchronous import AsyncGridOut

        return AsyncGridOut(self._raw[bucket], file_document=file_document)


class PyMongoClient(BaseClient):
    __slots__ = ()
    kind: ClassVar[DriverKind] = "pymongo"
    database_class = PyMongoDatabase

    def bound_loop(self) -> Any:
        # PyMongo records the loop on first use and refuses any other one afterwards.
        return getattr(self._raw, "_loop", None)

    async def start_session(self, **options: Any) -> Any:
        with self._errors("start_session"):
            return self._raw.start_session(**options)

    async def start_transaction(self, session: Any, **options: Any) -> None:
        with self._errors("start_transaction"):
            await session.start_transaction(**options)

    async def close(self) -> None:
        with self._errors("close"):
            await self._raw.close()
