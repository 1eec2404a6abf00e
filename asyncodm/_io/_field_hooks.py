"""The save and delete work of ``SequenceField`` and ``FileField``, run by ``_persistence``.

Stage: persistence. Registered in ``_persistence.WRITE_HOOKS``, ``DELETE_HOOKS`` and
``POST_DELETE_HOOKS`` as soon as a model declares one of those fields (``fields._hooked``), so
models without them pay nothing.

Around a save (``WRITE_HOOKS``, after validation):

* ``SequenceHook.before`` gives each empty ``SequenceField`` of a new document its value; when
  that is the primary key, its token asks ``_persistence`` for an insert (never an upsert that
  could overwrite a document holding the same number).
* ``FileHook.before`` uploads the pending content of every ``FileField``; ``succeeded`` then
  removes the files the save replaced or cleared; ``failed`` removes the new uploads (no
  orphans) and makes their content pending again, so the save can be retried.

Around a delete: ``before_delete`` reads which files the stored document refers to (and any
uploads not saved yet), ``after_delete`` removes them once the document is gone, so a delete a
delete rule refused removes nothing.

Inside ``asyncodm.transaction()`` the uploads and removals use the transaction's session
(the collection adapters pick it up), so they commit or roll back with the document.
Clean-up failures after the fact are logged rather than raised: the save or delete itself
already happened, and raising would tell the caller it had not.
"""

from __future__ import annotations

import logging
import weakref
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from asyncodm._context import current_session
from asyncodm._gridfs._storage import File, FileInfo
from asyncodm._io import _persistence
from asyncodm._io._collection import alias_for, collection_for
from asyncodm._types import MISSING
from asyncodm.errors import ODMError
from asyncodm.fields._file import FieldFile, FileField
from asyncodm.fields._hooked import on_needed
from asyncodm.fields._sequence import SequenceField

__all__ = [
    "FileHook",
    "SequenceHook",
    "after_delete",
    "before_delete",
    "register_files",
    "register_sequences",
]

log = logging.getLogger("asyncodm.files")

_fields_cache: weakref.WeakKeyDictionary[
    type, tuple[tuple[SequenceField, ...], tuple[FileField, ...]]
]
_fields_cache = weakref.WeakKeyDictionary()


def _fields_of(model: type) -> tuple[tuple[SequenceField, ...], tuple[FileField, ...]]:
    found = _fields_cache.get(model)
    if found is None:
        fields = model._schema.fields.values()  # type: ignore[attr-defined]
        found = (
            tuple(f for f in fields if isinstance(f, SequenceField)),
            tuple(f for f in fields if isinstance(f, FileField) and f.managed),
        )
        _fields_cache[model] = found
    return found


def _session_for(doc: Any, alias: str, session: Any) -> Any:
    """``session`` belongs to the document's connection; files elsewhere get that
    connection's own bound session (the adapters find it when given None)."""
    return session if session is not None and alias == alias_for(type(doc)) else None


# -- sequences ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _SequenceToken:
    force_insert: bool


class SequenceHook:
    """Assigns sequence values at a document's first save."""

    async def before(self, doc: Any, session: Any) -> _SequenceToken | None:
        sequences, _ = _fields_of(type(doc))
        if not sequences or doc._son is not None:
            return None
        pk_assigned = False
        for seq in sequences:
            # getattr/setattr: a sequence may be a plain field (kept in the instance dict).
            if getattr(doc, seq.name) is None:
                setattr(doc, seq.name, await seq.next_value(type(doc)))
                pk_assigned = pk_assigned or seq.primary_key
        return _SequenceToken(force_insert=pk_assigned)

    async def succeeded(self, doc: Any, session: Any, token: Any) -> None:
        return None

    async def failed(self, doc: Any, session: Any, token: Any) -> None:
        return None  # keep the values: a retry of this document reuses them (no gap)


# -- files -------------------------------------------------------------------------------------


@dataclass(slots=True)
class _FileToken:
    uploaded: list[tuple[FieldFile, File, str]] = field(default_factory=list)
    replaced: list[tuple[FileField, Any, str]] = field(default_factory=list)


