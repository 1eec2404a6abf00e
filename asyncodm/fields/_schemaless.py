"""Schemaless data: what ``DynamicField``, untyped dicts and dynamic attributes hold.

Stage: fields. Converting stored data to Python values and back, checking that Python values
can be stored (keys and types, with dotted paths in errors), and the quick checks that let
validation skip all that for the usual plain data. Containers are copied at C speed first and
only nested containers are visited again.
"""

from __future__ import annotations

import datetime
import decimal
import re
import uuid
from collections.abc import Callable
from typing import Any

from bson import Binary, Code, DBRef, Decimal128, Int64, MaxKey, MinKey, ObjectId, Regex, Timestamp

from asyncodm._codegen import compile_function
from asyncodm._registry import registry
from asyncodm.fields._base import InlineCheck, describe

__all__ = [
    "check_key",
    "compile_list_check",
    "copy_stored",
    "dict_to_mongo",
    "dynamic_to_mongo",
    "dynamic_to_python",
    "quick_dynamic",
    "validate_dynamic",
]

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

#: Values the BSON encoder takes as they are.
_BSON_SCALARS: tuple[type, ...] = (
    str,
    bool,
    int,
    float,
    bytes,
    ObjectId,
    datetime.datetime,
    Decimal128,
    Int64,
    Binary,
    Regex,
    re.Pattern,
    Code,
    Timestamp,
    MinKey,
    MaxKey,
    DBRef,
    uuid.UUID,
)


def check_key(key: Any) -> str | None:
    """Why ``key`` cannot be a key of a stored document, or None if it can."""
    if not isinstance(key, str):
        return f"expected string keys, found key {describe(key)}"
    if key.startswith("$"):
        return f"expected a key not starting with '$', found {key!r}"
    if "." in key:
        return f"expected a key without '.', found {key!r}"
    if "\x00" in key:
        return f"expected a key without NUL characters, found {key!r}"
    return None


def _is_document(value: Any) -> bool:
    return hasattr(type(value), "_schema") and hasattr(value, "to_mongo")


#: Scalars stored exactly as they are (ints only within 64 bits: ``_QUICK_SCALARS`` leaves them
#: out so the quick check tests their range).
_STORED_AS_IS = frozenset({str, bool, int, float, type(None), ObjectId, datetime.datetime, Int64})
_QUICK_SCALARS = _STORED_AS_IS - {int}


def dynamic_to_mongo(value: Any) -> Any:
    """Convert a schemaless Python value into BSON-ready data (new containers every time).

    Dicts and lists are copied at C speed first; only items that are not plain scalars are
    visited again."""
    kind = type(value)
    if kind is dict:
        return dict_to_mongo(value)
    if kind is list:
        return _list_to_mongo(value)
    if kind in _STORED_AS_IS:
        return value
    return _convert_dynamic(value)


def dict_to_mongo(value: dict[str, Any]) -> dict[str, Any]:
    """``dynamic_to_mongo`` of a ``dict`` (the generated dumpers call it directly for a
    schemaless dict): a nested dict or list is converted without the dispatch of another
    ``dynamic_to_mongo`` call."""
    out = value.copy()
    for key, item in value.items():
        kind = type(item)
        if kind in _STORED_AS_IS:
            continue
        if kind is dict:
            out[key] = dict_to_mongo(item)
        elif kind is list:
            out[key] = _list_to_mongo(item)
        else:
            out[key] = _convert_dynamic(item)
    return out


def _list_to_mongo(value: list[Any]) -> list[Any]:
    """``dynamic_to_mongo`` of a ``list``."""
    out = value.copy()
    for i, item in enumerate(value):
        if type(item) not in _STORED_AS_IS:
            out[i] = dynamic_to_mongo(item)
    return out


