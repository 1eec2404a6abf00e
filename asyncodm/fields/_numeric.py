"""Numeric scalar fields: integers, 64-bit integers, floats, decimals and booleans.

Stage: fields. BSON has int32, int64, double and decimal128. PyMongo stores a Python ``int`` as
int32 or int64 by size and refuses anything wider with an ``OverflowError``; the fields here check
the signed 64-bit range themselves so a too-large value is a ``ValidationError`` naming the
field, whether it is caught by ``validate`` or, with validation off, by ``to_mongo``.

``bool`` is a subclass of ``int`` in Python but never a number here: ``True`` in an ``IntField``
is almost always a bug, and MongoDB would store it as a boolean anyway.
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Callable
from typing import Any

from bson import Decimal128, Int64

from asyncodm.errors import InvalidDocumentError
from asyncodm.fields._base import BaseField, InlineCheck, describe
from asyncodm.fields._prepare import prepare_scalar
from asyncodm.fields._spec import frozen_mapping

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "BigIntegerField",
    "BooleanField",
    "DecimalField",
    "FloatField",
    "IntField",
    "IntegerField",
    "LongField",
]

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def _bounds_message(value: Any, low: Any, high: Any, what: str) -> str | None:
    if low is not None and value < low:
        return f"expected {what} >= {low}, found {value}"
    if high is not None and value > high:
        return f"expected {what} <= {high}, found {value}"
    return None


def _as_int(value: Any) -> int | None:
    """``value`` as an int if it is one (bools excluded) or an integral float; else None."""
    if type(value) is int or type(value) is Int64:
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return int(value)  # IntEnum and other int subclasses
    if isinstance(value, float) and value.is_integer():
        return int(value)  # a whole double, as the mongo shell writes numbers
    return None


class IntField(BaseField[int]):
    """An integer, optionally bounded by ``min_value``/``max_value``.

    Any value within signed 64 bits is accepted (PyMongo picks int32 or int64 by size). A whole
    float (``5.0``, as the mongo shell writes numbers) is accepted and stored as an int.
    """

    identity_load = True
    expected = "an integer"
    integer_only = True

    kind = "int"

    def _describe(self) -> dict[str, Any]:
        constraints = frozen_mapping(min_value=self.min_value, max_value=self.max_value)
        return {**super()._describe(), "constraints": constraints}

    def dump_guard(self) -> InlineCheck | None:
        return InlineCheck("type(v) is int and {low} <= v <= {high}", low=INT64_MIN, high=INT64_MAX)

    def __init__(
        self,
        db_field: str | None = None,
        *,
        min_value: int | None = None,
        max_value: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(db_field, **kwargs)
        if min_value is not None and max_value is not None and min_value > max_value:
            raise InvalidDocumentError(
                f"min_value ({min_value}) is greater than max_value ({max_value})"
            )
        self.min_value = min_value
        self.max_value = max_value

    def quick_check(self) -> Callable[[Any], bool] | None:
        low = INT64_MIN if self.min_value is None else max(INT64_MIN, self.min_value)
        high = INT64_MAX if self.max_value is None else min(INT64_MAX, self.max_value)
        return InlineCheck("type(v) is int and {low} <= v <= {high}", low=low, high=high)

    def check(self, value: Any) -> str | None:
        number = _as_int(value)
        if number is None:
            return f"expected {self.expected}, found {describe(value)}"
        if not INT64_MIN <= number <= INT64_MAX:
            return f"expected an integer within signed 64 bits, found {number}"
        return _bounds_message(number, self.min_value, self.max_value, "an integer")

    def to_mongo(self, value: Any) -> Any:
        number = _as_int(value)
        if number is None:
            return value
        if not INT64_MIN <= number <= INT64_MAX:
            raise self._error(f"expected an integer within signed 64 bits, found {number}")
        return number

    def prepare_query_value(self, op: str | None, value: Any) -> Any:
        """Numeric strings (query parameters from a URL) are read as integers."""
        return prepare_scalar(op, value, self._query_value)

    def _query_value(self, value: Any) -> Any:
        if isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                raise self._error(f"expected {self.expected}, found {describe(value)}") from None
        return self.to_mongo(value)


IntegerField = IntField


class LongField(IntField):
    """A signed 64-bit integer, always stored as BSON int64 (``bson.Int64``).

    The stored type then does not depend on the value's size. Reads give ``Int64``, an ``int``.
    """

    expected = "a 64-bit integer"

    kind = "long"

    def dump_guard(self) -> InlineCheck | None:
        return InlineCheck("type(v) is {T}", T=Int64)

    def to_mongo(self, value: Any) -> Any:
        number = super().to_mongo(value)
        if isinstance(number, int) and not isinstance(number, (bool, Int64)):
            return Int64(number)
        return number


BigIntegerField = LongField


class FloatField(BaseField[float]):
    """A double. Integers are accepted and become floats on assignment and when stored."""

    identity_load = True
    coerces = True
    expected = "a float"
    coerce_keeps = float

    kind = "float"

    def _describe(self) -> dict[str, Any]:
        constraints = frozen_mapping(min_value=self.min_value, max_value=self.max_value)
        return {**super()._describe(), "constraints": constraints}

    def dump_guard(self) -> InlineCheck | None:
        return InlineCheck("type(v) is float")

    def __init__(
        self,
        db_field: str | None = None,
        *,
        min_value: float | None = None,
        max_value: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(db_field, **kwargs)
        if min_value is not None and max_value is not None and min_value > max_value:
            raise InvalidDocumentError(
                f"min_value ({min_value}) is greater than max_value ({max_value})"
            )
        self.min_value = min_value
        self.max_value = max_value

    def coerce(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                return float(value)
            except OverflowError:
                return value  # validation reports it
        return value

    def quick_check(self) -> Callable[[Any], bool] | None:
        if self.min_value is None and self.max_value is None:
            return InlineCheck("type(v) is float and v == v")  # not NaN
        low = -math.inf if self.min_value is None else self.min_value
        high = math.inf if self.max_value is None else self.max_value
        return InlineCheck("type(v) is float and {low} <= v <= {high}", low=low, high=high)

    def check(self, value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, (float, int)):
            return f"expected {self.expected}, found {describe(value)}"
        if isinstance(value, int):
            try:
                value = float(value)
            except OverflowError:
                return f"expected a float, found an integer too large for a double: {value}"
        if math.isnan(value) and (self.min_value is not None or self.max_value is not None):
            return f"expected a number between {self.min_value} and {self.max_value}, found nan"
        return _bounds_message(value, self.min_value, self.max_value, "a number")

    def to_mongo(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                return float(value)
            except OverflowError:
                raise self._error(
                    f"expected a float, found an integer too large for a double: {value}"
                ) from None
        return value

    def prepare_query_value(self, op: str | None, value: Any) -> Any:
        """Numeric strings (query parameters from a URL) are read as floats."""
        return prepare_scalar(op, value, self._query_value)

    def _query_value(self, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                raise self._error(f"expected {self.expected}, found {describe(value)}") from None
        return self.to_mongo(value)


def _to_decimal(value: Any) -> decimal.Decimal | None:
    """Read a Decimal, int, float, numeric string or Decimal128; None if it is none of these."""
    if isinstance(value, decimal.Decimal):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return decimal.Decimal(value)
    if isinstance(value, float):
        return decimal.Decimal(
            repr(value)
        )  # the shortest repr: 0.1 -> Decimal("0.1"), not 0.1000...
    if isinstance(value, str):
        try:
            return decimal.Decimal(value.strip())
        except decimal.InvalidOperation:
            return None
    if isinstance(value, Decimal128):
        return value.to_decimal()
    return None


class DecimalField(BaseField[decimal.Decimal]):
    """An exact decimal number stored as BSON decimal128 (34 significant digits).

    Args:
        min_value / max_value: Bounds (anything ``Decimal`` reads).
        precision: Decimal places kept; values are rounded to it on assignment and when stored.
        rounding: The ``decimal`` rounding mode used for ``precision``.
        force_string: Store the decimal's string form instead of decimal128 (sorts as text!).

    ints, floats (by their shortest repr) and numeric strings are accepted and become
    ``Decimal`` on assignment.
    """

    coerces = True
    expected = "a decimal number"

    kind = "decimal"

    def _describe(self) -> dict[str, Any]:
        constraints = frozen_mapping(
            min_value=self.min_value, max_value=self.max_value, precision=self.precision
        )
        options = frozen_mapping(rounding=self.rounding, force_string=self.force_string)
        return {**super()._describe(), "constraints": constraints, "options": options}

    def __init__(
        self,
        db_field: str | None = None,
        *,
        min_value: decimal.Decimal | float | str | None = None,
        max_value: decimal.Decimal | float | str | None = None,
        precision: int | None = None,
        rounding: str = decimal.ROUND_HALF_UP,
        force_string: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(db_field, **kwargs)
        self.min_value = self._bound(min_value, "min_value")
        self.max_value = self._bound(max_value, "max_value")
        if precision is not None and (isinstance(precision, bool) or precision < 0):
            raise InvalidDocumentError(f"expected precision >= 0, found {precision!r}")
        self.precision = precision
        self.rounding = rounding
        self.force_string = force_string
        self._exponent = decimal.Decimal(1).scaleb(-precision) if precision is not None else None
        # decimal128 holds 34 digits: quantize in a context that wide, not the default 28.
        self._context = decimal.Context(prec=34, rounding=rounding)

    @staticmethod
    def _bound(value: Any, name: str) -> decimal.Decimal | None:
        if value is None:
            return None
        number = _to_decimal(value)
        if number is None or number.is_nan():
            raise InvalidDocumentError(f"expected a number for {name}, found {describe(value)}")
        return number

    def _quantize(self, number: decimal.Decimal) -> decimal.Decimal:
        if self._exponent is None or not number.is_finite():
            return number
        return number.quantize(self._exponent, context=self._context)

    def coerce(self, value: Any) -> Any:
        number = _to_decimal(value)
        if number is None:
            return value
        try:
            return self._quantize(number)
        except decimal.InvalidOperation:
            return number  # too many digits for the precision: validation reports it

    def check(self, value: Any) -> str | None:
        number = _to_decimal(value)
        if number is None:
            return f"expected {self.expected} (Decimal, int, float or numeric string), found {describe(value)}"
        try:
            stored = self._quantize(number)
            if not self.force_string:
                Decimal128(stored)
        except (decimal.InvalidOperation, ArithmeticError):
            return f"expected a decimal number that fits decimal128 (34 significant digits), found {number}"
        if number.is_nan():
            if self.min_value is not None or self.max_value is not None:
                return f"expected a number between {self.min_value} and {self.max_value}, found NaN"
            return None
        return _bounds_message(stored, self.min_value, self.max_value, "a number")

    def to_python(self, value: Any) -> Any:
        number = _to_decimal(value)
        return value if number is None else number

    def to_mongo(self, value: Any) -> Any:
        number = _to_decimal(value)
        if number is None:
            return value
        try:
            number = self._quantize(number)
            return str(number) if self.force_string else Decimal128(number)
        except (decimal.InvalidOperation, ArithmeticError):
            raise self._error(
                f"expected a decimal number that fits decimal128 (34 significant digits), found {number}"
            ) from None

    def prepare_query_value(self, op: str | None, value: Any) -> Any:
        return prepare_scalar(op, value, self.to_mongo)


class BooleanField(BaseField[bool]):
    """``True`` or ``False``; nothing else (``0``, ``1`` and strings are rejected)."""

    identity_load = True
    identity_dump = True
    expected = "a boolean"

    kind = "bool"

    def quick_check(self) -> Callable[[Any], bool] | None:
        return InlineCheck("v is True or v is False")

    def check(self, value: Any) -> str | None:
        if value is True or value is False:
            return None
        return f"expected {self.expected}, found {describe(value)}"

    def prepare_query_value(self, op: str | None, value: Any) -> Any:
        return prepare_scalar(op, value, self.to_mongo)
