"""One lookup and its value -> one MongoDB condition (``{"$gte": since}``).

Stage: compile (pure). Every value goes through its field's ``prepare_query_value`` so a query
matches what ``save`` stored (datetimes, Decimal128, UUID binaries, enum values; documents
become their pk; embedded documents their SON). Three rules keep user input inert:

* a dict given as an equality value is wrapped in ``$eq``, so ``{"$ne": None}`` from a JSON body
  is compared as a value and never runs as an operator
  (https://www.mongodb.com/docs/manual/reference/operator/query/eq/);
* string lookups (``contains``, ``istartswith``...) escape the user's text with ``re.escape``;
  only ``regex``/``iregex`` take a pattern, because there the pattern *is* the input;
* patterns are sent as ``{"$regex": str, "$options": ...}`` rather than compiled objects, which
  every server and wire fake accepts
  (https://www.mongodb.com/docs/manual/reference/operator/query/regex/).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from bson import Regex

from asyncodm.errors import LookUpError, ValidationError
from asyncodm.fields._base import BaseField, describe
from asyncodm.fields._compound import DynamicField
from asyncodm.fields._text import PATTERN_TEMPLATES, string_pattern
from asyncodm.queryset._lookups import Lookup

__all__ = ["compile_condition", "document_to_pk", "pattern_to_regex", "string_condition"]

_dynamic = DynamicField()

#: Lookup -> ``$`` operator for the operators that map one to one.
_SIMPLE = {
    "ne": "$ne", "lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte", "in": "$in",
    "nin": "$nin", "all": "$all", "mod": "$mod", "size": "$size", "exists": "$exists",
    "type": "$type",
}  # fmt: skip

_FLAGS = ((re.IGNORECASE, "i"), (re.MULTILINE, "m"), (re.DOTALL, "s"), (re.VERBOSE, "x"))

_LISTLIKE = (list, tuple, set, frozenset)


def pattern_to_regex(pattern: re.Pattern[str] | Regex[Any]) -> dict[str, Any]:
    """``{"$regex": ..., "$options": ...}`` for a compiled pattern (Python flags mapped)."""
    if isinstance(pattern, Regex):
        flags = int(pattern.flags)
        source = str(pattern.pattern)
    else:
        flags, source = pattern.flags, pattern.pattern
    options = "".join(letter for flag, letter in _FLAGS if flags & flag)
    out: dict[str, Any] = {"$regex": source}
    if options:
        out["$options"] = options
    return out


def string_condition(op: str, value: str) -> dict[str, Any]:
    """The ``$regex`` for a string lookup; user text is escaped except for regex/iregex
    (the patterns are ``fields._text``'s, shared with ``StringField``)."""
    found = string_pattern(op, value)
    if found is None:
        raise LookUpError(f"{op!r} is not a string lookup")
    source, insensitive = found
    out: dict[str, Any] = {"$regex": source}
    if insensitive:
        out["$options"] = "i"
    return out


def document_to_pk(value: Any) -> Any:
    """A top-level document stands for its primary key in a query (``author=bob``)."""
    schema = getattr(type(value), "_schema", None)
    if schema is not None and schema.is_document and hasattr(value, "pk"):
        return value.pk
    if isinstance(value, list):
        return [document_to_pk(v) for v in value]
    return value


def _prepare(field: BaseField[Any] | None, op: str | None, value: Any) -> Any:
    prepared = (field or _dynamic).prepare_query_value(op, value)
    return document_to_pk(prepared)


def _as_list(lookup: Lookup, value: Any) -> list[Any]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise ValidationError(
            errors={
                lookup.name: f"expected a list of values for {lookup.op!r}, found {describe(value)}"
            }
        )
    return list(value)


def _check_size(lookup: Lookup, value: Any) -> None:
    """``$size`` takes a count: an operator document (``{"$gt": 0}``) is refused here, as data,
    instead of reaching the server as a malformed filter."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(
            errors={
                lookup.name: f"expected a count (an integer >= 0) for 'size', found {describe(value)}"
            }
        )


def _check_type(lookup: Lookup, value: Any) -> None:
    """``$type`` takes a BSON type number or alias, or a list of them."""
    items = value if isinstance(value, (list, tuple)) and value else [value]
    if any(isinstance(v, bool) or not isinstance(v, (int, str)) for v in items):
        raise ValidationError(
            errors={
                lookup.name: "expected a BSON type number or alias (or a list of them) for "
                f"'type', found {describe(value)}"
            }
        )


def _equality(lookup: Lookup, value: Any) -> Any:
    """The value to compare with (never an operator document)."""
    if isinstance(value, (re.Pattern, Regex)):
        return pattern_to_regex(value)
    prepared = _prepare(lookup.field, None, value)
    if isinstance(prepared, (re.Pattern, Regex)):
        return pattern_to_regex(prepared)
    if isinstance(prepared, Mapping):
        return {"$eq": dict(prepared)}
    return prepared


def _string(lookup: Lookup, op: str, value: Any) -> Any:
    if op == "exact":
        prepared = _prepare(lookup.field, "exact", value)
        if isinstance(prepared, (re.Pattern, Regex)):
            return pattern_to_regex(prepared)
        return _equality(lookup, value)
    if isinstance(value, (re.Pattern, Regex)) and op in ("regex", "iregex"):
        cond = pattern_to_regex(value)
        if op == "iregex" and "i" not in cond.get("$options", ""):
            cond["$options"] = cond.get("$options", "") + "i"
        return cond
    if not isinstance(value, str):
        raise ValidationError(
            errors={lookup.name: f"expected a string for {op!r}, found {describe(value)}"}
        )
    return string_condition(op, value)


def _match(lookup: Lookup, value: Any, compile_sub: Any) -> dict[str, Any]:
    """``$elemMatch``: a sub-query on the items of a list.

    For a list of embedded documents the keys are lookups of the item class
    (``comments__match={"author": "bob", "votes__gte": 2}``); for scalar items, operators
    (``{"$gte": 80}``). https://www.mongodb.com/docs/manual/reference/operator/query/elemMatch/
    """
    field = lookup.field
    item = field.item_field if field is not None and field.accepts_item_values else None
    doc_type = getattr(item, "document_type", None)
    schema = getattr(doc_type, "_schema", None) if doc_type is not None else None
    if schema is not None and (not isinstance(value, Mapping) or not _all_operators(value)):
        return {"$elemMatch": compile_sub(schema, value)}
    if isinstance(value, Mapping):
        return {"$elemMatch": dict(value)}
    raise ValidationError(
        errors={lookup.name: f"expected a dict or Q for 'match', found {describe(value)}"}
    )


def _all_operators(value: Mapping[str, Any]) -> bool:
    return bool(value) and all(str(k).startswith("$") for k in value)


def _geometry(value: Any, default_type: str) -> Any:
    """A GeoJSON geometry from a dict, a geometry, or bare coordinates."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, _LISTLIKE):
        return {"type": default_type, "coordinates": _lists(value)}
    return value


def _lists(value: Any) -> Any:
    if isinstance(value, _LISTLIKE):
        return [_lists(v) for v in value]
    return value


def _shape_type(coordinates: Any) -> str:
    """GeoJSON type implied by the nesting depth of bare coordinates."""
    depth = 0
    while isinstance(coordinates, _LISTLIKE) and coordinates:
        coordinates = next(iter(coordinates))
        depth += 1
    return {1: "Point", 2: "LineString"}.get(depth, "Polygon")


def _geo(lookup: Lookup, op: str, value: Any) -> dict[str, Any]:
    """Geospatial operators as MongoEngine writes them.

    ``near`` on a GeoJSON field becomes ``$near: {$geometry: Point}``; a ``max_distance`` /
    ``min_distance`` on the same field is folded into it (see ``_compile.fold_geo``).
    https://www.mongodb.com/docs/manual/reference/operator/query-geospatial/
    """
    legacy = getattr(lookup.field, "index_type", "2dsphere") == "2d"
    if op in ("near", "near_sphere"):
        key = "$near" if op == "near" else "$nearSphere"
        if legacy:
            return {key: _lists(value)}
        return {key: {"$geometry": _geometry(value, "Point")}}
    if op == "max_distance":
        return {"$maxDistance": value}
    if op == "min_distance":
        return {"$minDistance": value}
    if op == "geo_within":
        return {"$geoWithin": {"$geometry": _geometry(value, "Polygon")}}
    if op == "geo_intersects":
        return {"$geoIntersects": {"$geometry": _geometry(value, _shape_type(value))}}
    shape = {
        "geo_within_box": "$box",
        "geo_within_polygon": "$polygon",
        "geo_within_center": "$center",
        "geo_within_sphere": "$centerSphere",
    }[op]
    return {"$geoWithin": {shape: _lists(value)}}


def compile_condition(lookup: Lookup, value: Any, compile_sub: Any) -> Any:
    """The condition for ``lookup`` (a value for equality, else an operator document).

    ``compile_sub(schema, query)`` compiles a nested query (``match`` on embedded documents).
    """
    op = lookup.op
    if op is None:
        cond = _equality(lookup, value)
    elif op in PATTERN_TEMPLATES or op in ("iexact", "icontains", "istartswith", "iendswith", "regex",
                                    "iregex", "iwholeword"):  # fmt: skip
        cond = _string(lookup, op, value)
    elif op in ("elemMatch", "match"):
        cond = _match(lookup, value, compile_sub)
    elif op in _SIMPLE:
        if op in ("in", "nin", "all"):
            value = _as_list(lookup, value)
        elif op == "exists":
            value = bool(value)
        elif op == "mod":
            value = _as_list(lookup, value)
        elif op == "size":
            _check_size(lookup, value)
        elif op == "type":
            _check_type(lookup, value)
        if op not in ("exists", "size", "type", "mod"):
            value = _prepare(lookup.field, op, value)
        cond = {_SIMPLE[op]: value}
    else:
        cond = _geo(lookup, op, value)
    if lookup.negated:
        return _negate(cond)
    return cond


def _negate(cond: Any) -> dict[str, Any]:
    """``__not__``: ``$ne`` for a plain value, ``$not`` around an operator document (a string
    lookup's pattern becomes a BSON regular expression there).

    https://www.mongodb.com/docs/manual/reference/operator/query/not/
    """
    if isinstance(cond, dict) and cond and all(k.startswith("$") for k in cond):
        if set(cond) == {"$eq"}:
            return {"$ne": cond["$eq"]}
        if set(cond) <= {"$regex", "$options"}:
            # the BSON regex form: what $not has always accepted, on every server version
            return {"$not": Regex(cond["$regex"], cond.get("$options", ""))}
        return {"$not": cond}
    return {"$ne": cond}
