"""The save lane against every backend: the same commands and stored documents as the general path.

``tests/unit/test_save_lanes.py`` pins each lane and hand-over case against a stand-in driver;
here the same kind of scenario runs on real drivers and servers, once with the lane and once
with it switched off (every ``save()`` through ``_persistence._save``), from the same starting
state and with the same generated ids. Both runs must send the same write commands, key order
included (wire backends: the client's command listener), and leave the same stored documents.
"""

from __future__ import annotations

from typing import Any

import pytest
from bson import ObjectId

from asyncodm import (
    Document,
    FloatField,
    IntField,
    ListField,
    NotUniqueError,
    StringField,
    ValidationError,
)
from asyncodm._io import _persistence, _save_lane
from asyncodm._io._collection import collection_for
from tests._backends import Backend


class LanePost(Document):
    title = StringField(required=True, max_length=50)
    views = IntField(min_value=0)
    rating = FloatField()
    tags = ListField(StringField(max_length=10))
    meta = {"collection": "lane_post"}


_WRITES = {"insert", "update", "delete", "findAndModify"}
_KEPT = ("documents", "updates", "ordered")


class _Ids:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> ObjectId:
        self.n += 1
        return ObjectId(f"5f00000000000000{self.n:08x}")


async def _scenario(ids: _Ids) -> list[Any]:
    """Insert, change plain fields, change nothing, change a container, fail validation,
    collide on ``_id``; returns what it observed along the way."""
    seen: list[Any] = []
    posts = [LanePost(title=f"p{i}", views=i, rating=1.5, tags=["a"]) for i in range(3)]
    for post in posts:
        await post.save()
    seen.append([p.pk for p in posts])
    for post in posts:
        loaded = await LanePost.objects.get(id=post.pk)
        loaded.views += 10
        loaded.title = loaded.title + "!"
        await loaded.save()
        await loaded.save()  # nothing changed since: nothing sent
        loaded.rating = 2.5
        await loaded.save()
        loaded.tags.append("b")  # a container: the general path's delta
        await loaded.save()
        loaded.views = -1
        with pytest.raises(ValidationError) as invalid:
            await loaded.save()
        seen.append(sorted(invalid.value.errors))
        seen.append((loaded.to_mongo(), loaded._orig))
    twin = LanePost(id=ObjectId("5f00000000000000000000ff"), title="twin")
    await twin.save()  # a primary key already set: upserted
    ids.n = 1  # the next generated id is the second post's: a duplicate key
    again = LanePost(title="again")
    with pytest.raises(NotUniqueError) as duplicate:
        await again.save()
    seen.append((duplicate.value.instance is again, again.pk))
    return seen


async def _run(backend: Backend, monkeypatch: pytest.MonkeyPatch, *, lane: bool) -> Any:
    await backend.db["lane_post"].delete_many({})
    collection_for(LanePost)  # the adapter cache the lane reads (built by any first use)
    start = len(backend.recorder.commands)
    with monkeypatch.context() as m:
        ids = _Ids()
        m.setattr(_persistence, "ObjectId", ids)
        m.setattr(_save_lane, "ObjectId", ids)
        general = 0
        real_save = _persistence._save

        def counting(*args: Any) -> Any:
            nonlocal general
            general += 1
            return real_save(*args)

        m.setattr(_persistence, "_save", counting)
        if not lane:

            async def handover(doc: Any, clean: bool) -> Any:
                return _save_lane.HANDOVER

            m.setattr("asyncodm._document.save_lane", handover)
        seen = await _scenario(ids)
    commands = [
        (c.name, c.collection, repr([(k, c.doc[k]) for k in _KEPT if k in c.doc]))
        for c in backend.recorder.commands[start:]
        if c.name in _WRITES and c.collection == "lane_post"
    ]
    stored = [doc async for doc in backend.db["lane_post"].find({}).sort("_id", 1)]
    return seen, commands, stored, general


async def test_the_lane_and_the_general_path_send_and_store_the_same(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen, commands, stored, general = await _run(backend, monkeypatch, lane=True)
    seen_g, commands_g, stored_g, every = await _run(backend, monkeypatch, lane=False)
    assert (seen, commands, stored) == (seen_g, commands_g, stored_g)
    # 3 inserts; per post 3 lane saves (two changes, one no-op) and 2 general ones (the
    # container change, the invalid value); the upsert of a set pk and the duplicate
    assert every == 3 + 3 * 5 + 2
    assert general == 3 * 2
    assert [doc["title"] for doc in stored] == ["p0!", "p1!", "p2!", "twin"]
    assert stored[0]["views"] == 10
    assert stored[0]["rating"] == 2.5
    assert stored[0]["tags"] == ["a", "b"]
    assert seen[-1] == (True, None)  # the duplicate names the document, which has no pk
    if backend.server != "mongomock":  # wire commands to compare
        names = [name for name, _, _ in commands]
        assert names.count("insert") == 3 + 1  # the duplicate was sent, and refused
        assert names.count("update") == 3 * 3 + 1  # two lane deltas and a general one each


class KeyedPost(Document):
    key = StringField(primary_key=True)
    title = StringField()
    meta = {"collection": "lane_keyed_post"}


async def test_bulk_create_refuses_a_document_without_its_primary_key(backend: Backend) -> None:
    with pytest.raises(ValidationError) as missing:
        await KeyedPost.objects.bulk_create([KeyedPost(key="a"), KeyedPost(title="no key")])
    assert list(missing.value.errors) == ["1.key"]
    assert await backend.db["lane_keyed_post"].count_documents({}) == 0
    made = [KeyedPost(key="a"), KeyedPost(key="b", title="t")]
    assert await KeyedPost.objects.bulk_create(made) == ["a", "b"]
    assert [d._son for d in made] == [{"_id": "a"}, {"_id": "b", "title": "t"}]  # saved
    assert all(d._orig is None for d in made)
