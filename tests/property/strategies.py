"""Hypothesis strategies for every data field of ``asyncodm.fields``, and a value comparison.

Each :class:`Case` names a field (a factory, so every model gets its own instance), the values
users assign to it, and the value a load must give back (``expect``): the same value, or what
the field documents it becomes (milliseconds for datetimes, UTC for aware datetimes, quantized
decimals, sorted lists ...). ``CASES`` is checked against ``asyncodm.fields.__all__``, so a new
field class fails the suite until it has a case here.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import ipaddress
import math
import re
import string
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bson import Code, Int64, ObjectId, Timestamp
from hypothesis import strategies as st

import asyncodm as odm
from asyncodm.fields import BaseField

UTC = datetime.timezone.utc


class Colour(enum.Enum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


# Class names are unique across the suite: the registry maps a name to the class defined last,
# and a generic embedded document is loaded by that name (``_cls``).


class PropInner(odm.EmbeddedDocument):
    n = odm.IntField()
    tags = odm.ListField(odm.StringField())


class PropOuter(odm.EmbeddedDocument):
    """Two levels: PropOuter -> PropInner."""

    name = odm.StringField()
    inner = odm.EmbeddedDocumentField(PropInner)
    inners = odm.EmbeddedDocumentListField(PropInner)


class PropBadge(odm.EmbeddedDocument):
    label = odm.StringField()


class PropSticker(odm.EmbeddedDocument):
    size = odm.IntField()


class PropTarget(odm.Document):
    name = odm.StringField()
    meta = {"collection": "prop_targets"}


class PropOther(odm.Document):
    meta = {"collection": "prop_others"}


# --------------------------------------------------------------------------------------------
# Building blocks

INT64 = st.integers(-(2**63), 2**63 - 1)
#: Any text (surrogates are not valid UTF-8, so never part of a BSON string).
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
#: Keys a stored document may have: no leading '$', no '.', no NUL; '_' leads are kept for
#: the ODM's own keys (_cls, _ref), which a dynamic dict would read back as documents.
KEYS = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters=".\x00"), min_size=1, max_size=8
).filter(lambda k: not k.startswith(("$", "_")))
NAIVE_DATETIMES = st.datetimes(min_value=datetime.datetime(1, 1, 2), max_value=datetime.datetime(9999, 12, 30))  # fmt: skip
OFFSETS = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(
    lambda m: datetime.timezone(datetime.timedelta(minutes=m))
)
AWARE_DATETIMES = st.builds(
    lambda dt, tz: dt.replace(tzinfo=tz),
    st.datetimes(min_value=datetime.datetime(2, 1, 1), max_value=datetime.datetime(9998, 12, 31)),
    OFFSETS,
)
FINITE = st.floats(allow_nan=False, allow_infinity=False)


def ms(value: datetime.datetime) -> datetime.datetime:
    """What BSON stores of a datetime: milliseconds, and UTC (naive) for an aware one."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.replace(microsecond=value.microsecond - value.microsecond % 1000)


def stored_scalars() -> st.SearchStrategy[Any]:
    """Scalars a schemaless value may hold, each read back as itself."""
    return st.one_of(
        st.none(),
        st.booleans(),
        INT64,
        FINITE,
        TEXT,
        st.builds(ObjectId, st.binary(min_size=12, max_size=12)),
        NAIVE_DATETIMES.map(ms),
    )


def schemaless(max_leaves: int = 8) -> st.SearchStrategy[Any]:
    return st.recursive(
        stored_scalars(),
        lambda children: st.one_of(
            st.lists(children, max_size=4), st.dictionaries(KEYS, children, max_size=4)
        ),
        max_leaves=max_leaves,
    )


def positions() -> st.SearchStrategy[list[float]]:
    lon = st.floats(-180, 180, allow_nan=False)
    lat = st.floats(-90, 90, allow_nan=False)
    return st.tuples(lon, lat).map(list)


