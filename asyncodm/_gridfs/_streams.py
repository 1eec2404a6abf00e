"""GridFS files as the GridFS spec lays them out: the writer, the reader and the file record.

Stage: drivers. ``_gridfs.GridFSBucket`` streams every upload and download through these two
classes, on every driver, because both drivers' own streams hold whole files in memory (measured
on a 20 MB file: PyMongo's ``GridIn`` buffers up to 48 MB of chunk documents before its first
insert, and its ``GridOut`` reads chunks through one cursor whose batches reach 16 MB; nx-27017
even ignores ``batch_size`` and sends all 81 chunks at once: peaks of 55 MB up and 42 MB down).
Here the writer inserts a few chunks at a time and the reader asks for a few chunks at a time by
``n`` range, so memory stays at a small window whatever the file size or the server.

The layout is exactly the spec's (https://github.com/mongodb/specifications/blob/master/source/gridfs/gridfs-spec.md),
so PyMongo's, Motor's or any other GridFS tool reads what is written here and vice versa:

* ``<bucket>.files``: ``{_id, length (Int64), chunkSize, uploadDate, filename, metadata?,
  contentType?}``, plus any *extra* top-level fields (``put(..., mime_type=...)``), which
  PyMongo's GridFS writes for its ``put()`` keywords and reads back as ``GridOut`` attributes;
* ``<bucket>.chunks``: ``{_id, files_id, n, data}``, unique index ``{files_id: 1, n: 1}``.

They work through the collection adapters, so a session (or the transaction bound with
``asyncodm.transaction()``) applies to them: unlike the drivers' GridFS classes, which refuse
transactions outright, uploads and deletes here can be part of one.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

from bson import Int64

from asyncodm import errors

if TYPE_CHECKING:
    from asyncodm._gridfs._bucket import GridFSBucket

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "RESERVED_EXTRAS",
    "SPEC_KEYS",
    "CorruptFile",
    "FileInfo",
    "GridIn",
    "GridOut",
    "NoFile",
    "checked_extras",
    "extra_problem",
]

#: The spec's default: 255 KiB keeps a chunk plus its document overhead under 256 KiB.
DEFAULT_CHUNK_SIZE = 255 * 1024
#: Bytes of chunk data per insert or per read: the memory an upload or a download holds.
WINDOW_BYTES = 1024 * 1024
#: The keys of a ``files`` document the spec defines (``md5`` and ``aliases`` are deprecated
#: ones older tools write); any other key is an extra field.
SPEC_KEYS = frozenset(
    {"_id", "length", "chunkSize", "uploadDate", "filename", "metadata", "contentType", "md5",
     "aliases"}
)  # fmt: skip


class NoFile(errors.DoesNotExist):
    """No GridFS file has the requested id (a ``DoesNotExist``, so ``except DoesNotExist`` works)."""


class CorruptFile(errors.OperationError):
    """A GridFS file's chunks do not add up to its length (missing or wrongly sized chunks)."""


@dataclass(frozen=True, slots=True)
class FileInfo:
    """One stored file's ``files`` document: what a file is, without its content.

    ``extras``: the document's top-level fields beyond the spec's (``{"mime_type": ...}``), or
    None when it has none."""

    file_id: Any
    filename: str | None
    length: int
    chunk_size: int
    upload_date: datetime.datetime | None
    metadata: dict[str, Any] | None = None
    content_type: str | None = None
    extras: dict[str, Any] | None = None

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> FileInfo:
        extras = {k: v for k, v in doc.items() if k not in SPEC_KEYS}
        return cls(
            file_id=doc["_id"],
            filename=doc.get("filename"),
            length=int(doc.get("length", 0)),
            chunk_size=int(doc.get("chunkSize", DEFAULT_CHUNK_SIZE)),
            upload_date=doc.get("uploadDate"),
            metadata=doc.get("metadata"),
            content_type=doc.get("contentType"),
            extras=extras or None,
        )

    def to_document(self) -> dict[str, Any]:
        """The ``files`` document this record was read from (what a driver's ``GridOut`` is
        built from without a query)."""
        doc: dict[str, Any] = {
            "_id": self.file_id,
            "length": self.length,
            "chunkSize": self.chunk_size,
            "uploadDate": self.upload_date,
            "filename": self.filename,
        }
        if self.metadata is not None:
            doc["metadata"] = self.metadata
        if self.content_type is not None:
            doc["contentType"] = self.content_type
        if self.extras:
            doc.update(self.extras)
        return doc


