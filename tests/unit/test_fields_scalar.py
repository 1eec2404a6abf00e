"""Scalar fields: conversions, BSON round trips, validation messages and query values.

Pure unit tests: no database, no event loop. Fields are created standalone and bound by hand.
"""

from __future__ import annotations

import decimal
import enum
import ipaddress
import re
import uuid
from typing import Any, TypeVar

import bson
import pytest
from bson import Binary, Code, Decimal128, Int64, ObjectId, Regex, Timestamp
from bson.binary import UuidRepresentation
from bson.codec_options import CodecOptions

from asyncodm.errors import InvalidDocumentError, ValidationError
from asyncodm.fields._base import BaseField, describe
from asyncodm.fields._scalar import (
    BigIntegerField,
    BinaryField,
    BooleanField,
    CharField,
    DecimalField,
    EmailField,
    EnumField,
    FloatField,
    GenericIPAddressField,
    IntegerField,
    IntField,
    JavaScriptField,
    LongField,
    ObjectIdField,
    RegularExpressionField,
    StringField,
    TimestampField,
    URLField,
    UUIDField,
)

F = TypeVar("F", bound=BaseField[Any])

STANDARD: CodecOptions[dict[str, Any]] = CodecOptions(
    uuid_representation=UuidRepresentation.STANDARD
)


def named(field: F) -> F:
    field.bind(None, "title")
    return field


def errors_of(field: BaseField[Any], value: Any) -> dict[str, str]:
    errors: dict[str, str] = {}
    field._collect_errors(value, "title", errors)
    return errors


def message(field: BaseField[Any], value: Any) -> str:
    errors = errors_of(field, value)
    assert list(errors) == ["title"], errors
    return errors["title"]


def through_bson(field: BaseField[Any], value: Any, codec: CodecOptions[Any] = STANDARD) -> Any:
    """to_mongo -> BSON bytes -> decode -> to_python, as a save and a load do."""
    raw = bson.decode(bson.encode({"v": field.to_mongo(value)}), codec_options=codec)["v"]
    return field.to_python(raw)


# --- the common arguments, through StringField -----------------------------------------------


def test_aliases_are_the_same_classes() -> None:
    assert CharField is StringField
    assert IntegerField is IntField
    assert BigIntegerField is LongField


def test_required_reports_the_path_and_none() -> None:
    field = named(StringField(required=True))
    assert errors_of(field, None) == {
        "title": "expected a string, found None (the field is required)"
    }
    assert errors_of(named(StringField()), None) == {}


def test_blank_false_rejects_empty_string() -> None:
    field = named(StringField(blank=False))
    assert message(field, "") == "expected a non-empty value, found str ''"
    assert errors_of(field, "x") == {}


def test_choices_flat_and_pairs() -> None:
    flat = named(StringField(choices=["S", "M"]))
    assert errors_of(flat, "S") == {}
    assert message(flat, "XL") == "expected one of ['S', 'M'], found str 'XL'"
    pairs = named(StringField(choices=[("S", "Small"), ("M", "Medium")]))
    assert errors_of(pairs, "M") == {}
    assert "found str 'Medium'" in message(pairs, "Medium")


def test_validators_false_and_raising() -> None:
    def no_spaces(value: str) -> bool:
        return " " not in value

    def shout(value: str) -> None:
        if value != value.upper():
            raise ValueError("expected upper case, found lower case")

    field = named(StringField(validation=no_spaces, validators=[shout]))
    assert errors_of(field, "OK") == {}
    assert message(field, "A B") == "expected a value accepted by no_spaces, found str 'A B'"
    assert message(field, "ab") == "expected upper case, found lower case"


# --- StringField ------------------------------------------------------------------------------


def test_string_identity_load_and_round_trip() -> None:
    field = named(StringField())
    assert StringField.identity_load is True
    assert through_bson(field, "héllo") == "héllo"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (5, "expected a string, found int 5"),
        (b"x", "expected a string, found bytes b'x'"),
        ("abcdef", "expected at most 5 characters, found 6 characters"),
        ("a", "expected at least 2 characters, found 1 characters"),
        ("xyz", "expected a string matching '^[a-e]+$', found str 'xyz'"),
    ],
)
def test_string_messages(value: Any, expected: str) -> None:
    field = named(StringField(min_length=2, max_length=5, regex=r"^[a-e]+$"))
    assert message(field, value) == expected