def _convert_dynamic(value: Any) -> Any:
    if isinstance(value, (str, bool, int, float, ObjectId, datetime.datetime)):
        return value
    if isinstance(value, dict):
        return {k: dynamic_to_mongo(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [dynamic_to_mongo(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return [dynamic_to_mongo(v) for v in value]
    if isinstance(value, decimal.Decimal):
        return Decimal128(value)
    if isinstance(value, uuid.UUID):
        return Binary.from_uuid(value)
    if isinstance(value, datetime.date):
        return datetime.datetime(value.year, value.month, value.day)
    if _is_document(value):
        son = value.to_mongo()
        schema = type(value)._schema
        if schema.is_embedded and "_cls" not in son:
            son = {"_cls": schema.class_name, **son}
        elif not schema.is_embedded:
            return value.pk  # a whole document stored dynamically is stored by reference id
        return son
    if hasattr(value, "value") and type(value).__class__.__name__ == "EnumType":
        return dynamic_to_mongo(value.value)
    return value


_DEEP = frozenset({dict, list, Decimal128})


def copy_stored(value: Any) -> Any:
    """A deep copy of stored schemaless data (the fast path of ``dynamic_to_python`` for data
    with no embedded documents): new containers, shared scalars, Decimal128 as Decimal.

    Containers are copied at C speed first; only the items that are containers themselves
    are visited again."""
    kind = type(value)
    if kind is dict:
        if "_cls" in value:
            return dynamic_to_python(value, registry.by_class_name)
        out = value.copy()
        for key, item in value.items():
            if type(item) in _DEEP:
                out[key] = copy_stored(item)
        return out
    if kind is list:
        out_list = value.copy()
        for i, item in enumerate(value):
            if type(item) in _DEEP:
                out_list[i] = copy_stored(item)
        return out_list
    if kind is Decimal128:
        return value.to_decimal()
    return value


def dynamic_to_python(
    value: Any, registry_lookup: Callable[[str], type | None] | None = None
) -> Any:
    """Convert stored schemaless data into Python values: new containers, ``_cls`` dicts become
    embedded documents when their class is registered."""
    if isinstance(value, dict):
        cls_name = value.get("_cls")
        if cls_name is not None and registry_lookup is not None:
            klass = registry_lookup(cls_name)
            if klass is not None and klass._schema.is_embedded:  # type: ignore[attr-defined]
                return klass._from_son(value)  # type: ignore[attr-defined]
        return {k: dynamic_to_python(v, registry_lookup) for k, v in value.items()}
    if isinstance(value, list):
        return [dynamic_to_python(v, registry_lookup) for v in value]
    if isinstance(value, Decimal128):
        return value.to_decimal()
    return value


def quick_dynamic(value: Any) -> bool:
    """True for schemaless data that certainly stores as is: plain scalars, 64-bit ints,
    and dicts and lists of those, with keys that are plain names. False only means "check
    properly" (a ``$`` or ``.`` anywhere in a key, for one, is left to the full check).

    A dict's keys: free-form data of one application repeats the same few sets of keys, so
    the key tuples already found plain are remembered (``_plain_key_tuples``) and a dict with
    one of them costs a tuple and a set lookup; any other is checked in one C pass. A list
    among a dict's values is walked here, not through another call (the usual
    ``"flags": [...]``)."""
    kind = type(value)
    if kind is dict:
        if tuple(value) not in _plain_key_tuples and not _plain_keys(value):
            return False
        for item in value.values():
            kind = type(item)
            if kind in _QUICK_SCALARS:
                continue
            if kind is int:
                if _INT64_MIN <= item <= _INT64_MAX:
                    continue
                return False
            if kind is list:
                for inner in item:
                    kind = type(inner)
                    if kind in _QUICK_SCALARS:
                        continue
                    if kind is int:
                        if _INT64_MIN <= inner <= _INT64_MAX:
                            continue
                        return False
                    if not quick_dynamic(inner):
                        return False
                continue
            if not quick_dynamic(item):
                return False
        return True
    if kind is list:
        return _quick_list(value)
    if kind in _QUICK_SCALARS:
        return True
    if kind is int:
        return bool(_INT64_MIN <= value <= _INT64_MAX)
    return False


#: Key tuples of dicts whose keys ``_plain_keys`` found plain. Bounded (entries and their
#: length), so data keyed by ids or user input cannot grow it without end: past the bound
#: such dicts are checked each time, as all were before. Tuples compare their items with
#: ``==``, so only a key equal to a plain string key can match one.
_plain_key_tuples: set[tuple[str, ...]] = set()
_KEY_TUPLES_KEPT = 1024
_KEY_TUPLE_LENGTH = 32


def _plain_keys(value: dict[Any, Any]) -> bool:
    """True when every key of ``value`` is a string without '.', '$' or NUL (checked in one C
    pass); remembers the key tuple when it is, within the bounds."""
    try:
        keys = "".join(value)  # a key that is not a string raises
    except TypeError:
        return False
    # An identifier has no '.', '$' or NUL: one C test for the usual keys.
    if not keys.isidentifier() and ("." in keys or "$" in keys or "\x00" in keys):
        return False
    if len(value) <= _KEY_TUPLE_LENGTH and len(_plain_key_tuples) < _KEY_TUPLES_KEPT:
        _plain_key_tuples.add(tuple(value))
    return True


def _quick_list(value: list[Any]) -> bool:
    """``quick_dynamic`` of a ``list``."""
    for item in value:
        kind = type(item)
        if kind in _QUICK_SCALARS:
            continue
        if kind is int:
            if _INT64_MIN <= item <= _INT64_MAX:
                continue
            return False
        if not quick_dynamic(item):
            return False
    return True


def compile_list_check(
    item: Callable[[Any], bool], low: int, high: int | None
) -> Callable[[Any], bool]:
    """The quick check of a list whose items pass ``item``: a loop with the item's test
    inlined (faster than ``all(map(...))`` or type sets for the short lists documents hold)."""
    namespace: dict[str, Any] = {}
    if isinstance(item, InlineCheck):
        test = item.inline("item", namespace)
    else:
        namespace["item"] = item
        test = "item(v)"
    lines = ["def check(items):", "    if type(items) is not list: return False"]
    if low or high is not None:
        namespace["low"], namespace["high"] = low, high if high is not None else float("inf")
        lines.append("    if not low <= len(items) <= high: return False")
    lines += ["    for v in items:", f"        if not {test}: return False", "    return True"]
    check: Callable[[Any], bool] = compile_function(
        "\n".join(lines), f"list check {low}..{high}", namespace
    )
    # What it checks, so a generated document check can unroll the same loop in its own body
    # (``_instance._quick``) instead of calling it.
    check.list_check = (item, low, high)  # type: ignore[attr-defined]
    return check


def validate_dynamic(value: Any, path: str, errors: dict[str, str]) -> None:
    """Record values the BSON encoder would reject, and invalid keys, at their dotted paths."""
    if value is None:
        return
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if not _INT64_MIN <= value <= _INT64_MAX:
            errors[path] = f"expected an integer within signed 64 bits, found {value}"
        return
    if isinstance(value, dict):
        for key, item in value.items():
            problem = check_key(key)
            if problem is not None:
                errors[f"{path}.{key}"] = problem
                continue
            validate_dynamic(item, f"{path}.{key}", errors)
        return
    if isinstance(value, (list, tuple, set, frozenset)):
        for i, item in enumerate(value):
            validate_dynamic(item, f"{path}.{i}", errors)
        return
    if _is_document(value):
        if type(value)._schema.is_embedded:
            value._validate_into(path, errors)
        return
    if isinstance(value, (*_BSON_SCALARS, decimal.Decimal, datetime.date)):
        return
    if hasattr(value, "value") and type(type(value)).__name__ == "EnumType":
        validate_dynamic(value.value, path, errors)
        return
    errors[path] = f"expected a value MongoDB can store, found {describe(value)}"