#: ``put()`` keywords the storage decides (PyMongo's spellings of the spec's keys included):
#: never stored as extra fields, which would corrupt or shadow the record.
RESERVED_EXTRAS = SPEC_KEYS | {"chunk_size", "upload_date", "content_type", "encoding", "file_id"}


def extra_problem(key: Any) -> str | None:
    """Why ``key`` cannot be an extra field of a ``files`` document, or None if it can."""
    if not isinstance(key, str) or key in RESERVED_EXTRAS or key.startswith("$") or "." in key:
        return (
            f"expected an extra field name (not one of {sorted(RESERVED_EXTRAS)}, no '$' or "
            f"'.'), found {key!r}"
        )
    return None


def checked_extras(extras: Mapping[str, Any] | None) -> dict[str, Any]:
    """``extras`` as a dict, or ``ValidationError`` naming a key that cannot be stored."""
    found = dict(extras or {})
    for key in found:
        problem = extra_problem(key)
        if problem is not None:
            raise errors.ValidationError(f"extra field of a GridFS files document: {problem}")
    return found


def _now_like(codec_options: Any) -> datetime.datetime:
    """The upload date as the client will read it back: BSON keeps milliseconds, and a client
    that is not ``tz_aware`` returns naive UTC."""
    now = datetime.datetime.now(datetime.timezone.utc)
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)
    if not getattr(codec_options, "tz_aware", False):
        return now.replace(tzinfo=None)
    tzinfo = getattr(codec_options, "tzinfo", None)
    return now.astimezone(tzinfo) if tzinfo is not None else now


