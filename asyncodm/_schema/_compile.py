"""Build a document class's record once, at definition time: ``compile_class(cls)``.

Stage: schema (pure). Every later step (loading, saving, deleting, validation, queries,
indexes) reads only the frozen ``ClassRecord``, never the class body again. Settings come from
``meta = {...}`` (MongoEngine) or an inner ``class Meta:`` (PyMODM); both are merged with what
the parent classes set. One small function per job, after attrs' ``_ClassBuilder``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from asyncodm._schema._index_plans import check_definition
from asyncodm._schema._record import ClassRecord, Schema
from asyncodm._schema._rules import rule_declarations
from asyncodm._schema._versioning import VERSION_KEY, versioned_setting
from asyncodm.errors import InvalidDocumentError
from asyncodm.fields._access import unwrap_field
from asyncodm.fields._answers import BatchLoader
from asyncodm.fields._base import BaseField
from asyncodm.fields._scalar import ObjectIdField

__all__ = [
    "META_KEYS",
    "RESERVED_NAMES",
    "ClassRecord",
    "Schema",
    "compile_class",
    "resolve_meta",
    "snake_case",
]

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
        "versioned",
    }
)

META_KEYS = _INHERITED | {"abstract", "collection", "indexes", "final", "id_field"}

_ALIASES = {
    "collection_name": "collection",
    "connection_alias": "db_alias",
    "index_cls": "index_cls",
}

#: Attribute names of the document API that a field may not take (a test pins that this
#: covers every public attribute of ``Document``).
RESERVED_NAMES = frozenset(
    {
        "clean",
        "clean_fields",
        "compare_indexes",
        "delete",
        "drop_collection",
        "ensure_indexes",
        "from_document",
        "from_json",
        "from_son",
        "full_clean",
        "get_collection",
        "is_valid",
        "json_schema",
        "list_indexes",
        "modify",
        "objects",
        "pk",
        "refresh_from_db",
        "register_delete_rule",
        "reload",
        "save",
        "sync_validator",
        "to_dbref",
        "to_dict",
        "to_json",
        "to_mongo",
        "to_son",
        "update",
        "validate",
        "watch",
        "DoesNotExist",
        "MultipleObjectsReturned",
        "meta",
        "Meta",
    }
)

_FIRST_CAP = re.compile(r"(.)([A-Z][a-z]+)")
_ALL_CAP = re.compile(r"([a-z0-9])([A-Z])")


def snake_case(name: str) -> str:
    """``BlogPost`` -> ``blog_post``; ``HTTPServer`` -> ``http_server``."""
    return _ALL_CAP.sub(r"\1_\2", _FIRST_CAP.sub(r"\1_\2", name)).lower()


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


def compile_class(cls: type, *, is_embedded: bool, dynamic: bool) -> ClassRecord:
    """Build the record of ``cls`` from its own namespace and its parents' records.

    Each job is its own step below (meta, fields, primary key, stored names, naming, the hot
    paths' tables, save-time work, delete rules, index plans); the record is frozen once built.

    Args:
        cls: The class being defined (its namespace holds the fields declared on it).
        is_embedded: Whether it is an embedded document (no collection, no primary key).
        dynamic: Whether undeclared attributes are stored.
    """
    own_meta = resolve_meta(cls)
    parent = _parent_record(cls)
    abstract = bool(own_meta.get("abstract", False))
    meta = _merged_meta(cls, own_meta, parent, abstract)
    is_document = not is_embedded and not abstract
    fields, pk_name, auto_pk = _choose_pk(
        cls, _collect_fields(cls), is_embedded=is_embedded, abstract=abstract
    )
    db_fields = _stored_names(cls, fields, auto_pk)
    class_name, stores_cls = _class_name(cls, parent, meta)
    collection = _collection(cls, own_meta, parent, is_document)
    if collection is not None:
        meta["collection"] = collection
    indexes = (*(parent.indexes if parent is not None else ()), *(own_meta.get("indexes") or ()))
    meta["indexes"] = list(indexes)
    versioned = versioned_setting(
        cls.__name__, meta, is_embedded=is_embedded, parent=parent, field_keys={*fields, *db_fields}
    )
    record = ClassRecord(
        model=cls,
        class_name=class_name,
        fields=MappingProxyType(fields),
        db_fields=MappingProxyType(db_fields),
        positional=tuple(n for n in fields if not (auto_pk and n == pk_name)),
        defaults=tuple(f for f in fields.values() if f.has_default),
        pk_name=pk_name,
        is_document=is_document,
        is_embedded=is_embedded,
        abstract=abstract,
        dynamic=dynamic,
        stores_cls=stores_cls,
        allow_inheritance=bool(meta.get("allow_inheritance", False)),
        collection=collection,
        meta=MappingProxyType(meta),
        indexes=indexes,
        auto_pk=auto_pk,
        enforce_schema=bool(meta.get("enforce_schema")),
        versioned=versioned,
        **_hot_path_tables(fields, dynamic, versioned),
        save_work=_fields_with(fields, "has_save_work"),
        delete_work=_fields_with(fields, "has_delete_work"),
        batch_loaders=_batch_loaders(fields),
        reference_fields=tuple(
            (n, f.db_field) for n, f in fields.items() if f.references() is not None
        ),
        delete_rules=rule_declarations(cls, fields, is_embedded, is_document, collection),
    )
    plans, capped, error = check_definition(record)
    return replace(record, index_plans=plans, capped=capped, definition_error=error)


def _parent_record(cls: type) -> ClassRecord | None:
    """The record of the nearest parent that has one (the library's bases have none)."""
    for klass in cls.__mro__[1:]:
        record = klass.__dict__.get("_schema")
        if isinstance(record, ClassRecord):
            return record
    return None


def _merged_meta(
    cls: type, own_meta: dict[str, Any], parent: ClassRecord | None, abstract: bool
) -> dict[str, Any]:
    """The parent's inherited settings overlaid with this class's own."""
    meta: dict[str, Any] = {}
    if parent is not None:
        meta.update({k: v for k, v in parent.meta.items() if k in _INHERITED})
        if parent.is_document and not abstract and not parent.allow_inheritance:
            raise InvalidDocumentError(
                f"{cls.__name__} cannot subclass {parent.model.__name__}: its meta does not "
                "allow inheritance (set allow_inheritance=True, or make it abstract)"
            )
    meta.update(own_meta)
    return meta


def _collect_fields(cls: type) -> dict[str, BaseField[Any]]:
    """Parents' fields first (in MRO order, most basic first), then this class's own."""
    fields: dict[str, BaseField[Any]] = {}
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            found = unwrap_field(value)
            if found is not None:
                fields[name] = found
            elif name in fields and klass is cls:
                del fields[name]  # a subclass may hide a parent's field with a plain attribute
    return fields


def _choose_pk(
    cls: type, fields: dict[str, BaseField[Any]], *, is_embedded: bool, abstract: bool
) -> tuple[dict[str, BaseField[Any]], str | None, bool]:
    """``(fields with the primary key first, its name, whether it is the automatic id)``.

    A concrete document without a declared primary key gets an automatic ``id`` (an
    ``ObjectIdField``, set on the class here: the one class attribute the builder adds)."""
    pk_names = [n for n, f in fields.items() if f.primary_key]
    if is_embedded and pk_names:
        raise InvalidDocumentError(f"{cls.__name__}: embedded documents have no primary key")
    if len(pk_names) > 1:
        raise InvalidDocumentError(
            f"{cls.__name__} declares more than one primary key: {', '.join(pk_names)}"
        )
    if pk_names:
        pk_name = pk_names[0]
        return {pk_name: fields[pk_name], **fields}, pk_name, False
    if is_embedded or abstract:
        return fields, None, False
    pk_name = "id" if "id" not in fields else "auto_id_0"
    pk_field = ObjectIdField(primary_key=True)
    setattr(cls, pk_name, pk_field)
    pk_field.bind(cls, pk_name)
    return {pk_name: pk_field, **fields}, pk_name, True


def _stored_names(
    cls: type, fields: dict[str, BaseField[Any]], auto_pk: bool
) -> dict[str, BaseField[Any]]:
    """The fields by stored key; names the document API or MongoDB reserve are refused."""
    db_fields: dict[str, BaseField[Any]] = {}
    for name, f in fields.items():
        if name in RESERVED_NAMES and not (auto_pk and f.primary_key):
            raise InvalidDocumentError(
                f"{cls.__name__}.{name}: the name {name!r} is used by asyncodm itself"
            )
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
    return db_fields


def _class_name(cls: type, parent: ClassRecord | None, meta: Mapping[str, Any]) -> tuple[str, bool]:
    """``(the _cls value, whether _cls is stored)``: parents' names joined by dots in a
    hierarchy that allows inheritance."""
    if (
        parent is not None
        and parent.allow_inheritance
        and (parent.is_document or parent.is_embedded)
    ):
        return f"{parent.class_name}.{cls.__name__}", True
    return cls.__name__, bool(meta.get("allow_inheritance", False))


def _collection(
    cls: type, own_meta: Mapping[str, Any], parent: ClassRecord | None, is_document: bool
) -> str | None:
    """The collection name: the class's own setting, the parent's in a hierarchy, else the
    class name in snake_case; a function of the class is allowed (MongoEngine)."""
    if not is_document:
        return None
    collection: Any
    if "collection" in own_meta:
        collection = own_meta["collection"]
    elif parent is not None and parent.is_document and parent.allow_inheritance:
        collection = parent.collection
    else:
        collection = snake_case(cls.__name__)
    if callable(collection):
        collection = collection(cls)
    if collection is not None and (
        not isinstance(collection, str) or not collection or "$" in collection
    ):
        raise InvalidDocumentError(f"{cls.__name__}: invalid collection name {collection!r}")
    return collection


def _hot_path_tables(
    fields: Mapping[str, BaseField[Any]], dynamic: bool, versioned: bool
) -> dict[str, Any]:
    """The tables the generated fast paths and the codec read (see ``ClassRecord``).

    A versioned class's stored ``_version`` is a fast key too, so its documents load without
    a copy (``doc._version`` is a read-only property: the key in the instance dict never
    shadows it)."""
    plain = frozenset(
        n for n, f in fields.items() if f.identity_load and f.db_field == n and not f.primary_key
    )
    fast_keys: frozenset[str] = frozenset()
    if not dynamic:
        fast_keys = frozenset({"_id", "_cls"} | {n for n, f in fields.items() if f.db_field == n})
        if versioned:
            fast_keys |= {VERSION_KEY}
    return {
        "dump_table": tuple(
            (n, f.db_field, f, None if f.identity_dump else f.to_mongo, n in plain)
            for n, f in fields.items()
        ),
        "check_table": tuple((n, f, f.fast_validator(), n in plain) for n, f in fields.items()),
        "default_table": tuple(
            (f.name, _default_factory(f), f.default, f.name in plain)
            for f in fields.values()
            if f.has_default
        ),
        "field_names": frozenset(fields),
        "plain_names": plain,
        "fast_keys": fast_keys,
        "plain_coercers": tuple(
            (n, f.coerce) for n, f in fields.items() if n in plain and f.coerces
        ),
        "other_fields": tuple(
            (n, f.coerce if f.coerces else None) for n, f in fields.items() if n not in plain
        ),
    }


def _fields_with(fields: Mapping[str, BaseField[Any]], flag: str) -> tuple[BaseField[Any], ...]:
    """The fields whose ``flag`` (``has_save_work`` / ``has_delete_work``) is set, in
    ``save_order`` (sequences before uploads), declaration order within one."""
    found = [f for f in fields.values() if getattr(f, flag)]
    return tuple(sorted(found, key=lambda f: f.save_order))


def _batch_loaders(
    fields: Mapping[str, BaseField[Any]],
) -> tuple[tuple[BatchLoader, tuple[BaseField[Any], ...]], ...]:
    """The fields that answer ``batch_loader()``, grouped by the answer (declaration order)."""
    groups: dict[BatchLoader, list[BaseField[Any]]] = {}
    for f in fields.values():
        loader = f.batch_loader()
        if loader is not None:
            groups.setdefault(loader, []).append(f)
    return tuple((loader, tuple(group)) for loader, group in groups.items())


def _default_factory(field: BaseField[Any]) -> Any:
    """None when the default is an immutable constant; else what makes a fresh value each time
    (the callable itself, or a copy of a mutable constant, so instances never share one).

    An embedded document (``EmbeddedDocumentField(Inner, default=Inner(x=1))``) is mutable like
    a list, and so is a list or dict holding documents: each is deep-copied per instance.
    Decided once per class, so a field with an immutable default pays nothing."""
    default = field.default
    if callable(default):
        return default
    if isinstance(default, (list, dict, set)) or _is_document(default):
        return lambda: copy.deepcopy(default)
    return None


def _is_document(value: Any) -> bool:
    """Whether ``value`` is an embedded document instance (its class has a compiled record;
    the document base classes live in a layer above this one). A top-level document as a
    default is a reference to that document, meant to be shared."""
    record = getattr(type(value), "_schema", None)
    return isinstance(record, Schema) and record.is_embedded
