"""Any document survives pickling and copying: a random document holding a value of every
field of ``tests/property/strategies.py`` (new, or loaded from its BSON and read, or loaded
and then changed) comes back from ``pickle`` (a random protocol), ``copy.copy`` and
``copy.deepcopy`` with the same ``to_mongo()`` and the same pending update, byte for byte
(NaN and -0.0 compare as BSON does).
"""

from __future__ import annotations

import copy
import pickle
from typing import Any

import bson
from bson.codec_options import CodecOptions
from hypothesis import given, settings
from hypothesis import strategies as st

import asyncodm as odm
from asyncodm._instance._codec import compute_delta
from tests.property.strategies import CASES

OPTIONS: CodecOptions[dict[str, Any]] = CodecOptions(uuid_representation=bson.STANDARD)
SAVEABLE = [case for case in CASES if case.saveable]
BY_ID = [case for case in CASES if not case.saveable]

#: Module level under its own name, so pickle finds the class by reference.
PropEveryFieldPickled = type(
    "PropEveryFieldPickled",
    (odm.Document,),
    {**{f"f_{case.id}": case.field() for case in CASES}, "meta": {"collection": "prop_pickled"}},
)

VALUES = st.fixed_dictionaries({f"f_{case.id}": case.values for case in SAVEABLE})
IDS = st.fixed_dictionaries({f"f_{case.id}": case.values for case in BY_ID})
TRIPS = st.sampled_from(
    [
        *(lambda d, p=p: pickle.loads(pickle.dumps(d, p)) for p in range(6)),
        copy.copy,
        copy.deepcopy,
    ]
)


def encoded(son: dict[str, Any]) -> bytes:
    return bson.encode(son, codec_options=OPTIONS)


def through_bson(son: dict[str, Any]) -> dict[str, Any]:
    return bson.decode(encoded(son), codec_options=OPTIONS)


def loaded(values: dict[str, Any], ids: dict[str, Any]) -> Any:
    son = {**PropEveryFieldPickled(**values).to_mongo(), **ids}
    doc = PropEveryFieldPickled.from_son(through_bson(son))
    for case in CASES:  # read every field: handles, snapshots and conversions are cached
        getattr(doc, f"f_{case.id}")
    return doc


def pending(doc: Any) -> bytes:
    return encoded(compute_delta(doc).update_document())


@settings(max_examples=60)
@given(values=VALUES, ids=IDS, trip=TRIPS)
def test_a_new_document_round_trips(values: dict[str, Any], ids: dict[str, Any], trip: Any) -> None:
    doc = PropEveryFieldPickled(**values, **ids)
    again = trip(doc)
    assert encoded(again.to_mongo()) == encoded(doc.to_mongo())


@settings(max_examples=60)
@given(values=VALUES, ids=IDS, trip=TRIPS)
def test_a_loaded_document_round_trips_unchanged(
    values: dict[str, Any], ids: dict[str, Any], trip: Any
) -> None:
    doc = loaded(values, ids)
    again = trip(doc)
    assert encoded(again.to_mongo()) == encoded(doc.to_mongo())
    # The same update as the original's (empty but for UUIDFields: decoded with the standard
    # representation they read back as ``uuid.UUID`` and dump as ``Binary``, which a save of
    # the original would set too; tests/unit/test_pickling.py pins the empty case).
    assert pending(again) == pending(doc)


@settings(max_examples=60)
@given(
    values=VALUES,
    ids=IDS,
    trip=TRIPS,
    change=st.sampled_from(SAVEABLE).flatmap(
        lambda case: st.tuples(st.just(f"f_{case.id}"), case.values)
    ),
)
def test_a_pending_change_round_trips(
    values: dict[str, Any], ids: dict[str, Any], trip: Any, change: tuple[str, Any]
) -> None:
    doc = loaded(values, ids)
    name, value = change
    setattr(doc, name, value)
    expected = pending(doc)
    again = trip(doc)
    assert pending(again) == expected
    assert encoded(again.to_mongo()) == encoded(doc.to_mongo())
