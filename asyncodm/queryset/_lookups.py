"""Lookups: ``"comments__0__author__istartswith"`` -> stored path, field and operator.

Stage: lookups (pure). A keyword of ``filter()``/``update()`` names a path through the model,
written with ``__`` (Django/MongoEngine) and ending in an optional operator. This module splits
the keyword and walks the compiled ``Schema``: attribute names become stored names
(``db_field``), embedded documents are entered, list items are indexed (``tags__0``) or reached
through (``comments__author`` matches any comment), ``pk``/``id`` mean ``_id``, and dynamic
documents accept undeclared names. A name that matches nothing raises ``LookUpError`` naming the
model and the bad path, so a typo never silently becomes a query that matches nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from asyncodm._registry import registry
from asyncodm.errors import LookUpError
from asyncodm.fields._base import BaseField
from asyncodm.fields._compound import DictField, DynamicField, ListField
from asyncodm.fields._embedded import EmbeddedDocumentField, GenericEmbeddedDocumentField

__all__ = [
    "COMPARISON_OPS",
    "GEO_OPS",
    "QUERY_OPS",
    "STRING_OPS",
    "UPDATE_OPS",
    "Lookup",
    "UpdateKey",
    "parse_lookup",
    "parse_update_key",
    "resolve_path",
]

#: Comparison and element operators (https://www.mongodb.com/docs/manual/reference/operator/query/).
COMPARISON_OPS: frozenset[str] = frozenset(
    {
        "ne", "lt", "lte", "gt", "gte", "in", "nin", "mod", "all", "size", "exists", "type",
        "elemMatch", "match",
    }
)  # fmt: skip
#: String lookups: compiled to ``$regex`` with the user's text escaped (except regex/iregex).
STRING_OPS: frozenset[str] = frozenset(
    {
        "exact", "iexact", "contains", "icontains", "startswith", "istartswith", "endswith",
        "iendswith", "regex", "iregex", "wholeword", "iwholeword",
    }
)  # fmt: skip
#: Geospatial lookups (https://www.mongodb.com/docs/manual/reference/operator/query-geospatial/).
GEO_OPS: frozenset[str] = frozenset(
    {
        "geo_within", "geo_within_box", "geo_within_polygon", "geo_within_center",
        "geo_within_sphere", "geo_intersects", "near", "near_sphere", "max_distance",
        "min_distance",
    }
)  # fmt: skip
QUERY_OPS: frozenset[str] = COMPARISON_OPS | STRING_OPS | GEO_OPS | {"not"}

#: Update operators (https://www.mongodb.com/docs/manual/reference/operator/update/).
UPDATE_OPS: frozenset[str] = frozenset(
    {
        "set", "unset", "inc", "dec", "mul", "max", "min", "push", "push_all", "pull",
        "pull_all", "add_to_set", "pop", "rename", "set_on_insert", "current_date",
    }
)  # fmt: skip

#: Path parts meaning "the matched array element" in updates (MongoEngine writes ``S``).
_POSITIONAL = {"S": "$", "$": "$", "$[]": "$[]"}
_FILTERED = re.compile(r"\$\[[A-Za-z_]\w*\]")


@dataclass(frozen=True, slots=True)
class Lookup:
    """One resolved filter keyword."""

    path: str
    """The stored dotted path (``comments.author``)."""
    field: BaseField[Any] | None
    """The field whose values sit at ``path`` (None: undeclared/dynamic, no conversion)."""
    op: str | None
    """The operator (``gte``, ``istartswith``...), None for equality."""
    negated: bool = False
    """``__not__`` preceded the operator."""
    name: str = ""
    """The keyword as written, for error messages."""


@dataclass(frozen=True, slots=True)
class UpdateKey:
    """One resolved update keyword (``push__tags``)."""

    op: str
    path: str
    field: BaseField[Any] | None
    label: str
    """The dotted attribute path, for validation messages (``author.name``)."""
    position: int | None = None
    """``push__tags__0``: insert at this index (``$position``)."""


def _model_name(schema: Any) -> str:
    return str(schema.model.__name__)


def _subclass_field(schema: Any, name: str) -> BaseField[Any] | None:
    """A field declared on a registered subclass sharing this collection (MongoEngine allows
    querying a parent for a child's field)."""
    if not schema.stores_cls:
        return None
    for class_name in registry.class_names_under(schema.model):
        sub = registry.by_class_name(class_name)
        found: BaseField[Any] | None = None if sub is None else _own_field(sub._schema, name)  # type: ignore[attr-defined]
        if found is not None:
            return found
    return None


def _own_field(schema: Any, name: str) -> BaseField[Any] | None:
    fields: Mapping[str, BaseField[Any]] = schema.fields
    found = fields.get(name)
    if found is not None:
        return found
    if schema.pk_name is not None and (name == "pk" or (name == "id" and "id" not in fields)):
        return fields[schema.pk_name]
    by_db: BaseField[Any] | None = schema.db_fields.get(name)
    return by_db


def _embedded_schema(field: BaseField[Any]) -> Any:
    """The Schema inside an embedded-document field, or None."""
    if not isinstance(field, EmbeddedDocumentField):
        return None
    return field.document_type._schema


def _schemaless(field: BaseField[Any]) -> bool:
    """Fields whose inner structure is not declared: the rest of a path is taken as written."""
    return isinstance(field, (DynamicField, GenericEmbeddedDocumentField))


def resolve_path(
    schema: Any, parts: list[str] | tuple[str, ...], *, key: str | None = None
) -> tuple[str, BaseField[Any] | None, str]:
    """Walk ``parts`` through ``schema``.

    Returns:
        The stored dotted path, the field holding values at its end (None when the path leaves
        the declared schema through a dynamic document or a schemaless field), and the dotted
        attribute path (for messages).

    Raises:
        LookUpError: A part names no field, naming the model and the path up to that part.
    """
    stored: list[str] = []
    labels: list[str] = []
    scope: Any = schema  # a Schema to resolve the next name in, or None: inside ``field``
    field: BaseField[Any] | None = None
    free = False  # past a schemaless point: the rest of the path is taken as written
    for i, part in enumerate(parts):
        if free:
            stored.append(_POSITIONAL.get(part, part))
            labels.append(part)
            field = None
            continue
        if scope is None:
            assert field is not None
            if isinstance(field, ListField):
                if part.isdigit() or part in _POSITIONAL or _FILTERED.fullmatch(part):
                    stored.append(_POSITIONAL.get(part, part))
                    labels.append(part)
                    field = field.field
                    scope = _embedded_schema(field)
                    free = scope is None and _schemaless(field) and i < len(parts) - 1
                    continue
                item = field.field
                scope = _embedded_schema(item)  # a list of subdocuments: match any item's field
                if scope is None:
                    if not _schemaless(item):
                        raise _unknown(schema, parts, i, key, f"{labels[-1]!r} holds no documents")
                    free = True
                    stored.append(part)
                    labels.append(part)
                    field = None
                    continue
            elif isinstance(field, DictField):
                stored.append(part)
                labels.append(part)
                field = field.field
                scope = _embedded_schema(field)
                free = scope is None and _schemaless(field) and i < len(parts) - 1
                continue
            elif _schemaless(field):
                free = True
                stored.append(_POSITIONAL.get(part, part))
                labels.append(part)
                field = None
                continue
            else:
                raise _unknown(schema, parts, i, key, f"{labels[-1]!r} has no inner fields")
        found = _own_field(scope, part)
        if found is None and scope is schema:
            found = _subclass_field(schema, part)
        if found is None:
            if (part == "_cls" and scope.stores_cls) or scope.dynamic:
                stored.append(part)
                labels.append(part)
                field = None
                free = True
                continue
            raise _unknown(schema, parts, i, key, None)
        stored.append(found.db_field)
        labels.append(found.name or part)
        field = found
        scope = _embedded_schema(found)
        free = scope is None and _schemaless(found) and i < len(parts) - 1
    return ".".join(stored), field, ".".join(labels)


def _unknown(
    schema: Any, parts: list[str] | tuple[str, ...], index: int, key: str | None, why: str | None
) -> LookUpError:
    bad = "__".join(parts[: index + 1])
    written = key if key is not None else "__".join(parts)
    reason = f" ({why})" if why else ""
    known = ", ".join(schema.fields) or "none"
    return LookUpError(
        f"{_model_name(schema)} has no field {bad!r}{reason} in lookup {written!r}; "
        f"its fields are: {known}"
    )


def _split(key: str) -> list[str]:
    parts = key.replace(".", "__").split("__")
    if any(p == "" for p in parts):
        raise LookUpError(f"malformed lookup {key!r}: empty name between '__' separators")
    for part in parts:
        # a name may never smuggle in an operator ({"$where": ...}), even on a dynamic
        # document; only the positional update operators ($, $[], $[id]) are paths
        if part.startswith("$") and part not in _POSITIONAL and _FILTERED.fullmatch(part) is None:
            raise LookUpError(f"invalid lookup {key!r}: field names cannot start with '$'")
    return parts


def parse_lookup(schema: Any, key: str) -> Lookup:
    """Resolve one filter keyword (``age__not__gte``) against ``schema``."""
    parts = _split(key)
    op: str | None = None
    negated = False
    if len(parts) > 1 and parts[-1] in QUERY_OPS:
        op = parts.pop()
        if op == "not":
            negated, op = True, None
        elif len(parts) > 1 and parts[-1] == "not":
            parts.pop()
            negated = True
    path, field, _label = resolve_path(schema, parts, key=key)
    return Lookup(path=path, field=field, op=op, negated=negated, name=key)


def parse_update_key(schema: Any, key: str) -> UpdateKey:
    """Resolve one update keyword (``set__author__name``; no operator means ``set``)."""
    parts = _split(key)
    op = "set"
    if len(parts) > 1 and parts[0] in UPDATE_OPS:
        op = parts.pop(0)
    elif parts[0] in UPDATE_OPS and len(parts) == 1:
        raise LookUpError(f"update {key!r} names an operator but no field")
    elif len(parts) > 2 and "_".join(parts[:2]) in UPDATE_OPS:  # tolerate set_on_insert spelt apart
        op = "_".join(parts[:2])
        parts = parts[2:]
    position: int | None = None
    if op == "push" and len(parts) > 1 and parts[-1].isdigit():
        position = int(parts.pop())
    path, field, label = resolve_path(schema, parts, key=key)
    return UpdateKey(op=op, path=path, field=field, label=label, position=position)
