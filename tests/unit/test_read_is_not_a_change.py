"""Pure deltas: a loaded document whose fields were only read has nothing to save.

The baseline is the document as the driver decoded it, which depends on the client: under
``uuidRepresentation="standard"`` (asyncodm's default) a subtype-4 binary is a ``uuid.UUID``;
under "unspecified" (mongomock) it stays ``Binary``; legacy subtype 3 is ``Binary`` under both.
No test backend decodes the standard way, so these deltas pin it.
"""

from __future__ import annotations

import decimal
import uuid
from typing import Any

import pytest
from bson import Binary, Decimal128, ObjectId

import asyncodm as odm
from asyncodm._instance._codec import compute_delta
from asyncodm.fields._scalar import same_stored

U = uuid.UUID("12345678-1234-5678-1234-567812345678")
OTHER = uuid.UUID("87654321-4321-8765-4321-876543218765")
STANDARD = U  # as a uuidRepresentation="standard" (or "pythonLegacy" for subtype 3) client
UNSPECIFIED = Binary.from_uuid(U)
LEGACY = Binary.from_uuid(U, 3)


class UnitSpot(odm.EmbeddedDocument):
    key = odm.UUIDField()


class UnitReads(odm.Document):
    key = odm.UUIDField()
    blob = odm.BinaryField()
    tagged = odm.BinaryField(subtype=5)
    cents = odm.DecimalField(precision=2)
    extra = odm.DictField()
    keys = odm.ListField(odm.UUIDField())
    spot = odm.EmbeddedDocumentField(UnitSpot)
    meta = {"collection": "unit_reads"}


def delta_after_reading(stored: dict[str, Any]) -> dict[str, Any]:
    doc = UnitReads.from_son({"_id": ObjectId(), **stored})
    for name in stored:
        value = getattr(doc, name)
        if isinstance(value, UnitSpot):
            _ = value.key
    return compute_delta(doc).update_document()


@pytest.mark.parametrize("stored", [STANDARD, UNSPECIFIED, LEGACY], ids=["uuid", "sub4", "sub3"])
@pytest.mark.parametrize(
    "shape",
    [
        lambda v: {"key": v},
        lambda v: {"extra": {"k": v, "n": [v]}},
        lambda v: {"keys": [v, v]},
        lambda v: {"spot": {"key": v}},
    ],
    ids=["field", "dict", "list", "embedded"],
)
def test_reading_a_uuid_is_not_a_change(stored: Any, shape: Any) -> None:
    assert delta_after_reading(shape(stored)) == {}


@pytest.mark.parametrize("stored", [STANDARD, UNSPECIFIED, LEGACY], ids=["uuid", "sub4", "sub3"])
def test_a_changed_uuid_is_set_as_standard_binary(stored: Any) -> None:
    doc = UnitReads.from_son({"_id": ObjectId(), "key": stored, "keys": [stored]})
    doc.key = OTHER
    doc.keys[0] = OTHER
    assert compute_delta(doc).update_document() == {
        "$set": {"key": Binary.from_uuid(OTHER), "keys.0": Binary.from_uuid(OTHER)}
    }


@pytest.mark.parametrize(
    "stored",
    [
        {"blob": Binary(b"ab", 5)},  # another subtype in a subtype-0 field: read as bytes
        {"tagged": b"ab"},  # plain bytes in a subtype-5 field
        {"cents": Decimal128("1.1")},  # precision=2 dumps 1.10, the same number
        {"extra": {"d": Decimal128("2.50"), "u": STANDARD}},
    ],
)
def test_reading_other_decoded_forms_is_not_a_change(stored: dict[str, Any]) -> None:
    assert delta_after_reading(stored) == {}


def test_real_changes_of_those_forms_are_still_set() -> None:
    doc = UnitReads.from_son(
        {"_id": ObjectId(), "blob": Binary(b"ab", 5), "cents": Decimal128("1.1")}
    )
    doc.blob = b"abc"
    doc.cents = decimal.Decimal("1.2")
    assert compute_delta(doc).update_document() == {
        "$set": {"blob": b"abc", "cents": Decimal128("1.20")}
    }
    # Rounding to the declared precision changes the stored number: that is still written.
    doc = UnitReads.from_son({"_id": ObjectId(), "cents": Decimal128("1.123")})
    _ = doc.cents
    assert compute_delta(doc).update_document() == {"$set": {"cents": Decimal128("1.12")}}


@pytest.mark.parametrize(
    ("old", "new", "same"),
    [
        (STANDARD, UNSPECIFIED, True),
        (UNSPECIFIED, STANDARD, True),
        (LEGACY, UNSPECIFIED, True),
        (STANDARD, Binary.from_uuid(OTHER), False),
        (LEGACY, Binary.from_uuid(OTHER), False),
        (b"ab", Binary(b"ab", 5), True),
        (Binary(b"ab", 5), b"ab", True),
        (Binary(b"ab", 5), Binary(b"ab", 6), False),  # an explicitly chosen subtype
        (b"ab", b"ac", False),
        (Decimal128("1.1"), Decimal128("1.10"), True),
        (Decimal128("1.1"), Decimal128("1.2"), False),
        (Decimal128("NaN"), Decimal128("-NaN"), False),
        (Decimal128("1"), 1, False),
        ("x", "y", False),
        (str(U), UNSPECIFIED, False),  # a string is not a stored UUID binary
    ],
)
def test_same_stored(old: Any, new: Any, same: bool) -> None:
    assert same_stored(old, new) is same
