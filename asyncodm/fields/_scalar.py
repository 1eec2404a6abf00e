"""Scalar fields: one BSON value each; every scalar field can be imported from here.

This module holds the identifier-like and typed-wrapper fields and re-exports the text
(``_text``) and numeric (``_numeric``) ones, split off to keep each module small.

Stage: fields. ``ObjectId`` and ``Timestamp`` values load as they are (``identity_load``);
``UUIDField`` always writes the standard (subtype 4) binary form, built here, so it works
whatever ``uuidRepresentation`` the client was given, and reads both subtype 4 and the legacy
subtype 3 that older drivers wrote.
"""

from __future__ import annotations

import datetime
import enum
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from bson import Binary, ObjectId, Timestamp
from bson.binary import UuidRepresentation

from asyncodm.errors import InvalidDocumentError
from asyncodm.fields._base import BaseField, InlineCheck, TypeIs, describe
from asyncodm.fields._numeric import (
    BigIntegerField,
    BooleanField,
    DecimalField,
    FloatField,
    IntegerField,
    IntField,
    LongField,
)
from asyncodm.fields._prepare import prepare_scalar
from asyncodm.fields._text import (
    EmailField,
    GenericIPAddressField,
    JavaScriptField,
    RegularExpressionField,
    StringField,
    URLField,
)

__all__ = [
    "BigIntegerField",
    "BinaryField",
    "BooleanField",
    "CharField",
    "DecimalField",
    "EmailField",
    "EnumField",
    "FloatField",
    "GenericIPAddressField",
    "IntField",
    "IntegerField",
    "JavaScriptField",
    "LongField",
    "ObjectIdField",
    "RegularExpressionField",
    "StringField",
    "TimestampField",
    "URLField",
    "UUIDField",
]

CharField = StringField

E = TypeVar("E", bound=enum.Enum)


class ObjectIdField(BaseField[ObjectId]):
    """A BSON ObjectId.

    A 24-character hex string is accepted and becomes an ObjectId on assignment and in
    queries (ids arrive as strings from URLs); any other string is a ``ValidationError``.
    """

    identity_load = True
    coerces = True
    expected = "an ObjectId or a 24-character hex string"
    auto_id = True

    def dump_guard(self) -> InlineCheck | None:
        return TypeIs(ObjectId)

    def quick_check(self) -> Callable[[Any], bool] | None:
        return TypeIs(ObjectId)

    def coerce(self, value: Any) -> Any:
        if isinstance(value, str) and ObjectId.is_valid(value):
            return ObjectId(value)
        return value

    def check(self, value: Any) -> str | None:
        if isinstance(value, ObjectId) or (isinstance(value, str) and ObjectId.is_valid(value)):
            return None
        return f"expected {self.expected}, found {describe(value)}"

    def to_python(self, value: Any) -> Any:
        return self.coerce(value)

    def to_mongo(self, value: Any) -> Any:
        if isinstance(value, ObjectId):
            return value
        if isinstance(value, str):
            if not ObjectId.is_valid(value):
                raise self.error(f"expected {self.expected}, found {describe(value)}")
            return ObjectId(value)
        return value

    def prepare_query_value(self, op: str | None, value: Any) -> Any:
        return prepare_scalar(op, value, self.to_mongo)


def _parse_uuid(value: Any) -> uuid.UUID | None:
    """``value`` as a UUID (UUID, its string, or 16 raw bytes / Binary subtype 3 or 4)."""
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, Binary):
        if value.subtype == 4:
            return value.as_uuid(UuidRepresentation.STANDARD)
        if value.subtype == 3:  # written by PyMongo < 4 / MongoEngine: Python byte order
            return value.as_uuid(UuidRepresentation.PYTHON_LEGACY)
        return None
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            return None
    if isinstance(value, bytes) and len(value) == 16:
        return uuid.UUID(bytes=value)
    return None


class UUIDField(BaseField[uuid.UUID]):
    """A ``uuid.UUID``, stored as standard binary (subtype 4).

    With ``binary=False`` the string form is stored instead. UUID strings become ``UUID`` on
    assignment.
    """

    coerces = True
    expected = "a UUID"

    def __init__(self, db_field: str | None = None, *, binary: bool = True, **kwargs: Any) -> None:
        super().__init__(db_field, **kwargs)
        self.binary = binary

    def coerce(self, value: Any) -> Any:
        if isinstance(value, str):
            parsed = _parse_uuid(value)
            return value if parsed is None else parsed
        return value

    def check(self, value: Any) -> str | None:
        if isinstance(value, uuid.UUID) or _parse_uuid(value) is not None:
            return None
        return f"expected {self.expected}, found {describe(value)}"

    def to_python(self, value: Any) -> Any:
        parsed = _parse_uuid(value)
        return value if parsed is None else parsed

    def to_mongo(self, value: Any) -> Any:
        parsed = _parse_uuid(value)
        if parsed is None:
            return value
        return Binary.from_uuid(parsed) if self.binary else str(parsed)

    def prepare_query_value(self, op: str | None, value: Any) -> Any:
        return prepare_scalar(op, value, self.to_mongo)


