"""Date and time fields: the naive/aware rule, millisecond truncation, coercion and messages.

Pure unit tests: no database, no event loop.
"""

from __future__ import annotations

import datetime
from typing import Any, TypeVar

import bson
import pytest
from bson.codec_options import CodecOptions

from asyncodm.errors import InvalidDocumentError
from asyncodm.fields._base import BaseField
from asyncodm.fields._datetime import (
    ComplexDateTimeField,
    DateField,
    DateTimeField,
    parse_datetime,
)

F = TypeVar("F", bound=BaseField[Any])

UTC = datetime.timezone.utc
PLUS_2 = datetime.timezone(datetime.timedelta(hours=2))
NAIVE: CodecOptions[dict[str, Any]] = CodecOptions()  # the default client: tz_aware=False
AWARE: CodecOptions[dict[str, Any]] = CodecOptions(tz_aware=True)


def named(field: F) -> F:
    field.bind(None, "when")
    return field


def message(field: BaseField[Any], value: Any) -> str:
    errors: dict[str, str] = {}
    field._collect_errors(value, "when", errors)
    assert list(errors) == ["when"], errors
    return errors["when"]


def stored(field: BaseField[Any], value: Any, codec: CodecOptions[Any] = NAIVE) -> Any:
    """What a load gives back: to_mongo -> BSON -> decode (identity-load fields stop here)."""
    return bson.decode(bson.encode({"v": field.to_mongo(value)}), codec_options=codec)["v"]


def through_bson(field: BaseField[Any], value: Any, codec: CodecOptions[Any] = NAIVE) -> Any:
    return field.to_python(stored(field, value, codec))


# --- DateTimeField ----------------------------------------------------------------------------


def test_naive_is_utc_and_round_trips() -> None:
    field = named(DateTimeField())
    value = datetime.datetime(2024, 5, 6, 7, 8, 9, 123000)
    assert DateTimeField.identity_load is True
    assert stored(field, value) == value
    assert stored(field, value, AWARE) == value.replace(tzinfo=UTC)


def test_microseconds_truncate_to_milliseconds_like_mongodb() -> None:
    field = named(DateTimeField())
    value = datetime.datetime(2024, 5, 6, 7, 8, 9, 123456)
    held = field.to_mongo(value)
    assert held == datetime.datetime(2024, 5, 6, 7, 8, 9, 123000)
    assert stored(field, value) == held  # saved-then-reloaded equals what delta holds


def test_aware_is_converted_to_utc_and_stays_aware() -> None:
    field = named(DateTimeField())
    value = datetime.datetime(2024, 1, 1, 12, 0, tzinfo=PLUS_2)
    held = field.to_mongo(value)
    assert held.tzinfo is UTC
    assert held == datetime.datetime(2024, 1, 1, 10, 0, tzinfo=UTC)
    assert stored(field, value) == datetime.datetime(2024, 1, 1, 10, 0)  # naive UTC
    assert stored(field, value, AWARE) == held  # aware UTC from a tz_aware client
    assert field.to_mongo(stored(field, value, AWARE)) == held  # unchanged: no spurious $set


@pytest.mark.parametrize(
    ("given", "held"),
    [
        (datetime.date(2024, 2, 29), datetime.datetime(2024, 2, 29)),
        ("2024-02-29", datetime.datetime(2024, 2, 29)),
        ("2024-02-29T10:11:12", datetime.datetime(2024, 2, 29, 10, 11, 12)),
        ("2024-02-29T10:11:12.500", datetime.datetime(2024, 2, 29, 10, 11, 12, 500000)),
        ("2024-02-29T10:11:12Z", datetime.datetime(2024, 2, 29, 10, 11, 12, tzinfo=UTC)),
        ("2024-02-29T12:11:12+02:00", datetime.datetime(2024, 2, 29, 12, 11, 12, tzinfo=PLUS_2)),
    ],
)
def test_dates_and_iso_strings_coerce(given: Any, held: datetime.datetime) -> None:
    field = named(DateTimeField())
    assert DateTimeField.coerces is True
    assert field.coerce(given) == held
    assert isinstance(field.coerce(given), datetime.datetime)
    errors: dict[str, str] = {}
    field._collect_errors(given, "when", errors)
    assert errors == {}


def test_datetime_messages() -> None:
    field = named(DateTimeField(required=True))
    assert (
        message(field, "yesterday") == "expected a datetime, found str 'yesterday' (not ISO-8601)"
    )
    assert message(field, 1700000000) == "expected a datetime, found int 1700000000"
    assert message(field, None) == "expected a datetime, found None (the field is required)"
    assert field.coerce("yesterday") == "yesterday"  # left for validation to report


