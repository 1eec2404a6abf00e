"""The harness of ``test_save_lanes.py``: models, a stand-in driver collection, two runs.

``MemoryRaw`` keeps documents in a dict and records every call it receives (method, arguments,
deep-copied); ``World`` is one fresh connection whose model adapters all answer from such
stand-ins; ``same_both_ways`` runs a scenario with the save lane and with it switched off and
checks that both left the same calls, stored documents and document states.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest
from bson import ObjectId
from pymongo import errors as pm_errors

import asyncodm
from asyncodm import (
    BooleanField,
    DateTimeField,
    DictField,
    Document,
    DynamicDocument,
    FloatField,
    IntField,
    ListField,
    ObjectIdField,
    StringField,
)
from asyncodm._io import _persistence, _save_lane
from asyncodm._io._collection import collection_for

# --------------------------------------------------------------------------------------------
# Models


class Item(Document):
    title = StringField(required=True, max_length=30)
    count = IntField(min_value=0)
    score = FloatField()
    flag = BooleanField(default=False)
    owner = ObjectIdField()
    when = DateTimeField()
    tags = ListField(StringField(max_length=10))
    extra = DictField()
    meta = {"collection": "lane_item"}


class Cleaned(Document):
    name = StringField()
    slug = StringField()
    meta = {"collection": "lane_cleaned"}

    def clean(self) -> None:
        self.slug = (self.name or "").lower()


class Versioned(Document):
    name = StringField()
    meta = {"collection": "lane_versioned", "versioned": True}


class Sharded(Document):
    region = StringField()
    name = StringField()
    meta = {"collection": "lane_sharded", "shard_key": ("region",)}


class Loose(DynamicDocument):
    name = StringField()
    meta = {"collection": "lane_loose"}


class Keyed(Document):
    key = StringField(primary_key=True)
    name = StringField()
    meta = {"collection": "lane_keyed"}


MODELS: tuple[type[Document], ...] = (Item, Cleaned, Versioned, Sharded, Loose, Keyed)

# --------------------------------------------------------------------------------------------
# The stand-in driver collection


def _walk(doc: dict[str, Any], path: str) -> tuple[Any, str]:
    *parents, last = path.split(".")
    here: Any = doc
    for part in parents:
        here = here[int(part)] if isinstance(here, list) else here.setdefault(part, {})
    return here, last


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    here, last = _walk(doc, path)
    if isinstance(here, list):
        here[int(last)] = value
    else:
        here[last] = value


def _unset(doc: dict[str, Any], path: str) -> None:
    here, last = _walk(doc, path)
    if isinstance(here, dict):
        here.pop(last, None)


class MemoryRaw:
    """A driver collection that stores documents in a dict and records each call."""

    def __init__(self, name: str, log: list[tuple[str, Any]]) -> None:
        self.name = name
        self.database = SimpleNamespace(name="lanes")
        self.docs: dict[Any, dict[str, Any]] = {}
        self.log = log
        self.wire: list[str] = []
        self.fail: BaseException | None = None

    def _record(self, method: str, *args: Any, **kwargs: Any) -> None:
        self.log.append((f"{self.name}.{method}", copy.deepcopy((args, kwargs))))
        # what the driver would encode, key order included (dict equality ignores order)
        self.wire.append(repr((method, args, kwargs)))
        if self.fail is not None:
            raise self.fail

    def _match(self, flt: dict[str, Any]) -> dict[str, Any] | None:
        doc = self.docs.get(flt["_id"])
        if doc is None or any(doc.get(k) != v for k, v in flt.items()):
            return None
        return doc

    async def insert_one(self, document: dict[str, Any], session: Any = None) -> Any:
        self._record("insert_one", document, session=session)
        if document["_id"] in self.docs:
            raise pm_errors.DuplicateKeyError(
                "E11000 duplicate key error", 11000, {"keyValue": {"_id": document["_id"]}}
            )
        self.docs[document["_id"]] = copy.deepcopy(document)
        return SimpleNamespace(inserted_id=document["_id"])

    async def update_one(
        self, filter: dict[str, Any], update: Any, upsert: bool = False, session: Any = None
    ) -> Any:
        self._record("update_one", filter, update, upsert=upsert, session=session)
        doc = self._match(filter)
        if doc is None:
            return SimpleNamespace(matched_count=0, modified_count=0, upserted_id=None)
        for path, value in update.get("$set", {}).items():
            _set(doc, path, copy.deepcopy(value))
        for path in update.get("$unset", {}):
            _unset(doc, path)
        for path, step in update.get("$inc", {}).items():
            doc[path] = doc.get(path, 0) + step
        return SimpleNamespace(matched_count=1, modified_count=1, upserted_id=None)

    async def replace_one(
        self, filter: dict[str, Any], replacement: Any, upsert: bool = False, session: Any = None
    ) -> Any:
        self._record("replace_one", filter, replacement, upsert=upsert, session=session)
        matched = self._match(filter) is not None
        if matched or upsert:
            self.docs[filter["_id"]] = copy.deepcopy(replacement)
        return SimpleNamespace(matched_count=int(matched), modified_count=0, upserted_id=None)

    async def find_one(
        self, filter: dict[str, Any], projection: Any = None, session: Any = None, **kw: Any
    ) -> Any:
        self._record("find_one", filter, projection, session=session)
        doc = self._match(filter)
        return copy.deepcopy(doc)

    def with_options(self, **options: Any) -> MemoryRaw:
        twin = MemoryRaw(self.name, self.log)
        twin.docs = self.docs
        twin.wire = self.wire
        self.log.append((f"{self.name}.with_options", sorted(options)))
        return twin


class World:
    """One fresh connection whose model adapters all answer from ``MemoryRaw``s."""

    def __init__(self) -> None:
        self.log: list[tuple[str, Any]] = []
        self.raws: dict[str, MemoryRaw] = {}

    def raw(self, name: str) -> MemoryRaw:
        if name not in self.raws:
            self.raws[name] = MemoryRaw(name, self.log)
        return self.raws[name]

    def stored(self) -> dict[str, dict[Any, dict[str, Any]]]:
        return {name: copy.deepcopy(raw.docs) for name, raw in self.raws.items()}


@contextmanager
def patched_raws(world: World, m: pytest.MonkeyPatch) -> Iterator[None]:
    """Every adapter the database builds gets the world's stand-in as its driver collection."""
    database = asyncodm.connection.get_database()
    original = type(database).collection

    def collection(self: Any, name: str, **options: Any) -> Any:
        adapter = original(self, name, **options)
        raw = world.raw(name)
        adapter._raw = raw.with_options(**options) if options else raw
        return adapter

    m.setattr(type(database), "collection", collection)
    database.model_adapters.clear()
    database._collections.clear()
    try:
        yield
    finally:
        database.model_adapters.clear()
        database._collections.clear()