class BinaryField(BaseField[bytes]):
    """Raw bytes, at most ``max_bytes`` long.

    Subtype 0 is stored as plain bytes (PyMongo reads it back as ``bytes``); any other
    ``subtype`` is stored as ``bson.Binary(value, subtype)``.
    Reads always give ``bytes``; a ``bson.Binary`` assigned as is keeps its own subtype.
    """

    expected = "bytes"

    def __init__(
        self,
        db_field: str | None = None,
        *,
        max_bytes: int | None = None,
        subtype: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(db_field, **kwargs)
        if not 0 <= subtype <= 255:
            raise InvalidDocumentError(f"expected a binary subtype in 0..255, found {subtype!r}")
        self.max_bytes = max_bytes
        self.subtype = subtype

    def check(self, value: Any) -> str | None:
        if not isinstance(value, (bytes, bytearray, memoryview)):
            return f"expected {self.expected}, found {describe(value)}"
        size = value.nbytes if isinstance(value, memoryview) else len(value)
        if self.max_bytes is not None and size > self.max_bytes:
            return f"expected at most {self.max_bytes} bytes, found {size} bytes"
        return None

    def to_python(self, value: Any) -> Any:
        if isinstance(value, (bytes, bytearray, memoryview)) and type(value) is not bytes:
            return bytes(value)
        return value

    def to_mongo(self, value: Any) -> Any:
        if isinstance(value, Binary):
            return value  # immutable, and its subtype was chosen explicitly
        if isinstance(value, (bytes, bytearray, memoryview)):
            data = bytes(value)
            return data if self.subtype == 0 else Binary(data, self.subtype)
        return value

    def prepare_query_value(self, op: str | None, value: Any) -> Any:
        return prepare_scalar(op, value, self.to_mongo)


class EnumField(BaseField[E]):
    """A member of ``enum_cls``, stored as its ``.value`` and read back as the member.

    The member's value is accepted in its place and becomes the member on assignment.
    ``choices`` defaults to every member; given explicitly (members or values) it narrows them.
    A stored value that is no longer a member is read back as it is, and validation reports it.
    """

    coerces = True
    expected = "an enum member"

    def __init__(self, enum_cls: type[E], db_field: str | None = None, **kwargs: Any) -> None:
        given: object = enum_cls  # checked at runtime: a common slip is passing a member
        if not (isinstance(given, type) and issubclass(given, enum.Enum)):
            raise InvalidDocumentError(
                f"EnumField expects an Enum class, found {describe(enum_cls)}"
            )
        super().__init__(db_field, **kwargs)
        self.enum_cls = enum_cls
        if self.choices is None:
            self.choices = tuple(enum_cls)
        else:
            self.choices = tuple(self._member(c, "choice") for c in self.choices)
        values = ", ".join(repr(m.value) for m in enum_cls)
        self._wanted = f"a {enum_cls.__name__} member or value ({values})"

    def _member(self, value: Any, what: str) -> E:
        try:
            return self.enum_cls(value)
        except (ValueError, TypeError):
            raise InvalidDocumentError(
                f"{what} {value!r} is not a member of {self.enum_cls.__name__}"
            ) from None

    def _to_member(self, value: Any) -> E | None:
        if isinstance(value, self.enum_cls):
            return value
        try:
            return self.enum_cls(value)
        except (ValueError, TypeError):
            return None

    def coerce(self, value: Any) -> Any:
        member = self._to_member(value)
        return value if member is None else member

    def check(self, value: Any) -> str | None:
        if self._to_member(value) is None:
            return f"expected {self._wanted}, found {describe(value)}"
        return None

    def _check_choices(self, value: Any) -> str | None:
        assert self.choices is not None
        if self._to_member(value) in self.choices:
            return None
        allowed = ", ".join(repr(c.value) for c in self.choices)
        return f"expected one of {allowed}, found {describe(value)}"

    def to_python(self, value: Any) -> Any:
        member = self._to_member(value)
        return value if member is None else member

    def to_mongo(self, value: Any) -> Any:
        member = self._to_member(value)
        return value if member is None else member.value

    def prepare_query_value(self, op: str | None, value: Any) -> Any:
        return prepare_scalar(op, value, self.to_mongo)


class TimestampField(BaseField[Timestamp]):
    """A BSON timestamp (``bson.Timestamp``: seconds and an ordinal).

    It is MongoDB's internal replication clock type; a ``datetime`` becomes
    ``Timestamp(dt, 0)`` on assignment.
    MongoDB replaces an empty ``Timestamp(0, 0)`` in a top-level field with the server time on
    insert.
    """

    identity_load = True
    coerces = True
    expected = "a bson.Timestamp"

    def coerce(self, value: Any) -> Any:
        if isinstance(value, datetime.datetime):
            return Timestamp(value, 0)
        return value

    def check(self, value: Any) -> str | None:
        if isinstance(value, (Timestamp, datetime.datetime)):
            return None
        return f"expected {self.expected}, found {describe(value)}"

    def to_mongo(self, value: Any) -> Any:
        return self.coerce(value)

    def prepare_query_value(self, op: str | None, value: Any) -> Any:
        return prepare_scalar(op, value, self.to_mongo)
