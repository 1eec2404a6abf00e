"""Fetching referenced documents: one query per collection, never one per reference.

Stage: deref (awaits). ``Ref`` handles (``fields/_reference.py``) do no I/O of their own; they
call the fetcher registered here. ``select_related`` walks a page of loaded documents, groups
every reference it finds by target model, runs one ``$in`` query per model and fills the
handles, so awaiting them afterwards costs nothing. ``cascade_save`` saves referenced documents
that changed before the document that refers to them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from typing import Any

from bson import DBRef

from asyncodm._codec import compute_delta
from asyncodm._collection import collection_for
from asyncodm._registry import registry
from asyncodm.errors import NotRegistered
from asyncodm.fields._compound import copy_stored
from asyncodm.fields._reference import (
    GenericReferenceField,
    Ref,
    ReferenceField,
    RefDict,
    RefList,
    fetcher,
)
from asyncodm.queryset._reads import BATCH_HOOKS

__all__ = ["cascade_save", "fetch_dbref", "fetch_documents", "select_related"]


@fetcher
async def fetch_documents(model: type, pks: list[Any], null_ok: bool, where: str) -> dict[Any, Any]:
    """Documents of ``model`` by pk, in one query; a missing one raises unless ``null_ok``."""
    if not pks:
        return {}
    schema = model._schema  # type: ignore[attr-defined]
    pk_field = schema.pk_field
    stored = [pk_field.to_mongo(pk) for pk in pks] if pk_field is not None else list(pks)
    collection = collection_for(model)
    flt = {"_id": stored[0]} if len(stored) == 1 else {"_id": {"$in": stored}}
    found: dict[Any, Any] = {}
    async for batch in collection.find(flt).batches():
        for raw in batch:
            document = model._from_son(raw)  # type: ignore[attr-defined]
            found[document.pk] = document
    if not null_ok:
        for pk in pks:
            if pk not in found:
                raise model.DoesNotExist(  # type: ignore[attr-defined]
                    f"{where or model.__name__} refers to {model.__name__} {pk!r}, which is not in "
                    f"collection {collection.name!r} (a dangling reference)"
                )
    return found


async def fetch_dbref(dbref: DBRef, model: type | None = None) -> Any:
    """The document a DBRef names, its class found from the registry by collection (minimongo).

    Raises ``NotRegistered`` when no registered model uses the collection; with several (an
    inheritance hierarchy) the root is used and ``_cls`` picks the subclass.
    """
    if model is None:
        candidates = [
            cls
            for cls in registry.documents()
            if cls._schema.is_document and cls._schema.collection == dbref.collection  # type: ignore[attr-defined]
        ]
        if not candidates:
            raise NotRegistered(
                f"no registered document class uses collection {dbref.collection!r}"
            )
        model = min(candidates, key=lambda cls: len(cls.__mro__))
    found = await fetch_documents(model, [dbref.id], False, f"DBRef {dbref.collection}/{dbref.id}")
    return found[dbref.id]


def _refs_in(value: Any) -> Iterable[Ref[Any]]:
    if isinstance(value, Ref):
        yield value
    elif isinstance(value, RefList):
        yield from (v for v in value if isinstance(v, Ref))
    elif isinstance(value, RefDict):
        yield from (v for v in value.values() if isinstance(v, Ref))


def _children(value: Any) -> list[Any]:
    """The documents a path step leads into: a fetched reference, embedded documents, lists."""
    if value is None:
        return []
    if isinstance(value, Ref):
        return [value._document] if value._document is not None else []
    if isinstance(value, dict):
        return [c for v in value.values() for c in _children(v)]
    if isinstance(value, (list, tuple)):
        return [c for v in value for c in _children(v)]
    if hasattr(type(value), "_schema"):
        return [value]
    return []


def reference_paths(model: type) -> list[str]:
    """The top-level fields of ``model`` that hold references (``select_related()`` default)."""
    paths = []
    for name, field in model._schema.fields.items():  # type: ignore[attr-defined]
        item = getattr(field, "field", field)
        if isinstance(field, (ReferenceField, GenericReferenceField)) or isinstance(
            item, (ReferenceField, GenericReferenceField)
        ):
            paths.append(name)
    return paths


async def select_related(documents: Sequence[Any], paths: Sequence[str] = ()) -> None:
    """Fill every reference on ``paths`` (``"author"``, ``"comments__author"``,
    ``"author__company"``) of ``documents``, one query per referenced model per level."""
    if not documents:
        return
    if not paths:
        paths = reference_paths(type(documents[0]))
    for path in paths:
        level: list[Any] = list(documents)
        for part in path.split("__"):
            refs: list[Ref[Any]] = []
            next_level: list[Any] = []
            for owner in level:
                try:
                    value = getattr(owner, part)
                except AttributeError:
                    continue
                refs.extend(_refs_in(value))
                next_level.append(value)
            await _fill(refs)
            level = [c for v in next_level for c in _children(v)]
            if not level:
                break


async def _fill(refs: list[Ref[Any]]) -> None:
    by_model: dict[type, list[Ref[Any]]] = {}
    for ref in refs:
        if ref._document is None and ref.pk is not None:
            by_model.setdefault(ref.model, []).append(ref)
    for model, group in by_model.items():
        found = await fetch_documents(model, list({r.pk: None for r in group}), True, "")
        for ref in group:
            ref._fill(found.get(ref.pk))


_saving: ContextVar[frozenset[int]] = ContextVar("asyncodm_cascade_saving", default=frozenset())


async def cascade_save(document: Any, **save_options: Any) -> None:
    """Save the referenced documents of ``document`` that are here and changed (or are new),
    depth first; a cycle of references is saved once."""
    seen = _saving.get() | {id(document)}
    token = _saving.set(seen)
    try:
        for value in list(document._values.values()):
            for ref in _refs_in(value):
                target = ref._document
                if target is None or id(target) in seen:
                    continue
                if target._son is None or _changed(target):
                    await target.save(cascade=True, **save_options)
                    ref.pk = target.pk
    finally:
        _saving.reset(token)


def _changed(document: Any) -> bool:
    return bool(compute_delta(document))


def _reference_fields(model: type) -> list[tuple[str, str]]:
    out = []
    for name, field in model._schema.fields.items():  # type: ignore[attr-defined]
        item = getattr(field, "field", field)
        if isinstance(item, (ReferenceField, GenericReferenceField)):
            out.append((name, field.db_field))
    return out


def keep_raw_references(documents: Sequence[Any]) -> None:
    """``qs.no_dereference()``: references of these documents read as the stored ids/DBRefs.

    The stored value is set as the field's value; it converts back to exactly what is stored,
    so a later save sends nothing for it."""
    fields_by_model: dict[type, list[tuple[str, str]]] = {}
    for doc in documents:
        model = type(doc)
        fields = fields_by_model.get(model)
        if fields is None:
            fields = fields_by_model[model] = _reference_fields(model)
        son = doc._son
        for name, db in fields:
            raw = son.get(db)
            if raw is not None:
                doc._values[name] = copy_stored(raw)


async def _after_batch(qs: Any, documents: list[Any]) -> None:
    if qs._no_dereference:
        keep_raw_references(documents)
    elif qs._select_related:
        paths = tuple(p for p in qs._select_related if p)
        await select_related(documents, paths)


BATCH_HOOKS.append(_after_batch)
