"""The save lane (``asyncodm._io._save_lane``) gives exactly what the general save path gives.

No backend: the model's cached collection adapter is pointed at ``MemoryRaw``, a stand-in
driver collection that keeps documents in a dict and records every call it receives (method,
arguments, deep-copied). Each scenario runs twice in a fresh connection -- once as it comes
(``Document.save`` takes the lane where it may), once with the lane switched off (every save
takes ``_persistence._save``) -- and both runs must leave the same driver calls, the same
stored documents and the same document state. Each scenario also says which path it must
take: a lane scenario fails if the general path ran, a hand-over scenario if it did not.
"""

from __future__ import annotations

import datetime
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest
from bson import Int64, ObjectId
from pymongo import errors as pm_errors

import asyncodm
from asyncodm import (
    ConnectionFailure,
    Document,
    IntField,
    NotUniqueError,
    SequenceField,
    StringField,
    ValidationError,
    signals,
)
from asyncodm._context import bound_session, collection_options, switch_collection
from asyncodm._drivers import _tracing
from asyncodm._drivers._capture import recording
from asyncodm._io import _save_lane
from asyncodm._types import MISSING
from tests.unit._save_lane_harness import (
    ID,
    ID2,
    ID3,
    Cleaned,
    Item,
    Keyed,
    Loose,
    Sharded,
    Versioned,
    World,
    load_stored,
    new_item,
    patched_raws,
    same_both_ways,
    stored_item,
)

# --------------------------------------------------------------------------------------------
# The lane's own cases


