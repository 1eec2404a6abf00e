"""MongoMotor's ``mongomotor.fields``: every asyncodm field, with MongoMotor's reading habits.

Stage: compat. MongoMotor re-exports MongoEngine's fields and patches a few so that reading
them gives something to ``await``. asyncodm's fields already do that for set references
(``await doc.ref`` fetches, ``await doc.reflist`` fetches the list in one query); the
differences this module keeps, so MongoMotor code runs unchanged:

* an unset ``ReferenceField`` / ``GenericReferenceField`` reads as ``NoReference``, which
  awaits to ``None`` (asyncodm reads it as plain ``None``, and ``await None`` fails). It is
  falsy and equal to ``None``, so ``if doc.ref:`` and ``doc.ref == None`` still work; only an
  identity test (``doc.ref is None``) sees the difference;
* ``FileField`` values are ``GridFSProxy`` objects: ``put(data, **kwargs)`` keeps keywords
  GridFS has no name for (``mime_type=...``) as fields of the stored ``files`` document,
  readable as attributes of the proxy and of its ``gridout``, as MongoEngine stores them;
  ``put()`` on a field that already holds a file raises ``GridFSError`` (``replace()`` it),
  ``read()`` and ``get()`` of an empty field give ``None``.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from typing import Any, ClassVar

from typing_extensions import Self

import asyncodm
from asyncodm import fields as _f
from asyncodm.compat.mongomotor.errors import GridFSError
from asyncodm.errors import OperationError
from asyncodm.fields import (  # MongoMotor re-exports every field in its fields module
    CASCADE,
    DENY,
    DO_NOTHING,
    NULLIFY,
    PULL,
    BaseField,
    BigIntegerField,
    BinaryField,
    BooleanField,
    CharField,
    ComplexDateTimeField,
    DateField,
    DateTimeField,
    DecimalField,
    DeleteRule,
    DictField,
    DynamicField,
    EmailField,
    EmbeddedDocumentField,
    EmbeddedDocumentListField,
    EnumField,
    FloatField,
    GenericEmbeddedDocumentField,
    GenericIPAddressField,
    GeometryCollectionField,
    GeoPointField,
    ImageField,
    IntegerField,
    IntField,
    JavaScriptField,
    LineStringField,
    ListField,
    LongField,
    MapField,
    MultiLineStringField,
    MultiPointField,
    MultiPolygonField,
    ObjectIdField,
    OrderedDictField,
    PointField,
    PolygonField,
    Ref,
    RefDict,
    RefList,
    RegularExpressionField,
    SequenceField,
    SortedListField,
    StringField,
    TimestampField,
    URLField,
    UUIDField,
)
from asyncodm.files import FieldFile, File, GridFSStorage

__all__ = [
    "CASCADE",
    "DENY",
    "DO_NOTHING",
    "NO_REFERENCE",
    "NULLIFY",
    "PULL",
    "BaseField",
    "BigIntegerField",
    "BinaryField",
    "BooleanField",
    "CharField",
    "ComplexDateTimeField",
    "DateField",
    "DateTimeField",
    "DecimalField",
    "DeleteRule",
    "DictField",
    "DynamicField",
    "EmailField",
    "EmbeddedDocumentField",
    "EmbeddedDocumentListField",
    "EnumField",
    "FileField",
    "FloatField",
    "GenericEmbeddedDocumentField",
    "GenericIPAddressField",
    "GenericReferenceField",
    "GeoPointField",
    "GeometryCollectionField",
    "GridFSError",
    "GridFSProxy",
    "GridOut",
    "ImageField",
    "IntField",
    "IntegerField",
    "JavaScriptField",
    "LineStringField",
    "ListField",
    "LongField",
    "MapField",
    "MultiLineStringField",
    "MultiPointField",
    "MultiPolygonField",
    "NoReference",
    "ObjectIdField",
    "OrderedDictField",
    "PointField",
    "PolygonField",
    "Ref",
    "RefDict",
    "RefList",
    "ReferenceField",
    "RegularExpressionField",
    "SequenceField",
    "SortedListField",
    "StringField",
    "TimestampField",
    "URLField",
    "UUIDField",
]


class NoReference:
    """An unset reference as MongoMotor reads it: awaiting gives ``None``.

    Falsy, equal to ``None`` and to other ``NoReference`` values, ``pk``/``id`` None; its
    ``repr`` is ``None``'s, so documents print as before.
    """

    __slots__ = ()
    pk = None
    id = None

    def __await__(self) -> Generator[Any, None, None]:
        return
        yield  # pragma: no cover - makes this a generator; nothing is ever awaited

    def __bool__(self) -> bool:
        return False

    def __eq__(self, other: object) -> bool:
        return other is None or isinstance(other, NoReference)

    def __hash__(self) -> int:
        return hash(None)

    def __repr__(self) -> str:
        return "None"


NO_REFERENCE = NoReference()


def _none_for_unset(value: Any) -> Any:
    """``NO_REFERENCE`` (what an unset reference reads as) given back means None."""
    return None if isinstance(value, NoReference) else value


class _AwaitableWhenUnset:
    """Reads an unset reference as ``NO_REFERENCE``, and takes it back as None wherever a
    value goes in (``doc.ref = other.ref``, ``objects(ref=other.ref)``)."""

    def __get__(self, instance: Any, owner: type) -> Any:
        value = super().__get__(instance, owner)  # type: ignore[misc]
        if instance is not None and value is None:
            return NO_REFERENCE
        return value

    def __set__(self, instance: Any, value: Any) -> None:
        super().__set__(instance, _none_for_unset(value))  # type: ignore[misc]

    def coerce(self, value: Any) -> Any:
        value = _none_for_unset(value)
        return None if value is None else super().coerce(value)  # type: ignore[misc]

    def prepare_query_value(self, op: str | None, value: Any) -> Any:
        if isinstance(value, (list, tuple, set, frozenset)):  # ref__in=[...]
            value = [_none_for_unset(v) for v in value]
        return super().prepare_query_value(op, _none_for_unset(value))  # type: ignore[misc]


class ReferenceField(_AwaitableWhenUnset, _f.ReferenceField[Any]):
    """asyncodm's ``ReferenceField``; unset, it reads as ``NO_REFERENCE`` (awaits to None)."""


