"""One async GridFS bucket for every driver: PyMongo async, Motor and mongomock-motor.

Stage: drivers. The file layer (``asyncodm.files``) talks to GridFS only through
``GridFSBucket``; which driver is underneath shows nowhere else.

What runs where, and why:

* uploads and downloads stream through ``GridIn``/``GridOut`` (``_gridfs_streams``) on every
  driver: they keep memory at a ~1 MB window (the drivers' own streams hold the whole file, see
  that module) and they accept sessions inside transactions, which the drivers' GridFS refuses;
* mongomock-motor has no async GridFS at all, so everything runs on those classes there;
* PyMongo's ``AsyncGridFSBucket`` / Motor's ``AsyncIOMotorGridFSBucket`` (``driver``) delete
  files outside transactions, and ``driver_gridout()`` hands out the driver's own ``GridOut``
  object for code that wants one (``FieldFile.gridout``);
* inside a transaction every step uses the collection adapters with the transaction's session,
  so the files written or deleted commit or roll back with the documents.

Index creation (``ensure_indexes``) never runs inside a transaction: MongoDB may refuse it
there, and nx-27017 loses collections first created by an aborted one.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

from bson import ObjectId
from pymongo import IndexModel

from asyncodm._context import bound_session, current_session
from asyncodm._drivers._base import BaseDatabase
from asyncodm._drivers._collection import BaseCollection
from asyncodm._drivers._errors import map_driver_errors
from asyncodm._gridfs._sources import iter_pieces
from asyncodm._gridfs._streams import (
    DEFAULT_CHUNK_SIZE,
    CorruptFile,
    FileInfo,
    GridIn,
    GridOut,
    NoFile,
)
from asyncodm.errors import ODMError

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "CorruptFile",
    "FileInfo",
    "GridFSBucket",
    "GridIn",
    "GridOut",
    "NoFile",
]

_FILES_INDEX = {"filename": 1, "uploadDate": 1}
_CHUNKS_INDEX = {"files_id": 1, "n": 1}


class GridFSBucket:
    """A GridFS bucket (``<name>.files`` + ``<name>.chunks``) of one database adapter.

    Cheap to build (two cached collection adapters): make one per use rather than keeping it,
    since database adapters are per event loop.

    Every method takes ``session=``; when it is None, the session ``asyncodm.transaction()``
    bound for this connection (if any) is used, as for every other operation.
    """

    __slots__ = ("_chunk_size", "_chunks", "_database", "_files", "_name")

    def __init__(
        self,
        database: BaseDatabase,
        bucket_name: str = "fs",
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> None:
        self._database = database
        self._name = bucket_name
        self._chunk_size = chunk_size
        self._files: BaseCollection = database.collection(f"{bucket_name}.files")
        self._chunks: BaseCollection = database.collection(f"{bucket_name}.chunks")

    def __repr__(self) -> str:
        return f"<GridFSBucket {self._database.name}.{self._name} alias={self.alias!r}>"

    @property
    def name(self) -> str:
        return self._name

    @property
    def alias(self) -> str:
        return self._database.alias

    @property
    def chunk_size(self) -> int:
        return self._chunk_size

    @property
    def files(self) -> BaseCollection:
        return self._files

    @property
    def chunks(self) -> BaseCollection:
        return self._chunks

    @property
    def driver(self) -> Any:
        """The driver's own async bucket, or None on mongomock-motor (which has none)."""
        return self._database.native_bucket(self._name, self._chunk_size)

    def _errors(self, operation: str) -> map_driver_errors:
        return map_driver_errors(self.alias, operation, f"{self._database.name}.{self._name}")

    def _in_transaction(self, session: Any) -> bool:
        active = session if session is not None else current_session(self.alias)
        return bool(active is not None and getattr(active, "in_transaction", False))

    # -- indexes -----------------------------------------------------------------------------

    async def ensure_indexes(self) -> None:
        """Create the spec's indexes if the bucket is still empty (the spec's rule: checking an
        empty ``files`` collection is one cheap query, so every upload may call this)."""
        with bound_session(self.alias, None):  # never inside a transaction
            if await self._files.find_one({}, {"_id": 1}) is not None:
                return
            for collection, keys, unique in (
                (self._files, _FILES_INDEX, False),
                (self._chunks, _CHUNKS_INDEX, True),
            ):
                existing = [dict(ix.get("key", {})) for ix in await collection.list_indexes()]
                if keys not in existing:
                    await collection.create_indexes([IndexModel(list(keys.items()), unique=unique)])

    # -- writing -----------------------------------------------------------------------------

    def open_upload_stream(
        self,
        filename: str | None,
        *,
        file_id: Any = None,
        metadata: Mapping[str, Any] | None = None,
        content_type: str | None = None,
        chunk_size: int | None = None,
        session: Any = None,
        extras: Mapping[str, Any] | None = None,
    ) -> GridIn:
        """A ``GridIn`` to ``write()`` to and ``close()`` (or use as ``async with``).

        ``extras``: more top-level fields of the ``files`` document (PyMongo's ``put()``
        keywords), readable as attributes of its ``GridOut``."""
        return GridIn(
            self,
            file_id=ObjectId() if file_id is None else file_id,
            filename=filename,
            chunk_size=chunk_size or self._chunk_size,
            metadata=metadata,
            content_type=content_type,
            session=session,
            extras=extras,
        )

    async def upload(
        self,
        source: Any,
        *,
        filename: str | None,
        file_id: Any = None,
        metadata: Mapping[str, Any] | None = None,
        content_type: str | None = None,
        chunk_size: int | None = None,
        session: Any = None,
        extras: Mapping[str, Any] | None = None,
    ) -> FileInfo:
        """Store ``source`` (see ``_sources.iter_pieces``) as one file, streaming it.

        If reading the source or writing fails, the chunks already written are removed.
        """
        stream = self.open_upload_stream(
            filename,
            file_id=file_id,
            metadata=metadata,
            content_type=content_type,
            chunk_size=chunk_size,
            session=session,
            extras=extras,
        )
        try:
            async for piece in iter_pieces(source, stream.chunk_size):
                await stream.write(piece)
            return await stream.close()
        except BaseException:
            # Keep the error that stopped the upload; a failed clean-up must not replace it
            # (inside an aborted transaction the abort removes the chunks anyway).
            with contextlib.suppress(ODMError):
                await stream.abort()
            raise

    # -- reading -----------------------------------------------------------------------------

    async def find_one(self, file_id: Any, *, session: Any = None) -> FileInfo | None:
        """The record of file ``file_id``, or None."""
        doc = await self._files.find_one({"_id": file_id}, session=session)
        return FileInfo.from_document(doc) if doc is not None else None

    async def find_many(self, file_ids: list[Any], *, session: Any = None) -> dict[Any, FileInfo]:
        """The records of the files among ``file_ids`` that exist, by id: one query
        (``{"_id": {"$in": file_ids}}``) however many ids."""
        if not file_ids:
            return {}
        flt = {"_id": {"$in": file_ids}}
        found: dict[Any, FileInfo] = {}
        async for batch in self._files.find(flt, session=session).batches():
            for doc in batch:
                info = FileInfo.from_document(doc)
                found[info.file_id] = info
        return found

    async def find(
        self, filter: Mapping[str, Any] | None = None, *, session: Any = None, **kwargs: Any
    ) -> AsyncIterator[FileInfo]:
        """Records of the files matching ``filter`` (``kwargs``: sort, skip, limit...)."""
        async for doc in self._files.find(dict(filter or {}), session=session, **kwargs):
            yield FileInfo.from_document(doc)

    async def open_download_stream(self, file_id: Any, *, session: Any = None) -> GridOut:
        """A ``GridOut`` for file ``file_id``; raises ``NoFile`` if there is none."""
        doc = await self._files.find_one({"_id": file_id}, session=session)
        if doc is None:
            raise self._no_file(file_id)
        return GridOut(self, doc, session)

    def stream_for(self, info: FileInfo, *, session: Any = None) -> GridOut:
        """A ``GridOut`` for a file whose record is already known: no query until it reads."""
        return GridOut(self, info, session)

    def driver_gridout(self, info: FileInfo) -> Any:
        """The driver's own ``GridOut`` for a known file (no query), or None where the driver
        has none (mongomock-motor) or cannot read here (inside a transaction)."""
        if self._in_transaction(None):
            return None
        return self._database.native_gridout(self._name, info.to_document())

    async def download(self, file_id: Any, *, session: Any = None) -> bytes:
        """The whole content of ``file_id`` (use ``open_download_stream`` to stream it)."""
        stream = await self.open_download_stream(file_id, session=session)
        return await stream.read()

    # -- deleting ----------------------------------------------------------------------------

    async def delete(self, file_id: Any, *, session: Any = None) -> bool:
        """Remove file ``file_id`` (its ``files`` document, then its chunks).

        Returns False if there was no such file: deleting is idempotent, because clean-up after
        a failed save or a replaced file may race with another clean-up of the same file.
        """
        driver = None if self._in_transaction(session) else self.driver
        if driver is None:
            deleted = await self._files.delete_one({"_id": file_id}, session=session)
            await self._chunks.delete_many({"files_id": file_id}, session=session)
            return deleted > 0
        from gridfs.errors import NoFile as DriverNoFile

        active = session if session is not None else current_session(self.alias)
        with self._errors("gridfs delete"):
            try:
                await driver.delete(file_id, session=active)
            except DriverNoFile:
                return False
        return True

    def _no_file(self, file_id: Any) -> NoFile:
        return NoFile(
            f"no file with _id {file_id!r} in GridFS bucket {self._name!r} of database "
            f"{self._database.name!r} (connection {self.alias!r})"
        )
