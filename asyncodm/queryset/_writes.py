"""Write terminals of a QuerySet: create, bulk_create, update, modify, delete.

Stage: queryset (awaits). Every write validates what it can before anything is sent: update
values through their fields, new documents in full. ``bulk_create`` sends ONE ``insert_many``
and leaves each document saved (pk set, baseline taken), exactly as ``save()`` leaves a new
document, so a later ``save()`` sends only what changed.

Deletes: when the model has delete rules (``_delete_rules.has_rules``), fields with
delete-time work (its class record's ``delete_work``: files) or delete signals with receivers
for it, the matches are loaded and deleted as one plan by ``_delete_rules.delete_documents``
(every DENY checked before anything is deleted; each document's field work and signals run).
Otherwise one ``delete_many`` deletes the matches.

Versioned models (``meta = {"versioned": True}``): ``bulk_create`` stores ``"_version": 1``,
every update and modify moves the version on (``_versioned``), so an instance loaded before
them is stale; a queryset delete deletes what matches, whatever its version.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bson import ObjectId

from asyncodm import signals
from asyncodm._drivers._protocol import UpdateOutcome
from asyncodm._instance._state import set_orig, set_son
from asyncodm._instance._validation import clean_errors
from asyncodm._io._delete_rules import delete_documents, has_rules
from asyncodm._io._persistence import PreparedWrite, finish_write, prepare_write
from asyncodm._schema._versioning import VERSION_KEY, bump
from asyncodm.errors import OperationError, ValidationError
from asyncodm.queryset import _joins
from asyncodm.queryset._reads import Mode, loader
from asyncodm.queryset._update import (
    compile_pipeline_update,
    compile_update,
    merge_updates,
    uses_expressions,
)

if TYPE_CHECKING:
    from asyncodm.queryset._queryset import QuerySet

__all__ = ["bulk_create", "create", "delete", "modify", "update"]


async def create(qs: QuerySet, values: dict[str, Any]) -> Any:
    document = qs.model(**values)
    with qs._switched():
        await document.save(force_insert=True)
    return document


def _validated(qs: QuerySet, documents: Sequence[Any], full_clean: bool) -> None:
    model = qs.model
    errors: dict[str, str] = {}
    for i, doc in enumerate(documents):
        if not isinstance(doc, model):
            raise OperationError(
                f"bulk_create on {model.__name__} got a {type(doc).__name__} at index {i}"
            )
        if doc._son is not None:
            raise OperationError(
                f"bulk_create got an already saved {type(doc).__name__} at index {i} "
                f"(pk {doc.pk!r}); save() it instead"
            )
        # ``doc.validate(clean=full_clean)``: its compiled quick check inline, the call (which
        # runs it again, then the full checks naming every error) only when that fails.
        cls = type(doc)
        if full_clean:
            if cls._check_quick(doc):
                continue
        elif cls._check_quick_fields(doc):
            continue
        try:
            doc.validate(clean=full_clean)
        except ValidationError as exc:
            errors.update(clean_errors(exc, str(i)))
    if errors:
        raise ValidationError(errors=errors, model=model.__name__)


async def bulk_create(
    qs: QuerySet, documents: Any, retrieve: bool, full_clean: bool, **kwargs: Any
) -> list[Any]:
    docs = [documents] if not isinstance(documents, (list, tuple)) else list(documents)
    if not docs:
        return []
    _validated(qs, docs, full_clean)
    model = qs.model
    session = kwargs.pop("session", None)
    if signals.pre_bulk_insert:
        await signals.pre_bulk_insert.send(model, documents=docs)
    # The save-time work of the class record's fields (sequences, files), as save() runs it.
    prepared: list[tuple[Any, PreparedWrite]] = []
    try:
        for doc in docs:
            if type(doc)._schema.save_work:  # read from the class: a new document's dict misses
                done = await prepare_write(doc, session)
                if done is not None:
                    prepared.append((doc, done))
        ids = await _insert(qs, docs, session, kwargs)
    except BaseException:
        for doc, done in prepared:
            await finish_write(doc, done, ok=False)
        raise
    for doc, done in prepared:
        await finish_write(doc, done, ok=True)
    if signals.post_bulk_insert:
        await signals.post_bulk_insert.send(model, documents=docs, loaded=True)
    return docs if retrieve else ids


async def _insert(qs: QuerySet, docs: list[Any], session: Any, kwargs: dict[str, Any]) -> list[Any]:
    """One ``insert_many``; then each document is saved: pk set, baseline taken."""
    sons: list[dict[str, Any]] = []
    made_pks: list[str | None] = []  # per document: the pk name when an id was generated
    pk_facts: dict[type, tuple[Any, bool]] = {}  # per class: pk name, generates ids
    for doc in docs:
        cls = type(doc)
        son = cls._dump(doc)
        if "_id" in son:
            made_pks.append(None)
        else:
            facts = pk_facts.get(cls)
            if facts is None:
                schema = doc._schema
                pk_field = schema.pk_field
                facts = pk_facts[cls] = (
                    schema.pk_name,
                    pk_field is not None and pk_field.generates_id,
                )
            pk_name, generates = facts
            if not generates:
                raise ValidationError(
                    errors={pk_name: "expected a primary key value, found None"},
                    model=cls.__name__,
                )
            son = {"_id": ObjectId(), **son}
            made_pks.append(pk_name)
        sons.append(son)
    if qs.model._schema.versioned:  # one test per call: a versioned hierarchy is versioned whole
        for son in sons:
            son[VERSION_KEY] = 1
    collection = qs._collection(write_concern=kwargs.pop("write_concern", None))
    ids = await collection.insert_many(sons, ordered=kwargs.pop("ordered", True), session=session)
    # ``_state.set_generated_pk`` and ``_state.mark_saved`` of each document, inline.
    for doc, son, pk_name in zip(docs, sons, made_pks, strict=True):
        if pk_name is not None:
            doc._values[pk_name] = son["_id"]  # only once stored, as save() does
        set_son(doc, son)
        set_orig(doc, None)
    return ids


def _update_document(qs: QuerySet, raw: Sequence[Any], operations: Mapping[str, Any]) -> Any:
    if len(raw) == 1 and isinstance(raw[0], list):
        if operations:
            raise OperationError("a pipeline update cannot be combined with update keywords")
        return list(raw[0])  # an update pipeline, sent as given
    if uses_expressions(operations):  # set__total=F("price") * F("qty"): a pipeline update
        if raw:
            raise OperationError("an update using F() cannot be combined with update documents")
        return compile_pipeline_update(qs.model, operations)
    for doc in raw:
        if not isinstance(doc, Mapping):
            raise OperationError(f"expected an update document, found {doc!r}")
    document = merge_updates(*raw, compile_update(qs.model, operations))
    if not document:
        raise OperationError(f"no update operations given for {qs.model.__name__}")
    return document


def _with_cls(qs: QuerySet, document: Any) -> Any:
    """An upsert into an inheritance hierarchy stores the class name of the new document."""
    schema = qs.model._schema
    if schema.stores_cls and isinstance(document, dict):
        document.setdefault("$setOnInsert", {}).setdefault("_cls", schema.class_name)
    elif schema.stores_cls and isinstance(document, list):  # a pipeline: keep a stored _cls
        keep = {"$ifNull": ["$_cls", {"$literal": schema.class_name}]}
        document = [*document, {"$set": {"_cls": keep}}]
    return document


def _versioned(qs: QuerySet, document: Any) -> Any:
    """A versioned model's update also moves the stored version on (an upsert's new document
    gets version 1), so a copy loaded before it can no longer be saved."""
    return bump(document) if qs.model._schema.versioned else document


async def update(
    qs: QuerySet, raw: Sequence[Any], operations: dict[str, Any], *, upsert: bool, multi: bool
) -> Any:
    full_result = bool(operations.pop("full_result", False))
    write_concern = operations.pop("write_concern", None)
    options: dict[str, Any] = {}
    for key in ("array_filters", "hint", "collation"):
        if key in operations:
            options[key] = operations.pop(key)
    if operations.pop("multi", multi) is False:
        multi = False
    document = _update_document(qs, raw, operations)
    if qs._empty:
        return 0
    if upsert:
        document = _with_cls(qs, document)
    document = _versioned(qs, document)
    if qs._collation is not None:
        options.setdefault("collation", qs._collation)
    collection = qs._collection(write_concern=write_concern)
    send = collection.update_many if multi else collection.update_one
    qs, filters = await _joins.id_filters(qs)
    outcome = await send(filters[0], document, upsert=upsert, **options)
    if multi and len(filters) > 1:  # a $lookup-resolved filter: its matches' ids in chunks
        for query in filters[1:]:
            more = await send(query, document, upsert=False, **options)
            outcome = UpdateOutcome(
                outcome.matched + more.matched, outcome.modified + more.modified
            )
    if full_result:
        return outcome
    return outcome.matched + (1 if outcome.upserted_id is not None else 0)


async def modify(
    qs: QuerySet,
    raw: Sequence[Any],
    operations: dict[str, Any],
    *,
    upsert: bool,
    remove: bool,
    new: bool,
) -> Any:
    collection = qs._collection(write_concern=operations.pop("write_concern", None))
    qs, query = await _joins.materialized(qs)
    sort = qs._sort() or None
    projection = qs._projection()
    if remove:
        if raw or operations:
            raise OperationError("modify(remove=True) takes no update operations")
        if qs._empty:
            return None
        found = await collection.find_one_and_delete(query, projection=projection, sort=sort)
    else:
        document = _update_document(qs, raw, operations)
        if qs._empty:
            return None
        if upsert:
            document = _with_cls(qs, document)
        document = _versioned(qs, document)
        found = await collection.find_one_and_update(
            query, document, projection=projection, sort=sort, upsert=upsert, return_new=new
        )
    if found is None:
        return None
    load = loader(qs)  # projected (only/exclude): the loader without the enforce_schema check
    return found if load is None else load(found)


async def delete(qs: QuerySet, write_concern: Any = None) -> int:
    if qs._empty:
        return 0
    model = qs.model
    one_by_one = bool(model._schema.delete_work) or (
        signals.pre_delete.has_receivers_for(model) or signals.post_delete.has_receivers_for(model)
    )
    if one_by_one or has_rules(model):
        # Load the matches and delete them as one plan: every DENY of every match is checked
        # before anything is deleted, and cascades run in one transaction where possible.
        whole = replace(qs, _mode=Mode.DOCUMENTS, _only=None, _exclude=frozenset())
        docs = await whole.to_list()
        with qs._switched():
            return await delete_documents(docs, write_concern=write_concern, check_version=False)
    collection = qs._collection(write_concern=write_concern)
    if qs._skip or qs._limit:
        # delete_many has no window: select the ids first, then delete exactly those
        ids = [raw["_id"] async for raw in qs.only("pk").as_pymongo()]
        if not ids:
            return 0
        return await collection.delete_many({"_id": {"$in": ids}})
    # after a $lookup resolution, the matches' ids in chunks
    qs, filters = await _joins.id_filters(qs)
    deleted = 0
    for query in filters:
        deleted += await collection.delete_many(query)
    return deleted