class GenericReferenceField(_AwaitableWhenUnset, _f.GenericReferenceField):
    """asyncodm's ``GenericReferenceField``; unset, it reads as ``NO_REFERENCE``."""


# -- GridFS --------------------------------------------------------------------------------

#: Keys of a GridFS ``files`` document the spec defines; any other key is a ``put()`` extra.
_SPEC_KEYS = frozenset(
    {"_id", "length", "chunkSize", "uploadDate", "filename", "metadata", "contentType", "md5",
     "aliases"}
)  # fmt: skip
#: ``put()`` keywords asyncodm's storage decides itself: storing them as extras would corrupt
#: the files document.
_REFUSED = frozenset({"_id", "chunk_size", "chunkSize", "length", "uploadDate", "md5"})


class GridOut:
    """The opened file's reader (``proxy.gridout``), with the ``put()`` extras as attributes.

    Everything else is the reader asyncodm gives (the driver's ``GridOut`` where there is
    one): ``read()``, ``filename``, ``length``, ``content_type``, ``metadata``...
    """

    __slots__ = ("_extras", "_reader")

    def __init__(self, reader: Any, extras: Mapping[str, Any]) -> None:
        self._reader = reader
        self._extras = dict(extras)

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("_") and name in self._extras:
            return self._extras[name]
        return getattr(self._reader, name)

    def __repr__(self) -> str:
        return f"<GridOut {self._reader!r} extras={self._extras!r}>"