def test_string_regex_matches_at_start_like_mongoengine() -> None:
    field = named(StringField(regex=re.compile("[a-z]+")))
    assert errors_of(field, "abc123") == {}
    assert "expected a string matching" in message(field, "1abc")


def test_string_length_bounds_must_be_ordered() -> None:
    with pytest.raises(InvalidDocumentError, match="min_length"):
        StringField(min_length=5, max_length=2)


@pytest.mark.parametrize(
    ("op", "pattern", "flags"),
    [
        ("contains", r"a\.b", 0),
        ("icontains", r"a\.b", re.IGNORECASE),
        ("startswith", r"^a\.b", 0),
        ("istartswith", r"^a\.b", re.IGNORECASE),
        # the end is "no character follows", not "$" (which also matches before a final \n)
        ("endswith", r"a\.b(?![\s\S])", 0),
        ("iendswith", r"a\.b(?![\s\S])", re.IGNORECASE),
        ("iexact", r"^a\.b(?![\s\S])", re.IGNORECASE),
        ("regex", "a.b", 0),
        ("iregex", "a.b", re.IGNORECASE),
    ],
)
def test_string_lookups_become_escaped_patterns(op: str, pattern: str, flags: int) -> None:
    prepared = named(StringField()).prepare_query_value(op, "a.b")
    assert isinstance(prepared, re.Pattern)
    assert prepared.pattern == pattern
    assert prepared.flags & re.IGNORECASE == flags


def test_string_other_query_values() -> None:
    field = named(StringField())
    assert field.prepare_query_value(None, "x") == "x"
    assert field.prepare_query_value("exact", "x") == "x"
    assert field.prepare_query_value("ne", "x") == "x"
    assert field.prepare_query_value("in", ("a", "b")) == ["a", "b"]
    assert field.prepare_query_value("exists", True) is True
    pattern = re.compile("^A")
    assert field.prepare_query_value(None, pattern) is pattern


# --- EmailField / URLField --------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["a@example.com", "first.last+tag@sub.example.co.uk", "a@bücher.de", '"q"@x.org']
)
def test_email_accepts(value: str) -> None:
    assert errors_of(named(EmailField()), value) == {}


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("nobody", "no '@'"),
        ("a.@example.com", "invalid local part 'a.'"),
        ("a@localhost", "invalid domain 'localhost'"),
        ("a@[10.0.0.1]", "invalid domain '[10.0.0.1]'"),
        ("é@example.com", "invalid local part 'é'"),
        ("a@", "no domain"),
        ("x" * 65 + "@example.com", "local part longer than 64 characters"),
    ],
)
def test_email_rejects_with_reason(value: str, reason: str) -> None:
    assert message(named(EmailField()), value) == (
        f"expected an email address, found {describe(value)} ({reason})"
    )


def test_email_options() -> None:
    assert errors_of(named(EmailField(domain_whitelist=["localhost"])), "a@LocalHost") == {}
    assert errors_of(named(EmailField(allow_ip_domain=True)), "a@[10.0.0.1]") == {}
    assert errors_of(named(EmailField(allow_ip_domain=True)), "a@[::1]") == {}
    assert "invalid domain" in message(named(EmailField(allow_ip_domain=True)), "a@[nope]")
    assert errors_of(named(EmailField(allow_utf8_user=True)), "josé@example.com") == {}
    assert message(named(EmailField()), 3) == "expected an email address, found int 3"


def test_email_primary_key_is_stored_as_id() -> None:
    field = EmailField(primary_key=True)
    field.bind(None, "email")
    assert field.db_field == "_id"
    assert field.required is True


@pytest.mark.parametrize(
    "value",
    [
        "http://example.com",
        "https://www.example.com/path?q=1#frag",
        "ftp://127.0.0.1:21/",
        "http://localhost:8000",
        "http://[::1]/",
        "https://user:pw@example.com/",
    ],
)
def test_url_accepts(value: str) -> None:
    assert errors_of(named(URLField()), value) == {}


def test_url_messages_and_schemes() -> None:
    field = named(URLField())
    assert message(field, "example.com") == (
        "expected a URL with scheme http, https, ftp, ftps, found str 'example.com' (no scheme)"
    )
    assert message(field, "gopher://example.com") == (
        "expected a URL with scheme http, https, ftp, ftps, "
        "found str 'gopher://example.com' (scheme 'gopher')"
    )
    assert (
        message(field, "http://exa mple.com") == "expected a URL, found str 'http://exa mple.com'"
    )
    custom = named(URLField(schemes=["gopher"]))
    assert errors_of(custom, "GOPHER://example.com") == {}
    assert "scheme gopher" in message(custom, "http://example.com")


