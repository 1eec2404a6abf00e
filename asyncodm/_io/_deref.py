"""Fetching referenced documents: one query per collection, never one per reference.

Stage: deref (awaits). ``Ref`` handles (``fields/_reference.py``) do no I/O of their own; they
ask their document class (``Document._fetch_by_pks``), which calls ``fetch_documents`` here. ``select_related`` walks a page of loaded documents along all
its paths at once, one level of references at a time: the references every path reaches at a
level are grouped by the collection they live in (under the current ``switch_*`` blocks) and
fetched with one ``$in`` query per collection (split in chunks of ``MAX_IN`` ids), so awaiting
them afterwards costs nothing. ``cascade_save`` saves referenced documents that changed before
the document that refers to them.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from typing import Any

from bson import DBRef

from asyncodm._context import (
    alias_for,
    collection_name_for,
    lazy_loading_forbidden,
    schema_of,
    switch_for,
)
from asyncodm._drivers._tracing import odm_scope
from asyncodm._instance import _state
from asyncodm._instance._codec import compute_delta
from asyncodm._io._batches import mixed_batch_work
from asyncodm._io._collection import collection_for
from asyncodm._registry import registry
from asyncodm.errors import LazyLoadError, NotRegistered
from asyncodm.fields._compound import copy_stored
from asyncodm.fields._reference import Ref, RefDict, RefList, dangling_error

__all__ = [
    "after_batch",
    "cascade_save",
    "fetch_dbref",
    "fetch_documents",
    "lazy_load_error",
    "select_related",
]


#: The most ids one ``$in`` query carries; more are fetched in several queries of this size, so
#: the filter stays far below MongoDB's 16 MB command limit whatever the page holds.
MAX_IN = 10_000

#: The read options of a model's collection (``meta`` and ``collection_options``).
_READ_OPTIONS = ("read_preference", "read_concern", "write_concern", "codec_options")


async def fetch_documents(model: type, pks: list[Any], null_ok: bool, where: str) -> dict[Any, Any]:
    """Documents of ``model`` by pk, in one query; a missing one raises unless ``null_ok``.

    This is the one query behind every lazy dereference (awaiting a ``Ref``, a ``RefList`` or
    ``RefDict``, ``fetch_dbref``), so the ``no_lazy_loading()`` guard is checked here;
    ``select_related`` fetches through ``_fetch_from_collection`` and is never refused."""
    if not pks:
        return {}
    if lazy_loading_forbidden():
        raise lazy_load_error(model, pks, where)
    with odm_scope("dereference", model):
        found = (await _fetch_from_collection({model: pks}))[model]
    if not null_ok:
        for pk in pks:
            if pk not in found:
                raise dangling_error(model, pk, where)
    return found


def lazy_load_error(model: type, pks: list[Any], where: str) -> LazyLoadError:
    """What the N+1 guard raises: which reference would query what, and the
    ``select_related`` path that loads it with its documents instead."""
    what = f"{model.__name__} {pks[0]!r}" if len(pks) == 1 else f"{len(pks)} {model.__name__}s"
    owner, dot, field = where.partition(".")
    if not dot:
        return LazyLoadError(
            f"awaiting a reference would query {what} inside no_lazy_loading(): load it "
            f"with its documents (select_related), or await it outside the block",
            model=model.__name__,
            pks=pks,
        )
    owner_cls = registry.find(owner)
    if owner_cls is not None and owner_cls._schema.is_embedded:  # type: ignore[attr-defined]
        hint = (
            f"select_related() with the path from the queried documents to it, ending in "
            f'"__{field}" (e.g. "comments__{field}")'
        )
    else:
        hint = f'{owner}.objects.select_related("{field}")'
    return LazyLoadError(
        f"awaiting {where} would query {what} inside no_lazy_loading(): load it with its "
        f"documents, {hint}, or await it outside the block",
        owner=owner,
        field=field,
        model=model.__name__,
        pks=pks,
    )


def _collection_key(model: type) -> tuple[str, str, str]:
    """Which collection fetching ``model`` reads right now: alias and name under the current
    ``switch_*`` blocks, and its read options. Models that agree (a class and its subclasses
    in one collection) share their queries."""
    schema = schema_of(model)
    options = {k: schema.meta[k] for k in _READ_OPTIONS if schema.meta.get(k) is not None}
    switch = switch_for(model)
    if switch is not None:
        options.update(switch.options)
    return alias_for(model), collection_name_for(model), repr(sorted(options.items()))


def _unique(values: Iterable[Any]) -> list[Any]:
    out: dict[Any, None] = {}
    unhashable: list[Any] = []
    for value in values:
        try:
            out[value] = None
        except TypeError:
            if value not in unhashable:
                unhashable.append(value)
    return [*out, *unhashable]


def _lookup(pks: list[Any]) -> set[Any] | list[Any]:
    try:
        return set(pks)
    except TypeError:  # an unhashable pk (a dict): look it up in the list
        return pks


async def _fetch_from_collection(wanted: dict[type, list[Any]]) -> dict[type, dict[Any, Any]]:
    """``{model: {pk: document}}`` for the pks wanted of each model, all of them in one
    collection (``_collection_key``): one query per ``MAX_IN`` distinct ids."""
    found: dict[type, dict[Any, Any]] = {model: {} for model in wanted}
    stored: list[Any] = []
    for model, pks in wanted.items():
        pk_field = model._schema.pk_field  # type: ignore[attr-defined]
        stored.extend(pks if pk_field is None else (pk_field.to_mongo(pk) for pk in pks))
    stored = _unique(stored)
    if not stored:
        return found
    models = list(wanted)
    wanted_pks = {model: _lookup(wanted[model]) for model in models} if len(models) > 1 else {}
    collection = collection_for(models[0])
    for start in range(0, len(stored), MAX_IN):
        chunk = stored[start : start + MAX_IN]
        flt = {"_id": chunk[0]} if len(chunk) == 1 else {"_id": {"$in": chunk}}
        async for batch in collection.find(flt).batches():
            for raw in batch:
                if not wanted_pks:
                    document = models[0]._from_son(raw)  # type: ignore[attr-defined]
                    found[models[0]][document.pk] = document
                    continue
                for model, allowed in wanted_pks.items():  # each model its own instance, copy
                    document = model._from_son(copy.deepcopy(raw))  # type: ignore[attr-defined]
                    if document.pk in allowed:
                        found[model][document.pk] = document
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
    if lazy_loading_forbidden():
        raise LazyLoadError(
            f"fetch_dbref({dbref!r}) would query {model.__name__} {dbref.id!r} inside "
            f"no_lazy_loading(): fetch such documents with one query before the block "
            f"({model.__name__}.objects(pk__in=[...])), or outside it",
            model=model.__name__,
            pks=[dbref.id],
        )
    found = await fetch_documents(model, [dbref.id], False, f"DBRef {dbref.collection}/{dbref.id}")
    return found[dbref.id]


def _refs_in(value: Any) -> Iterable[Ref[Any]]:
    if isinstance(value, Ref):
        yield value
    elif isinstance(value, RefList):
        # A stored null item reads as None, which the item type leaves out.
        yield from (v for v in value if isinstance(v, Ref))  # type: ignore[redundant-expr]
    elif isinstance(value, RefDict):
        yield from (v for v in value.values() if isinstance(v, Ref))  # type: ignore[redundant-expr]


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
    return [name for name, _ in model._schema.reference_fields]  # type: ignore[attr-defined]


class _Walk:
    """One ``select_related`` path on its way down from the page of documents."""

    __slots__ = ("parts", "step", "level", "values")

    def __init__(self, path: str, documents: list[Any]) -> None:
        self.parts = path.split("__")
        self.step = 0
        self.level = documents  # the documents the next step reads from
        self.values: list[Any] = []  # what the last step read, before its references are filled

    def advance(self) -> list[Ref[Any]]:
        """Go down the path until a step reaches references not fetched yet, and return them
        (then ``descend`` after they are filled); an empty list when the path is done."""
        while self.level and self.step < len(self.parts):
            part = self.parts[self.step]
            self.step += 1
            values = []
            for owner in self.level:
                try:
                    values.append(getattr(owner, part))
                except AttributeError:
                    continue
            pending = [r for v in values for r in _refs_in(v) if _unfetched(r)]
            if pending:
                self.values = values
                return pending
            self.level = _children(values)
        return []

    def descend(self) -> bool:
        """Step into what the last step read, now filled; whether the path goes on."""
        self.level = _children(self.values)
        self.values = []
        return bool(self.level) and self.step < len(self.parts)


def _unfetched(ref: Ref[Any]) -> bool:
    return ref._document is None and ref.pk is not None


async def select_related(documents: Sequence[Any], paths: Sequence[str] = ()) -> None:
    """Fill every reference on ``paths`` (``"author"``, ``"comments__author"``,
    ``"author__company"``) of ``documents``.

    All paths go down together, one level of references at a time; the references they reach
    at one level are fetched with one query per collection (``_fill``). So ``"author"``,
    ``"reviewers"`` and ``"reply__by"``, all on users, cost one query, and ``"author__mentor"``
    one more for the mentors not fetched already."""
    if not documents:
        return
    if not paths:
        paths = reference_paths(type(documents[0]))
    with odm_scope("dereference", type(documents[0])):
        await _select_related(documents, paths)


async def _select_related(documents: Sequence[Any], paths: Sequence[str]) -> None:
    walks = [_Walk(path, list(documents)) for path in paths]
    known: dict[type, dict[Any, Any]] = {}
    while walks:
        pending: list[Ref[Any]] = []
        waiting: list[_Walk] = []
        for walk in walks:
            refs = walk.advance()
            if refs:
                pending.extend(refs)
                waiting.append(walk)
        if not pending:
            break
        await _fill(pending, known)
        walks = [walk for walk in waiting if walk.descend()]


async def _fill(refs: list[Ref[Any]], known: dict[type, dict[Any, Any]]) -> None:
    """Fill ``refs`` with one query per collection; a dangling one stays unfilled (awaiting it
    then raises, or gives None where the field allows it). The fetched documents then get
    their per-batch work (``_batches.py``: a ``FileField``'s files details), as a queryset's.

    ``known``: ``{model: {pk: document or None}}`` fetched at earlier levels of the same
    ``select_related``, reused instead of asked for again (None: dangling)."""
    by_collection: dict[tuple[str, str, str], dict[type, list[Ref[Any]]]] = {}
    for ref in refs:
        if not _unfetched(ref):
            continue
        earlier = known.get(ref.model)
        if earlier is not None and ref.pk in earlier:
            ref._fill(earlier[ref.pk])
            continue
        models = by_collection.setdefault(_collection_key(ref.model), {})
        models.setdefault(ref.model, []).append(ref)
    fetched: list[Any] = []
    for models in by_collection.values():
        found = await _fetch_from_collection(
            {model: _unique(r.pk for r in group) for model, group in models.items()}
        )
        for model, group in models.items():
            documents = found[model]
            fetched.extend(documents.values())
            remembered = known.setdefault(model, {})
            for ref in group:
                document = remembered[ref.pk] = documents.get(ref.pk)
                ref._fill(document)
    # What a queryset does on each batch it loads (a FileField's files details), once for all
    # the targets of this level: one query per bucket, none for classes without such fields.
    work = mixed_batch_work(dict.fromkeys(type(d) for d in fetched)) if fetched else None
    if work is not None:
        await work(fetched)


_saving: ContextVar[frozenset[int]] = ContextVar("asyncodm_cascade_saving", default=frozenset())


async def cascade_save(document: Any, **save_options: Any) -> None:
    """Save the referenced documents of ``document`` that are here and changed (or are new),
    depth first; a cycle of references is saved once."""
    seen = _saving.get() | {id(document)}
    token = _saving.set(seen)
    try:
        for value in list(document._values.values()):
            for ref, target in _targets_in(value):
                if target is None or id(target) in seen:
                    continue
                if target._son is None or _changed(target):
                    await target.save(cascade=True, **save_options)
                    if ref is not None:
                        ref.pk = target.pk
    finally:
        _saving.reset(token)


def _targets_in(value: Any) -> Iterable[tuple[Ref[Any] | None, Any]]:
    """The referenced documents that are here: each handle's document, and the documents put
    into a list or dict of references in place (``post.reviewers.append(bob)``, which no
    assignment turned into a handle)."""
    yield from ((ref, ref._document) for ref in _refs_in(value))
    if isinstance(value, (RefList, RefDict)):
        # typed as handles, but what was put in place is whatever was put there
        items: Iterable[Any] = value.values() if isinstance(value, RefDict) else value
        for item in items:
            if item is not None and not isinstance(item, Ref) and hasattr(item, "_schema"):
                yield None, item


def _changed(document: Any) -> bool:
    return bool(compute_delta(document))


def keep_raw_references(documents: Sequence[Any]) -> None:
    """``qs.no_dereference()``: references of these documents read as the stored ids/DBRefs.

    The stored value is set as the field's value; it converts back to exactly what is stored,
    so a later save sends nothing for it."""
    for doc in documents:
        son = doc._son
        for name, db in doc._schema.reference_fields:
            raw = son.get(db)
            if raw is not None:
                _state.set_value(doc, name, copy_stored(raw))


async def after_batch(qs: Any, documents: list[Any]) -> None:
    """What a queryset's ``no_dereference()`` / ``select_related()`` asks of each loaded batch."""
    if qs._no_dereference:
        keep_raw_references(documents)
    elif qs._select_related:
        paths = tuple(p for p in qs._select_related if p)
        await select_related(documents, paths)