class GridFSProxy(FieldFile):
    """MongoMotor's ``GridFSProxy``: asyncodm's ``FieldFile`` with MongoEngine's ``put()``."""

    __slots__ = ("_extras", "_extras_known")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._extras: dict[str, Any] = {}
        #: Whether ``_extras`` is the stored file's (after put/replace or open).
        self._extras_known = False

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """``async with doc.field:`` closes it: a file started with ``new_file()``/``write()``
        is finished (MongoMotor).

        An empty field reads as a new proxy each time until it holds a file, so the block's
        ``doc.field.new_file()`` may have made another proxy the field's value: that one is
        closed too.
        """
        await self.close()
        instance, name = self.instance, self.field.name
        current = getattr(instance, name) if instance is not None and name else None
        if isinstance(current, GridFSProxy) and current is not self:
            await current.close()

    @property
    def extras(self) -> dict[str, Any]:
        """The ``put()`` keywords stored beside the spec's fields (known after ``put()`` or
        once the file was opened: ``await proxy.read()``, ``get()``, ``open()``)."""
        return dict(self._extras)

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("_"):
            # getattr with a default: this may run before __init__ has set the slots.
            extras: dict[str, Any] = getattr(self, "_extras", {})
            if name in extras:
                return extras[name]
            if self.file_id is not None and not getattr(self, "_extras_known", False):
                raise AttributeError(
                    f"{name!r} is unknown: the file's details are not loaded; "
                    "`await doc.<field>.get()` (or read()) first, then its put() extras are "
                    "attributes"
                )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def gridout(self) -> GridOut:
        """The opened file (``await proxy.read()`` or ``await proxy.get()`` opens it)."""
        return GridOut(FieldFile.gridout.fget(self), self._extras)  # type: ignore[attr-defined]

    async def get(self, grid_id: Any = None) -> GridOut | None:
        """Open the file and return its ``gridout``; None when the field holds no file or the
        file is gone (MongoMotor)."""
        if grid_id is not None:
            name = str(self.field.name)
            setattr(self.instance, name, grid_id)
            proxy: GridFSProxy = getattr(self.instance, name)
            return await proxy.get()
        if self.file_id is None:
            return None
        try:
            await self.open()
        except asyncodm.DoesNotExist:
            return None
        return self.gridout

    async def open(self) -> Self:
        """Open the file; also read its ``put()`` extras from its ``files`` document (one
        more query, for GridFS storages: asyncodm's file record keeps only the spec's keys)."""
        await super().open()
        if not isinstance(self.storage, GridFSStorage):
            return self
        stored = await self._files().find_one({"_id": self.file_id})
        self._extras = {k: v for k, v in (stored or {}).items() if k not in _SPEC_KEYS}
        self._extras_known = True
        return self

    async def read(self, size: int = -1) -> bytes | None:  # type: ignore[override]
        """The content (``size`` bytes of it), or None when the field holds no file."""
        if self.file_id is None and self.pending is None:
            return None
        return await super().read(size)

    async def put(self, content: Any, **kwargs: Any) -> Self:  # type: ignore[override]
        """Upload ``content`` as this field's file (MongoEngine's ``GridFS.put``).

        ``filename``, ``content_type`` (or ``contentType``), ``metadata`` and ``encoding``
        (for str content) mean what they mean to GridFS; any other keyword is stored as a
        field of the ``files`` document. Save the document afterwards to keep the file.

        Raises:
            GridFSError: The field holds a file already (``replace()`` or ``delete()`` it).
        """
        if self.file_id is not None:
            raise GridFSError(
                "This document already has a file. Either delete it or call replace to overwrite it"
            )
        return await self.replace(content, **kwargs)

    async def replace(self, content: Any, **kwargs: Any) -> Self:  # type: ignore[override]
        """Upload ``content`` in place of the current file, which is removed once the
        document is saved (MongoMotor removes it at once; a failed save then lost it)."""
        refused = sorted(_REFUSED & set(kwargs))
        if refused:
            raise TypeError(f"put() cannot set {refused}: the storage decides them")
        filename = kwargs.pop("filename", None)
        content_type = kwargs.pop("content_type", None)
        content_type = kwargs.pop("contentType", None) or content_type
        metadata = kwargs.pop("metadata", None)
        encoding = kwargs.pop("encoding", None)
        if isinstance(content, str) and encoding is not None:
            content = content.encode(encoding)
        extras = dict(kwargs)
        given = File(content, metadata=metadata) if metadata is not None else content
        await FieldFile.put(self, given, filename=filename, content_type=content_type)
        if extras:
            await self._files().update_one({"_id": self.file_id}, {"$set": extras})
        self._extras, self._extras_known = extras, True
        return self

    async def delete(self) -> None:
        await super().delete()
        self._extras, self._extras_known = {}, False

    def _files(self) -> Any:
        """The driver collection holding this file's ``files`` document."""
        storage = self.storage
        if not isinstance(storage, GridFSStorage):
            raise OperationError(
                f"{type(storage).__name__} keeps no GridFS files documents; put() extras "
                "need a GridFSStorage"
            )
        if storage.alias:
            database = asyncodm.get_db(storage.alias)
        else:
            model = type(self.instance)
            get_collection = getattr(model, "get_collection", None)
            database = get_collection().database if get_collection else asyncodm.get_db()
        return database[f"{storage.bucket_name}.files"]


class FileField(_f.FileField):
    """asyncodm's ``FileField`` whose values are ``GridFSProxy`` objects."""

    value_class: ClassVar[type[FieldFile]] = GridFSProxy
