"""Date and time fields, and THE rule for naive and aware datetimes.

Stage: fields.

The rule:

* MongoDB stores a date as UTC milliseconds since the epoch, with no time zone.
* A **naive** datetime is taken to be UTC: it is stored as it reads.
* An **aware** datetime is converted to UTC on save (``DateTimeField.to_mongo`` does it, and
  keeps it aware, so a value loaded from a ``tz_aware`` client compares equal unchanged).
* Values read back are **naive UTC** with the default client (``tz_aware=False``), or **aware
  UTC** if the client was created with ``tz_aware=True``. They are used as PyMongo decodes them:
  ``DateTimeField`` loads with no conversion.
* MongoDB keeps milliseconds, not microseconds. ``DateTimeField.to_mongo`` truncates to the
  millisecond itself, so what delta comparison holds after a save is exactly what a reload gives.

So ``datetime.now()`` (local wall time, naive) round-trips unchanged but is stored as if it were
UTC; prefer ``datetime.now(timezone.utc)`` when other programs read the data.

``DateField`` stores a date as a datetime at midnight UTC and reads it back as ``datetime.date``.
``ComplexDateTimeField`` stores a string that keeps microseconds and sorts like the datetime.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from bson.datetime_ms import DatetimeMS

from asyncodm.errors import InvalidDocumentError
from asyncodm.fields._base import BaseField, InlineCheck, TypeIs, describe
from asyncodm.fields._prepare import prepare_scalar
from asyncodm.fields._spec import frozen_mapping

__all__ = ["ComplexDateTimeField", "DateField", "DateTimeField", "parse_datetime"]

_UTC = datetime.timezone.utc


def parse_datetime(text: str) -> datetime.datetime | None:
    """An ISO-8601 date or date-time string as a datetime (a date alone gives midnight).

    A trailing ``Z`` means UTC (Python 3.10's ``fromisoformat`` does not know it); an offset
    gives an aware datetime. None if ``text`` is not ISO-8601.
    """
    text = text.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError:
        return None


def _to_datetime(value: Any) -> datetime.datetime | None:
    """A datetime from a datetime, date (midnight), ISO string or DatetimeMS; else None."""
    if isinstance(value, datetime.datetime):
        return value
    if isinstance(value, datetime.date):
        return datetime.datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        return parse_datetime(value)
    if isinstance(value, DatetimeMS):
        try:
            return value.as_datetime()
        except (OverflowError, ValueError):
            return None
    return None


def _to_utc_ms(value: datetime.datetime) -> datetime.datetime:
    """UTC (aware stays aware), truncated to the millisecond as MongoDB stores it."""
    if value.tzinfo is not None and value.utcoffset() is not None:
        value = value.astimezone(_UTC)
    micro = value.microsecond
    if micro % 1000:
        value = value.replace(microsecond=micro - micro % 1000)
    return value


class DateTimeField(BaseField[datetime.datetime]):
    """A point in time, stored as a BSON date (see the module docstring for time zones).

    A ``date`` (midnight) or an ISO-8601 string is accepted and becomes a datetime on
    assignment; so do query values (``published__gte="2024-01-01"``).
    """

    identity_load = True
    coerces = True
    expected = "a datetime"
    coerce_keeps = datetime.datetime

    kind = "datetime"

    def dump_guard(self) -> InlineCheck | None:
        # A naive datetime already at millisecond precision is stored as given.
        return InlineCheck(
            "type(v) is {T} and v.tzinfo is None and not v.microsecond % 1000", T=datetime.datetime
        )

    def quick_check(self) -> Callable[[Any], bool] | None:
        return TypeIs(datetime.datetime)

    def coerce(self, value: Any) -> Any:
        if isinstance(value, datetime.datetime):
            return value
        converted = _to_datetime(value)
        return value if converted is None else converted

    def check(self, value: Any) -> str | None:
        if isinstance(value, datetime.datetime):
            return None
        if isinstance(value, str):
            if parse_datetime(value) is None:
                return f"expected {self.expected}, found {describe(value)} (not ISO-8601)"
            return None
        if isinstance(value, (datetime.date, DatetimeMS)) and _to_datetime(value) is not None:
            return None
        return f"expected {self.expected}, found {describe(value)}"

    def to_python(self, value: Any) -> Any:
        converted = _to_datetime(value)
        return value if converted is None else converted

    def to_mongo(self, value: Any) -> Any:
        converted = _to_datetime(value)
        if converted is None:
            return value
        return _to_utc_ms(converted)

    def prepare_query_value(self, op: str | None, value: Any) -> Any:
        return prepare_scalar(op, value, self.to_mongo)


def _to_date(value: Any) -> datetime.date | None:
    """The calendar date of a date, datetime (as given, not shifted) or ISO string."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            parsed = parse_datetime(text)
            return None if parsed is None else parsed.date()
    return None


class DateField(BaseField[datetime.date]):
    """A calendar date, stored as a datetime at midnight UTC and read back as ``datetime.date``.

    A datetime (its own calendar date, time zone not shifted) or an ISO string is accepted and
    becomes a ``date`` on assignment.
    """

    coerces = True
    expected = "a date"

    kind = "date"

    def coerce(self, value: Any) -> Any:
        if type(value) is datetime.date:
            return value
        converted = _to_date(value)
        return value if converted is None else converted

    def check(self, value: Any) -> str | None:
        if isinstance(value, datetime.date):
            return None
        if isinstance(value, str) and _to_date(value) is not None:
            return None
        return f"expected {self.expected}, found {describe(value)}"

    def to_python(self, value: Any) -> Any:
        converted = _to_date(value)
        return value if converted is None else converted

    def to_mongo(self, value: Any) -> Any:
        converted = _to_date(value)
        if converted is None:
            return value
        return datetime.datetime(converted.year, converted.month, converted.day)

    def prepare_query_value(self, op: str | None, value: Any) -> Any:
        return prepare_scalar(op, value, self.to_mongo)


class ComplexDateTimeField(BaseField[datetime.datetime]):
    """A datetime with microseconds, stored as a string that sorts like the datetime.

    The format is MongoEngine's, ``%Y,%m,%d,%H,%M,%S,%f`` with ``separator`` between the parts
    (every part zero-padded, so string order is time order and ``$gt``/``$lt`` work). Use it
    when milliseconds are not enough. Aware datetimes are stored as naive UTC and read back
    naive; a date becomes midnight; strings in the stored format or ISO-8601 are accepted and
    become datetimes on assignment.
    """

    coerces = True
    expected = "a datetime"

    kind = "complex_datetime"

    def _describe(self) -> dict[str, Any]:
        return {**super()._describe(), "options": frozen_mapping(separator=self.separator)}

    def __init__(self, db_field: str | None = None, *, separator: str = ",", **kwargs: Any) -> None:
        super().__init__(db_field, **kwargs)
        if not separator or any(c.isdigit() for c in separator):
            raise InvalidDocumentError(
                f"expected a non-empty separator without digits, found {separator!r}"
            )
        self.separator = separator
        self.format = separator.join(["%Y", "%m", "%d", "%H", "%M", "%S", "%f"])

    def _from_string(self, text: str) -> datetime.datetime | None:
        parts = text.split(self.separator)
        if len(parts) == 7:
            try:
                year, month, day, hour, minute, second, micro = (int(p) for p in parts)
                return datetime.datetime(year, month, day, hour, minute, second, micro)
            except ValueError:
                return None
        return parse_datetime(text)

    def _convert(self, value: Any) -> datetime.datetime | None:
        if isinstance(value, str):
            return self._from_string(value)
        if isinstance(value, datetime.date):
            return _to_datetime(value)
        return None

    def coerce(self, value: Any) -> Any:
        if isinstance(value, datetime.datetime):
            return value
        converted = self._convert(value)
        return value if converted is None else converted

    def check(self, value: Any) -> str | None:
        if isinstance(value, datetime.datetime):
            return None
        if self._convert(value) is None:
            return f"expected {self.expected}, found {describe(value)}"
        return None

    def to_python(self, value: Any) -> Any:
        converted = self._convert(value)
        return value if converted is None else converted

    def to_mongo(self, value: Any) -> Any:
        converted = self._convert(value)
        if converted is None:
            return value
        if converted.tzinfo is not None and converted.utcoffset() is not None:
            converted = converted.astimezone(_UTC).replace(tzinfo=None)
        sep = self.separator
        return (
            f"{converted.year:04d}{sep}{converted.month:02d}{sep}{converted.day:02d}{sep}"
            f"{converted.hour:02d}{sep}{converted.minute:02d}{sep}{converted.second:02d}{sep}"
            f"{converted.microsecond:06d}"
        )

    def prepare_query_value(self, op: str | None, value: Any) -> Any:
        return prepare_scalar(op, value, self.to_mongo)