class Ids:
    """Deterministic generated ids, the same sequence in both runs of a scenario."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> ObjectId:
        self.n += 1
        return ObjectId(f"5f00000000000000{self.n:08x}")


def state_of(doc: Any) -> tuple[Any, ...]:
    orig = doc._orig
    return (
        type(doc).__name__,
        copy.deepcopy(doc._son),
        None if orig is None else sorted(orig),
        doc.to_mongo(),
    )


Scenario = Callable[[World], Awaitable[list[Any]]]


async def run_scenario(scenario: Scenario, *, lane: bool, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run ``scenario`` in a fresh world; returns what it left and how many general saves ran."""
    general = 0
    real_save = _persistence._save

    def counting(*args: Any) -> Any:
        nonlocal general
        general += 1
        return real_save(*args)

    async def handover(doc: Any, clean: bool) -> Any:
        return _save_lane.HANDOVER

    with monkeypatch.context() as m:
        m.setattr(_persistence, "_save", counting)
        ids = Ids()
        m.setattr(_persistence, "ObjectId", ids)
        m.setattr(_save_lane, "ObjectId", ids)
        if not lane:
            m.setattr("asyncodm._document.save_lane", handover)
        world = World()
        asyncodm.connect("mongodb://127.0.0.1:1", db="lanes", driver="pymongo")
        try:
            with patched_raws(world, m):
                for model in MODELS:
                    collection_for(model)  # the adapter cache the lane reads
                docs = await scenario(world)
                wire = [line for raw in world.raws.values() for line in raw.wire]
                outcome = (world.log, world.stored(), [state_of(d) for d in docs], wire)
        finally:
            await asyncodm.disconnect()
    return outcome, general


async def same_both_ways(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch, *, lane_saves: int, general_saves: int
) -> Any:
    """Both runs agree; the lane run made ``general_saves`` general saves, the other all."""
    with_lane, general = await run_scenario(scenario, lane=True, monkeypatch=monkeypatch)
    without, every = await run_scenario(scenario, lane=False, monkeypatch=monkeypatch)
    assert with_lane == without
    assert (every - general, general) == (lane_saves, general_saves)
    return with_lane


def new_item(**changes: Any) -> Item:
    values: dict[str, Any] = {
        "title": "first",
        "count": 1,
        "score": 1.5,
        "owner": ObjectId("5f0000000000000000000001"),
        "when": datetime.datetime(2026, 1, 2, 3, 4, 5),
        "tags": ["a", "b"],
        "extra": {"k": 1},
    }
    values.update(changes)
    return Item(**values)


async def load_stored(world: World, model: type[Any], raw: dict[str, Any]) -> Any:
    """A document as a query loads it, with ``raw`` stored under the model's collection."""
    world.raw(model._schema.collection).docs[raw["_id"]] = copy.deepcopy(raw)
    return model._from_son(copy.deepcopy(raw))


ID = ObjectId("5f00000000000000000000aa")
ID2 = ObjectId("5f00000000000000000000bb")
ID3 = ObjectId("5f00000000000000000000cc")


def stored_item(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "_id": ID,
        "title": "t",
        "count": 3,
        "score": 2.5,
        "flag": False,
        "owner": ObjectId("5f0000000000000000000002"),
        "when": datetime.datetime(2026, 1, 1),
        "tags": ["x"],
        "extra": {"a": 1},
        "unknown": "kept",
    }
    raw.update(changes)
    return raw
