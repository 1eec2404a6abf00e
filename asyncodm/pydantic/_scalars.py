"""BSON values in pydantic: a Python type in Python, a JSON shape in JSON.

Stage: integration (``asyncodm.pydantic``). ``model_dump()`` keeps the BSON types, so a dumped
body goes straight into a document's constructor; JSON gets strings and plain objects, and the
schema says what they look like (an ObjectId's 24-hex pattern).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from bson import DBRef, Decimal128, ObjectId, Timestamp
from bson.code import Code
from pydantic import (
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainSerializer,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from asyncodm import Document, EmbeddedDocument, Ref

Mode = Literal["input", "output"]

#: What a 24-hex ObjectId looks like in JSON (and in the OpenAPI schema).
OBJECTID_PATTERN = "^[0-9a-fA-F]{24}$"


@dataclass(frozen=True, eq=False)  # hashed by identity: its schemas are dicts
class _BsonScalar:
    """Pydantic metadata for a BSON value: accepted as itself or as its JSON form, kept as
    the BSON type in Python (``model_dump()`` gives what a document takes) and written as the
    JSON form in JSON. One class serves ObjectId, Timestamp, Pattern and Code."""

    cls: type
    json_input: core_schema.CoreSchema
    load: Callable[[Any], Any]
    dump: Callable[[Any], Any]
    json_schema: Mapping[str, Any]
    #: The one error a bad value gets (type, message), instead of one per union branch.
    error: tuple[str, str]

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        from_json = core_schema.chain_schema(
            [self.json_input, core_schema.no_info_plain_validator_function(self.load)]
        )
        return core_schema.json_or_python_schema(
            json_schema=from_json,
            python_schema=core_schema.union_schema(
                [core_schema.is_instance_schema(self.cls), from_json],
                custom_error_type=self.error[0],
                custom_error_message=self.error[1],
            ),
            serialization=core_schema.plain_serializer_function_ser_schema(
                self.dump, when_used="json"
            ),
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return dict(self.json_schema)


def _timestamp(value: Mapping[str, int]) -> Timestamp:
    return Timestamp(value["t"], value["i"])


_TIMESTAMP_JSON = core_schema.typed_dict_schema(
    {
        "t": core_schema.typed_dict_field(core_schema.int_schema(ge=0)),
        "i": core_schema.typed_dict_field(core_schema.int_schema(ge=0)),
    }
)

#: An ``ObjectId`` in Python, a 24-hex string in JSON, with that pattern in the schema; use it
#: for path parameters (``pid: ObjectIdStr``): a malformed id is a 422 naming the parameter.
ObjectIdStr = Annotated[
    ObjectId,
    _BsonScalar(
        ObjectId,
        core_schema.str_schema(pattern=OBJECTID_PATTERN),
        ObjectId,
        str,
        {"type": "string", "pattern": OBJECTID_PATTERN, "examples": ["5f0c9a1e8b3e4a2d9c7b6a51"]},
        ("objectid", "Input should be an ObjectId: a string of 24 hexadecimal digits"),
    ),
]

_TimestampValue = Annotated[
    Timestamp,
    _BsonScalar(
        Timestamp,
        _TIMESTAMP_JSON,
        _timestamp,
        lambda ts: {"t": ts.time, "i": ts.inc},
        {
            "type": "object",
            "properties": {"t": {"type": "integer"}, "i": {"type": "integer"}},
            "required": ["t", "i"],
        },
        ("timestamp", "Input should be a BSON timestamp {t: seconds, i: increment}"),
    ),
]


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:  # pydantic reports ValueErrors as validation errors
        raise ValueError(f"not a regular expression: {exc}") from None


_PatternValue = Annotated[
    re.Pattern[str],
    _BsonScalar(
        re.Pattern,
        core_schema.str_schema(),
        _compile,
        lambda p: p.pattern,
        {"type": "string", "format": "regex"},
        ("regex", "Input should be a regular expression"),
    ),
]

_CodeValue = Annotated[
    Code,
    _BsonScalar(
        Code,
        core_schema.str_schema(),
        Code,
        str,
        {"type": "string"},
        ("code", "Input should be a string"),
    ),
]


def _jsonable(value: Any) -> Any:
    """A schemaless value (dynamic fields, untyped dicts) with its BSON parts made JSON-ready:
    pydantic's ``Any`` serializer knows datetimes and UUIDs, not ObjectIds or references."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (ObjectId, Decimal128, Code)):
        return str(value)
    if isinstance(value, Ref):
        return _jsonable(value.pk)
    if isinstance(value, DBRef):
        return {"collection": value.collection, "id": _jsonable(value.id)}
    if isinstance(value, Timestamp):
        return {"t": value.time, "i": value.inc}
    if isinstance(value, re.Pattern):
        return value.pattern
    if isinstance(value, (Document, EmbeddedDocument)):
        return _jsonable(value.to_mongo())
    return value


_AnyValue = Annotated[Any, PlainSerializer(_jsonable, when_used="json")]
