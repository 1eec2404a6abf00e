"""Save, delete and reload one document.

Stage: persistence (awaits). A new document is inserted (or upserted when it already has a
primary key); a loaded one sends only the paths that changed (``$set``/``$unset``) and nothing
at all when nothing changed. Validation runs before anything is sent, so an invalid document
never leaves a half-written trace.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

from bson import ObjectId

from asyncodm import signals
from asyncodm._instance._codec import compute_delta, to_son
from asyncodm._instance._validation import raise_if_invalid
from asyncodm._io._collection import collection_for
from asyncodm._schema._filters import shard_key_paths, shard_values
from asyncodm._types import MISSING
from asyncodm.errors import LookUpError, NotUniqueError, OperationError, ValidationError
from asyncodm.fields import _snapshots as snapshots
from asyncodm.fields._scalar import ObjectIdField

__all__ = [
    "DELETE_HOOKS",
    "POST_DELETE_HOOKS",
    "WRITE_HOOKS",
    "WriteHook",
    "delete_document",
    "identity_filter",
    "reload_document",
    "save_document",
]

#: Called as ``await hook(doc, session)`` before a document is deleted (delete rules, files).
DELETE_HOOKS: list[Callable[[Any, Any], Awaitable[None]]] = []
#: Called as ``await hook(doc, session)`` after a document was deleted (its GridFS files).
POST_DELETE_HOOKS: list[Callable[[Any, Any], Awaitable[None]]] = []


class WriteHook(Protocol):
    """Work that must happen around a save: sequences and file uploads before the write,
    clean-up after it (old files once the save succeeded, new uploads if it failed).

    ``before`` runs after validation and returns a token passed back to exactly one of
    ``succeeded`` / ``failed``; a token whose ``force_insert`` is true makes the write an
    insert (the hook generated the primary key)."""

    async def before(self, doc: Any, session: Any) -> Any: ...

    async def succeeded(self, doc: Any, session: Any, token: Any) -> None: ...

    async def failed(self, doc: Any, session: Any, token: Any) -> None: ...


#: Registered by later stages (sequences, files, cascade save); run in order for every save,
#: including each document of ``bulk_create`` (see ``run_before_write``).
WRITE_HOOKS: list[WriteHook] = []


async def run_before_write(doc: Any, session: Any) -> list[tuple[WriteHook, Any]]:
    """Run every hook's ``before``; if one fails, the earlier ones are told the write failed."""
    done: list[tuple[WriteHook, Any]] = []
    try:
        for hook in WRITE_HOOKS:
            token = await hook.before(doc, session)
            done.append((hook, token))
    except BaseException:
        await run_after_write(doc, session, done, ok=False)
        raise
    return done


async def run_after_write(
    doc: Any, session: Any, done: list[tuple[WriteHook, Any]], *, ok: bool
) -> None:
    for hook, token in reversed(done):
        if ok:
            await hook.succeeded(doc, session, token)
        else:
            await hook.failed(doc, session, token)


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


async def save_document(
    doc: Any,
    *,
    validate: bool = True,
    clean: bool = True,
    force_insert: bool = False,
    write_concern: Any = None,
    session: Any = None,
    signal_kwargs: dict[str, Any] | None = None,
) -> Any:
    cls = type(doc)
    extra = signal_kwargs or {}
    if signals.pre_save:
        await signals.pre_save.send(cls, document=doc, **extra)
    is_new = doc._son is None
    if validate:
        if is_new:
            doc.validate(clean=clean)
        else:
            raise_if_invalid(doc, touched_only=True)
            if clean:
                _run_clean(doc)
    hooks = await run_before_write(doc, session) if WRITE_HOOKS else []
    if any(getattr(token, "force_insert", False) for _, token in hooks):
        force_insert = True  # a hook generated the primary key (SequenceField): never upsert
    try:
        created = await _write(
            doc, force_insert=force_insert, write_concern=write_concern, session=session
        )
    except BaseException as exc:
        if isinstance(exc, NotUniqueError):  # the seam cannot know which document it was
            exc.instance = doc
        if hooks:
            await run_after_write(doc, session, hooks, ok=False)
        raise
    if hooks:
        await run_after_write(doc, session, hooks, ok=True)
    if signals.post_save:
        await signals.post_save.send(cls, document=doc, created=created, **extra)
    return doc