def rings() -> st.SearchStrategy[list[list[float]]]:
    return st.lists(positions(), min_size=3, max_size=6).map(lambda ps: [*ps, list(ps[0])])


POLYGONS = st.lists(rings(), min_size=1, max_size=2)
LINES = st.lists(positions(), min_size=2, max_size=5)


def geometry(kind: str, coordinates: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return coordinates.map(lambda c: {"type": kind, "coordinates": c})


GEOMETRIES = st.one_of(
    geometry("Point", positions()),
    geometry("LineString", LINES),
    geometry("Polygon", POLYGONS),
    geometry("MultiPoint", st.lists(positions(), min_size=1, max_size=3)),
)


def inners() -> st.SearchStrategy[PropInner]:
    return st.builds(
        PropInner, n=st.none() | st.integers(-(2**31), 2**31), tags=st.lists(TEXT, max_size=3)
    )


def outers() -> st.SearchStrategy[PropOuter]:
    return st.builds(
        PropOuter,
        name=st.none() | TEXT,
        inner=st.none() | inners(),
        inners=st.lists(inners(), max_size=3),
    )


def decimals(places: int | None) -> st.SearchStrategy[decimal.Decimal]:
    """Decimals that fit decimal128 (34 digits, exponent -6176..6111) after quantizing."""
    if places is not None:
        # at most 29 + 3 digits before the point and `places` after it: 34 in all
        coefficient = st.integers(-(10**28), 10**28)
        exponent = st.integers(-6, 3)
        wide = decimal.Context(prec=40)
        return st.builds(lambda c, e: decimal.Decimal(c).scaleb(e, wide), coefficient, exponent)
    finite = st.builds(
        lambda sign, digits, exp: decimal.Decimal((sign, tuple(int(d) for d in str(digits)), exp)),
        st.integers(0, 1),
        st.integers(0, 10**34 - 1),
        st.integers(-6176, 6111 - 33),
    )
    special = st.sampled_from(["NaN", "-NaN", "Infinity", "-Infinity", "-0", "0E-6176"])
    return finite | special.map(decimal.Decimal)


def quantized(value: decimal.Decimal, places: int) -> decimal.Decimal:
    context = decimal.Context(prec=34, rounding=decimal.ROUND_HALF_UP)
    return value.quantize(decimal.Decimal(1).scaleb(-places), context=context)


def emails() -> st.SearchStrategy[str]:
    atom = st.text(string.ascii_letters + string.digits + "!#$%&'*+/=?^_`{|}~-", min_size=1, max_size=10)  # fmt: skip
    label = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
    tld = st.from_regex(r"[a-z]{2,6}", fullmatch=True)
    return st.builds(
        lambda user, labels, top: f"{'.'.join(user)}@{'.'.join([*labels, top])}",
        st.lists(atom, min_size=1, max_size=3),
        st.lists(label, min_size=1, max_size=3),
        tld,
    ).filter(lambda e: len(e) <= 254 and len(e.rsplit("@", 1)[0]) <= 64)


def urls() -> st.SearchStrategy[str]:
    host = st.from_regex(r"[a-z0-9]{1,10}\.(com|org|example|io)", fullmatch=True)
    path = st.from_regex(r"(/[a-zA-Z0-9._~-]{1,8}){0,3}", fullmatch=True)
    return st.builds(
        lambda scheme, h, port, p: f"{scheme}://{h}{port}{p}",
        st.sampled_from(["http", "https", "ftp", "ftps", "HTTPS"]),
        host | st.just("localhost"),
        st.sampled_from(["", ":8080", ":1"]),
        path,
    )


REGEX_FLAGS = st.sampled_from(
    [0, re.IGNORECASE, re.MULTILINE, re.DOTALL, re.IGNORECASE | re.MULTILINE | re.DOTALL]
)


# --------------------------------------------------------------------------------------------
# Comparison


def same(a: Any, b: Any) -> bool:
    """Equal as stored data: -0.0 is not 0.0, NaN is NaN, a decimal keeps its exponent,
    an OrderedDict keeps its order, embedded documents compare class and stored form."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, decimal.Decimal) and isinstance(b, decimal.Decimal):
        return a.as_tuple() == b.as_tuple()
    if isinstance(a, re.Pattern) and isinstance(b, re.Pattern):
        return a.pattern == b.pattern and (a.flags & ~re.UNICODE) == (b.flags & ~re.UNICODE)
    if isinstance(a, Code) and isinstance(b, Code):
        return str(a) == str(b) and a.scope == b.scope
    if isinstance(a, odm.EmbeddedDocument) or isinstance(b, odm.EmbeddedDocument):
        return type(a) is type(b) and same(a.to_mongo(), b.to_mongo())
    if isinstance(a, OrderedDict) and list(a) != list(b):
        return False
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if type(a) is bool or type(b) is bool:
        return a is b
    return bool(a == b)


# --------------------------------------------------------------------------------------------
# Cases


def _identity(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Case:
    id: str
    field: Callable[[], BaseField[Any]]
    values: st.SearchStrategy[Any]
    #: The value a load gives back for an assigned value.
    expect: Callable[[Any], Any] = _identity
    #: How to read the loaded value for comparison (a reference's pk, a file's id).
    read: Callable[[Any], Any] = _identity
    #: Where the case can be saved: False for fields whose values need other documents or
    #: GridFS content (their stored ids round-trip through ``from_son`` only).
    saveable: bool = True
    marks: tuple[Any, ...] = field(default=())


def _ref_pk(value: Any) -> Any:
    return None if value is None else value.pk


def _generic_ref(value: Any) -> Any:
    return None if value is None else (value.model, value.pk)


def _file_id(value: Any) -> Any:
    return None if value is None else value.file_id


OIDS = st.builds(ObjectId, st.binary(min_size=12, max_size=12))

CASES: list[Case] = [
    Case("string", odm.StringField, TEXT),
    Case(
        "string_bounded",
        lambda: odm.StringField(min_length=2, max_length=5),
        st.text(st.characters(exclude_categories=("Cs",)), min_size=2, max_size=5),
    ),
    Case(
        "string_regex",
        lambda: odm.StringField(regex=r"^[a-z]+-\d{1,4}$"),
        st.from_regex(r"[a-z]+-[0-9]{1,4}", fullmatch=True),
    ),
    Case("email", odm.EmailField, emails()),
    Case("url", odm.URLField, urls()),
    Case("uuid", odm.UUIDField, st.uuids()),
    Case("uuid_string", lambda: odm.UUIDField(binary=False), st.uuids()),
    Case("uuid_from_text", odm.UUIDField, st.uuids().map(str), expect=uuid.UUID),
    Case("int", odm.IntField, INT64),
    Case(
        "int_bounded", lambda: odm.IntField(min_value=-5, max_value=10**12), st.integers(-5, 10**12)
    ),
    Case("int_from_whole_float", odm.IntField, st.integers(-(2**53), 2**53).map(float), expect=int),
    Case("long", odm.LongField, INT64, expect=Int64),
    Case("float", odm.FloatField, st.floats()),
    Case(
        "float_edges",
        odm.FloatField,
        st.sampled_from([-0.0, 0.0, 1e308, -1e308, 5e-324, math.inf, -math.inf]),
    ),
    Case("float_from_int", odm.FloatField, st.integers(-(2**60), 2**60), expect=float),
    Case(
        "float_bounded", lambda: odm.FloatField(min_value=-1.5, max_value=2.5), st.floats(-1.5, 2.5)
    ),
    Case("decimal", odm.DecimalField, decimals(None)),
    Case(
        "decimal_precision",
        lambda: odm.DecimalField(precision=2),
        decimals(2),
        expect=lambda d: quantized(d, 2),
    ),
    Case("boolean", odm.BooleanField, st.booleans()),
    Case("datetime", odm.DateTimeField, NAIVE_DATETIMES, expect=ms),
    Case("datetime_aware", odm.DateTimeField, AWARE_DATETIMES, expect=ms),
    Case("date", odm.DateField, st.dates()),
    Case("date_from_datetime", odm.DateField, NAIVE_DATETIMES, expect=lambda d: d.date()),
    Case("complex_datetime", odm.ComplexDateTimeField, NAIVE_DATETIMES),
    Case(
        "complex_datetime_aware",
        odm.ComplexDateTimeField,
        AWARE_DATETIMES,
        expect=lambda d: d.astimezone(UTC).replace(tzinfo=None),
    ),
    Case(
        "complex_datetime_separator",
        lambda: odm.ComplexDateTimeField(separator="|"),
        NAIVE_DATETIMES,
    ),
    Case("objectid", odm.ObjectIdField, OIDS),
    Case("binary", odm.BinaryField, st.binary(max_size=64)),
    Case("binary_bounded", lambda: odm.BinaryField(max_bytes=8), st.binary(max_size=8)),
    Case("binary_subtype", lambda: odm.BinaryField(subtype=0x80), st.binary(max_size=64)),
    Case("enum", lambda: odm.EnumField(Colour), st.sampled_from(Colour)),
    Case(
        "enum_by_value",
        lambda: odm.EnumField(Colour),
        st.sampled_from([c.value for c in Colour]),
        expect=Colour,
    ),
    Case("int_enum", lambda: odm.EnumField(Level), st.sampled_from(Level)),
    Case("list", lambda: odm.ListField(odm.IntField()), st.lists(INT64, max_size=8)),
    Case("list_untyped", odm.ListField, st.lists(stored_scalars(), max_size=6)),
    Case(
        "list_of_lists",
        lambda: odm.ListField(odm.ListField(odm.StringField())),
        st.lists(st.lists(TEXT, max_size=3), max_size=3),
    ),
    Case(
        "sorted_list",
        lambda: odm.SortedListField(odm.IntField()),
        st.lists(INT64, max_size=8),
        expect=sorted,
    ),
    Case(
        "sorted_list_reverse",
        lambda: odm.SortedListField(odm.StringField(), reverse=True),
        st.lists(TEXT, max_size=8),
        expect=lambda v: sorted(v, reverse=True),
    ),
    Case(
        "sorted_embedded_by_key",
        lambda: odm.SortedListField(odm.EmbeddedDocumentField(PropInner), ordering="n"),
        st.lists(
            st.builds(PropInner, n=st.integers(-100, 100), tags=st.lists(TEXT, max_size=2)),
            max_size=5,
        ),
        expect=lambda v: sorted(v, key=lambda i: i.n),
    ),
    Case("dict", odm.DictField, st.dictionaries(KEYS, schemaless(), max_size=5)),
    Case(
        "dict_typed",
        lambda: odm.DictField(odm.IntField()),
        st.dictionaries(KEYS, INT64, max_size=6),
    ),
    Case("map", lambda: odm.MapField(odm.StringField()), st.dictionaries(KEYS, TEXT, max_size=6)),
    Case(
        "map_of_embedded",
        lambda: odm.MapField(odm.EmbeddedDocumentField(PropOuter)),
        st.dictionaries(KEYS, outers(), max_size=3),
    ),
    Case(
        "ordered_dict",
        odm.OrderedDictField,
        st.lists(st.tuples(KEYS, stored_scalars()), max_size=6, unique_by=lambda kv: kv[0]).map(
            OrderedDict
        ),
    ),
    Case("embedded", lambda: odm.EmbeddedDocumentField(PropInner), inners()),
    Case("embedded_two_levels", lambda: odm.EmbeddedDocumentField(PropOuter), outers()),
    Case(
        "embedded_list",
        lambda: odm.EmbeddedDocumentListField(PropOuter),
        st.lists(outers(), max_size=3),
    ),
    Case(
        "generic_embedded",
        odm.GenericEmbeddedDocumentField,
        st.one_of(
            st.builds(PropBadge, label=TEXT),
            st.builds(PropSticker, size=st.integers(0, 99)),
            outers(),
        ),
    ),
    Case("dynamic", odm.DynamicField, schemaless()),
    Case(
        "dynamic_embedded",
        odm.DynamicField,
        st.builds(PropBadge, label=TEXT),
    ),
    Case("geo_point", odm.GeoPointField, st.tuples(FINITE, FINITE).map(list)),
    Case("point", odm.PointField, geometry("Point", positions())),
    Case(
        "point_bare",
        odm.PointField,
        positions(),
        expect=lambda c: {"type": "Point", "coordinates": c},
    ),
    Case("line_string", odm.LineStringField, geometry("LineString", LINES)),
    Case("polygon", odm.PolygonField, geometry("Polygon", POLYGONS)),
    Case(
        "multi_point",
        odm.MultiPointField,
        geometry("MultiPoint", st.lists(positions(), min_size=1, max_size=4)),
    ),
    Case(
        "multi_line_string",
        odm.MultiLineStringField,
        geometry("MultiLineString", st.lists(LINES, min_size=1, max_size=3)),
    ),
    Case(
        "multi_polygon",
        odm.MultiPolygonField,
        geometry("MultiPolygon", st.lists(POLYGONS, min_size=1, max_size=2)),
    ),
    Case(
        "geometry_collection",
        odm.GeometryCollectionField,
        st.lists(GEOMETRIES, max_size=3).map(
            lambda gs: {"type": "GeometryCollection", "geometries": gs}
        ),
    ),
    Case("ip", odm.GenericIPAddressField, st.ip_addresses().map(str)),
    Case("ip_object", odm.GenericIPAddressField, st.ip_addresses(), expect=str),
    Case("ipv4", lambda: odm.GenericIPAddressField(protocol="ipv4"), st.ip_addresses(v=4).map(str)),
    Case(
        "ipv6",
        lambda: odm.GenericIPAddressField(protocol="ipv6"),
        st.ip_addresses(v=6).map(lambda a: ipaddress.IPv6Address(a).exploded),
    ),
    Case(
        "regex",
        odm.RegularExpressionField,
        st.builds(
            lambda text, flags: re.compile(f"^(?:{re.escape(text)})+.*", flags),
            TEXT.map(lambda t: t.replace("\x00", "")),  # BSON cannot store a NUL in a regex
            REGEX_FLAGS,
        ),
    ),
    Case(
        "javascript",
        odm.JavaScriptField,
        st.builds(
            Code, TEXT, st.none() | st.dictionaries(KEYS, st.integers(-100, 100), max_size=3)
        ),
    ),
    Case("javascript_text", odm.JavaScriptField, TEXT, expect=Code),
    Case(
        "timestamp",
        odm.TimestampField,
        st.builds(Timestamp, st.integers(0, 2**32 - 1), st.integers(1, 2**32 - 1)),
    ),
    Case("sequence", odm.SequenceField, st.integers(1, 2**62)),
    Case(
        "reference",
        lambda: odm.ReferenceField(PropTarget),
        OIDS.map(lambda oid: PropTarget(id=oid, name="t")),
        expect=_ref_pk,
        read=_ref_pk,
    ),
    Case(
        "reference_dbref",
        lambda: odm.ReferenceField(PropTarget, dbref=True),
        OIDS.map(lambda oid: PropTarget(id=oid)),
        expect=_ref_pk,
        read=_ref_pk,
    ),
    Case(
        "generic_reference",
        odm.GenericReferenceField,
        st.one_of(OIDS.map(lambda o: PropTarget(id=o)), OIDS.map(lambda o: PropOther(id=o))),
        expect=lambda d: (type(d), d.pk),
        read=_generic_ref,
    ),
    Case("file", odm.FileField, OIDS, read=_file_id, saveable=False),
    Case("image", odm.ImageField, OIDS, read=_file_id, saveable=False),
]
