"""Every data field round-trips: assign -> ``to_mongo`` -> BSON bytes -> decode -> load gives
the value back (or what the field documents it becomes), and one document holding every
saveable field survives a save and a query load on mongomock (50 examples).

Each example fills one document with a drawn value for every case of
``tests/property/strategies.py`` (so 200 examples are 200 values per field, at the cost of 200
documents). A new field class exported by ``asyncodm.fields`` fails
``test_every_field_class_has_a_case`` until it has a case there.
"""

from __future__ import annotations

import inspect
from typing import Any

import bson
import pytest
from bson.codec_options import CodecOptions
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import asyncodm as odm
from asyncodm.fields import BaseField
from tests._backends import Backend
from tests.property.strategies import CASES, same

#: What the test clients use: UUIDs as standard binary, naive UTC datetimes.
OPTIONS: CodecOptions[dict[str, Any]] = CodecOptions(uuid_representation=bson.STANDARD)

SAVEABLE = [case for case in CASES if case.saveable]
#: Fields whose stored value is an id of content stored elsewhere (GridFS): their raw ids
#: round-trip through ``from_son``.
BY_ID = [case for case in CASES if not case.saveable]


def _model(name: str, collection: str) -> type[odm.Document]:
    return type(
        name,
        (odm.Document,),
        {**{f"f_{case.id}": case.field() for case in CASES}, "meta": {"collection": collection}},
    )


PURE = _model("PropEveryFieldPure", "prop_every_field_pure")
SAVED = _model("PropEveryFieldSaved", "prop_every_field_saved")
VALUES = st.fixed_dictionaries({f"f_{case.id}": case.values for case in SAVEABLE})
IDS = st.fixed_dictionaries({f"f_{case.id}": case.values for case in BY_ID})


def _through_bson(son: dict[str, Any]) -> dict[str, Any]:
    return bson.decode(bson.encode(son, codec_options=OPTIONS), codec_options=OPTIONS)


def _encoded(value: Any) -> bytes:
    return bson.encode({"v": value}, codec_options=OPTIONS)


def _check_loaded(loaded: odm.Document, values: dict[str, Any], ids: dict[str, Any]) -> None:
    for case in SAVEABLE:
        got = case.read(getattr(loaded, f"f_{case.id}"))
        expected = case.expect(values[f"f_{case.id}"])
        assert same(got, expected), (case.id, got, expected)
    for case in BY_ID:
        got = case.read(getattr(loaded, f"f_{case.id}"))
        assert got == ids[f"f_{case.id}"], (case.id, got)


@settings(max_examples=200)
@given(values=VALUES, ids=IDS)
def test_every_field_survives_bson_and_load(values: dict[str, Any], ids: dict[str, Any]) -> None:
    doc = PURE(**values)
    doc.validate()
    son = {**doc.to_mongo(), **{f"f_{case.id}": ids[f"f_{case.id}"] for case in BY_ID}}
    loaded = PURE.from_son(_through_bson(son))
    _check_loaded(loaded, values, ids)
    # the loaded values, converted again, encode to the same bytes: nothing drifts on re-save
    again = loaded.to_mongo()
    assert list(again) == list(son)
    drifted = {k: (son[k], again[k]) for k in son if _encoded(son[k]) != _encoded(again[k])}
    assert not drifted
    loaded.validate()


def _data_field_classes() -> set[type[BaseField[Any]]]:
    found = set()
    for name in odm.fields.__all__:
        obj = getattr(odm.fields, name)
        if inspect.isclass(obj) and issubclass(obj, BaseField) and obj is not BaseField:
            found.add(obj)
    return found


def test_every_field_class_has_a_case() -> None:
    covered = {type(case.field()).__name__ for case in CASES}
    missing = {cls.__name__ for cls in _data_field_classes()} - covered
    assert not missing, f"add a Case to tests/property/strategies.py for {sorted(missing)}"
    assert len(_data_field_classes()) >= 40  # the walk over __all__ really finds the fields


@pytest.mark.backend_only("mongomock")
@settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=VALUES, ids=IDS)
async def test_every_field_survives_a_save_and_a_query_load(
    backend: Backend, values: dict[str, Any], ids: dict[str, Any]
) -> None:
    # One database for every example (the fixture is set up once per test): each example
    # stores a document, loads it through the queryset's loader, and deletes it again
    # (mongomock scans the whole collection for every lookup).
    doc = SAVED(**values)
    await doc.save()
    collection = backend.db["prop_every_field_saved"]
    await collection.update_one({"_id": doc.pk}, {"$set": ids})
    try:
        # (the raw document is not compared: mongomock stores Python objects, not BSON; the
        # test above checks the bytes)
        loaded = await SAVED.objects.get(id=doc.pk)
        _check_loaded(loaded, values, ids)
    finally:
        await collection.delete_one({"_id": doc.pk})
