"""Save, delete and reload one document.

Stage: persistence (awaits). A new document is inserted (or upserted when it already has a
primary key); a loaded one sends only the paths that changed (``$set``/``$unset``) and nothing
at all when nothing changed. Validation runs before anything is sent, so an invalid document
never leaves a half-written trace.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from bson import ObjectId

from asyncodm import signals
from asyncodm._codec import compute_delta, to_son
from asyncodm._collection import collection_for
from asyncodm._types import MISSING
from asyncodm._validation import raise_if_invalid
from asyncodm.errors import LookUpError, OperationError, ValidationError
from asyncodm.fields._scalar import ObjectIdField

__all__ = ["delete_document", "reload_document", "save_document", "identity_filter", "DELETE_HOOKS"]

#: Called as ``await hook(doc, session)`` before a document is deleted (delete rules, files).
DELETE_HOOKS: list[Callable[[Any, Any], Awaitable[None]]] = []
#: Called as ``await hook(doc, session)`` before a document is written (cascade save, files).
PRE_WRITE_HOOKS: list[Callable[[Any, Any], Awaitable[None]]] = []


def identity_filter(doc: Any) -> dict[str, Any]:
    """The filter that selects exactly this stored document: ``_id`` plus the shard key."""
    schema = doc._schema
    son = doc._son
    pk = son["_id"] if son is not None and "_id" in son else doc.pk
    flt: dict[str, Any] = {"_id": pk}
    shard_key: Iterable[str] = schema.meta.get("shard_key") or ()
    if isinstance(shard_key, str):
        shard_key = (shard_key,)
    for name in shard_key:
        if name in ("_id", schema.pk_name):
            continue
        path = _db_path(schema, name)
        value = _stored_value(son, path) if son is not None else MISSING
        if value is MISSING:
            value = _stored_value(to_son(doc), path)
        flt[path] = None if value is MISSING else value
    return flt


def _db_path(schema: Any, name: str) -> str:
    parts = name.replace("__", ".").split(".")
    head = schema.fields.get(parts[0])
    if head is not None:
        parts[0] = head.db_field
    return ".".join(parts)


def _stored_value(son: dict[str, Any], path: str) -> Any:
    current: Any = son
    for part in path.split("."):
        if not isinstance(current, dict) or part not in current:
            return MISSING
        current = current[part]
    return current


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
    for hook in PRE_WRITE_HOOKS:
        await hook(doc, session)
    collection = collection_for(cls, write_concern=write_concern)
    schema = doc._schema
    if is_new:
        son = to_son(doc)
        if "_id" not in son:
            if not isinstance(schema.pk_field, ObjectIdField):
                raise ValidationError(
                    errors={schema.pk_name: "expected a primary key value, found None"},
                    model=cls.__name__,
                )
            new_id = ObjectId()
            son = {"_id": new_id, **son}
            doc._values[schema.pk_name] = new_id
            await collection.insert_one(son, session=session)
        elif force_insert:
            await collection.insert_one(son, session=session)
        else:
            await collection.replace_one(identity_filter_for_son(doc, son), son, upsert=True, session=session)
        doc._son = son
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
                await collection.replace_one({"_id": full["_id"]}, full, upsert=True, session=session)
                doc._son = full
            else:
                for key, value in delta.new_values.items():
                    if value is MISSING:
                        son.pop(key, None)
                    else:
                        son[key] = value
        created = False
    if signals.post_save:
        await signals.post_save.send(cls, document=doc, created=created, **extra)
    return doc


def identity_filter_for_son(doc: Any, son: dict[str, Any]) -> dict[str, Any]:
    flt = {"_id": son["_id"]}
    shard_key = doc._schema.meta.get("shard_key") or ()
    if isinstance(shard_key, str):
        shard_key = (shard_key,)
    for name in shard_key:
        path = _db_path(doc._schema, name)
        if path != "_id":
            value = _stored_value(son, path)
            flt[path] = None if value is MISSING else value
    return flt


def _run_clean(doc: Any) -> None:
    try:
        doc.clean()
    except ValidationError as exc:
        if exc.errors:
            raise
        raise ValidationError(errors={"__all__": exc.message}, model=type(doc).__name__) from exc


async def delete_document(
    doc: Any, *, session: Any = None, signal_kwargs: dict[str, Any] | None = None,
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
        doc._son = raw
        doc._values = {}
        return doc
    son = doc._son if doc._son is not None else {}
    for name in names:
        db = schema.fields[name].db_field if name in schema.fields else name
        if db in raw:
            son[db] = raw[db]
        else:
            son.pop(db, None)
        doc._values.pop(name, None)
    doc._son = son
    return doc