# --- GenericIPAddressField --------------------------------------------------------------------


def test_ip_protocols() -> None:
    both = named(GenericIPAddressField())
    assert errors_of(both, "10.0.0.1") == {}
    assert errors_of(both, "2001:db8::1") == {}
    assert message(both, "10.0.0.300") == "expected an IP address, found str '10.0.0.300'"
    v4 = named(GenericIPAddressField(protocol="ipv4"))
    assert message(v4, "::1") == "expected an IPv4 address, found IPv6 address str '::1'"
    v6 = named(GenericIPAddressField(protocol=GenericIPAddressField.IPV6))
    assert message(v6, "10.0.0.1") == "expected an IPv6 address, found IPv4 address str '10.0.0.1'"
    assert message(v6, "nope") == "expected an IPv6 address, found str 'nope'"
    with pytest.raises(InvalidDocumentError, match="protocol"):
        GenericIPAddressField(protocol="ipv5")


def test_ip_objects_become_strings() -> None:
    field = named(GenericIPAddressField())
    assert GenericIPAddressField.coerces is True
    assert field.coerce(ipaddress.ip_address("10.0.0.1")) == "10.0.0.1"
    assert field.to_mongo(ipaddress.ip_address("::1")) == "::1"
    assert through_bson(field, "10.0.0.1") == "10.0.0.1"


# --- integers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, -5, 2**31, 2**63 - 1, -(2**63), Int64(7), 5.0])
def test_int_accepts(value: Any) -> None:
    assert errors_of(named(IntField()), value) == {}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, "expected an integer, found bool True"),
        (1.5, "expected an integer, found float 1.5"),
        ("5", "expected an integer, found str '5'"),
        (2**63, f"expected an integer within signed 64 bits, found {2**63}"),
        (-(2**63) - 1, f"expected an integer within signed 64 bits, found {-(2**63) - 1}"),
    ],
)
def test_int_rejects(value: Any, expected: str) -> None:
    assert message(named(IntField()), value) == expected


def test_int_bounds() -> None:
    field = named(IntField(min_value=1, max_value=10))
    assert message(field, 0) == "expected an integer >= 1, found 0"
    assert message(field, 11) == "expected an integer <= 10, found 11"
    assert errors_of(field, 10) == {}
    with pytest.raises(InvalidDocumentError):
        IntField(min_value=3, max_value=1)


def test_int_round_trip_and_overflow_is_a_validation_error() -> None:
    field = named(IntField())
    assert IntField.identity_load is True
    for value in (3, 2**40, -(2**63)):
        assert through_bson(field, value) == value
    assert field.to_mongo(5.0) == 5
    assert type(field.to_mongo(5.0)) is int
    with pytest.raises(ValidationError) as info:
        field.to_mongo(2**64)
    assert info.value.errors == {
        "title": f"expected an integer within signed 64 bits, found {2**64}"
    }


def test_int_query_values() -> None:
    field = named(IntField())
    assert field.prepare_query_value("gte", "42") == 42
    assert field.prepare_query_value("in", ["1", 2]) == [1, 2]
    assert field.prepare_query_value("mod", [3, 1]) == [3, 1]
    with pytest.raises(ValidationError, match="expected an integer, found str 'x'"):
        field.prepare_query_value(None, "x")
    with pytest.raises(ValidationError, match="signed 64 bits"):
        field.prepare_query_value("gt", 2**70)


def test_long_stores_int64() -> None:
    field = named(LongField())
    stored = field.to_mongo(5)
    assert type(stored) is Int64
    assert stored == 5
    assert through_bson(field, 2**62) == 2**62
    assert message(field, True) == "expected a 64-bit integer, found bool True"
    assert type(field.prepare_query_value("gt", 1)) is Int64


# --- FloatField -------------------------------------------------------------------------------


