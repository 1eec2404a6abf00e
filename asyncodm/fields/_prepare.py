"""Query values for scalar fields: which lookups take a field value, and which take one per item.

Stage: fields. The query compiler hands every lookup and update value to the field with its
operator name (``field.prepare_query_value("gte", since)``); a scalar field answers with
``to_mongo`` of the value, except where the operator's value is not a field value at all
(``exists``, ``size``, ``mod``, geo shapes ...) or is a list of field values (``in``, ``nin``,
``all``). Keeping those two sets here means every scalar field agrees on them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bson import Regex

__all__ = ["EACH_OPS", "RAW_OPS", "prepare_scalar"]

#: Operators whose value is not a value of the field: passed through untouched.
RAW_OPS: frozenset[str] = frozenset(
    {
        "exists",
        "size",
        "type",
        "mod",
        "elemMatch",
        "match",
        "where",
        "text",
        "geo_within",
        "geo_within_box",
        "geo_within_polygon",
        "geo_within_center",
        "geo_within_sphere",
        "geo_intersects",
        "near",
        "near_sphere",
        "max_distance",
        "min_distance",
        "unset",
        "rename",
        "current_date",
        "pop",
    }
)

#: Operators whose value is a collection of field values: each item is converted.
EACH_OPS: frozenset[str] = frozenset({"in", "nin", "all", "push_all", "pull_all"})

_COLLECTIONS = (list, tuple, set, frozenset)


def prepare_scalar(op: str | None, value: Any, convert: Callable[[Any], Any]) -> Any:
    """Convert a query value with ``convert``, item by item for ``in``/``nin``/``all``.

    A compiled pattern (``title=re.compile("^A")``) is a query, not a value, so it is kept.
    """
    if value is None or op in RAW_OPS or isinstance(value, (re.Pattern, Regex)):
        return value
    if op in EACH_OPS and isinstance(value, _COLLECTIONS):
        return [None if item is None else convert(item) for item in value]
    return convert(value)