class FileHook:
    """Uploads pending content before a save and cleans up after it."""

    async def before(self, doc: Any, session: Any) -> _FileToken | None:
        _, files = _fields_of(type(doc))
        if not files:
            return None
        token = _FileToken()
        values, son = doc._values, doc._son
        try:
            for fld in files:
                value = values.get(fld.name, MISSING)
                if value is MISSING:
                    continue  # untouched since loaded: nothing to upload or replace
                alias = fld.storage_alias(doc)
                if isinstance(value, FieldFile):
                    if value.instance is None:
                        value._bind(doc)
                    pending = value.pending
                    if pending is not None:
                        info = await fld.store(
                            pending, alias=alias, session=_session_for(doc, alias, session)
                        )
                        value._uploaded(info)
                        token.uploaded.append((value, pending, alias))
                old = son.get(fld.db_field) if son is not None else None
                new = value.file_id if isinstance(value, FieldFile) else None
                if old is not None and old != new:
                    token.replaced.append((fld, old, alias))
        except BaseException:
            await self.failed(doc, session, token)
            raise
        return token

    async def succeeded(self, doc: Any, session: Any, token: Any) -> None:
        if token is None:
            return
        for fld in _fields_of(type(doc))[1]:
            value = doc._values.get(fld.name)
            if isinstance(value, FieldFile):
                value._saved()  # put() uploads are now referenced by the stored document
        for fld, old, alias in token.replaced:
            await _discard(fld, old, None, alias, _session_for(doc, alias, session), doc)

    async def failed(self, doc: Any, session: Any, token: Any) -> None:
        if token is None:
            return
        for value, pending, alias in token.uploaded:
            info = value.info
            value._pending_again(pending)  # a retried save uploads it again
            if info is not None:
                await _discard(
                    value.field, info.file_id, info, alias, _session_for(doc, alias, session), doc
                )
        token.uploaded.clear()


async def _discard(
    fld: FileField, file_id: Any, info: FileInfo | None, alias: str, session: Any, doc: Any
) -> None:
    try:
        await fld.discard(file_id, info=info, alias=alias, session=session)
    except ODMError as exc:
        in_txn = (session or current_session(alias)) is not None
        # Inside a transaction that failed, its abort removes the files anyway.
        (log.debug if in_txn else log.warning)(
            "could not remove file %r of %s.%s: %s",
            file_id, type(doc).__name__, fld.name, exc,
        )  # fmt: skip


# -- deletes -----------------------------------------------------------------------------------

#: Files to remove once the document being deleted is gone: id(doc) -> (doc, files).
_doomed: ContextVar[dict[int, tuple[Any, list[tuple[FileField, Any, FileInfo | None, str]]]]]
_doomed = ContextVar("asyncodm_doomed_files")


async def before_delete(doc: Any, session: Any) -> None:
    """Note the files of ``doc`` as stored now (one projected read when the loaded document
    may not show them all), plus uploads made with ``put()`` and never saved."""
    _, files = _fields_of(type(doc))
    if not files:
        return
    son = doc._son
    stored: dict[str, Any] | None = son
    if son is None or any(f.db_field not in son for f in files):
        projection = {f.db_field: 1 for f in files}
        stored = await collection_for(type(doc)).find_one(
            {"_id": doc.pk}, projection, session=session
        )
    doomed: list[tuple[FileField, Any, FileInfo | None, str]] = []
    for fld in files:
        alias = fld.storage_alias(doc)
        file_id = stored.get(fld.db_field) if stored else None
        if file_id is not None:
            doomed.append((fld, file_id, None, alias))
        value = doc._values.get(fld.name)
        if isinstance(value, FieldFile) and value._unsaved is not None:
            unsaved = value._unsaved
            if unsaved.file_id != file_id:
                doomed.append((fld, unsaved.file_id, unsaved, alias))
    if doomed:
        pending = dict(_doomed.get({}))
        pending[id(doc)] = (doc, doomed)
        _doomed.set(pending)


async def after_delete(doc: Any, session: Any) -> None:
    """Remove the files ``before_delete`` noted for ``doc``."""
    pending = _doomed.get(None)
    if not pending or id(doc) not in pending:
        return
    rest = dict(pending)
    _, doomed = rest.pop(id(doc))
    _doomed.set(rest)
    for fld, file_id, info, alias in doomed:
        await _discard(fld, file_id, info, alias, _session_for(doc, alias, session), doc)
    for fld in _fields_of(type(doc))[1]:
        value = doc._values.get(fld.name)
        if isinstance(value, FieldFile):
            value._saved()


def _applies_to(model: type) -> bool:
    """Whether the delete hooks do anything for ``model``: a queryset may delete the documents
    of other models with one ``delete_many`` instead of one by one."""
    return bool(_fields_of(model)[1])


_sequence_hook = SequenceHook()
_file_hook = FileHook()
before_delete.applies_to = _applies_to  # type: ignore[attr-defined]
after_delete.applies_to = _applies_to  # type: ignore[attr-defined]


def register_sequences() -> None:
    """Add the sequence hook to ``_persistence`` (idempotent)."""
    if _sequence_hook not in _persistence.WRITE_HOOKS:
        _persistence.WRITE_HOOKS.insert(0, _sequence_hook)  # values before uploads


def register_files() -> None:
    """Add the file hooks to ``_persistence`` (idempotent)."""
    if _file_hook not in _persistence.WRITE_HOOKS:
        _persistence.WRITE_HOOKS.append(_file_hook)
    if before_delete not in _persistence.DELETE_HOOKS:
        _persistence.DELETE_HOOKS.append(before_delete)
    if after_delete not in _persistence.POST_DELETE_HOOKS:
        _persistence.POST_DELETE_HOOKS.append(after_delete)


on_needed("sequences", register_sequences)
on_needed("files", register_files)
