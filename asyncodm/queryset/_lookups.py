"""Lookups: ``"comments__0__author__istartswith"`` -> stored path, field and operator.

Stage: lookups (pure). A keyword of ``filter()``/``update()`` names a path through the model,
written with ``__`` (Django/MongoEngine) and ending in an optional operator. This module splits
the keyword, takes the operator off its end, and resolves the path with the one path resolver
(``_schema._paths.resolve``): attribute names become stored names (``db_field``), embedded
documents are entered, list items are indexed (``tags__0``) or reached through
(``comments__author`` matches any comment), ``pk``/``id`` mean ``_id``, and dynamic documents
accept undeclared names. A name that matches nothing raises ``LookUpError`` naming the model and
the bad path, so a typo never silently becomes a query that matches nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from asyncodm._schema._paths import LOOKUP, resolve
from asyncodm.errors import LookUpError
from asyncodm.fields._base import BaseField, is_position

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
    "split_lookup",
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


def split_lookup(key: str) -> list[str]:
    """A keyword's parts (``__`` or ``.`` between them), refusing empty and ``$`` names."""
    parts = key.replace(".", "__").split("__")
    if any(p == "" for p in parts):
        raise LookUpError(f"malformed lookup {key!r}: empty name between '__' separators")
    for part in parts:
        # a name may never smuggle in an operator ({"$where": ...}), even on a dynamic
        # document; only the positional update operators ($, $[], $[id]) are paths
        if part.startswith("$") and not is_position(part):
            raise LookUpError(f"invalid lookup {key!r}: field names cannot start with '$'")
    return parts


def parse_lookup(schema: Any, key: str) -> Lookup:
    """Resolve one filter keyword (``age__not__gte``) against ``schema``."""
    parts = split_lookup(key)
    if any(part[:1] == "$" for part in parts):
        # The positional operators are paths of updates and projections only: in a filter
        # ``{"$._gt": 1}`` would reach the server as an operator name.
        raise LookUpError(
            f"invalid lookup {key!r}: a filter path cannot hold a positional operator "
            "($, $[], $[id]); they belong to updates and projections"
        )
    op: str | None = None
    negated = False
    if len(parts) > 1 and parts[-1] in QUERY_OPS:
        op = parts.pop()
        if op == "not":
            negated, op = True, None
        elif len(parts) > 1 and parts[-1] == "not":
            parts.pop()
            negated = True
    path, field, _, _ = resolve(schema, parts, written=key, rules=LOOKUP)
    return Lookup(path=path, field=field, op=op, negated=negated, name=key)


def parse_update_key(schema: Any, key: str) -> UpdateKey:
    """Resolve one update keyword (``set__author__name``; no operator means ``set``)."""
    parts = split_lookup(key)
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
    resolved = resolve(schema, parts, written=key, rules=LOOKUP)
    path, field, _, _ = resolved
    return UpdateKey(op=op, path=path, field=field, label=resolved.label, position=position)
