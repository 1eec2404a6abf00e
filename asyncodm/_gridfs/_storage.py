"""Where file fields keep their content: ``File`` (content to store), ``Storage``, ``GridFSStorage``.

Stage: storage (between the driver seam and the fields). A ``FileField`` stores only an id in
its document; the bytes live in a ``Storage``. ``GridFSStorage`` is the default and keeps them
in a GridFS bucket of the document's own database (or of ``alias``); ``Storage`` is PyMODM's base
class for other places (a local folder, S3...), with PyMODM's verbs made awaitable.

Public names are re-exported by ``asyncodm.files``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Hashable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from bson import ObjectId

from asyncodm import connection
from asyncodm._context import switch_for
from asyncodm._gridfs._bucket import DEFAULT_CHUNK_SIZE, FileInfo, GridFSBucket, GridOut
from asyncodm._gridfs._sources import iter_pieces
from asyncodm._gridfs._streams import checked_extras
from asyncodm.errors import ODMError, OperationError

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "File",
    "FileInfo",
    "FileReader",
    "GridFSStorage",
    "Storage",
    "model_alias",
]

#: The most file ids one ``$in`` query carries (the documents' own dereferencing uses the same
#: bound): more are looked up in several queries, so the filter stays far below 16 MB.
MAX_IN = 10_000


def model_alias(model: type) -> str:
    """The connection ``model`` uses right now: a ``switch_db`` block's, else its meta
    ``db_alias``, else "default" -- ``_collection.alias_for``'s rule, restated here because the
    fields, which need it for their files and counters, sit below ``_collection``."""
    switch = switch_for(model)
    if switch is not None and switch.alias is not None:
        return switch.alias
    schema = getattr(model, "_schema", None)
    alias = schema.meta.get("db_alias") if schema is not None else None
    return str(alias) if alias else "default"


class File:
    """Content to store in a file field: a file object, bytes, str, a path or an (async)
    iterable of bytes, with a ``name``, a ``content_type`` and ``metadata`` (PyMODM's ``File``),
    and ``extras``: more top-level fields of its GridFS ``files`` document (what ``put()``'s
    other keywords become, as in PyMongo's GridFS).

    Example:
        ```python
        doc.attachment = File(open("report.pdf", "rb"), name="report.pdf", metadata={"k": "v"})
        ```

    Nothing is read until the document is saved, and then it is streamed: a file object is read
    a chunk at a time in a worker thread, so neither memory nor the event loop suffers from a
    large file. Text files and str are stored as UTF-8.
    """

    __slots__ = ("_consumed", "_start", "content_type", "extras", "file", "metadata", "name")

    file: Any
    name: str | None
    content_type: str | None
    metadata: dict[str, Any] | None
    extras: dict[str, Any] | None

    def __init__(
        self,
        file: Any,
        name: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        content_type: str | None = None,
        *,
        extras: Mapping[str, Any] | None = None,
    ) -> None:
        if isinstance(file, File):
            name = name or file.name
            metadata = metadata if metadata is not None else file.metadata
            content_type = content_type or file.content_type
            extras = extras if extras is not None else file.extras
            file = file.file
        self.file = file
        self.name = name if name is not None else _name_of(file)
        self.metadata = dict(metadata) if metadata is not None else None
        self.content_type = content_type
        self.extras = checked_extras(extras) or None
        self._start: int | None = None
        self._consumed = False

    def __repr__(self) -> str:
        return f"<File {self.name!r} ({type(self.file).__name__})>"

    @property
    def size(self) -> int | None:
        """The length in bytes when known without reading (bytes, a path); else None."""
        if isinstance(self.file, (bytes, bytearray)):
            return len(self.file)
        if isinstance(self.file, memoryview):
            return self.file.nbytes
        if isinstance(self.file, os.PathLike):
            return os.path.getsize(self.file)
        return None

    async def chunks(self, chunk_size: int = DEFAULT_CHUNK_SIZE) -> AsyncIterator[bytes]:
        """The content, ``chunk_size`` bytes at a time at most (PyMODM's ``File.chunks``).

        Raises:
            OperationError: a one-shot source (a generator, an unseekable stream) was already
                read, e.g. by a save that failed; assign the content again.
        """
        self._begin()
        async for piece in iter_pieces(self.file, chunk_size):
            yield bytes(piece)

    async def read(self) -> bytes:
        """The whole content (for processing that needs it all, like images)."""
        parts = [piece async for piece in self.chunks()]
        return b"".join(parts)

    def close(self) -> None:
        """Close the wrapped file object, if it has a ``close``."""
        close = getattr(self.file, "close", None)
        if callable(close):
            close()

    def _begin(self) -> None:
        """Remember where a seekable file starts (so a retry re-reads it from there), or
        refuse a second read of a one-shot source."""
        source = self.file
        if isinstance(source, (bytes, bytearray, memoryview, str, os.PathLike)):
            return
        seekable = getattr(source, "seekable", None)
        if callable(seekable) and seekable():
            if self._start is None:
                self._start = source.tell()
            else:
                source.seek(self._start)
            return
        if self._consumed:
            raise OperationError(
                f"the content of {self!r} was already read (by a save that failed?) and "
                "cannot be read again; assign the content again"
            )
        self._consumed = True


def _name_of(source: Any) -> str | None:
    """A file object's or path's base name: the directory it came from is no business of the
    database's."""
    name = os.fspath(source) if isinstance(source, os.PathLike) else getattr(source, "name", None)
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    return (os.path.basename(name) or None) if isinstance(name, str) else None


@runtime_checkable
class FileReader(Protocol):
    """What ``Storage.open`` returns: the file's record and its content as chunks."""

    @property
    def info(self) -> FileInfo: ...

    async def read(self, size: int = -1) -> bytes: ...

    def __aiter__(self) -> AsyncIterator[bytes]: ...


class Storage:
    """Base class of the places file fields keep content (PyMODM's ``Storage``, awaitable).

    Subclasses implement ``save``, ``open``, ``delete`` and ``exists``; ``info`` and ``new_id``
    have defaults. A storage that can answer the records of many files in one query also
    implements ``lookup_key`` and ``infos``: the file details of documents a queryset loads are
    then fetched with the batch (one query per key), so they read without an await.
    ``extras`` reach ``save`` only for content that has some (``put(..., mime_type=...)``).
    ``alias`` names the connection of the document the file belongs to and
    ``session`` its session (both may be ignored by storages outside MongoDB). ``delete`` must
    accept ids that are already gone: clean-up may run twice for the same file.
    """

    #: The connection this storage always uses, or None to follow each document's.
    alias: str | None = None

    async def save(
        self,
        name: str | None,
        content: File,
        metadata: Mapping[str, Any] | None = None,
        *,
        content_type: str | None = None,
        file_id: Any = None,
        alias: str = "default",
        session: Any = None,
        extras: Mapping[str, Any] | None = None,
    ) -> FileInfo:
        """Store ``content`` as a file called ``name``; returns its record (with its id).

        ``extras`` (passed only when there are some): more fields to keep with the file."""
        raise NotImplementedError

    async def open(
        self, file_id: Any, mode: str = "rb", *, alias: str = "default", session: Any = None
    ) -> FileReader:
        """Open the stored file ``file_id`` for reading."""
        raise NotImplementedError

    async def delete(self, file_id: Any, *, alias: str = "default", session: Any = None) -> None:
        """Remove the stored file ``file_id`` (no error if it is already gone)."""
        raise NotImplementedError

    async def exists(self, file_id: Any, *, alias: str = "default", session: Any = None) -> bool:
        raise NotImplementedError

    async def info(
        self, file_id: Any, *, alias: str = "default", session: Any = None
    ) -> FileInfo | None:
        """The record of ``file_id`` or None; by default read from ``open``."""
        if not await self.exists(file_id, alias=alias, session=session):
            return None
        reader = await self.open(file_id, alias=alias, session=session)
        return reader.info

    def lookup_key(self, alias: str) -> Hashable | None:
        """Where ``infos`` looks for files of documents on connection ``alias``: storages
        answering the same key share one query per batch of loaded documents. None (the
        default): no batch look-up; a loaded file's details then need ``await ...open()``."""
        return None

    async def infos(
        self, file_ids: Sequence[Any], *, alias: str = "default", session: Any = None
    ) -> Mapping[Any, FileInfo]:
        """The records of those of ``file_ids`` that exist, by id, in as few queries as the
        storage can (only called when ``lookup_key`` is not None)."""
        raise NotImplementedError

    def reader_for(self, info: FileInfo, *, alias: str = "default") -> FileReader | None:
        """A reader for a file whose record is known, without I/O; None (the default) when the
        storage needs ``open`` for that."""
        return None

    def new_id(self) -> Any:
        """An id for a file about to be stored (so a failed upload can be cleaned up by id)."""
        return ObjectId()

    def driver_reader(self, reader: FileReader) -> Any:
        """The driver's own reader object for ``reader`` when there is one (``gridout``)."""
        return reader


class GridFSStorage(Storage):
    """Files in a GridFS bucket: the default storage of ``FileField`` and ``ImageField``.

    Args:
        bucket_name: The bucket (``<bucket_name>.files`` / ``<bucket_name>.chunks``).
        alias: A connection to keep the files in; by default each document's own.
        chunk_size: Bytes per GridFS chunk for new files (the spec's default: 255 KiB).
    """

    def __init__(
        self,
        bucket_name: str = "fs",
        alias: str | None = None,
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> None:
        self.bucket_name = bucket_name
        self.alias = alias
        self.chunk_size = chunk_size

    def __repr__(self) -> str:
        alias = f", alias={self.alias!r}" if self.alias else ""
        return f"GridFSStorage({self.bucket_name!r}{alias})"

    def bucket(self, alias: str = "default") -> GridFSBucket:
        """The GridFS bucket for ``alias`` (this storage's own alias wins) on the running loop."""
        database = connection.get_database(self.alias or alias)
        return GridFSBucket(database, self.bucket_name, chunk_size=self.chunk_size)

    async def save(
        self,
        name: str | None,
        content: File,
        metadata: Mapping[str, Any] | None = None,
        *,
        content_type: str | None = None,
        file_id: Any = None,
        alias: str = "default",
        session: Any = None,
        extras: Mapping[str, Any] | None = None,
    ) -> FileInfo:
        bucket = self.bucket(alias)
        stream = bucket.open_upload_stream(
            name,
            file_id=file_id,
            metadata=metadata,
            content_type=content_type,
            session=session,
            extras=extras,
        )
        try:
            async for piece in content.chunks(stream.chunk_size):
                await stream.write(piece)
            return await stream.close()
        except BaseException:
            # Keep the error that stopped the upload (an aborted transaction cleans up anyway).
            with contextlib.suppress(ODMError):
                await stream.abort()
            raise

    async def open(
        self, file_id: Any, mode: str = "rb", *, alias: str = "default", session: Any = None
    ) -> GridOut:
        if mode != "rb":
            raise ValueError(f"GridFS files can only be opened in 'rb' mode, not {mode!r}")
        return await self.bucket(alias).open_download_stream(file_id, session=session)

    async def delete(self, file_id: Any, *, alias: str = "default", session: Any = None) -> None:
        await self.bucket(alias).delete(file_id, session=session)

    async def exists(self, file_id: Any, *, alias: str = "default", session: Any = None) -> bool:
        return await self.bucket(alias).find_one(file_id, session=session) is not None

    async def info(
        self, file_id: Any, *, alias: str = "default", session: Any = None
    ) -> FileInfo | None:
        return await self.bucket(alias).find_one(file_id, session=session)

    def lookup_key(self, alias: str) -> Hashable:
        """One bucket of one connection: every field whose files live there shares a query."""
        return ("gridfs", self.alias or alias, self.bucket_name)

    async def infos(
        self, file_ids: Sequence[Any], *, alias: str = "default", session: Any = None
    ) -> Mapping[Any, FileInfo]:
        """``{"_id": {"$in": [...]}}`` on ``<bucket>.files``: one query per ``MAX_IN`` ids."""
        bucket = self.bucket(alias)
        ids = list(file_ids)
        found: dict[Any, FileInfo] = {}
        for start in range(0, len(ids), MAX_IN):
            found.update(await bucket.find_many(ids[start : start + MAX_IN], session=session))
        return found

    def reader_for(self, info: FileInfo, *, alias: str = "default") -> GridOut:
        return self.bucket(alias).stream_for(info)

    def driver_reader(self, reader: FileReader) -> Any:
        if isinstance(reader, GridOut):
            found = reader.bucket.driver_gridout(reader.info)
            if found is not None:
                return found
        return reader
