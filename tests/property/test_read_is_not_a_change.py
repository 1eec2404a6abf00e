"""Reading a field is not a change: a loaded document whose fields were only read saves nothing.

The driver decodes some stored values to another type than the one the fields dump (a UUID
binary is a ``uuid.UUID`` under ``uuidRepresentation="standard"``, a binary of a non-zero
subtype read back as ``bytes``, ``Decimal128('1.1')`` under ``precision=2``...). Each example
stores a raw document through the driver, loads it, reads every field (nested ones too) and
saves: no operation may be sent, and the raw stored document is unchanged.

Neither test backend decodes a UUID the way a ``uuidRepresentation="standard"`` client does
(mongomock gives ``Binary`` subtype 4, as an "unspecified" client does; nx gives ``bytes``):
tests/unit/test_read_is_not_a_change.py pins the ``uuid.UUID`` baseline with pure deltas.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
from typing import Any

import pytest
from bson import Binary, Decimal128, Int64, ObjectId
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import asyncodm as odm
from asyncodm.testing import capture_commands
from tests._backends import Backend


class Shade(enum.Enum):
    RED = "r"
    BLUE = "b"


class ReadSpot(odm.EmbeddedDocument):
    key = odm.UUIDField()
    price = odm.DecimalField()


class ReadEverything(odm.Document):
    key = odm.UUIDField()
    key_text = odm.UUIDField(binary=False)
    price = odm.DecimalField()
    cents = odm.DecimalField(precision=2)
    at = odm.DateTimeField()
    blob = odm.BinaryField()
    tagged = odm.BinaryField(subtype=5)
    big = odm.LongField()
    shade = odm.EnumField(Shade)
    where = odm.GeoPointField()
    extra = odm.DictField()
    keys = odm.ListField(odm.UUIDField())
    prices = odm.ListField(odm.DecimalField())
    spot = odm.EmbeddedDocumentField(ReadSpot)
    meta = {"collection": "prop_read_everything"}


UUIDS = st.uuids()
#: A UUID as it may be stored: standard subtype 4 (decoded to UUID by a "standard" client)
#: or legacy subtype 3 written by PyMongo < 4.
STORED_UUIDS = st.one_of(UUIDS.map(Binary.from_uuid), UUIDS.map(lambda u: Binary.from_uuid(u, 3)))
DECIMALS = st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-1000, max_value=1000)  # fmt: skip
STORED_DECIMALS = DECIMALS.map(Decimal128)
#: What a datetime comes back as: milliseconds, naive UTC (asyncodm's tz_aware=False).
DATETIMES = st.datetimes(
    min_value=datetime.datetime(1971, 1, 1), max_value=datetime.datetime(2100, 1, 1)
).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))
BYTES = st.binary(max_size=8)
NESTED = st.one_of(STORED_UUIDS, DATETIMES, st.integers(-(2**62), 2**62).map(Int64))
PLAIN: dict[str, st.SearchStrategy[Any]] = {
    "key": STORED_UUIDS,
    "key_text": UUIDS.map(str),
    "at": DATETIMES,
    "blob": BYTES | BYTES.map(lambda b: Binary(b, 5)),
    "tagged": BYTES.map(lambda b: Binary(b, 5)) | BYTES,
    "big": st.integers(-(2**62), 2**62).map(Int64),
    "shade": st.sampled_from([m.value for m in Shade]),
    "where": st.tuples(st.integers(-90, 90), st.floats(-90, 90)).map(list),
    "extra": st.dictionaries(st.text("abc", min_size=1, max_size=2), NESTED, max_size=3),
    "keys": st.lists(STORED_UUIDS, max_size=3),
    "spot": st.fixed_dictionaries({}, optional={"key": STORED_UUIDS}),
}
#: Without Decimal128 anywhere: nx-27017 rejects it (capability "decimal128").
STORED = st.fixed_dictionaries({}, optional=PLAIN)
STORED_DECIMALS_TOO = st.fixed_dictionaries(
    {},
    optional={
        **PLAIN,
        "price": STORED_DECIMALS,
        "cents": DECIMALS.map(lambda d: Decimal128(d.quantize(decimal.Decimal("0.1")))),
        "extra": st.dictionaries(
            st.text("abc", min_size=1, max_size=2), NESTED | STORED_DECIMALS, max_size=3
        ),
        "prices": st.lists(STORED_DECIMALS, max_size=3),
        "spot": st.fixed_dictionaries({}, optional={"key": STORED_UUIDS, "price": STORED_DECIMALS}),
    },
)


def read_everything(doc: ReadEverything) -> None:
    """Read every field, and every field of the embedded document."""
    for name in ReadEverything._schema.fields:
        value = getattr(doc, name)
        if isinstance(value, ReadSpot):
            _ = (value.key, value.price)


async def _raw(backend: Backend, pk: ObjectId) -> dict[str, Any]:
    stored: dict[str, Any] | None = await backend.db["prop_read_everything"].find_one({"_id": pk})
    assert stored is not None
    return stored


async def check_read_saves_nothing(backend: Backend, stored: dict[str, Any]) -> None:
    pk = ObjectId()
    await backend.db["prop_read_everything"].insert_one({"_id": pk, **stored})
    before = await _raw(backend, pk)
    doc = await ReadEverything.objects.get(id=pk)
    read_everything(doc)
    async with capture_commands() as log:
        await doc.save()
    assert log.names == [], log.describe()
    assert await _raw(backend, pk) == before


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stored=STORED)
async def test_reading_every_field_saves_nothing(backend: Backend, stored: dict[str, Any]) -> None:
    await check_read_saves_nothing(backend, stored)


@pytest.mark.needs("decimal128")
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stored=STORED_DECIMALS_TOO)
async def test_reading_decimals_saves_nothing(backend: Backend, stored: dict[str, Any]) -> None:
    await check_read_saves_nothing(backend, stored)


@settings(max_examples=20, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stored=STORED.filter(lambda s: "key" in s), new=UUIDS)
async def test_a_changed_uuid_is_still_saved(
    backend: Backend, stored: dict[str, Any], new: uuid.UUID
) -> None:
    pk = ObjectId()
    await backend.db["prop_read_everything"].insert_one({"_id": pk, **stored})
    doc = await ReadEverything.objects.get(id=pk)
    read_everything(doc)
    doc.key = new
    async with capture_commands() as log:
        await doc.save()
    assert log.names == ["update"]
    [update] = log.commands[0].command["updates"]
    assert update["u"] == {"$set": {"key": Binary.from_uuid(new)}}
    # As this backend decodes it: UUID, Binary subtype 4, or bytes on nx ("uuid_standard").
    assert ReadEverything.key.to_python((await _raw(backend, pk))["key"]) == new
