"""``FieldFile``: what a ``FileField`` reads as -- one stored, pending or absent file.

Stage: fields. It reads (``read``, ``seek``, ``chunks``), replaces (``put``, MongoMotor's
``new_file``/``write``/``close``) and deletes the file its field refers to, through the field's
``Storage``. It never does I/O on attribute access: the details of a file (``filename``,
``length``...) come from its ``files`` document. A queryset fetches those of each batch of
documents it loads (``FileField``'s batch loader: one query per bucket), an upload or a save
knows them, and ``open()`` fetches them for a file known by its id alone (a document built
with ``from_son``, an id assigned, a file field inside an embedded document...).

The save-time work (uploading pending content, removing replaced files) is ``FileField``'s
(``before_write`` / ``after_write``).
"""

from __future__ import annotations

import copyreg
from collections.abc import AsyncIterator, Generator, Mapping
from typing import TYPE_CHECKING, Any

from typing_extensions import Self

from asyncodm._gridfs._bucket import GridIn, NoFile
from asyncodm._gridfs._storage import (
    File,
    FileInfo,
    FileReader,
    GridFSStorage,
    Storage,
    model_alias,
)
from asyncodm._gridfs._streams import extra_problem
from asyncodm.errors import OperationError, ValidationError

if TYPE_CHECKING:
    import datetime

    from asyncodm.fields._file import FileField

__all__ = ["FieldFile"]


