"""Compile a document class once, at definition time, into one frozen ``Schema``.

Stage: schema. Every later step (loading, saving, validation, queries, indexes) reads only the
Schema, never the class body again. Settings come from ``meta = {...}`` (MongoEngine) or an
inner ``class Meta:`` (PyMODM); both are merged with what the parent classes set.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from asyncodm.errors import InvalidDocumentError
from asyncodm.fields._base import BaseField, unwrap_field

__all__ = ["META_KEYS", "Schema", "compile_schema", "resolve_meta", "snake_case"]

#: Keys a subclass inherits from its parents unless it sets them itself.
_INHERITED = frozenset(
    {
        "allow_inheritance",
        "db_alias",
        "ordering",
        "auto_create_index",
        "index_options",
        "index_background",
        "index_cls",
        "queryset_class",
        "read_preference",
        "read_concern",
        "write_concern",
        "codec_options",
        "cascade",
        "enforce_schema",
        "shard_key",
        "max_documents",
        "max_size",
        "strict",
    }
)

META_KEYS = _INHERITED | {"abstract", "collection", "indexes", "final", "id_field"}

_ALIASES = {
    "collection_name": "collection",
    "connection_alias": "db_alias",
    "index_cls": "index_cls",
}

_FIRST_CAP = re.compile(r"(.)([A-Z][a-z]+)")
_ALL_CAP = re.compile(r"([a-z0-9])([A-Z])")


def snake_case(name: str) -> str:
    """``BlogPost`` -> ``blog_post``; ``HTTPServer`` -> ``http_server``."""
    return _ALL_CAP.sub(r"\1_\2", _FIRST_CAP.sub(r"\1_\2", name)).lower()


@dataclass(frozen=True, slots=True)
class Schema:
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
    dump_table: tuple[tuple[str, str, BaseField[Any], Any, bool], ...] = ()
    """``(name, stored name, field, to_mongo or None when stored as is, plain)``."""
    check_table: tuple[tuple[str, BaseField[Any], Any, bool], ...] = ()
    """``(name, field, quick validity predicate or None, plain)``."""
    default_table: tuple[tuple[str, Any, Any, bool], ...] = ()
    """``(name, factory or None, constant, plain)``: how a new document gets each default."""
    field_names: frozenset[str] = frozenset()
    plain_names: frozenset[str] = frozenset()
    """Plain fields (see ``fields._base.PlainAccess``): values live in the instance dict."""
    fast_keys: frozenset[str] = frozenset()
    """Stored keys that are safe in the instance dict as they are: when a loaded document has
    no other key, its stored document becomes its ``__dict__`` (an embedded document copies it
    before its first change: it is part of its parent's baseline). Empty for dynamic
    documents: they always copy just the plain values."""
    plain_coercers: tuple[tuple[str, Any], ...] = ()
    other_fields: tuple[tuple[str, Any], ...] = ()
    """``(name, coerce or None)`` for the fields that are not plain."""

    @property
    def pk_field(self) -> BaseField[Any] | None:
        return self.fields[self.pk_name] if self.pk_name else None


def resolve_meta(cls: type) -> dict[str, Any]:
    """This class's own settings from ``meta`` and/or ``class Meta``, with aliases resolved."""
    own: dict[str, Any] = {}
    inner = cls.__dict__.get("Meta")
    if isinstance(inner, type):
        own.update({k: v for k, v in vars(inner).items() if not k.startswith("__")})
    meta_dict = cls.__dict__.get("meta")
    if meta_dict is not None:
        if not isinstance(meta_dict, Mapping):
            raise InvalidDocumentError(
                f"{cls.__name__}.meta must be a dict, found {type(meta_dict).__name__}"
            )
        own.update(meta_dict)
    for old, new in _ALIASES.items():
        if old in own and old != new:
            own.setdefault(new, own.pop(old))
    if "final" in own:
        own.setdefault("allow_inheritance", not own.pop("final"))
    return own


def compile_schema(
    cls: type,
    *,
    is_embedded: bool,
    dynamic: bool,
    make_pk: Any,
) -> Schema:
    """Build the Schema of ``cls`` from its own namespace and its parents' Schemas.

    Args:
        cls: The class being defined (its namespace holds the fields declared on it).
        is_embedded: Whether it is an embedded document (no collection, no primary key).
        dynamic: Whether undeclared attributes are stored.
        make_pk: Factory for the automatic ``id`` field when no primary key is declared.
    """
    own_meta = resolve_meta(cls)
    parents = [b for b in cls.__mro__[1:] if "_schema" in b.__dict__]
    parent: Schema | None = parents[0].__dict__["_schema"] if parents else None
    abstract = bool(own_meta.get("abstract", False))

    meta: dict[str, Any] = {}
    if parent is not None:
        meta.update({k: v for k, v in parent.meta.items() if k in _INHERITED})
        if parent.is_document and not abstract and not parent.allow_inheritance:
            raise InvalidDocumentError(
                f"{cls.__name__} cannot subclass {parent.model.__name__}: its meta does not "
                "allow inheritance (set allow_inheritance=True, or make it abstract)"
            )
    meta.update(own_meta)

    # Fields: parents first (in MRO order, most basic first), then this class's own.
    fields: dict[str, BaseField[Any]] = {}
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            found = unwrap_field(value)
            if found is not None:
                fields[name] = found
            elif name in fields and klass is cls:
                del fields[name]  # a subclass may hide a parent's field with a plain attribute

    is_document = not is_embedded and not abstract
    pk_names = [n for n, f in fields.items() if f.primary_key]
    if is_embedded and pk_names:
        raise InvalidDocumentError(f"{cls.__name__}: embedded documents have no primary key")
    if len(pk_names) > 1:
        raise InvalidDocumentError(
            f"{cls.__name__} declares more than one primary key: {', '.join(pk_names)}"
        )
    pk_name: str | None = pk_names[0] if pk_names else None
    if pk_name is None and not is_embedded and (is_document or abstract):
        if not abstract:
            pk_name = "id" if "id" not in fields else "auto_id_0"
            pk_field = make_pk()
            setattr(cls, pk_name, pk_field)
            pk_field.bind(cls, pk_name)
            fields = {pk_name: pk_field, **fields}
    elif pk_name is not None:
        fields = {pk_name: fields[pk_name], **{k: v for k, v in fields.items() if k != pk_name}}

    db_fields: dict[str, BaseField[Any]] = {}
    for name, f in fields.items():
        if f.db_field in db_fields and db_fields[f.db_field] is not f:
            raise InvalidDocumentError(
                f"{cls.__name__}: fields {db_fields[f.db_field].name!r} and {name!r} are both "
                f"stored as {f.db_field!r}"
            )
        if f.db_field == "_cls":
            raise InvalidDocumentError(f"{cls.__name__}.{name}: '_cls' is reserved for inheritance")
        if f.db_field == "_id" and not f.primary_key:
            raise InvalidDocumentError(
                f"{cls.__name__}.{name}: only the primary key may be stored as '_id'"
            )
        db_fields[f.db_field] = f

    allow_inheritance = bool(meta.get("allow_inheritance", False))
    inherits_collection = parent is not None and parent.is_document and parent.allow_inheritance
    if inherits_collection:
        assert parent is not None
        class_name = f"{parent.class_name}.{cls.__name__}"
    elif parent is not None and parent.is_embedded and parent.allow_inheritance:
        class_name = f"{parent.class_name}.{cls.__name__}"
    else:
        class_name = cls.__name__
    stores_cls = (
        allow_inheritance
        or inherits_collection
        or (parent is not None and parent.is_embedded and parent.allow_inheritance)
    )

    collection: Any = None
    if is_document:
        if "collection" in own_meta:
            collection = own_meta["collection"]
        elif inherits_collection:
            assert parent is not None
            collection = parent.collection
        else:
            collection = snake_case(cls.__name__)
    if callable(collection):
        collection = collection(cls)  # MongoEngine allows a function of the class
    if collection is not None:
        meta["collection"] = collection
    if collection is not None and (
        not isinstance(collection, str) or not collection or "$" in collection
    ):
        raise InvalidDocumentError(f"{cls.__name__}: invalid collection name {collection!r}")

    indexes: list[Any] = []
    if parent is not None:
        indexes.extend(parent.indexes)
    indexes.extend(own_meta.get("indexes", ()) or ())
    meta["indexes"] = list(indexes)

    positional = tuple(
        n for n, f in fields.items() if not (n == pk_name and getattr(f, "_auto_pk", False))
    )
    defaults = tuple(f for f in fields.values() if f.has_default)
    plain = frozenset(
        n for n, f in fields.items() if f.identity_load and f.db_field == n and not f.primary_key
    )
    dump_table = tuple(
        (n, f.db_field, f, None if f.identity_dump else f.to_mongo, n in plain)
        for n, f in fields.items()
    )
    check_table = tuple((n, f, f.fast_validator(), n in plain) for n, f in fields.items())
    default_table = tuple(
        (f.name, _default_factory(f), f.default, f.name in plain) for f in defaults
    )
    fast_keys: frozenset[str] = frozenset()
    if not dynamic:
        fast_keys = frozenset({"_id", "_cls"} | {n for n, f in fields.items() if f.db_field == n})
    return Schema(
        model=cls,
        class_name=class_name,
        fields=MappingProxyType(fields),
        db_fields=MappingProxyType(db_fields),
        positional=positional,
        defaults=defaults,
        pk_name=pk_name,
        is_document=is_document,
        is_embedded=is_embedded,
        abstract=abstract,
        dynamic=dynamic,
        stores_cls=stores_cls,
        allow_inheritance=allow_inheritance,
        collection=collection,
        meta=MappingProxyType(meta),
        indexes=tuple(indexes),
        dump_table=dump_table,
        check_table=check_table,
        default_table=default_table,
        field_names=frozenset(fields),
        plain_names=plain,
        fast_keys=fast_keys,
        plain_coercers=tuple((n, f.coerce) for n, f in fields.items() if n in plain and f.coerces),
        other_fields=tuple(
            (n, f.coerce if f.coerces else None) for n, f in fields.items() if n not in plain
        ),
    )


def _default_factory(field: BaseField[Any]) -> Any:
    """None when the default is an immutable constant; else what makes a fresh value each time
    (the callable itself, or a copy of a mutable constant, so instances never share one)."""
    default = field.default
    if callable(default):
        return default
    if isinstance(default, (list, dict, set)):
        return lambda: copy.deepcopy(default)
    return None
