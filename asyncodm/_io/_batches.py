"""The work a queryset does on each batch of documents it loads, for the fields that ask.

Stage: deref (awaits). A field answers ``batch_loader()`` when its loaded values need a look-up
(a ``FileField``: its files' details); the class record groups such fields by loader
(``ClassRecord.batch_loaders``), and ``batch_work`` turns that into one call per loader per
batch, so the fields of one loader share its queries. It is asked once per query: a model with
no such field (nor, when it allows inheritance, any registered subclass with one) gets None,
and its loading loop pays nothing. What a hierarchy's subclasses add is worked out once per
state of the registry (its ``generation``), not per query.

``select_related`` (``_deref.py``) asks ``mixed_batch_work`` of the targets it prefetches at one
level, which may be of several classes: each loader runs once with the fields of all of them,
so its queries are shared across the classes too.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from asyncodm._registry import registry
from asyncodm.fields._answers import BatchLoader
from asyncodm.fields._base import BaseField

__all__ = ["batch_work", "mixed_batch_work"]

_Groups = tuple[tuple[BatchLoader, tuple[BaseField[Any], ...]], ...]

#: ``model -> (registry generation, its groups and its registered subclasses')``.
_hierarchies: weakref.WeakKeyDictionary[type, tuple[int, _Groups]] = weakref.WeakKeyDictionary()


def batch_work(model: type) -> Callable[[Sequence[Any]], Awaitable[None]] | None:
    """What to await on each loaded batch of ``model`` documents, or None for nothing."""
    return _runner(_groups(model))


def mixed_batch_work(models: Iterable[type]) -> Callable[[Sequence[Any]], Awaitable[None]] | None:
    """What to await on one batch holding documents of any of ``models``, or None for nothing.

    A loader skips the documents that are not of its fields' class, so handing it all of them
    with the fields of every model is safe, and its queries serve all the models at once."""
    found = [groups for groups in map(_groups, models) if groups]
    if len(found) <= 1:
        return _runner(found[0] if found else ())
    return _runner(_merged(found))


def _groups(model: type) -> _Groups:
    """The loaders of ``model``, with those of its registered subclasses when it has some."""
    record = model._schema  # type: ignore[attr-defined]
    groups: _Groups = record.batch_loaders
    if record.stores_cls:
        known = _hierarchies.get(model)
        if known is None or known[0] != registry.generation:
            known = _hierarchies[model] = (registry.generation, _with_subclasses(model, groups))
        groups = known[1]
    return groups


def _runner(groups: _Groups) -> Callable[[Sequence[Any]], Awaitable[None]] | None:
    if not groups:
        return None

    async def run(documents: Sequence[Any]) -> None:
        if documents:
            for loader, fields in groups:
                await loader(fields, documents)

    return run


def _with_subclasses(model: type, own: _Groups) -> _Groups:
    """``own`` plus the loaders and fields of the registered subclasses (a query on a base
    class loads them too)."""
    subclasses = [
        sub
        for name in registry.class_names_under(model)
        if (sub := registry.by_class_name(name)) is not None and sub is not model
    ]
    return _merged([own, *(sub._schema.batch_loaders for sub in subclasses)])  # type: ignore[attr-defined]


def _merged(all_groups: Iterable[_Groups]) -> _Groups:
    """Groups of several classes as one: each loader once, with every field of theirs that
    uses it, a field they share (an inherited one) listed once."""
    merged: dict[BatchLoader, dict[int, BaseField[Any]]] = {}
    for groups in all_groups:
        for loader, fields in groups:
            merged.setdefault(loader, {}).update((id(f), f) for f in fields)
    return tuple((loader, tuple(fields.values())) for loader, fields in merged.items())