class FieldFile:
    """The value a ``FileField`` reads as: one stored (or pending, or no) file.

    Attributes ``filename`` (also ``name``), ``length``, ``content_type``, ``upload_date``,
    ``metadata``, ``chunk_size`` and ``file_id``; ``gridout`` is the reader (the driver's own
    ``GridOut`` where it has one), whose attributes also include the ``put()`` extras. Falsy
    when there is no file. ``missing``: the document refers to a file its storage no longer
    has (found out when its details were fetched): the details then read as None.
    """

    __slots__ = (
        "_attached", "_field", "_file_id", "_info", "_instance", "_missing", "_pending",
        "_reader", "_unsaved", "_writer",
    )  # fmt: skip

    def __init__(
        self,
        instance: Any,
        field: FileField,
        file_id: Any = None,
        *,
        info: FileInfo | None = None,
        pending: File | None = None,
        attached: bool = True,
    ) -> None:
        self._instance = instance
        self._field = field
        self._file_id = info.file_id if info is not None else file_id
        self._info = info
        self._pending = pending
        self._attached = attached
        self._missing = False
        self._reader: FileReader | None = None
        self._unsaved: FileInfo | None = None
        self._writer: GridIn | None = None

    # -- identity ----------------------------------------------------------------------------

    @property
    def instance(self) -> Any:
        return self._instance

    @property
    def field(self) -> FileField:
        return self._field

    @property
    def storage(self) -> Storage:
        return self._field.storage

    @property
    def file_id(self) -> Any:
        """The stored file's id (what the document stores); None while content is pending."""
        return self._file_id

    grid_id = file_id  # MongoEngine's name

    @property
    def pending(self) -> File | None:
        """Content assigned but not uploaded yet (the next save uploads it)."""
        return self._pending

    @property
    def info(self) -> FileInfo | None:
        """The stored file's record, once known (loaded by a queryset, after ``open()``, an
        upload or a save)."""
        return self._info

    @property
    def missing(self) -> bool:
        """The file's storage had no such file when its details were fetched (deleted behind
        the document's back): its details read as None, reading it raises ``NoFile``."""
        return self._missing

    def __bool__(self) -> bool:
        return self._file_id is not None or self._pending is not None

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FieldFile):
            if self._file_id is None:
                return self is other
            return bool(self._file_id == other._file_id)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._file_id) if self._file_id is not None else id(self)

    def __repr__(self) -> str:
        if self._pending is not None:
            return f"<{type(self).__name__} {self._where()} pending {self._pending!r}>"
        if self._file_id is None:
            return f"<{type(self).__name__} {self._where()} empty>"
        name = f" {self._info.filename!r}" if self._info is not None else ""
        gone = " missing" if self._missing else ""
        return f"<{type(self).__name__} {self._where()}{name} id={self._file_id!r}{gone}>"

    # -- pickling and copying ----------------------------------------------------------------

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle (and copy) what the file *is*: its field, by its class and name (a field is
        part of its class, not of the value), its document, its id and details.

        Never an open stream: a reader is opened again on the next read. An upload made with
        ``put()`` and not saved yet stays the original's to clean up (the copy refers to the
        same file, but replacing or deleting it there does not remove that upload).

        Raises:
            OperationError: The file holds content not uploaded yet (assigned, or being
                written with ``new_file()``/``write()``): a stream cannot be pickled or
                shared; save the document first.
        """
        if self._pending is not None or self._writer is not None:
            found = "content not uploaded yet" if self._writer is None else "an unfinished upload"
            raise OperationError(
                f"cannot pickle or copy {self._where()}: expected a stored file (or none), "
                f"found {found}; save the document first (or close() the upload)"
            )
        newobj = copyreg.__newobj__  # type: ignore[attr-defined]  # not in typeshed
        state = (
            _field_path(self._field),
            self._instance,
            self._file_id,
            self._info,
            self._attached,
            self._missing,
        )
        return (newobj, (type(self),), state)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        path, self._instance, self._file_id, self._info, self._attached, self._missing = state
        self._field = _field_at(*path)
        self._pending = self._reader = self._unsaved = self._writer = None

    # -- the file's details (no I/O) ---------------------------------------------------------

    def _detail(self, key: str) -> Any:
        if self._info is not None:
            return getattr(self._info, key)
        pending = self._pending
        if pending is not None:
            return {
                "filename": pending.name,
                "content_type": pending.content_type,
                "metadata": pending.metadata,
                "length": pending.size,
            }.get(key)
        if self._file_id is None or self._missing:
            return None
        raise OperationError(
            f"{self._where()}: the details of file {self._file_id!r} are not loaded (a "
            "queryset loads them with its documents; this file is known by its id alone); "
            f"`await {self._where(short=True)}.open()` first (one query for its files document)"
        )

    @property
    def filename(self) -> str | None:
        return self._detail("filename")  # type: ignore[no-any-return]

    name = filename

    @property
    def length(self) -> int | None:
        return self._detail("length")  # type: ignore[no-any-return]

    @property
    def content_type(self) -> str | None:
        return self._detail("content_type")  # type: ignore[no-any-return]

    @property
    def upload_date(self) -> datetime.datetime | None:
        return self._detail("upload_date")  # type: ignore[no-any-return]

    @property
    def metadata(self) -> dict[str, Any] | None:
        return self._detail("metadata")  # type: ignore[no-any-return]

    @property
    def chunk_size(self) -> int | None:
        return self._detail("chunk_size")  # type: ignore[no-any-return]

    @property
    def gridout(self) -> Any:
        """The reader: the driver's ``GridOut`` (PyMongo or Motor) where there is one, else
        asyncodm's, which has the same reading API and attributes (the ``files`` document's
        fields, ``put()`` extras such as ``gridout.mime_type`` included).

        No I/O: once the file's details are known (a queryset loaded them, or an upload, a
        save, ``open()``), the storage builds it from them; before that (or for a storage that
        cannot), ``await ....open()`` first."""
        if self._reader is None:
            if self._missing:
                raise self._gone()
            info = self._info
            reader = self.storage.reader_for(info, alias=self._alias()) if info else None
            if reader is None:
                raise OperationError(f"{self._where()} is not open; `await ....open()` first")
            self._reader = reader
        return self.storage.driver_reader(self._reader)

    # -- reading -----------------------------------------------------------------------------

    async def open(self) -> Self:
        """Load the file's details and open it for ``read``/``seek`` from the start."""
        file_id = self._stored_id("open")
        self._reader = await self.storage.open(file_id, alias=self._alias())
        self._info, self._missing = self._reader.info, False
        return self

    def __await__(self) -> Generator[Any, None, Self]:
        return self.open().__await__()

    async def read(self, size: int = -1) -> bytes:
        """Read ``size`` bytes (all, by default) from the current position, like a file.

        Opens the file first if needed; a second ``read()`` continues where the first ended
        (``seek(0)`` to start over, or use ``chunks()`` to stream the whole file).
        """
        if self._reader is None:
            await self.open()
        assert self._reader is not None
        return await self._reader.read(size)

    def seek(self, pos: int, whence: int = 0) -> int:
        seek = getattr(self._reader, "seek", None)
        if seek is None:
            raise OperationError(f"{self._where()} is not open (or its storage cannot seek)")
        return int(seek(pos, whence))

    def tell(self) -> int:
        tell = getattr(self._reader, "tell", None)
        if tell is None:
            raise OperationError(f"{self._where()} is not open (or its storage cannot tell)")
        return int(tell())

    async def chunks(self) -> AsyncIterator[bytes]:
        """The whole content, one stored chunk at a time (memory stays at a small window)."""
        reader = await self.storage.open(self._stored_id("stream"), alias=self._alias())
        self._info = reader.info
        async for chunk in reader:
            yield chunk

    # -- writing -----------------------------------------------------------------------------

    async def put(
        self,
        content: Any,
        filename: str | None = None,
        content_type: str | None = None,
        *,
        metadata: Mapping[str, Any] | None = None,
        **extras: Any,
    ) -> Self:
        """Upload ``content`` now and make it this field's file (MongoEngine / MongoMotor).

        ``metadata`` is stored as the file's ``metadata``; any other keyword
        (``mime_type="image/png"``) as a top-level field of its ``files`` document, as
        PyMongo's GridFS stores them, and reads back as ``gridout.mime_type``. The document
        must then be saved; the file this one replaces is removed once that save succeeds.
        Calling ``put`` again before saving removes the upload it replaces at once.

        Raises:
            ValidationError: A keyword names a field the storage decides (``length``,
                ``chunk_size``...).
        """
        self._check_writable()
        self._check_extras("put", extras)
        given = content if isinstance(content, File) else File(content)
        merged = {**(given.metadata or {}), **(metadata or {})}
        file = File(
            given,
            name=filename or given.name,
            metadata=merged or None,
            content_type=content_type or given.content_type,
            extras={**(given.extras or {}), **extras},
        )
        info = await self._field.store(file, alias=self._alias(), session=None)
        await self._adopt_upload(info)
        return self

    replace = put  # MongoEngine / MongoMotor

    async def save(self, name: str | None, content: Any) -> Self:
        """PyMODM's ``FieldFile.save(name, content)``: ``put`` under another name."""
        return await self.put(content, filename=name)

    async def new_file(
        self,
        filename: str | None = None,
        content_type: str | None = None,
        *,
        metadata: Mapping[str, Any] | None = None,
        **extras: Any,
    ) -> None:
        """Start a file to fill with ``write()`` and finish with ``close()`` (MongoMotor).

        ``metadata`` and other keywords mean what they mean to ``put()``."""
        self._check_writable()
        self._check_extras("new_file", extras)
        storage = self.storage
        if not isinstance(storage, GridFSStorage) or not self._field.streams:
            raise OperationError(
                f"{self._where()}: new_file()/write() need a GridFS storage and a plain "
                "FileField; use put() instead"
            )
        self._writer = storage.bucket(self._alias()).open_upload_stream(
            filename,
            file_id=storage.new_id(),
            metadata=metadata or None,
            content_type=content_type,
            extras=extras,
        )
        if self._attached and self._instance is not None:
            # Become the field's value now, so the next ``doc.field.write()`` finds this writer.
            self._field.keep_value(self._instance, self)

    async def write(self, data: bytes | str) -> None:
        if self._writer is None:
            await self.new_file()
        assert self._writer is not None
        await self._writer.write(data)

    async def close(self) -> None:
        """Finish a file started with ``new_file()``; or forget the opened reader."""
        writer, self._writer = self._writer, None
        if writer is not None:
            await self._adopt_upload(await writer.close())
        else:
            self._reader = None

    async def delete(self) -> None:
        """Remove the stored file now and clear the field (save the document to keep that)."""
        self._check_writable()
        if self._file_id is not None:
            await self._field.discard(
                self._file_id, info=self._info, alias=self._alias(), session=None
            )
        self._forget()
        self._pending = None
        if self._attached and self._instance is not None:
            self._field.keep_value(self._instance, None)

    # -- bookkeeping (also used by FileField's save-time work) ---------------------------------------------

    async def _adopt_upload(self, info: FileInfo) -> None:
        previous = self._unsaved
        self._forget()
        self._pending = None
        self._file_id, self._info, self._unsaved = info.file_id, info, info
        if self._attached and self._instance is not None:
            self._field.keep_value(self._instance, self)
        if previous is not None:
            await self._field.discard(
                previous.file_id, info=previous, alias=self._alias(), session=None
            )

    def _check_extras(self, verb: str, extras: Mapping[str, Any]) -> None:
        for key in extras:
            problem = extra_problem(key)
            if problem is not None:
                owner = self._field.owner
                raise ValidationError(
                    errors={self._field.name or "?": f"{verb}() keyword {key!r}: {problem}"},
                    model=owner.__name__ if owner is not None else None,
                )

    def _check_writable(self) -> None:
        if not self._attached:
            raise OperationError(f"{self._where()}: this file is read-only (a thumbnail?)")

    def _loaded(self, info: FileInfo | None) -> None:
        """A queryset fetched this file's record with its batch (None: the file is gone)."""
        self._info, self._missing = info, info is None

    def _gone(self) -> Exception:
        return NoFile(
            f"{self._where()} refers to file {self._file_id!r}, which its storage "
            f"{self.storage!r} does not have (deleted?)"
        )

    def _uploaded(self, info: FileInfo) -> None:
        """The pending content is stored now (by the save hook)."""
        self._pending = None
        self._file_id, self._info = info.file_id, info

    def _pending_again(self, pending: File) -> None:
        """The save that uploaded ``pending`` failed: hold it for the next save."""
        self._forget()
        self._pending = pending

    def _saved(self) -> None:
        """The stored document refers to this file now: it is no longer an unsaved upload."""
        self._unsaved = None

    def _forget(self) -> None:
        self._file_id = self._info = self._reader = self._unsaved = None
        self._missing = False

    def _bind(self, instance: Any) -> None:
        self._instance = instance

    def _alias(self) -> str:
        """The connection the file lives on: the storage's own, else its document's."""
        own = self.storage.alias
        if own:
            return own
        schema = getattr(type(self._instance), "_schema", None)
        if schema is not None and schema.is_document:
            return model_alias(type(self._instance))
        return "default"

    def _stored_id(self, action: str) -> Any:
        if self._file_id is None:
            state = "has pending content (save the document first)" if self._pending else "is empty"
            raise OperationError(f"cannot {action} {self._where()}: it {state}")
        return self._file_id

    def _where(self, short: bool = False) -> str:
        owner = self._field.owner
        name = self._field.name or "?"
        if short:
            return f"doc.{name}"
        return f"{owner.__name__}.{name}" if owner is not None else name


def _field_path(field: FileField) -> tuple[type, str, int]:
    """Where ``field`` is found from its class: the class, the attribute name, and how many
    item fields down (``ListField(FileField())``: 1)."""
    owner = field.owner
    schema = getattr(owner, "_schema", None)
    found: Any = schema.fields.get(field.name) if schema is not None else None
    depth = 0
    while found is not None and found is not field:
        found = getattr(found, "field", None)  # the item field of a container
        depth += 1
    if owner is None or found is None:
        raise OperationError(
            f"cannot pickle or copy a file of {field!r}: expected a field declared on a "
            "document class, found one that no class holds"
        )
    return owner, field.name, depth


def _field_at(owner: type, name: str, depth: int) -> Any:
    """The field ``_field_path`` described, looked up on its class again."""
    found: Any = owner._schema.fields[name]  # type: ignore[attr-defined]
    for _ in range(depth):
        found = found.field
    return found