def test_float_accepts_ints_and_converts() -> None:
    field = named(FloatField(min_value=0.5, max_value=10))
    assert FloatField.coerces is True
    assert field.coerce(3) == 3.0
    assert type(field.coerce(3)) is float
    assert type(field.to_mongo(3)) is float
    assert errors_of(field, 3) == {}
    assert through_bson(field, 2.25) == 2.25
    assert message(field, 0.1) == "expected a number >= 0.5, found 0.1"
    assert message(field, 11) == "expected a number <= 10, found 11.0"
    assert message(field, "1.0") == "expected a float, found str '1.0'"
    assert message(field, False) == "expected a float, found bool False"
    assert "nan" in message(field, float("nan"))
    assert "too large for a double" in message(named(FloatField()), 10**400)
    assert field.prepare_query_value("lt", "2.5") == 2.5
    assert field.prepare_query_value("lt", 2) == 2.0


# --- DecimalField -----------------------------------------------------------------------------


def test_decimal_stores_decimal128_and_reads_decimal() -> None:
    field = named(DecimalField())
    stored = field.to_mongo(decimal.Decimal("1.10"))
    assert stored == Decimal128("1.10")
    assert through_bson(field, decimal.Decimal("1.10")) == decimal.Decimal("1.10")
    assert str(through_bson(field, decimal.Decimal("1.10"))) == "1.10"


@pytest.mark.parametrize(
    ("given", "held"),
    [
        (3, decimal.Decimal(3)),
        ("2.50", decimal.Decimal("2.50")),
        (0.1, decimal.Decimal("0.1")),
        (decimal.Decimal("7"), decimal.Decimal("7")),
    ],
)
def test_decimal_coerces_numbers_and_strings(given: Any, held: decimal.Decimal) -> None:
    field = named(DecimalField())
    assert DecimalField.coerces is True
    assert field.coerce(given) == held
    assert str(field.coerce(given)) == str(held)
    assert errors_of(field, given) == {}


def test_decimal_precision_quantizes() -> None:
    field = named(DecimalField(precision=2))
    assert str(field.coerce("1.005")) == "1.01"  # ROUND_HALF_UP by default
    assert field.to_mongo(decimal.Decimal("2")) == Decimal128("2.00")
    assert str(through_bson(field, decimal.Decimal("3.14159"))) == "3.14"
    down = named(DecimalField(precision=1, rounding=decimal.ROUND_DOWN))
    assert str(down.coerce("1.99")) == "1.9"


def test_decimal_messages() -> None:
    field = named(DecimalField(min_value=0, max_value="100"))
    assert message(field, "abc") == (
        "expected a decimal number (Decimal, int, float or numeric string), found str 'abc'"
    )
    assert message(field, True).endswith("found bool True")
    assert message(field, [1]).endswith("found list [1]")
    assert message(field, decimal.Decimal("-1")) == "expected a number >= 0, found -1"
    assert message(field, 101) == "expected a number <= 100, found 101"
    assert "NaN" in message(field, decimal.Decimal("NaN"))
    too_long = decimal.Decimal("1." + "1" * 40)
    assert "fits decimal128" in message(named(DecimalField()), too_long)
    with pytest.raises(ValidationError, match="fits decimal128"):
        named(DecimalField()).to_mongo(too_long)
    with pytest.raises(InvalidDocumentError):
        DecimalField(min_value="low")


def test_decimal_force_string_and_queries() -> None:
    field = named(DecimalField(force_string=True, precision=2))
    assert field.to_mongo(decimal.Decimal("1.5")) == "1.50"
    assert through_bson(field, decimal.Decimal("1.5")) == decimal.Decimal("1.50")
    plain = named(DecimalField())
    assert plain.prepare_query_value("gte", 2) == Decimal128("2")
    assert plain.prepare_query_value("in", ["1.5"]) == [Decimal128("1.5")]
    assert plain.to_python(Decimal128("4.2")) == decimal.Decimal("4.2")


# --- BooleanField -----------------------------------------------------------------------------


def test_boolean() -> None:
    field = named(BooleanField())
    assert BooleanField.identity_load is True
    assert through_bson(field, True) is True
    assert errors_of(field, False) == {}
    assert message(field, 1) == "expected a boolean, found int 1"
    assert message(field, "true") == "expected a boolean, found str 'true'"


# --- ObjectIdField ----------------------------------------------------------------------------


def test_object_id() -> None:
    field = named(ObjectIdField())
    oid = ObjectId()
    assert ObjectIdField.identity_load is True
    assert ObjectIdField.coerces is True
    assert through_bson(field, oid) == oid
    assert field.coerce(str(oid)) == oid
    assert field.coerce("nope") == "nope"
    assert field.to_mongo(str(oid)) == oid
    assert errors_of(field, str(oid)) == {}
    assert message(field, "nope") == (
        "expected an ObjectId or a 24-character hex string, found str 'nope'"
    )
    assert field.prepare_query_value("in", [str(oid), oid]) == [oid, oid]
    with pytest.raises(ValidationError, match="24-character hex"):
        field.prepare_query_value(None, "nope")


