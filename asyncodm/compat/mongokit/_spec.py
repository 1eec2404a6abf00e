"""What a MongoKit structure type says about itself: the ``FieldSpec`` of one key.

Stage: compat (pure). A structure names Python types (``str``, ``[int]``, ``{str: int}``),
MongoKit's operators and custom types; each maps onto the kind an asyncodm field of that shape
describes as, so integrations read a MongoKit document like any other (``asyncodm.describe``).
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import uuid
from types import MappingProxyType
from typing import Any

from bson import Binary, Code, ObjectId

from asyncodm.compat.mongokit._types import IS, CustomType, SchemaOperator, Set
from asyncodm.fields import FieldSpec

__all__ = ["describe_structure"]

#: A structure's Python types and the kinds they describe as.
_KINDS: dict[Any, str] = {
    str: "string",
    int: "int",
    float: "float",
    bool: "bool",
    bytes: "binary",
    Binary: "binary",
    datetime.datetime: "datetime",
    ObjectId: "objectid",
    uuid.UUID: "uuid",
    re.Pattern: "regex",
    Code: "javascript",
    dict: "dict",
    list: "list",
}


def describe_structure(spec: Any, base: FieldSpec) -> FieldSpec:
    """``base`` (the key's common settings) made to describe the structure type ``spec``."""

    def like(kind: str, python_type: Any, **more: Any) -> FieldSpec:
        return dataclasses.replace(base, kind=kind, python_type=python_type, **more)

    dynamic = like("dynamic", object)
    if isinstance(spec, Set):
        inner = spec._structure_type
        return like("list", set, item=dynamic if inner is None else describe_structure(inner, base))
    if isinstance(spec, CustomType):
        found = describe_structure(spec.mongo_type, base)
        return dataclasses.replace(found, python_type=spec.python_type)
    if isinstance(spec, IS):
        values = tuple(spec)
        types = {type(v) for v in values}
        found = describe_structure(types.pop(), base) if len(types) == 1 else dynamic
        labels = tuple((v, str(v)) for v in values)
        return dataclasses.replace(found, choices=values, choice_labels=labels)
    if spec is None or isinstance(spec, SchemaOperator):
        return dynamic
    if spec is list or spec is dict:  # any items
        return like(_KINDS[spec], spec, item=dynamic)
    if isinstance(spec, list):
        item = describe_structure(spec[0], base) if spec else dynamic
        return like("list", list, item=item)
    if isinstance(spec, tuple):  # a fixed number of items, each of its own type
        size = MappingProxyType({"min_length": len(spec), "max_length": len(spec)})
        return like("list", list, item=dynamic, constraints=size)
    if isinstance(spec, dict):
        typed = [v for k, v in spec.items() if isinstance(k, type)]  # {str: int}: any keys
        item = describe_structure(typed[0], base) if typed else dynamic
        return like("dict", dict, item=item)
    kind = _KINDS.get(spec)
    if kind is None and isinstance(spec, type):  # a subclass of an authorized type
        kind = next((k for t, k in _KINDS.items() if issubclass(spec, t)), None)
    return like(kind or "dynamic", spec if isinstance(spec, type) else object)