async def _write(doc: Any, *, force_insert: bool, write_concern: Any, session: Any) -> bool:
    """Send the insert, upsert or delta update; True if the document was new."""
    cls = type(doc)
    is_new = doc._son is None
    collection = collection_for(cls, write_concern=write_concern)
    schema = doc._schema
    if is_new:
        son = doc._dump(doc)
        if "_id" not in son:
            if not isinstance(schema.pk_field, ObjectIdField):
                raise ValidationError(
                    errors={schema.pk_name: "expected a primary key value, found None"},
                    model=cls.__name__,
                )
            new_id = ObjectId()
            son = {"_id": new_id, **son}
            await collection.insert_one(son, session=session)
            doc._values[schema.pk_name] = new_id  # only once stored: a retry inserts again
        elif force_insert:
            await collection.insert_one(son, session=session)
        else:
            await collection.replace_one(
                identity_filter_for_son(doc, son), son, upsert=True, session=session
            )
        doc._mark_saved(son)
        created = True
    else:
        delta = compute_delta(doc)
        son = doc._son
        if "_id" in delta.sets or "_id" in delta.unsets:
            raise OperationError(
                f"{cls.__name__}: the primary key of a stored document cannot change "
                f"(stored {son.get('_id')!r}, now {doc.pk!r}); create a new document instead"
            )
        if delta:
            outcome = await collection.update_one(
                identity_filter(doc), delta.update_document(), session=session
            )
            if outcome.matched == 0:
                # Deleted meanwhile: saving means "make it stored", so write it whole again.
                full = to_son(doc)
                await collection.replace_one(
                    identity_filter_for_son(doc, full), full, upsert=True, session=session
                )
                doc._mark_saved(full)
            else:
                for key, value in delta.new_values.items():
                    if value is MISSING:
                        son.pop(key, None)
                    else:
                        son[key] = value
                doc._mark_saved(son)
        created = False
    return created


def identity_filter_for_son(doc: Any, son: dict[str, Any]) -> dict[str, Any]:
    """The filter that selects the stored document ``son`` is about to replace."""
    flt = {"_id": son["_id"]}
    paths = shard_key_paths(doc._schema)
    if paths:
        flt.update(shard_values(paths, son))
    return flt


def _run_clean(doc: Any) -> None:
    try:
        doc.clean()
    except ValidationError as exc:
        if exc.errors:
            raise
        raise ValidationError(errors={"__all__": exc.message}, model=type(doc).__name__) from exc


async def delete_document(
    doc: Any,
    *,
    session: Any = None,
    signal_kwargs: dict[str, Any] | None = None,
    write_concern: Any = None,
) -> None:
    cls = type(doc)
    extra = signal_kwargs or {}
    if doc.pk is None:
        raise OperationError(f"cannot delete a {cls.__name__} that was never saved (it has no pk)")
    if signals.pre_delete:
        await signals.pre_delete.send(cls, document=doc, **extra)
    for hook in DELETE_HOOKS:
        await hook(doc, session)
    collection = collection_for(cls, write_concern=write_concern)
    await collection.delete_one(identity_filter(doc), session=session)
    for hook in POST_DELETE_HOOKS:
        await hook(doc, session)
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
    if not names:
        doc._load_state(raw)
        return doc
    son = doc._son if doc._son is not None else {}
    plain = doc.__dict__
    orig = doc._orig
    for name in names:
        db = schema.fields[name].db_field if name in schema.fields else name
        if db in raw:
            son[db] = raw[db]
        else:
            son.pop(db, None)
        if name in schema.plain_names:
            if db in raw:
                plain[name] = raw[db]
            else:
                plain.pop(name, None)
            if orig is not None:
                orig.pop(name, None)
        if orig is not None:
            orig.pop(snapshots.key(name), None)
        doc._values.pop(name, None)
    doc._son = son
    return doc
