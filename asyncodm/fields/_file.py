"""``FileField``: a field whose content lives in a ``Storage`` (a GridFS bucket by default).

Stage: fields. The document stores only the file's id. Reading the field gives a ``FieldFile``
(never None: an empty one is falsy), which reads, streams, replaces and deletes the content.

Content assigned to the field (a ``File``, bytes, str, a file object...) is *pending*: nothing
is read until the document is saved, when the field's save-time work (``before_write`` /
``after_write``, called by ``_io._persistence`` for the fields its class record lists) uploads
it before the write, removes the file it replaced after the write succeeded, and removes the
new upload if the write failed. Deleting the document removes its files once it is gone
(``before_delete`` / ``after_delete``), so a delete a delete rule refused removes nothing.

Inside ``asyncodm.transaction()`` the uploads and removals use the transaction's session
(the collection adapters pick it up), so they commit or roll back with the document.
Clean-up failures after the fact are logged rather than raised: the save or delete itself
already happened, and raising would tell the caller it had not.
``await doc.attachment.put(...)`` (MongoMotor's style) uploads at once instead; the document
still has to be saved to keep the reference.

No I/O happens on attribute access: ``filename``, ``length``... of a file come from its
``files`` document. The field's answer to ``batch_loader()`` (``load_file_details``) makes a
queryset fetch those of each batch of documents it loads, one query per bucket, so a loaded
document's file details read without an await; a file known by its id alone (``from_son``,
an id assigned, a field inside an embedded document) is completed by
``await doc.attachment.open()`` (or ``read()``, ``chunks()``, or ``await doc.attachment``).
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, overload

from typing_extensions import Self

from asyncodm._context import alias_for, current_session
from asyncodm._drivers._tracing import odm_scope
from asyncodm._gridfs._sources import is_source
from asyncodm._gridfs._storage import File, FileInfo, GridFSStorage, Storage, model_alias
from asyncodm._types import MISSING, WriteContext
from asyncodm.errors import InvalidDocumentError, ODMError, ValidationError
from asyncodm.fields._answers import BatchLoader
from asyncodm.fields._base import BaseField, describe
from asyncodm.fields._fieldfile import FieldFile
from asyncodm.fields._spec import frozen_mapping

__all__ = ["FieldFile", "FileField", "load_file_details"]

log = logging.getLogger("asyncodm.files")


@dataclass(slots=True)
class _Upload:
    """What ``before_write`` did, for ``after_write``: the content it uploaded (removed again
    if the write failed) and the stored file the save replaces (removed if it succeeded)."""

    uploaded: tuple[FieldFile, File, str] | None = None
    replaced: tuple[Any, str] | None = None


@dataclass(slots=True)
class _Doomed:
    """The files ``before_delete`` found, removed by ``after_delete`` once the document is gone:
    ``(file id, its record if known, alias)``."""

    files: list[tuple[Any, FileInfo | None, str]] = field(default_factory=list)


class FileField(BaseField[FieldFile]):
    """A file kept in a ``Storage``; the document stores its id.

    Args:
        storage: Where the content goes (default: ``GridFSStorage()``, bucket ``"fs"`` of the
            document's own database).
        collection_name / db_alias: MongoEngine's way to name the bucket and connection.

    Assign a ``File``, bytes, str, a file object, a path or an async iterable of bytes: it is
    uploaded when the document is saved. Assign a stored file's id to refer to that file.
    Only a top-level field of a ``Document`` uploads and cleans up with its document; inside
    embedded documents or lists, ``put()`` the content instead.
    """

    value_class: ClassVar[type[FieldFile]] = FieldFile
    #: Whether ``new_file()``/``write()`` may stream into this field (images need the whole).
    streams: ClassVar[bool] = True
    coerces = True
    expected = "a file (a File, bytes, str, a file object or a stored file's id)"
    save_order = 1  # after sequences: an upload may be named after the document

    def __init__(
        self,
        storage: Storage | None = None,
        *,
        collection_name: str | None = None,
        db_alias: str | None = None,
        **kwargs: Any,
    ) -> None:
        if storage is not None and (collection_name or db_alias):
            raise InvalidDocumentError("give storage= or collection_name=/db_alias=, not both")
        if storage is not None and not isinstance(storage, Storage):
            raise InvalidDocumentError(
                f"storage must be a Storage (e.g. GridFSStorage('fs')), not {describe(storage)}"
            )
        self.storage: Storage = storage or GridFSStorage(collection_name or "fs", alias=db_alias)
        #: Set for a direct attribute of a ``Document``: only those upload at save.
        self.managed = False
        super().__init__(**kwargs)

    def __set_name__(self, owner: type, name: str) -> None:
        super().__set_name__(owner, name)
        self.managed = not getattr(owner, "_is_embedded", False)
        # Only a managed field uploads and cleans up, so only it is on its class's record.
        self.has_save_work = self.has_delete_work = self.managed

    kind = "file"

    def batch_loader(self) -> BatchLoader | None:
        """A document's own file fields have their details fetched with each loaded batch."""
        return load_file_details if self.managed else None

    def _describe(self) -> dict[str, Any]:
        # The GridFS bucket's name; None for another Storage (it is in "storage").
        bucket = getattr(self.storage, "bucket_name", None)
        options = frozen_mapping(bucket=bucket, storage=self.storage)
        return {**super()._describe(), "python_type": self.value_class, "options": options}

    # -- descriptor --------------------------------------------------------------------------

    @overload
    def __get__(self, instance: None, owner: type) -> Self: ...

    @overload
    def __get__(self, instance: object, owner: type) -> FieldFile: ...

    def __get__(self, instance: object | None, owner: type) -> Self | FieldFile:
        if instance is None:
            return self
        values: dict[str, Any] = instance._values  # type: ignore[attr-defined]
        value = values.get(self.name, MISSING)
        if value is MISSING:
            son: dict[str, Any] | None = instance._son  # type: ignore[attr-defined]
            raw = son.get(self.db_field) if son is not None else None
            if raw is None:
                return self.value_class(instance, self)  # empty; becomes the value on put()
            loaded = values[self.name] = self.value_class(instance, self, raw)
            return loaded
        if value is None:
            return self.value_class(instance, self)
        if value._instance is None:
            value._bind(instance)
        return value  # type: ignore[no-any-return]

    def __set__(self, instance: object, value: Any) -> None:
        self.keep_value(instance, self._wrap(instance, value))

    def keep_value(self, instance: object, value: FieldFile | None) -> None:
        """Make ``value`` the field's current value as it is (a ``FieldFile`` becoming the
        value while it streams is still empty, so it must not go through ``_wrap``)."""
        instance._values[self.name] = value  # type: ignore[attr-defined]

    def coerce(self, value: Any) -> Any:
        return self._wrap(None, value)

    def _wrap(self, instance: Any, value: Any) -> FieldFile | None:
        if value is None:
            return None
        if isinstance(value, FieldFile):
            if not value:
                return None
            if value._field is self and (value._instance is None or value._instance is instance):
                return value
            # Another field's file: refer to the same stored file (or the same pending content).
            return self.value_class(
                instance, self, value._file_id, info=value._info, pending=value._pending
            )
        if isinstance(value, File):
            return self.value_class(instance, self, pending=value)
        if isinstance(value, str | bytes | bytearray | memoryview) or (
            is_source(value) and not isinstance(value, dict)
        ):
            return self.value_class(instance, self, pending=File(value))
        return self.value_class(instance, self, value)  # a stored file's id

    # -- the four verbs ----------------------------------------------------------------------

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, FieldFile):
            return value
        return self.value_class(None, self, value)

    def to_mongo(self, value: Any) -> Any:
        return value._file_id if isinstance(value, FieldFile) else value

    def prepare_query_value(self, op: str | None, value: Any) -> Any:
        """A ``FieldFile`` stands for its id; lists (``in``, ``nin``, ``all``) item by item.

        Content cannot go through a query or an update operator (``set__attachment=b"..."``):
        nothing would upload it, and the field would silently become null."""
        if isinstance(value, list | tuple):
            return [self._query_id(v) for v in value]
        return self._query_id(value)

    def _query_id(self, value: Any) -> Any:
        pending = isinstance(value, FieldFile) and value.pending is not None
        # str stays an id here (other storages use str ids); bytes and streams are content.
        content = not isinstance(value, str | FieldFile) and is_source(value)
        if isinstance(value, File) or pending or content:
            raise ValidationError(
                errors={
                    self.name: "expected a stored file or its id, found content to upload: "
                    "assign it and save(), or `await doc.field.put(content)` first"
                }
            )
        return value._file_id if isinstance(value, FieldFile) else value

    def _builtin_checks(self, value: Any, path: str, errors: dict[str, str]) -> None:
        if isinstance(value, FieldFile):
            if not value:
                value = None
            elif value._pending is not None and not self.managed:
                errors[path] = (
                    "expected a stored file here, found pending content: only a top-level "
                    "FileField of a Document uploads at save; `await ...put(content)` instead"
                )
                return
        super()._builtin_checks(value, path, errors)

    def is_blank(self, value: Any) -> bool:
        return not value

    # -- storage work (overridden by ImageField) ---------------------------------------------

    async def store(self, content: File, *, alias: str, session: Any) -> FileInfo:
        """Upload ``content``; returns the stored file's record."""
        extras = {"extras": content.extras} if content.extras else {}
        return await self.storage.save(
            content.name,
            content,
            content.metadata,
            content_type=content.content_type,
            file_id=self.storage.new_id(),
            alias=alias,
            session=session,
            **extras,
        )

    async def discard(
        self, file_id: Any, *, info: FileInfo | None, alias: str, session: Any
    ) -> None:
        """Remove stored file ``file_id`` (and anything that belongs to it)."""
        await self.storage.delete(file_id, alias=alias, session=session)

    def storage_alias(self, doc: Any) -> str:
        """The connection this field's files of ``doc`` live on."""
        return self.storage.alias or model_alias(type(doc))

    # -- save-time work (listed on the class record when ``managed``) ------------------------

    def _session(self, doc: Any, alias: str, session: Any) -> Any:
        """``session`` belongs to the document's connection; files elsewhere get that
        connection's own bound session (the adapters find it when given None)."""
        return session if session is not None and alias == alias_for(type(doc)) else None

    async def before_write(self, doc: Any, context: WriteContext) -> _Upload | None:
        """Upload pending content; note the stored file the save replaces."""
        value = doc._values.get(self.name, MISSING)
        if value is MISSING:
            return None  # untouched since loaded: nothing to upload or replace
        token = _Upload()
        alias = self.storage_alias(doc)
        if isinstance(value, FieldFile):
            if value.instance is None:
                value._bind(doc)
            pending = value.pending
            if pending is not None:
                info = await self.store(
                    pending, alias=alias, session=self._session(doc, alias, context.session)
                )
                value._uploaded(info)
                token.uploaded = (value, pending, alias)
        son = doc._son
        old = son.get(self.db_field) if son is not None else None
        new = value.file_id if isinstance(value, FieldFile) else None
        if old is not None and old != new:
            token.replaced = (old, alias)
        return token

    async def after_write(self, doc: Any, context: WriteContext, token: Any, *, ok: bool) -> None:
        """Succeeded: the upload is referenced now, the replaced file goes. Failed: the new
        upload goes and its content is pending again, so the save can be retried."""
        if not ok:
            if token is not None and token.uploaded is not None:
                value, pending, alias = token.uploaded
                info = value.info
                value._pending_again(pending)
                token.uploaded = None
                if info is not None:
                    await self._discard_quietly(doc, info.file_id, info, alias, context.session)
            return
        value = doc._values.get(self.name)
        if isinstance(value, FieldFile):
            value._saved()  # put() uploads are now referenced by the stored document
        if token is not None and token.replaced is not None:
            old, alias = token.replaced
            await self._discard_quietly(doc, old, None, alias, context.session)

    async def before_delete(self, doc: Any, context: WriteContext) -> _Doomed | None:
        """Note the file the stored document refers to now, and an upload made with ``put()``
        and never saved."""
        stored = await context.stored(doc)
        doomed = _Doomed()
        alias = self.storage_alias(doc)
        file_id = stored.get(self.db_field) if stored else None
        value = doc._values.get(self.name)
        if file_id is not None:
            # The record a queryset loaded with the document, if it is that file's: an image
            # finds its thumbnail there instead of asking for it again.
            known = value.info if isinstance(value, FieldFile) else None
            doomed.files.append(
                (file_id, known if known and known.file_id == file_id else None, alias)
            )
        if isinstance(value, FieldFile) and value._unsaved is not None:
            unsaved = value._unsaved
            if unsaved.file_id != file_id:
                doomed.files.append((unsaved.file_id, unsaved, alias))
        return doomed if doomed.files else None

    async def after_delete(self, doc: Any, context: WriteContext, token: Any) -> None:
        """Remove the files ``before_delete`` noted, now that the document is gone."""
        if token is not None:
            for file_id, info, alias in token.files:
                await self._discard_quietly(doc, file_id, info, alias, context.session)
        value = doc._values.get(self.name)
        if isinstance(value, FieldFile):
            value._saved()

    async def _discard_quietly(
        self, doc: Any, file_id: Any, info: FileInfo | None, alias: str, session: Any
    ) -> None:
        session = self._session(doc, alias, session)
        try:
            await self.discard(file_id, info=info, alias=alias, session=session)
        except ODMError as exc:
            in_txn = (session or current_session(alias)) is not None
            # Inside a transaction that failed, its abort removes the files anyway.
            (log.debug if in_txn else log.warning)(
                "could not remove file %r of %s.%s: %s",
                file_id, type(doc).__name__, self.name, exc,
            )  # fmt: skip