async def test_new_documents_take_the_lane(monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario(world: World) -> list[Any]:
        first, second = new_item(), new_item(title="second", tags=[], extra={})
        await first.save()
        await second.save(clean=False)
        first.count = 5
        # saved, its converted values (pk, containers) are compared on the next save: the
        # general path's delta
        await first.save()
        return [first, second]

    log, stored, _, _ = await same_both_ways(scenario, monkeypatch, lane_saves=2, general_saves=1)
    assert [name for name, _ in log] == [
        "lane_item.insert_one",
        "lane_item.insert_one",
        "lane_item.update_one",
    ]
    assert log[2][1] == (
        ({"_id": ObjectId("5f0000000000000000000001")}, {"$set": {"count": 5}}),
        {"upsert": False, "session": None},
    )
    assert stored["lane_item"][ObjectId("5f0000000000000000000001")]["count"] == 5


async def test_plain_changes_of_a_loaded_document_take_the_lane(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def scenario(world: World) -> list[Any]:
        doc = await load_stored(world, Item, stored_item())
        doc.when = datetime.datetime(2026, 5, 5)
        doc.count += 1
        doc.title = "t"  # touched, unchanged: not sent
        await doc.save()
        untouched = await load_stored(world, Item, stored_item(_id=ID2))
        await untouched.save()  # nothing read or assigned: nothing sent
        same = await load_stored(world, Item, stored_item(_id=ID3))
        same.count = 3
        await same.save()  # assigned its stored value: nothing sent
        return [doc, untouched, same]

    log, stored, states, _ = await same_both_ways(
        scenario, monkeypatch, lane_saves=3, general_saves=0
    )
    # one command, its $set in the order the fields changed (compute_delta's order)
    assert log == [
        (
            "lane_item.update_one",
            (
                ({"_id": ID}, {"$set": {"when": datetime.datetime(2026, 5, 5), "count": 4}}),
                {"upsert": False, "session": None},
            ),
        )
    ]
    assert stored["lane_item"][ID]["unknown"] == "kept"
    assert states[0][2] is None  # saved: no change recorded
    assert states[2][2] == ["count"]  # nothing sent, so nothing marked saved (as before)


async def test_a_document_deleted_meanwhile_is_written_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def scenario(world: World) -> list[Any]:
        doc = await load_stored(world, Item, stored_item())
        del world.raw("lane_item").docs[ID]
        doc.count = 9
        await doc.save()
        return [doc]

    log, stored, _, _ = await same_both_ways(scenario, monkeypatch, lane_saves=1, general_saves=0)
    assert [name for name, _ in log] == ["lane_item.update_one", "lane_item.replace_one"]
    assert stored["lane_item"][ID]["count"] == 9


async def test_a_new_document_with_a_primary_key_is_upserted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def scenario(world: World) -> list[Any]:
        doc = Keyed(key="k1", name="n")
        await doc.save()
        item = new_item(id=ID)
        await item.save()
        return [doc, item]

    log, _, _, _ = await same_both_ways(scenario, monkeypatch, lane_saves=2, general_saves=0)
    assert [name for name, _ in log] == ["lane_keyed.replace_one", "lane_item.replace_one"]


async def test_driver_errors_are_translated_and_name_the_document(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def scenario(world: World) -> list[Any]:
        raw = world.raw("lane_item")
        loaded = await load_stored(world, Item, stored_item())
        loaded.count = 4
        raw.fail = pm_errors.AutoReconnect("gone")
        with pytest.raises(ConnectionFailure) as lost:
            await loaded.save()
        assert "update_one" in str(lost.value)
        assert isinstance(lost.value.__cause__, pm_errors.AutoReconnect)
        raw.fail = pm_errors.DuplicateKeyError("E11000", 11000, {})
        with pytest.raises(NotUniqueError) as duplicate:
            await loaded.save()
        assert duplicate.value.instance is loaded
        assert loaded._orig == {"count": 3}  # not saved: the change is still pending
        fresh = new_item()
        with pytest.raises(NotUniqueError) as duplicate_new:
            await fresh.save()
        assert duplicate_new.value.instance is fresh
        assert fresh.pk is None  # not stored: a retry inserts again
        assert fresh._son is None
        raw.fail = None
        await fresh.save()
        await loaded.save()
        return [loaded, fresh]

    log, stored, _, _ = await same_both_ways(scenario, monkeypatch, lane_saves=5, general_saves=0)
    assert [name for name, _ in log] == [
        "lane_item.update_one",
        "lane_item.update_one",
        "lane_item.insert_one",
        "lane_item.insert_one",
        "lane_item.update_one",
    ]
    assert stored["lane_item"][ID]["count"] == 4


async def test_invalid_values_get_the_general_paths_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def scenario(world: World) -> list[Any]:
        with pytest.raises(ValidationError) as new_error:
            await new_item(title="x" * 40, count=-1).save()
        assert set(new_error.value.errors) == {"title", "count"}
        doc = await load_stored(world, Item, stored_item())
        doc.count = -5
        doc.title = "y" * 40
        with pytest.raises(ValidationError) as delta_error:
            await doc.save()
        assert set(delta_error.value.errors) == {"count", "title"}
        return [doc]

    # the new document fails in the lane's validation (as validate() fails); the loaded one
    # hands over and the general path names both errors
    log, _, _, _ = await same_both_ways(scenario, monkeypatch, lane_saves=1, general_saves=1)
    assert log == []


# --------------------------------------------------------------------------------------------
# Where the lane hands over


async def _loaded_then(world: World, change: Callable[[Item], None]) -> list[Any]:
    doc = await load_stored(world, Item, stored_item())
    change(doc)
    await doc.save()
    return [doc]


def _append_tag(doc: Item) -> None:
    doc.tags.append("y")


def _read_tags(doc: Item) -> None:
    assert doc.tags == ["x"]
    doc.count = 8


def _set_none(doc: Item) -> None:
    doc.score = None


def _set_dict(doc: Item) -> None:
    doc.extra = {"b": 2}


@pytest.mark.parametrize(
    "change", [_append_tag, _read_tags, _set_none, _set_dict], ids=lambda f: f.__name__
)
async def test_other_changes_hand_over(
    change: Callable[[Item], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def scenario(world: World) -> list[Any]:
        return await _loaded_then(world, change)

    log, _, _, _ = await same_both_ways(scenario, monkeypatch, lane_saves=0, general_saves=1)
    assert [name for name, _ in log] == ["lane_item.update_one"]


async def test_a_value_of_another_type_than_stored_hands_over(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def scenario(world: World) -> list[Any]:
        doc = await load_stored(world, Item, stored_item(count=Int64(3)))
        doc.count = 3  # an int equal to the stored Int64: not sent
        await doc.save()
        other = await load_stored(world, Item, stored_item(_id=ID2, count=Int64(3)))
        other.count = 4
        await other.save()
        return [doc, other]

    log, _, _, _ = await same_both_ways(scenario, monkeypatch, lane_saves=0, general_saves=2)
    assert [name for name, _ in log] == ["lane_item.update_one"]


def _contexts() -> dict[str, Callable[[], AbstractContextManager[Any]]]:
    def receiver(sender: type, **kwargs: Any) -> None:
        pass

    class Tracer:
        def __call__(self, operation: str, namespace: str | None, fetch: bool) -> None:
            return None

        def odm(self, operation: str, model: type) -> None:
            return None

    @contextmanager
    def traced() -> Iterator[None]:
        previous = _tracing.set_tracer(Tracer())
        try:
            yield
        finally:
            _tracing.set_tracer(previous)

    return {
        "pre_save": lambda: signals.pre_save.connected_to(receiver),
        "post_save": lambda: signals.post_save.connected_to(receiver),
        "tracer": traced,
        "switch_collection": lambda: switch_collection(Item, "lane_item"),
        "collection_options": lambda: collection_options(Item, write_concern={"w": 1}),
        "session": lambda: bound_session("default", "a-session"),
        "capture": lambda: recording([]),
    }


@pytest.mark.parametrize("context", sorted(_contexts()))
async def test_contexts_hand_over(context: str, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario(world: World) -> list[Any]:
        with _contexts()[context]():
            new = new_item()
            await new.save()
            doc = await load_stored(world, Item, stored_item(_id=ID2))
            doc.count = 7
            await doc.save()
        return [new, doc]

    await same_both_ways(scenario, monkeypatch, lane_saves=0, general_saves=2)


def _argument_calls() -> dict[str, Callable[[Item], Awaitable[Any]]]:
    return {
        "validate=False": lambda d: d.save(validate=False),
        "force_insert": lambda d: d.save(force_insert=True),
        "cascade=False": lambda d: d.save(cascade=False),
        "write_concern": lambda d: d.save(write_concern={"w": 1}),
        "session": lambda d: d.save(session="s"),
        "signal_kwargs": lambda d: d.save(signal_kwargs={}),
        "full_clean": lambda d: d.save(full_clean=False),
    }


@pytest.mark.parametrize("call", sorted(_argument_calls()))
async def test_save_arguments_hand_over(call: str, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario(world: World) -> list[Any]:
        new = new_item()
        await _argument_calls()[call](new)
        doc = await load_stored(world, Item, stored_item(_id=ID2))
        doc.count = 7
        await _argument_calls()[call](doc)
        return [new, doc]

    await same_both_ways(scenario, monkeypatch, lane_saves=0, general_saves=2)


async def test_classes_the_lane_does_not_cover_hand_over(monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario(world: World) -> list[Any]:
        cleaned = await load_stored(world, Cleaned, {"_id": ID, "name": "A", "slug": "a"})
        cleaned.name = "B"
        await cleaned.save()  # clean() may change values: the delta is computed after it
        versioned = await load_stored(world, Versioned, {"_id": ID, "name": "v", "_version": 1})
        versioned.name = "w"
        await versioned.save()
        sharded = await load_stored(world, Sharded, {"_id": ID, "region": "eu", "name": "s"})
        sharded.name = "t"
        await sharded.save()
        loose = await load_stored(world, Loose, {"_id": ID, "name": "l"})
        loose.name = "m"
        await loose.save()
        new_versioned = Versioned(name="n")
        await new_versioned.save()
        return [cleaned, versioned, sharded, loose, new_versioned]

    log, stored, _, _ = await same_both_ways(scenario, monkeypatch, lane_saves=0, general_saves=5)
    assert stored["lane_cleaned"][ID]["slug"] == "b"
    assert stored["lane_versioned"][ID]["_version"] == 2
    assert ("lane_sharded.update_one") in [name for name, _ in log]


async def test_a_document_marked_unsaved_hands_over(monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario(world: World) -> list[Any]:
        doc = Item.from_document(stored_item())
        doc.count = 4
        await doc.save()  # written whole, upserted
        return [doc]

    log, _, _, _ = await same_both_ways(scenario, monkeypatch, lane_saves=0, general_saves=1)
    assert [name for name, _ in log] == ["lane_item.replace_one"]


async def test_the_first_save_of_a_class_builds_its_adapter_on_the_general_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asyncodm.connect("mongodb://127.0.0.1:1", db="lanes", driver="pymongo")
    try:
        database = asyncodm.connection.get_database()
        database.model_adapters.clear()
        world = World()
        with monkeypatch.context() as m, patched_raws(world, m):
            assert await _save_lane.save_lane(new_item(), True) is _save_lane.HANDOVER
            await new_item().save()
            assert Item in database.model_adapters
            assert await _save_lane.save_lane(new_item(), True) is not _save_lane.HANDOVER
    finally:
        await asyncodm.disconnect()


async def test_not_connected_validates_first_as_before() -> None:
    with pytest.raises(ValidationError):
        await new_item(title=None).save()
    with pytest.raises(asyncodm.ConfigurationError):
        await new_item().save()


# --------------------------------------------------------------------------------------------
# The generated plain_set


def test_plain_set_vouches_only_for_plain_values_of_the_stored_type() -> None:
    plain_set = _save_lane.lane_of(Item).plain_set
    stored = stored_item()
    assert plain_set({"count": 3}, {**stored, "count": 4}) == {"count": 4}
    assert plain_set({"count": 3}, {**stored, "count": 3}) == {}
    assert plain_set({"count": 3}, {**stored, "count": -1}) is None  # fails its check
    assert plain_set({"count": 3}, {**stored, "count": None}) is None  # None: the general path
    assert plain_set({"count": 3}, {**stored, "count": 4.0}) is None  # another type
    assert plain_set({"count": MISSING}, {**stored, "count": 4}) is None  # not stored before
    assert plain_set({"title": "t", "count": 3}, {**stored, "count": 4, "title": "u"}) == {
        "title": "u",
        "count": 4,
    }
    assert list(plain_set({"count": 3, "title": "t"}, {**stored, "count": 4, "title": "u"})) == [
        "count",
        "title",
    ]
    assert plain_set({"\x00tags": b"", "count": 3}, {**stored, "count": 4}) is None  # snapshot
    assert plain_set({"tags": []}, stored) is None  # not a plain field


def test_plain_set_of_a_field_without_a_quick_check_hands_over() -> None:
    class Picky(Document):
        name = StringField(choices=("a", "b"))
        size = IntField()
        meta = {"collection": "lane_picky"}

    plain_set = _save_lane.lane_of(Picky).plain_set
    assert plain_set({"name": "a"}, {"name": "b"}) is None
    assert plain_set({"size": 1}, {"size": 2}) == {"size": 2}


def test_classes_closed_to_the_lane() -> None:
    class Cascading(Document):
        name = StringField()
        meta = {"collection": "lane_cascading", "cascade": True}

    class Indexed(Document):
        name = StringField()
        meta = {"collection": "lane_indexed", "auto_create_index": True, "indexes": ["name"]}

    class Capped(Document):
        name = StringField()
        meta = {"collection": "lane_capped", "max_documents": 10, "max_size": 4096}

    class Numbered(Document):
        number = SequenceField(collection_name="lane_counters")
        meta = {"collection": "lane_numbered"}

    assert _save_lane.lane_of(Item).open
    assert _save_lane.lane_of(Keyed).open
    for model in (Versioned, Sharded, Loose, Cascading, Indexed, Capped, Numbered):
        assert not _save_lane.lane_of(model).open, model
    assert _save_lane.lane_of(Cleaned).runs_clean
    assert not _save_lane.lane_of(Item).runs_clean


async def test_a_missing_primary_key_is_refused_both_ways(monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario(world: World) -> list[Any]:
        doc = Keyed(name="no key")
        with pytest.raises(ValidationError) as missing:
            await doc.save()
        assert list(missing.value.errors) == ["key"]
        return [doc]

    log, _, _, _ = await same_both_ways(scenario, monkeypatch, lane_saves=1, general_saves=0)
    assert log == []