class GridIn:
    """A file being written: ``await write(data)`` any number of times, then ``await close()``.

    Chunks are inserted a window at a time (``WINDOW_BYTES``); the ``files`` document is
    inserted last, so a reader never sees a file whose chunks are not all there. ``abort()``
    removes what was written. As an ``async with`` block it closes on success and aborts on
    error.
    """

    __slots__ = (
        "_bucket", "_buffer", "_chunk_size", "_closed", "_content_type", "_docs", "_extras",
        "_file_id", "_filename", "_indexed", "_info", "_length", "_metadata", "_n", "_session",
        "_window",
    )  # fmt: skip

    def __init__(
        self,
        bucket: GridFSBucket,
        *,
        file_id: Any,
        filename: str | None,
        chunk_size: int,
        metadata: Mapping[str, Any] | None,
        content_type: str | None,
        session: Any,
        extras: Mapping[str, Any] | None = None,
    ) -> None:
        if chunk_size <= 0:
            raise ValueError(f"chunk_size must be positive, not {chunk_size}")
        self._bucket = bucket
        self._file_id = file_id
        self._filename = filename
        self._chunk_size = chunk_size
        self._metadata = dict(metadata) if metadata is not None else None
        self._content_type = content_type
        self._extras = checked_extras(extras)
        self._session = session
        self._buffer = bytearray()
        self._docs: list[dict[str, Any]] = []
        self._window = max(1, WINDOW_BYTES // chunk_size)
        self._n = 0
        self._length = 0
        self._closed = False
        self._indexed = False
        self._info: FileInfo | None = None

    @property
    def _id(self) -> Any:
        return self._file_id

    file_id = _id

    @property
    def filename(self) -> str | None:
        return self._filename

    @property
    def chunk_size(self) -> int:
        return self._chunk_size

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def info(self) -> FileInfo | None:
        """The stored file's record, once closed."""
        return self._info

    async def write(self, data: bytes | bytearray | memoryview | str) -> None:
        """Append ``data`` (str is written as UTF-8)."""
        if self._closed:
            raise ValueError("cannot write to a closed GridFS file")
        if isinstance(data, str):
            data = data.encode("utf-8")
        view = memoryview(data).cast("B")
        size = self._chunk_size
        if self._buffer:
            take = size - len(self._buffer)
            self._buffer += view[:take]
            view = view[take:]
            if len(self._buffer) < size:
                return
            await self._emit(bytes(self._buffer))
            self._buffer.clear()
        while len(view) >= size:
            await self._emit(bytes(view[:size]))
            view = view[size:]
        self._buffer += view

    async def _emit(self, chunk: bytes) -> None:
        self._docs.append({"files_id": self._file_id, "n": self._n, "data": chunk})
        self._n += 1
        self._length += len(chunk)
        if len(self._docs) >= self._window:
            await self._flush()

    async def _flush(self) -> None:
        if not self._indexed:
            await self._bucket.ensure_indexes()
            self._indexed = True
        if self._docs:
            docs, self._docs = self._docs, []
            await self._bucket.chunks.insert_many(docs, session=self._session)

    async def close(self) -> FileInfo:
        """Write what is buffered and the ``files`` document; returns the stored record."""
        if self._info is not None:
            return self._info
        if self._closed:
            raise ValueError("this GridFS file was aborted")
        if self._buffer:
            await self._emit(bytes(self._buffer))
            self._buffer.clear()
        await self._flush()
        files = self._bucket.files
        doc: dict[str, Any] = {
            "_id": self._file_id,
            "length": Int64(self._length),
            "chunkSize": self._chunk_size,
            "uploadDate": _now_like(getattr(files.raw, "codec_options", None)),
            "filename": self._filename,
        }
        if self._metadata is not None:
            doc["metadata"] = self._metadata
        if self._content_type is not None:
            doc["contentType"] = self._content_type
        doc.update(self._extras)
        await files.insert_one(doc, session=self._session)
        self._closed = True
        self._info = FileInfo.from_document(doc)
        return self._info

    async def abort(self) -> None:
        """Remove the chunks written so far (the ``files`` document comes last, in ``close``,
        so an unfinished file has none; a closed one is removed whole)."""
        was_stored = self._info is not None
        self._closed = True
        self._buffer.clear()
        self._docs.clear()
        if was_stored:
            await self._bucket.files.delete_one({"_id": self._file_id}, session=self._session)
        if self._n:
            await self._bucket.chunks.delete_many(
                {"files_id": self._file_id}, session=self._session
            )

    async def __aenter__(self) -> GridIn:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if e is None:
            await self.close()
        else:
            await self.abort()


class GridOut:
    """A stored file opened for reading, with PyMongo's ``AsyncGridOut`` reading API.

    ``read(size)``, ``readchunk()``, ``seek()``/``tell()`` and ``async for chunk in gridout``;
    the attributes ``_id``, ``filename``, ``length``, ``chunk_size``, ``upload_date``,
    ``metadata`` and ``content_type``, and the ``files`` document's extra fields (``put()``
    keywords such as ``mime_type``), as PyMongo's ``GridOut`` has them. Chunks are fetched a
    window at a time by ``n`` range (an indexed query on ``{files_id, n}``), and each is checked
    against the file's length.
    """

    __slots__ = ("_bucket", "_info", "_num_chunks", "_position", "_session", "_window", "_span")

    def __init__(
        self, bucket: GridFSBucket, document: Mapping[str, Any] | FileInfo, session: Any
    ) -> None:
        self._bucket = bucket
        self._info = (
            document if isinstance(document, FileInfo) else FileInfo.from_document(document)
        )
        self._session = session
        self._position = 0
        size = self._info.chunk_size
        self._num_chunks = (self._info.length + size - 1) // size if size > 0 else 0
        self._window: dict[int, bytes] = {}
        self._span = max(1, WINDOW_BYTES // size) if size > 0 else 1

    # -- the file record -------------------------------------------------------------------

    @property
    def bucket(self) -> GridFSBucket:
        return self._bucket

    @property
    def info(self) -> FileInfo:
        return self._info

    @property
    def _id(self) -> Any:
        return self._info.file_id

    @property
    def filename(self) -> str | None:
        return self._info.filename

    name = filename

    @property
    def length(self) -> int:
        return self._info.length

    @property
    def chunk_size(self) -> int:
        return self._info.chunk_size

    @property
    def upload_date(self) -> datetime.datetime | None:
        return self._info.upload_date

    @property
    def metadata(self) -> dict[str, Any] | None:
        return self._info.metadata

    @property
    def content_type(self) -> str | None:
        return self._info.content_type

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are not attributes: the files document's extra fields.
        if name == "_info" or name.startswith("__"):  # unset slot (copy, pickle), dunders
            raise AttributeError(name)
        extras = self._info.extras
        if extras and name in extras:
            return extras[name]
        raise AttributeError(
            f"GridOut of file {self._info.file_id!r} has no attribute {name!r} (its files "
            f"document's extra fields: {sorted(extras or ())})"
        )

    # -- reading -----------------------------------------------------------------------------

    def tell(self) -> int:
        return self._position

    def seek(self, pos: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_CUR:
            pos += self._position
        elif whence == os.SEEK_END:
            pos += self._info.length
        elif whence != os.SEEK_SET:
            raise OSError(22, "invalid whence value")
        if pos < 0:
            raise OSError(22, "invalid seek position")
        self._position = pos
        return pos

    async def readchunk(self) -> bytes:
        """The rest of the chunk at the current position (``b""`` at the end)."""
        if self._position >= self._info.length:
            return b""
        n, offset = divmod(self._position, self._info.chunk_size)
        chunk = await self._chunk(n)
        data = chunk[offset:] if offset else chunk
        self._position += len(data)
        return data

    async def read(self, size: int = -1) -> bytes:
        """``size`` bytes from the current position, or everything left when ``size < 0``."""
        left = self._info.length - self._position
        if size < 0 or size > left:
            size = max(left, 0)
        parts: list[bytes] = []
        while size > 0:
            data = await self.readchunk()
            if not data:
                break
            if len(data) > size:
                self._position -= len(data) - size
                data = data[:size]
            parts.append(data)
            size -= len(data)
        return b"".join(parts)

    def __aiter__(self) -> GridOut:
        return self

    async def __anext__(self) -> bytes:
        data = await self.readchunk()
        if not data:
            raise StopAsyncIteration
        return data

    async def close(self) -> None:
        self._window = {}

    async def __aenter__(self) -> GridOut:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def _chunk(self, n: int) -> bytes:
        found = self._window.get(n)
        if found is None:
            await self._load(n)
            found = self._window[n]
        return found

    async def _load(self, first: int) -> None:
        last = min(first + self._span, self._num_chunks)
        flt = {"files_id": self._info.file_id, "n": {"$gte": first, "$lt": last}}
        docs = await self._bucket.chunks.find(flt, session=self._session).to_list(None)
        window = {int(doc["n"]): bytes(doc["data"]) for doc in docs}
        size = self._info.chunk_size
        for n in range(first, last):
            expected = size if n < self._num_chunks - 1 else self._info.length - size * n
            data = window.get(n)
            if data is None or len(data) != expected:
                found = "missing" if data is None else f"{len(data)} bytes"
                raise CorruptFile(
                    f"GridFS file {self._info.file_id!r} in bucket {self._bucket.name!r} is "
                    f"corrupt: chunk n={n} should hold {expected} bytes, found {found}"
                )
        self._window = window
