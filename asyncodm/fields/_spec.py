"""``FieldSpec``: what a field says about itself (API.md §11).

Stage: fields. Every integration that needs to know what a field is (pydantic models, admin
forms, ``$jsonSchema`` validators, docs) reads a ``FieldSpec`` from ``field.describe()``
instead of asking which class the field is. Each field class contributes its own part (see
``BaseField._describe``); this module only holds the frozen record and the list of kinds, so
it imports nothing but the ``MISSING`` sentinel.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ForwardRef, TypeVar, get_args, get_origin

from asyncodm._types import MISSING

__all__ = ["KINDS", "FieldSpec", "frozen_mapping", "python_type"]

#: Every kind a built-in field describes itself as. A field class with no built-in ancestor
#: (a direct ``BaseField`` subclass that declares no ``kind``) describes as its class name.
KINDS: frozenset[str] = frozenset(
    {
        "objectid",
        "string",
        "email",
        "url",
        "uuid",
        "int",
        "long",
        "float",
        "decimal",
        "bool",
        "datetime",
        "date",
        "complex_datetime",
        "binary",
        "enum",
        "list",
        "sorted_list",
        "dict",
        "map",
        "embedded",
        "generic_embedded",
        "reference",
        "generic_reference",
        "file",
        "image",
        "sequence",
        "point",
        "linestring",
        "polygon",
        "multipoint",
        "multilinestring",
        "multipolygon",
        "geometry_collection",
        "geo_point",
        "dynamic",
        "regex",
        "javascript",
        "ip",
        "timestamp",
    }
)

_EMPTY: Mapping[str, Any] = MappingProxyType({})


def frozen_mapping(items: Mapping[str, Any] | None = None, **more: Any) -> Mapping[str, Any]:
    """A read-only mapping of the entries whose value is not None (a spec lists only what is
    set, so ``"max_length" in spec.constraints`` means there is a bound)."""
    merged = {**(items or {}), **more}
    kept = {k: v for k, v in merged.items() if v is not None}
    return MappingProxyType(kept) if kept else _EMPTY


@dataclass(frozen=True)
class FieldSpec:
    """The self-description of one field: a frozen value, safe to share and cache.

    Attributes:
        name: The attribute name on the document class.
        db_field: The key in the stored document (``"_id"`` for the primary key).
        kind: One of ``KINDS`` (``"string"``, ``"list"``, ``"reference"`` ...), or the class
            name of a custom field that has no built-in ancestor.
        python_type: The type a read gives (``str``; ``list`` for lists, whose items are in
            ``item``; the enum class for enums; the document class for embedded documents;
            ``Ref`` for references; ``object`` when any value fits).
        required / primary_key / unique / unique_with / sparse: As declared (``unique_with``
            implies ``unique``; ``sparse`` is the extra keyword that makes the unique index
            sparse).
        default: ``asyncodm.MISSING`` (none), the constant, or the callable itself (never
            called here: ``datetime.now`` stays ``datetime.now``).
        choices: None, or the allowed values as stored (an enum's member values); what a
            ``Literal`` or a ``$jsonSchema`` ``enum`` needs.
        choice_labels: ``(value, label)`` pairs for each choice (labels given as pairs, else
            the value's ``str``; an enum member's name), for select widgets; None without
            choices.
        null / blank: ``None`` is stored explicitly / empty values are allowed once set.
        auto: The ODM supplies the value when it is missing (an ObjectId pk generated at
            save, a sequence's next value): input models may leave it out.
        constraints: Only the value constraints that are set, read-only: ``min_length``,
            ``max_length`` (characters, or items for lists), ``regex`` (the pattern string,
            matched from the start of the value), ``min_value``, ``max_value``,
            ``precision``, ``max_bytes``, ``subtype`` (when not 0), ``protocol`` (when not
            ``"both"``).
        item: The item's own spec for list, sorted_list, dict and map fields (kind
            ``"dynamic"`` when the items are untyped); None for other kinds.
        document: The embedded document class (for embedded fields and for containers of
            them); None otherwise.
        reference: The target document class of a reference (a name or ``"self"`` resolved
            when described); None otherwise, and for generic references.
        classes: The classes a generic embedded document or generic reference may hold
            (None: any registered class); None for other kinds.
        options: Other settings of the kind, read-only and only those that apply:
            ``ordering``/``reverse`` (sorted lists), ``dbref``/``reverse_delete_rule``
            (references), ``bucket``/``storage`` (files), ``size``/``thumbnail_size``
            (images), ``sequence_name``/``collection_name``/``value_decorator``
            (sequences), ``index_type``/``auto_index`` (geo), ``binary`` (UUIDs),
            ``rounding``/``force_string`` (decimals), ``separator`` (complex datetimes),
            ``schemes`` (URLs), ``allow_utf8_user``/``allow_ip_domain``/
            ``domain_whitelist`` (emails)...
        metadata: ``verbose_name`` and ``help_text`` when given, and every extra keyword
            the field was declared with (``widget="textarea"``), read-only.
    """

    name: str
    db_field: str
    kind: str
    python_type: Any = object
    required: bool = False
    primary_key: bool = False
    unique: bool = False
    unique_with: tuple[str, ...] = ()
    sparse: bool = False
    default: Any = MISSING
    choices: tuple[Any, ...] | None = None
    choice_labels: tuple[tuple[Any, str], ...] | None = None
    null: bool = False
    blank: bool = True
    auto: bool = False
    constraints: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    item: FieldSpec | None = None
    document: type | None = None
    reference: type | None = None
    classes: tuple[type, ...] | None = None
    options: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    metadata: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)

    def __hash__(self) -> int:
        # The mappings are not hashable; equal specs still hash alike (a subset of the fields).
        return hash((self.name, self.db_field, self.kind, self.python_type))


def python_type(cls: type, root: type) -> Any:
    """The Python type a field class reads as, from its ``root[T]`` parameter (``root`` is
    ``BaseField``, passed in: this module imports no field): the nearest concrete one in its
    MRO (``list`` for ``list[T]``); ``object`` when any value fits."""
    for klass in cls.__mro__:
        for base in klass.__dict__.get("__orig_bases__", ()):
            origin = get_origin(base)
            if not (isinstance(origin, type) and issubclass(origin, root)):
                continue
            arg = get_args(base)[0]
            if isinstance(arg, TypeVar) or arg is Any:
                continue
            if isinstance(arg, ForwardRef):  # "Ref[Document]": a name of the field's module
                head = arg.__forward_arg__.partition("[")[0]
                arg = vars(sys.modules[klass.__module__]).get(head, object)
            found = get_origin(arg) or arg
            return found if isinstance(found, type) else object
    return object