# --- UUIDField --------------------------------------------------------------------------------


def test_uuid_stores_standard_binary_whatever_the_codec() -> None:
    field = named(UUIDField())
    value = uuid.uuid4()
    stored = field.to_mongo(value)
    assert stored == Binary.from_uuid(value)
    assert stored.subtype == 4
    assert through_bson(field, value) == value  # STANDARD codec decodes a UUID
    assert through_bson(field, value, CodecOptions()) == value  # UNSPECIFIED gives Binary(4)


def test_uuid_reads_legacy_subtype_3_and_strings() -> None:
    field = named(UUIDField())
    value = uuid.uuid4()
    legacy = Binary.from_uuid(value, UuidRepresentation.PYTHON_LEGACY)
    assert legacy.subtype == 3
    assert field.to_python(legacy) == value
    assert field.to_python(str(value)) == value
    assert field.coerce(str(value)) == value
    assert UUIDField.coerces is True


def test_uuid_string_form_and_messages() -> None:
    field = named(UUIDField(binary=False))
    value = uuid.uuid4()
    assert field.to_mongo(value) == str(value)
    assert through_bson(field, value) == value
    assert message(field, "not-a-uuid") == "expected a UUID, found str 'not-a-uuid'"
    assert message(field, 5) == "expected a UUID, found int 5"
    assert field.prepare_query_value(None, value) == str(value)
    assert named(UUIDField()).prepare_query_value("in", [str(value)]) == [Binary.from_uuid(value)]


# --- BinaryField ------------------------------------------------------------------------------


def test_binary_subtype_0_is_plain_bytes() -> None:
    field = named(BinaryField(max_bytes=4))
    assert field.to_mongo(bytearray(b"ab")) == b"ab"
    assert type(field.to_mongo(bytearray(b"ab"))) is bytes
    assert through_bson(field, b"\x00\x01") == b"\x00\x01"
    assert message(field, b"12345") == "expected at most 4 bytes, found 5 bytes"
    assert message(field, "text") == "expected bytes, found str 'text'"


def test_binary_other_subtype() -> None:
    field = named(BinaryField(subtype=0x80))
    stored = field.to_mongo(b"xyz")
    assert isinstance(stored, Binary)
    assert stored.subtype == 0x80
    back = through_bson(field, b"xyz")
    assert back == b"xyz"
    assert type(back) is bytes
    with pytest.raises(InvalidDocumentError):
        BinaryField(subtype=300)


# --- EnumField --------------------------------------------------------------------------------


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


def test_enum_stores_value_and_reads_member() -> None:
    field = named(EnumField(Color))
    assert field.to_mongo(Color.RED) == "red"
    assert through_bson(field, Color.GREEN) is Color.GREEN
    assert named(EnumField(Level)).to_mongo(Level.HIGH) == 2
    assert field.choices == (Color.RED, Color.GREEN, Color.BLUE)


def test_enum_values_coerce_and_messages() -> None:
    field = named(EnumField(Color))
    assert EnumField.coerces is True
    assert field.coerce("blue") is Color.BLUE
    assert field.coerce("mauve") == "mauve"
    assert errors_of(field, "red") == {}
    assert message(field, "mauve") == (
        "expected a Color member or value ('red', 'green', 'blue'), found str 'mauve'"
    )
    assert field.to_python("mauve") == "mauve"  # data never lost on read


def test_enum_choices_narrow() -> None:
    field = named(EnumField(Color, choices=[Color.RED, "green"]))
    assert field.choices == (Color.RED, Color.GREEN)
    assert errors_of(field, Color.GREEN) == {}
    assert (
        message(field, Color.BLUE)
        == "expected one of 'red', 'green', found Color <Color.BLUE: 'blue'>"
    )
    with pytest.raises(InvalidDocumentError, match="not a member of Color"):
        EnumField(Color, choices=["mauve"])
    with pytest.raises(InvalidDocumentError, match="expects an Enum class"):
        EnumField(Color.RED)  # type: ignore[arg-type]


