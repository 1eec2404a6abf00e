"""MongoKit's schema vocabulary: custom types, the ``OR``/``NOT``/``IS`` operators, ``Set``,
and its exception classes.

Stage: compat (pure). MongoKit's exceptions become subclasses of asyncodm's
``ValidationError`` (``except asyncodm.ValidationError`` catches them too), with MongoKit's
exact messages as their text and the dotted path in ``errors``.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Iterator
from typing import Any, ClassVar

from bson import Binary, Code, DBRef, ObjectId

from asyncodm.errors import ValidationError as _ValidationError

__all__ = [
    "AUTHORIZED_TYPES",
    "IS",
    "NOT",
    "OR",
    "AuthorizedTypeError",
    "BadKeyError",
    "CustomType",
    "DuplicateRequiredError",
    "MultipleResultsFound",
    "RequireFieldError",
    "SchemaOperator",
    "SchemaTypeError",
    "Set",
    "StructureError",
    "ValidationError",
    "raise_problem",
]


class StructureError(_ValidationError):
    """A document's keys do not match the structure (``missed fields : [...]``,
    ``unknown fields : [...]``), or a structure is not valid."""


class SchemaTypeError(_ValidationError):
    """A value is not of its structure's type (``book must be an instance of int not str``)."""


class RequireFieldError(_ValidationError):
    """A required field is None or empty (``name is required``)."""


class ValidationError(_ValidationError):
    """A ``validators`` callable rejected a value (``x does not pass the validator f``)."""


class AuthorizedTypeError(_ValidationError):
    """A value of an untyped (``None``) field is of a type MongoDB cannot store."""


class BadKeyError(StructureError):
    """A structure key contains ``.`` or starts with ``$``."""


class DuplicateRequiredError(StructureError):
    """``required_fields`` names a field twice."""


class MultipleResultsFound(_ValidationError):
    """``one()`` or ``fetch_one()`` found more than one document."""


def raise_problem(kind: type[_ValidationError], path: str | None, message: str) -> None:
    """Raise ``kind`` with MongoKit's ``message``, recording it under ``path``."""
    raise kind(message, errors={path or "__all__": message})


class CustomType:
    """A Python type stored as another one (MongoKit's ``CustomType``).

    Set ``mongo_type`` (what is stored) and ``python_type`` (what the application sees), and
    implement ``to_bson`` / ``to_python``; ``validate(value, path)`` may add checks (it sees
    the stored form): what it raises is reported for ``path`` with its message, a
    ``ValidationError`` (MongoKit's or asyncodm's) keeping its class and anything else becoming
    a ``SchemaTypeError``; ``init_type`` makes the value of a new document (e.g. ``set``).
    """

    init_type: ClassVar[Any] = None
    mongo_type: ClassVar[Any] = None
    python_type: ClassVar[Any] = None

    def __init__(self) -> None:
        if self.mongo_type is None:
            raise TypeError(f"`mongo_type` property must be specify in {type(self).__name__}")
        if self.python_type is None:
            raise TypeError(f"`python_type` property must be specify in {type(self).__name__}")

    def to_bson(self, value: Any) -> Any:
        """Convert the Python value into what MongoDB stores."""
        raise NotImplementedError

    def to_python(self, value: Any) -> Any:
        """Convert a stored value into the Python value."""
        raise NotImplementedError

    def validate(self, value: Any, path: str) -> None:
        """Optional extra checks of the stored form of a value at ``path``."""


class Set(CustomType):
    """A Python ``set``, stored as a list (BSON has no sets); ``Set(str)`` types its items."""

    init_type = set
    mongo_type = list
    python_type = set

    def __init__(self, structure_type: type | None = None) -> None:
        super().__init__()
        self._structure_type = structure_type

    def to_bson(self, value: Any) -> Any:
        return list(value) if value is not None else None

    def to_python(self, value: Any) -> Any:
        return set(value) if value is not None else None

    def validate(self, value: Any, path: str) -> None:
        if value is not None and self._structure_type is not None:
            for item in value:
                if not isinstance(item, self._structure_type):
                    raise ValueError(
                        f"{path} must be an instance of {self._structure_type.__name__} "
                        f"not {type(item).__name__}"
                    )


class SchemaOperator:
    """Base of ``OR``, ``NOT`` and ``IS``: a type rule made of several operands."""

    repr: ClassVar[str] = ""

    def __init__(self, *args: Any) -> None:
        self._operands = list(args)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._operands)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, SchemaOperator)
            and type(self) is type(other)
            and self._operands == other._operands
        )

    def __hash__(self) -> int:
        return hash((type(self), tuple(map(repr, self._operands))))

    def __repr__(self) -> str:
        return str(self)

    def validate(self, value: Any) -> bool:
        raise NotImplementedError


class OR(SchemaOperator):
    """The value is an instance of one of the operands: ``OR(str, int, float)``."""

    repr = "or"

    def __str__(self) -> str:
        return "<" + " or ".join(t.__name__ for t in self._operands) + ">"

    def validate(self, value: Any) -> bool:
        return isinstance(value, tuple(self._operands))


class NOT(SchemaOperator):
    """The value is an instance of none of the operands: ``NOT(str, datetime)``."""

    repr = "not"

    def __str__(self) -> str:
        return "<not " + ", not ".join(t.__name__ for t in self._operands) + ">"

    def validate(self, value: Any) -> bool:
        return not isinstance(value, tuple(self._operands))


class IS(SchemaOperator):
    """The value is one of the operands, of the same type: ``IS("spam", "phishing")``."""

    repr = "is"

    def __str__(self) -> str:
        return "<is " + " or is ".join(repr(v) for v in self._operands) + ">"

    def validate(self, value: Any) -> bool:
        return any(value == op and isinstance(value, type(op)) for op in self._operands)


#: The Python types a structure may name (MongoKit's ``authorized_types``, Python 3).
AUTHORIZED_TYPES: tuple[Any, ...] = (
    type(None),
    bool,
    int,
    float,
    str,
    bytes,
    list,
    dict,
    datetime.datetime,
    Binary,
    ObjectId,
    DBRef,
    Code,
    uuid.UUID,
    re.Pattern,
    CustomType,
)
