"""``asyncodm.describe(Model)``: one self-description of a document class (API.md §11).

Stage: schema (read only). A ``ModelSpec`` is built from the class's compiled ``Schema`` and
each field's own ``describe()``; pydantic models, admin forms, ``$jsonSchema`` validators and
docs all read it, so none of them asks a field which class it is. Nothing here runs when
documents are loaded or saved: a spec is computed the first time it is asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from asyncodm._schema._compile import Schema
from asyncodm.fields._spec import FieldSpec

__all__ = ["ModelSpec", "describe"]

#: Where a class keeps its spec: in its own ``__dict__``, so a subclass (or a class redefined
#: under the same name) never sees another class's.
_CACHE = "_asyncodm_model_spec"


@dataclass(frozen=True)
class ModelSpec:
    """The self-description of a document class.

    Attributes:
        name: The class name.
        model: The class itself.
        collection: The collection name; None for embedded and abstract classes.
        embedded / dynamic / abstract: What kind of document it is (dynamic documents store
            undeclared attributes too).
        fields: Field name -> ``FieldSpec``, read-only and ordered as documents are stored:
            the primary key first (the automatic ``id`` when none is declared), then the
            fields in declaration order, a parent's before its subclass's.
        pk: The primary key field's name (None for embedded and abstract classes without one).
        class_name: The ``_cls`` value (``"Page.SpecialPage"``); written only if
            ``stores_cls``.
        allow_inheritance: Whether the class may be subclassed into its collection.
        stores_cls: Whether stored documents carry ``_cls`` (the hierarchy allows
            inheritance), which a ``$jsonSchema`` must then allow.
        db_alias: The connection alias of a top-level document (``"default"`` unless meta
            says otherwise); None for embedded and abstract classes.
        indexes: The meta index declarations, as given (the parents' first).
        meta: The merged settings, read-only.
        versioned: Whether stored documents carry a ``_version`` that every write moves on
            (``meta = {"versioned": True}``: optimistic concurrency), which a ``$jsonSchema``
            must then allow.
    """

    name: str
    model: type
    collection: str | None
    embedded: bool
    dynamic: bool
    abstract: bool
    fields: Mapping[str, FieldSpec]
    pk: str | None
    class_name: str
    allow_inheritance: bool
    stores_cls: bool
    db_alias: str | None
    indexes: tuple[Any, ...]
    meta: Mapping[str, Any]
    versioned: bool = False

    def __hash__(self) -> int:
        # The mappings are not hashable; equal specs describe the same class.
        return hash(self.model)


def describe(model: Any) -> ModelSpec:
    """The ``ModelSpec`` of a document class (or of an instance's class).

    Works for every document class (``Document``, ``DynamicDocument``, the embedded ones and
    the dialects' models). Kept on the class once every field's spec may be kept (a
    reference to a class by name is resolved again on each call, so a redefined class is
    seen).

    Raises:
        TypeError: ``model`` is not a document class.
        NotRegistered: a field names a class that is not defined yet.
    """
    cls = model if isinstance(model, type) else type(model)
    schema = cls.__dict__.get("_schema")
    if not isinstance(schema, Schema):
        raise TypeError(f"describe() expects a document class, found {cls.__name__}")
    cached = cls.__dict__.get(_CACHE)
    if isinstance(cached, ModelSpec):
        return cached
    spec = _build(schema)
    if all(f._describe_stable() for f in schema.fields.values()):
        type.__setattr__(cls, _CACHE, spec)
    return spec


def _build(schema: Schema) -> ModelSpec:
    fields = {name: f.describe() for name, f in schema.fields.items()}
    meta = schema.meta
    alias = (meta.get("db_alias") or "default") if schema.is_document else None
    return ModelSpec(
        name=schema.model.__name__,
        model=schema.model,
        collection=schema.collection,
        embedded=schema.is_embedded,
        dynamic=schema.dynamic,
        abstract=schema.abstract,
        fields=MappingProxyType(fields),
        pk=schema.pk_name,
        class_name=schema.class_name,
        allow_inheritance=schema.allow_inheritance,
        stores_cls=schema.stores_cls,
        db_alias=alias,
        indexes=schema.indexes,
        meta=meta,
        versioned=schema.versioned,
    )