def test_enum_query_values() -> None:
    field = named(EnumField(Color))
    assert field.prepare_query_value(None, Color.RED) == "red"
    assert field.prepare_query_value("in", [Color.RED, "blue"]) == ["red", "blue"]


# --- RegularExpressionField / JavaScriptField / TimestampField ---------------------------------


def test_regex_field_round_trip() -> None:
    field = named(RegularExpressionField())
    pattern = re.compile(r"^ab+c", re.IGNORECASE | re.MULTILINE)
    stored = field.to_mongo(pattern)
    assert isinstance(stored, Regex)
    assert through_bson(field, pattern) == pattern
    assert field.coerce("a+") == re.compile("a+")
    assert errors_of(field, "a+") == {}
    assert message(field, 5) == "expected a regular expression, found int 5"
    assert message(field, "(").startswith("expected a regular expression, found str '(' (")
    assert field.prepare_query_value(None, pattern) == Regex.from_native(pattern)


@pytest.mark.parametrize("value", ["a\x00b", re.compile("a\x00"), Regex("\x00")])
def test_regex_field_refuses_a_nul_it_could_not_store(value: Any) -> None:
    # Regression: validation passed and the save failed in bson.encode with InvalidDocument
    # ("regex patterns must not contain the NULL byte"), not a ValidationError.
    field = named(RegularExpressionField())
    with pytest.raises(bson.errors.InvalidDocument):
        bson.encode({"r": field.to_mongo(field.coerce(value))})
    assert "without NUL characters" in message(field, value)


def test_regex_field_keeps_pcre_only_patterns() -> None:
    field = named(RegularExpressionField())
    pcre = Regex(r"(?<name>x)\p{L}")  # valid PCRE, invalid Python
    back = field.to_python(pcre)
    assert isinstance(back, Regex)
    assert back.pattern == pcre.pattern


def test_javascript_field() -> None:
    field = named(JavaScriptField())
    code = Code("function () { return x; }", {"x": 1})
    stored = field.to_mongo(code)
    assert stored == code
    assert stored.scope == {"x": 1}
    assert stored.scope is not code.scope
    back = through_bson(field, code)
    assert isinstance(back, Code)
    assert back == code
    assert back.scope == {"x": 1}
    assert field.coerce("return 1") == Code("return 1")
    assert isinstance(field.coerce("return 1"), Code)
    assert message(field, 5) == "expected JavaScript code (a string or bson.Code), found int 5"


def test_timestamp_field() -> None:
    import datetime

    field = named(TimestampField())
    stamp = Timestamp(1_700_000_000, 3)
    assert TimestampField.identity_load is True
    assert through_bson(field, stamp) == stamp
    when = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    assert field.coerce(when) == Timestamp(when, 0)
    assert message(field, 5) == "expected a bson.Timestamp, found int 5"


# --- identity_load is set exactly where the stored value is the Python value ------------------


@pytest.mark.parametrize(
    ("cls", "identity"),
    [
        (StringField, True),
        (EmailField, True),
        (URLField, True),
        (GenericIPAddressField, True),
        (IntField, True),
        (LongField, True),
        (FloatField, True),
        (BooleanField, True),
        (ObjectIdField, True),
        (TimestampField, True),
        (DecimalField, False),
        (UUIDField, False),
        (BinaryField, False),
        (EnumField, False),
        (RegularExpressionField, False),
        (JavaScriptField, False),
    ],
)
def test_identity_load_flags(cls: type[BaseField[Any]], identity: bool) -> None:
    assert cls.identity_load is identity


def test_extra_keywords_read_as_attributes() -> None:
    import asyncodm

    class KwargsPage(asyncodm.Document):
        title = asyncodm.StringField(max_length=10, widget="textarea", rows=4)

    assert KwargsPage.title.widget == "textarea" and KwargsPage.title.rows == 4  # type: ignore[attr-defined]
    assert KwargsPage.title.metadata == {"widget": "textarea", "rows": 4}
    with pytest.raises(AttributeError, match="no attribute 'colour'"):
        KwargsPage.title.colour  # type: ignore[attr-defined]  # noqa: B018


@pytest.mark.parametrize("keyword", ["validate", "kind", "to_mongo", "container"])
def test_an_extra_keyword_may_not_shadow_an_attribute(keyword: str) -> None:
    import asyncodm

    with pytest.raises(TypeError, match=f"keyword '{keyword}'.*may not shadow"):
        asyncodm.StringField(**{keyword: 1})