async def load_file_details(fields: Sequence[BaseField[Any]], documents: Sequence[Any]) -> None:
    """``FileField``'s batch loader: the records of the files ``fields`` hold on a batch of
    loaded ``documents``, one query per bucket (``Storage.lookup_key``) whatever the number of
    fields and documents, kept on the fields' values so their details read without an await.

    A file its storage no longer has reads as ``missing`` (details None). Values already read
    or assigned, documents of another class (a sibling in the hierarchy) and storages without
    a batch look-up are left alone. The query runs in the current context: a transaction's
    session and ``switch_db`` blocks apply, as to the query that loaded the documents.
    """
    wanted: dict[Hashable, tuple[Storage, str, dict[Any, None]]] = {}
    targets: list[tuple[Any, FileField, Any, Hashable]] = []
    for each in fields:
        assert isinstance(each, FileField)
        owner, name, stored_name, storage = each.owner, each.name, each.db_field, each.storage
        keys: dict[type, Hashable | None] = {}
        for doc in documents:
            son = doc._son
            if son is None or (owner is not None and not isinstance(doc, owner)):
                continue
            file_id = son.get(stored_name)
            if file_id is None or name in doc._values:
                continue
            model = type(doc)
            key = keys.get(model, MISSING)
            if key is MISSING:
                alias = each.storage_alias(doc)
                key = keys[model] = storage.lookup_key(alias)
                if key is not None and key not in wanted:
                    wanted[key] = (storage, alias, {})
            if key is None:
                continue
            try:
                wanted[key][2][file_id] = None
            except TypeError:  # an unhashable id (a custom storage's dict?): open() it
                continue
            targets.append((doc, each, file_id, key))
    if not targets:
        return
    found: dict[Hashable, Any] = {}
    with odm_scope("file details", type(documents[0])):
        for key, (storage, alias, ids) in wanted.items():
            found[key] = await storage.infos(list(ids), alias=alias)
    for doc, each, file_id, key in targets:
        value = each.value_class(doc, each, file_id)
        value._loaded(found[key].get(file_id))
        each.keep_value(doc, value)
