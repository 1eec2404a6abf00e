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
  readable as attributes of the proxy and of its ``gridout`` (a loaded document's too: the
  queryset loads them with the file's details), as MongoEngine stores them;
  ``put()`` on a field that already holds a file raises ``GridFSError`` (``replace()`` it),
  ``read()`` and ``get()`` of an empty field give ``None``.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, ClassVar

from typing_extensions import Self

import asyncodm
from asyncodm import fields as _f
from asyncodm.compat.mongomotor.errors import GridFSError
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
from asyncodm.files import FieldFile, FileInfo

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

#: ``put()`` keywords asyncodm's storage decides itself: MongoEngine's GridFS would store them
#: over the spec's fields; here they are refused as a ``TypeError``, as a bad keyword is.
_REFUSED = frozenset({"_id", "chunk_size", "chunkSize", "length", "uploadDate", "md5"})


class GridFSProxy(FieldFile):
    """MongoMotor's ``GridFSProxy``: asyncodm's ``FieldFile`` with MongoEngine's ``put()``.

    The ``put()`` extras are the core's: the top-level fields of the file's ``files``
    document beyond the spec's, which a queryset loads with each batch of documents. So a
    loaded document's ``doc.field.mime_type`` and ``doc.field.gridout.mime_type`` read with
    no await and no query, as after ``put()``.
    """

    __slots__ = ()

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
        """The ``put()`` keywords stored beside the spec's fields ({} for an empty field).

        Raises:
            OperationError: The file is known by its id alone (not loaded by a queryset:
                ``await doc.field.get()`` first).
        """
        info = self.info
        if info is not None:
            return dict(info.extras or {})
        pending = self.pending
        if pending is not None:
            return dict(pending.extras or {})
        self.filename  # noqa: B018 - raises the core's "not loaded" error for a bare id
        return {}

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are not attributes: the files document's extras.
        if not name.startswith("_"):
            # getattr with a default: this may run before __init__ has set the slots.
            info: FileInfo | None = getattr(self, "_info", None)
            if info is not None and info.extras and name in info.extras:
                return info.extras[name]
            bare = getattr(self, "_file_id", None) is not None
            if info is None and bare and not getattr(self, "_missing", False):
                raise AttributeError(
                    f"{name!r} is unknown: the details of this file are not loaded (it is "
                    "known by its id alone); `await doc.<field>.get()` first, then its put() "
                    "extras are attributes"
                )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    async def get(self, grid_id: Any = None) -> Any:
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
        return await FieldFile.put(
            self, content, filename=filename, content_type=content_type, metadata=metadata,
            **kwargs,
        )  # fmt: skip


class FileField(_f.FileField):
    """asyncodm's ``FileField`` whose values are ``GridFSProxy`` objects."""

    value_class: ClassVar[type[FieldFile]] = GridFSProxy
