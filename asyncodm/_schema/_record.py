"""The class record: everything known about a document class, built once when it is defined.

Stage: schema (pure). ``_compile.compile_class`` builds one ``ClassRecord`` per class (attrs'
``_ClassBuilder`` builds one class, once); every later stage reads only the record: the hot
paths (its tables), persistence (which fields have save-time work), deletes (which fields have
delete-time work, which delete rules the class declares), dereferencing (which fields hold
references) and the index layer (its index plans and capped settings, checked at definition).
Nothing changes it afterwards. ``Schema`` is its older name, still used across the package.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from asyncodm._registry import RuleEntry
from asyncodm.errors import InvalidDocumentError
from asyncodm.fields._answers import BatchLoader
from asyncodm.fields._base import BaseField

__all__ = ["ClassRecord", "Schema"]


@dataclass(frozen=True, slots=True)
class ClassRecord:
    """Everything known about a document class, compiled once."""

    model: type
    class_name: str
    """The ``_cls`` value: parent class names joined by dots (``"Page.SpecialPage"``)."""
    fields: Mapping[str, BaseField[Any]]
    """Declared fields by attribute name, primary key first, then declaration order."""
    db_fields: Mapping[str, BaseField[Any]]
    """The same fields by stored key."""
    positional: tuple[str, ...]
    """Field names that positional constructor arguments bind to, in order."""
    defaults: tuple[BaseField[Any], ...]
    """Fields with a default, applied when a new document is constructed."""
    pk_name: str | None
    is_document: bool
    """A top-level document with a collection (not embedded, not abstract)."""
    is_embedded: bool
    abstract: bool
    dynamic: bool
    stores_cls: bool
    """Whether ``_cls`` is written: the class hierarchy allows inheritance."""
    allow_inheritance: bool
    collection: str | None
    meta: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    indexes: tuple[Any, ...] = ()
    auto_pk: bool = False
    """The primary key is the automatic ``id`` (no positional argument binds to it)."""
    enforce_schema: bool = False
    """``meta["enforce_schema"]``: loading a document lacking a declared field is an error."""
    versioned: bool = False
    """``meta["versioned"]``: writes compare-and-set the stored ``_version`` (``_versioning``)."""
    dump_table: tuple[tuple[str, str, BaseField[Any], Any, bool], ...] = ()
    """``(name, stored name, field, to_mongo or None when stored as is, plain)``."""
    check_table: tuple[tuple[str, BaseField[Any], Any, bool], ...] = ()
    """``(name, field, quick validity predicate or None, plain)``."""
    default_table: tuple[tuple[str, Any, Any, bool], ...] = ()
    """``(name, factory or None, constant, plain)``: how a new document gets each default."""
    field_names: frozenset[str] = frozenset()
    plain_names: frozenset[str] = frozenset()
    """Plain fields (see ``fields._access.PlainAccess``): values live in the instance dict."""
    fast_keys: frozenset[str] = frozenset()
    """Stored keys that are safe in the instance dict as they are: when a loaded document has
    no other key, its stored document becomes its ``__dict__`` (an embedded document copies it
    before its first change: it is part of its parent's baseline). Empty for dynamic
    documents: they always copy just the plain values."""
    plain_coercers: tuple[tuple[str, Any], ...] = ()
    other_fields: tuple[tuple[str, Any], ...] = ()
    """``(name, coerce or None)`` for the fields that are not plain."""
    save_work: tuple[BaseField[Any], ...] = ()
    """Fields with work around a save (``has_save_work``), in ``save_order``: ``save()``
    calls them directly; empty for most models, which then pay nothing."""
    delete_work: tuple[BaseField[Any], ...] = ()
    """Fields with work around a delete (``has_delete_work``)."""
    reference_fields: tuple[tuple[str, str], ...] = ()
    """``(name, stored name)`` of the top-level fields holding references: what
    ``select_related()`` prefetches by default and ``no_dereference()`` reads raw."""
    batch_loaders: tuple[tuple[BatchLoader, tuple[BaseField[Any], ...]], ...] = ()
    """``(loader, fields)``: the fields answering ``batch_loader()``, grouped by the answer,
    in declaration order; a queryset runs each loader once per batch of loaded documents.
    Empty for most models, whose loading then pays nothing."""
    delete_rules: tuple[RuleEntry, ...] = ()
    """The delete rules this class declares on its reference fields: the registry adds them
    to its rule graph when the class is registered (and drops them with it)."""
    index_plans: tuple[Any, ...] | None = None
    """Every index the class declares, compiled at definition; None when that had to wait
    (an embedded class named by a string not defined yet) or for embedded classes."""
    capped: Mapping[str, Any] | None = None
    """The capped-collection options (``max_documents`` / ``max_size``), or None."""
    definition_error: InvalidDocumentError | None = None
    """Why the index settings of the class are invalid: the class statement raised it after
    the class was registered, so collection-wide operations skip the class."""

    @property
    def pk_field(self) -> BaseField[Any] | None:
        return self.fields[self.pk_name] if self.pk_name else None


Schema = ClassRecord