def test_datetime_query_values() -> None:
    field = named(DateTimeField())
    assert field.prepare_query_value("gte", "2024-01-01") == datetime.datetime(2024, 1, 1)
    assert field.prepare_query_value("lt", datetime.date(2024, 1, 2)) == datetime.datetime(
        2024, 1, 2
    )
    aware = datetime.datetime(2024, 1, 1, 2, tzinfo=PLUS_2)
    assert field.prepare_query_value("in", [aware]) == [
        datetime.datetime(2024, 1, 1, 0, tzinfo=UTC)
    ]
    assert field.prepare_query_value("exists", True) is True


def test_parse_datetime() -> None:
    assert parse_datetime("2020-01-02") == datetime.datetime(2020, 1, 2)
    assert parse_datetime(" 2020-01-02T03:04:05z ") == datetime.datetime(
        2020, 1, 2, 3, 4, 5, tzinfo=UTC
    )
    assert parse_datetime("02/01/2020") is None
    assert parse_datetime("") is None


# --- DateField --------------------------------------------------------------------------------


def test_date_stored_as_midnight_utc_read_as_date() -> None:
    field = named(DateField())
    value = datetime.date(2024, 3, 1)
    assert field.to_mongo(value) == datetime.datetime(2024, 3, 1)
    back = through_bson(field, value)
    assert back == value
    assert type(back) is datetime.date
    assert through_bson(field, value, AWARE) == value


@pytest.mark.parametrize(
    "given",
    [
        datetime.datetime(2024, 3, 1, 23, 59),
        datetime.datetime(2024, 3, 1, 23, 59, tzinfo=PLUS_2),
        "2024-03-01",
        "2024-03-01T08:00:00",
    ],
)
def test_date_coerces_datetimes_and_strings(given: Any) -> None:
    field = named(DateField())
    assert DateField.coerces is True
    assert field.coerce(given) == datetime.date(2024, 3, 1)
    assert type(field.coerce(given)) is datetime.date


def test_date_messages_and_queries() -> None:
    field = named(DateField())
    assert message(field, "someday") == "expected a date, found str 'someday'"
    assert message(field, 3.5) == "expected a date, found float 3.5"
    assert field.prepare_query_value("gte", datetime.date(2024, 1, 1)) == datetime.datetime(
        2024, 1, 1
    )
    assert field.prepare_query_value(None, "2024-01-01") == datetime.datetime(2024, 1, 1)


# --- ComplexDateTimeField ---------------------------------------------------------------------


def test_complex_keeps_microseconds_in_a_sortable_string() -> None:
    field = named(ComplexDateTimeField())
    value = datetime.datetime(2024, 5, 6, 7, 8, 9, 123456)
    assert field.to_mongo(value) == "2024,05,06,07,08,09,123456"
    assert through_bson(field, value) == value
    early = field.to_mongo(datetime.datetime(999, 12, 31, 23, 59, 59, 999999))
    late = field.to_mongo(datetime.datetime(1000, 1, 1))
    assert early == "0999,12,31,23,59,59,999999"
    assert early < late


def test_complex_separator_and_aware_values() -> None:
    field = named(ComplexDateTimeField(separator="_"))
    aware = datetime.datetime(2024, 1, 1, 12, tzinfo=PLUS_2)
    assert field.to_mongo(aware) == "2024_01_01_10_00_00_000000"
    assert field.to_python("2024_01_01_10_00_00_000000") == datetime.datetime(2024, 1, 1, 10)
    with pytest.raises(InvalidDocumentError, match="separator"):
        ComplexDateTimeField(separator="1")


def test_complex_coercion_messages_and_queries() -> None:
    field = named(ComplexDateTimeField())
    assert ComplexDateTimeField.coerces is True
    assert field.coerce("2024,01,02,03,04,05,000006") == datetime.datetime(2024, 1, 2, 3, 4, 5, 6)
    assert field.coerce("2024-01-02T03:04:05") == datetime.datetime(2024, 1, 2, 3, 4, 5)
    assert field.coerce(datetime.date(2024, 1, 2)) == datetime.datetime(2024, 1, 2)
    assert message(field, "2024,13,01,00,00,00,0") == (
        "expected a datetime, found str '2024,13,01,00,00,00,0'"
    )
    assert message(field, 5) == "expected a datetime, found int 5"
    assert (
        field.prepare_query_value("gt", datetime.datetime(2024, 1, 1))
        == "2024,01,01,00,00,00,000000"
    )
    assert ComplexDateTimeField.identity_load is False
