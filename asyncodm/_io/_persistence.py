"""Save, delete and reload one document.

Stage: persistence (awaits). A new document is inserted (or upserted when it already has a
primary key); a loaded one sends only the paths that changed (``$set``/``$unset``) and nothing
at all when nothing changed. Validation runs before anything is sent, so an invalid document
never leaves a half-written trace.

What else a save or delete does is read from the class record, computed when the class was
defined: the fields with save-time work (``record.save_work``: sequences, files) are called
directly, before the write (``before_write``) and after it (``after_write``, told whether it
succeeded); those with delete-time work (``record.delete_work``) around the delete. A model
without such fields skips all of it. Each call gets a ``WriteContext`` built here.

A versioned class (``meta = {"versioned": True}``, ``record.versioned``) writes by
compare-and-set (``_schema._versioning``): an insert stores ``"_version": 1`` and is never an
upsert (a stored document is never overwritten by one that was not loaded from it); a delta
save filters on the version it was loaded with and ``$inc``s it; a delete filters on it too.
When that matches nothing, ``ConcurrencyError`` says whether the document moved on or was
deleted, and nothing was written. A class that is not versioned pays one flag test.

``Document.save()`` called with its default arguments tries ``_save_lane`` first: the common
saves (a new document with a generated ``_id``, a loaded one whose changes are plain fields)
decided once and written with the fewest steps; in every other case it hands over here before
doing anything, and ``insert_new`` / ``rewrite`` are the steps both share.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId

from asyncodm import signals
from asyncodm._drivers._tracing import current_tracer, odm_scope
from asyncodm._instance import _state
from asyncodm._instance._base import BaseDocument
from asyncodm._instance._codec import Delta, compute_delta, to_son
from asyncodm._instance._validation import clean_errors, raise_if_touched_invalid
from asyncodm._io._collection import collection_for
from asyncodm._schema._filters import shard_key_paths, shard_values
from asyncodm._schema._record import ClassRecord
from asyncodm._schema._versioning import VERSION_KEY, bump, expect, next_version, stale_error
from asyncodm._types import MISSING
from asyncodm.errors import (
    ConcurrencyError,
    LookUpError,
    NotUniqueError,
    OperationError,
    ValidationError,
)
from asyncodm.fields._base import BaseField

__all__ = [
    "PreparedWrite",
    "delete_document",
    "ensure_current",
    "finish_write",
    "identity_filter",
    "insert_new",
    "prepare_write",
    "reload_document",
    "rewrite",
    "save_document",
]


class _Context:
    """The ``WriteContext`` of one save or delete of one document (``_types.WriteContext``)."""

    __slots__ = ("session", "is_new", "force_insert", "_record", "_stored")

    def __init__(self, record: ClassRecord, session: Any, is_new: bool) -> None:
        self.session = session
        self.is_new = is_new
        self.force_insert = False
        self._record = record
        self._stored: Any = MISSING

    async def stored(self, doc: Any) -> Mapping[str, Any] | None:
        """The stored document, read once (projected to the fields with delete-time work)
        when the loaded one may not show them all."""
        son = doc._son
        wanted = self._record.delete_work
        if son is not None and all(f.db_field in son for f in wanted):
            return son  # type: ignore[no-any-return]
        if self._stored is MISSING:
            projection = {f.db_field: 1 for f in wanted}
            self._stored = await collection_for(type(doc)).find_one(
                {"_id": doc.pk}, projection, session=self.session
            )
        return self._stored  # type: ignore[no-any-return]


@dataclass(slots=True)
class PreparedWrite:
    """What ``prepare_write`` did for one document: ``finish_write`` completes it."""

    context: _Context
    done: list[tuple[BaseField[Any], Any]] = field(default_factory=list)


async def prepare_write(doc: Any, session: Any) -> PreparedWrite | None:
    """Run the ``before_write`` of each field with save-time work (in ``save_order``); if one
    fails, the earlier ones are told the write failed. None for a class without such fields."""
    record: ClassRecord = doc._schema
    if not record.save_work:
        return None
    prepared = PreparedWrite(_Context(record, session, _state.is_unsaved(doc)))
    try:
        for fld in record.save_work:
            prepared.done.append((fld, await fld.before_write(doc, prepared.context)))
    except BaseException:
        await finish_write(doc, prepared, ok=False)
        raise
    return prepared


async def finish_write(doc: Any, prepared: PreparedWrite | None, *, ok: bool) -> None:
    """Tell each field that prepared the write whether it succeeded (in reverse order)."""
    if prepared is None:
        return
    for fld, token in reversed(prepared.done):
        await fld.after_write(doc, prepared.context, token, ok=ok)


def identity_filter(doc: Any) -> dict[str, Any]:
    """The filter that selects exactly this stored document: ``_id`` plus the shard key, as
    stored (a value not stored yet is taken from the document as it is now)."""
    son = doc._son
    pk = son["_id"] if son is not None and "_id" in son else doc.pk
    flt: dict[str, Any] = {"_id": pk}
    paths = shard_key_paths(doc._schema)
    if paths:
        flt.update(shard_values(paths, son, lambda: to_son(doc)))
    return flt


def save_document(
    doc: Any,
    *,
    validate: bool = True,
    clean: bool = True,
    force_insert: bool = False,
    write_concern: Any = None,
    session: Any = None,
    signal_kwargs: dict[str, Any] | None = None,
) -> Awaitable[Any]:
    """Validate, run the fields' save-time work, write (insert, upsert or delta) and signal.

    Returns the awaitable of the save rather than being a coroutine itself: without a tracer
    (the common case) the caller awaits ``_save`` directly, one coroutine frame fewer."""
    options = (validate, clean, force_insert, write_concern, session, signal_kwargs)
    if current_tracer() is None:  # the common case: no span to open
        return _save(doc, *options)
    return _traced_save(doc, options)


async def _traced_save(doc: Any, options: tuple[Any, ...]) -> Any:
    with odm_scope("save", type(doc)):
        return await _save(doc, *options)


async def _save(
    doc: Any,
    validate: bool,
    clean: bool,
    force_insert: bool,
    write_concern: Any,
    session: Any,
    signal_kwargs: dict[str, Any] | None,
) -> Any:
    cls = type(doc)
    schema = doc._schema
    if _PRE_SAVE:
        await signals.pre_save.send(cls, document=doc, **(signal_kwargs or {}))
    is_new = _state.is_unsaved(doc)  # from_document: written whole, as new
    if validate:
        if is_new:
            doc.validate(clean=clean)
        else:
            raise_if_touched_invalid(doc)
            if clean and cls.clean is not _NO_CLEAN:
                _run_clean(doc)
    # Most classes have no field with save-time work: they pay one attribute test for it.
    prepared = await prepare_write(doc, session) if schema.save_work else None
    if prepared is not None and prepared.context.force_insert:
        force_insert = True  # a field generated the primary key (SequenceField): never upsert
    try:
        # The write itself, inline (one coroutine frame fewer per save).
        if write_concern is None:
            collection = collection_for(cls)
        else:
            collection = collection_for(cls, write_concern=write_concern)
        if is_new:
            await insert_new(doc, schema, collection, force_insert, session)
            created = True
        else:
            delta = compute_delta(doc)
            if delta:
                if "_id" in delta.sets or "_id" in delta.unsets:
                    son = doc._son
                    raise OperationError(
                        f"{cls.__name__}: the primary key of a stored document cannot change "
                        f"(stored {son.get('_id')!r}, now {doc.pk!r}); create a new document "
                        "instead"
                    )
                if schema.versioned:
                    await _compare_and_set(doc, collection, delta, session)
                else:
                    outcome = await collection.update_one(
                        identity_filter(doc), delta.update_document(), session=session
                    )
                    if outcome.matched == 0:
                        await rewrite(doc, collection, session)
                    else:
                        son = doc._son
                        _state.apply_delta(son, delta.new_values)
                        _state.mark_saved(doc, son)
            created = False
    except BaseException as exc:
        if isinstance(exc, NotUniqueError):  # the seam cannot know which document it was
            exc.instance = doc
        if prepared is not None:
            await finish_write(doc, prepared, ok=False)
        raise
    if prepared is not None:
        await finish_write(doc, prepared, ok=True)
    if _POST_SAVE:
        await signals.post_save.send(cls, document=doc, created=created, **(signal_kwargs or {}))
    return doc


async def insert_new(
    doc: Any,
    schema: Any,
    collection: Any,
    force_insert: bool,
    session: Any,
    son: dict[str, Any] | None = None,
) -> None:
    """Insert (or upsert, when it has a primary key and may be stored already) a new
    document; ``son`` is its dump when the caller made it already (the save lane)."""
    if son is None:
        son = doc._dump(doc)
    if schema.versioned:
        son[VERSION_KEY] = 1
        force_insert = True  # never an upsert: it would overwrite a version unseen
    if "_id" not in son:
        pk_field = schema.pk_field
        if pk_field is None or not pk_field.generates_id:
            raise ValidationError(
                errors={schema.pk_name: "expected a primary key value, found None"},
                model=type(doc).__name__,
            )
        new_id = ObjectId()
        son = {"_id": new_id, **son}
        await collection.insert_one(son, session=session)
        _state.set_generated_pk(doc, new_id)  # only once stored: a retry inserts again
    elif force_insert:
        await collection.insert_one(son, session=session)
    else:
        await collection.replace_one(
            identity_filter_for_son(doc, son), son, upsert=True, session=session
        )
    _state.mark_saved(doc, son)


async def rewrite(doc: Any, collection: Any, session: Any) -> None:
    """A delta save matched nothing: the document was deleted meanwhile, and saving means
    "make it stored", so write it whole again."""
    full = to_son(doc)
    await collection.replace_one(
        identity_filter_for_son(doc, full), full, upsert=True, session=session
    )
    _state.mark_saved(doc, full)


async def _compare_and_set(doc: Any, collection: Any, delta: Delta, session: Any) -> None:
    """The delta save of a versioned document: only if the stored version is still the one
    it was loaded with, which moves on by one; else ``ConcurrencyError``, nothing written."""
    son = doc._son
    version = son.get(VERSION_KEY)
    outcome = await collection.update_one(
        {**identity_filter(doc), **expect(version)},
        bump(delta.update_document()),
        session=session,
    )
    if outcome.matched == 0:
        raise await _stale(doc, collection, version, "save", session)
    delta.new_values[VERSION_KEY] = next_version(version)
    _state.apply_delta(son, delta.new_values)
    _state.mark_saved(doc, son)


async def _stale(
    doc: Any, collection: Any, version: Any, action: str, session: Any
) -> ConcurrencyError:
    """Why a compare-and-set matched nothing: read the stored version (one more round trip,
    on this path only)."""
    stored = await collection.find_one(identity_filter(doc), {VERSION_KEY: 1}, session=session)
    return stale_error(
        type(doc).__name__,
        doc.pk,
        version,
        action=action,
        stored=stored is not None,
        found=None if stored is None else stored.get(VERSION_KEY),
        instance=doc,
    )


async def ensure_current(doc: Any, session: Any = None) -> None:
    """Raise ``ConcurrencyError`` unless the stored document is still at the version this
    versioned instance was loaded with; a document deleted meanwhile passes (deleting it
    again is a no-op). Delete rules call it before they change any referrer."""
    son = doc._son
    if not doc._schema.versioned or son is None:
        return
    version = son.get(VERSION_KEY)
    stale = await _stale(doc, collection_for(type(doc)), version, "delete", session)
    if not stale.deleted and stale.found != version:
        raise stale


def identity_filter_for_son(doc: Any, son: dict[str, Any]) -> dict[str, Any]:
    """The filter that selects the stored document ``son`` is about to replace."""
    flt = {"_id": son["_id"]}
    paths = shard_key_paths(doc._schema)
    if paths:
        flt.update(shard_values(paths, son))
    return flt


#: The receiver lists of the save signals, tested without a call (``Signal.disconnect``
#: changes them in place): a save with no receiver connected pays two truth tests.
_PRE_SAVE = signals.pre_save._receivers
_POST_SAVE = signals.post_save._receivers

#: The ``clean()`` every document inherits, which checks nothing: a class that does not
#: override it skips the call (and its try block) on every delta save.
_NO_CLEAN = BaseDocument.clean


def _run_clean(doc: Any) -> None:
    try:
        doc.clean()
    except ValidationError as exc:
        if exc.errors:
            raise
        raise ValidationError(errors=clean_errors(exc), model=type(doc).__name__) from exc


async def delete_document(
    doc: Any,
    *,
    session: Any = None,
    signal_kwargs: dict[str, Any] | None = None,
    write_concern: Any = None,
    check_version: bool = True,
) -> None:
    """Delete one document (its field work and signals around it).

    A loaded versioned document is deleted only if it is still at the version it was loaded
    with (else ``ConcurrencyError``, nothing deleted); ``check_version=False`` deletes it
    whatever its version (cascades and queryset deletes, which delete what matches now)."""
    cls = type(doc)
    extra = signal_kwargs or {}
    if doc.pk is None:
        raise OperationError(f"cannot delete a {cls.__name__} that was never saved (it has no pk)")
    if signals.pre_delete:
        await signals.pre_delete.send(cls, document=doc, **extra)
    work = doc._schema.delete_work  # most classes have no field with delete-time work
    if work:
        context = _Context(doc._schema, session, doc._son is None)
        tokens = [(fld, await fld.before_delete(doc, context)) for fld in work]
    collection = collection_for(cls, write_concern=write_concern)
    son = doc._son
    if check_version and son is not None and doc._schema.versioned:
        version = son.get(VERSION_KEY)
        flt = {**identity_filter(doc), **expect(version)}
        if not await collection.delete_one(flt, session=session):
            stale = await _stale(doc, collection, version, "delete", session)
            if not stale.deleted:  # still stored, at another version: keep it
                raise stale
    else:
        await collection.delete_one(identity_filter(doc), session=session)
    if work:
        for fld, token in tokens:
            await fld.after_delete(doc, context, token)
    if signals.post_delete:
        await signals.post_delete.send(cls, document=doc, **extra)


async def reload_document(doc: Any, fields: Iterable[str] = (), *, session: Any = None) -> Any:
    """Replace the document's values with what is stored now (only ``fields`` if given)."""
    cls = type(doc)
    schema = doc._schema
    if doc.pk is None:
        raise OperationError(f"cannot reload a {cls.__name__} that was never saved (it has no pk)")
    names = list(fields)
    projection = None
    if names:
        unknown = [n for n in names if n not in schema.fields]
        if unknown and not schema.dynamic:
            raise LookUpError(f"{cls.__name__} has no field(s) {unknown}")
        projection = {(schema.fields[n].db_field if n in schema.fields else n): 1 for n in names}
    collection = collection_for(cls)
    raw = await collection.find_one({"_id": doc.pk}, projection, session=session)
    if raw is None:
        raise cls.DoesNotExist(
            f"{cls.__name__} with pk {doc.pk!r} is no longer in collection {collection.name!r}"
        )
    if names:
        _state.reload_fields(doc, raw, names)
    else:
        _state.load_into(doc, raw)
    return doc
