"""The ``with`` contexts: ``switch_db`` (``switch_connection``), ``switch_collection``,
``collection_options`` and ``no_auto_dereference``.

Each is task-local (a ``ContextVar``): visible in the current task and in the tasks it starts
inside the block, never in concurrent ones. Where documents landed is checked with raw reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
from collections.abc import AsyncIterator
from typing import Any

import pytest
from bson.codec_options import CodecOptions
from pymongo import ReadPreference
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

import asyncodm
from asyncodm import (
    collection_options,
    no_auto_dereference,
    switch_collection,
    switch_connection,
    switch_db,
)
from asyncodm._context import switch_for
from tests._backends import Backend
from tests.models.notebook import Annotation, Doodle, Jotting, NoteAuthor, Scribble


@pytest.fixture
async def other_db(backend: Backend) -> AsyncIterator[Any]:
    """A second connection, alias "other", to a second database; dropped at the end."""
    name = backend.db_name + "_b"
    asyncodm.connect(client=backend.client, db=name, alias="other")
    try:
        yield backend.client[name]
    finally:
        await backend.client.drop_database(name)


async def texts(collection: Any) -> list[str]:
    return sorted([d["text"] async for d in collection.find({})])


# --------------------------------------------------------------------------------------------
# Each context on its own


async def test_switch_collection(backend: Backend) -> None:
    await Jotting(text="default").save()
    with switch_collection(Jotting, "jottings_2020") as model:
        assert model is Jotting
        await Jotting(text="archived").save()
        assert [j.text async for j in Jotting.objects] == ["archived"]
        assert Jotting.get_collection().name == "jottings_2020"
    assert [j.text async for j in Jotting.objects] == ["default"]
    assert await texts(backend.db["jottings"]) == ["default"]
    assert await texts(backend.db["jottings_2020"]) == ["archived"]


async def test_switch_db_and_its_pymodm_name(backend: Backend, other_db: Any) -> None:
    assert switch_connection is switch_db
    with switch_db(Jotting, "other"):
        await Jotting(text="elsewhere").save()
        assert await Jotting.objects.count() == 1
        assert Jotting.get_collection().database.name == other_db.name
    assert await Jotting.objects.count() == 0
    assert await texts(other_db["jottings"]) == ["elsewhere"]
    assert await backend.db["jottings"].count_documents({}) == 0


async def test_a_loaded_document_saves_and_deletes_where_the_block_says(
    backend: Backend, other_db: Any
) -> None:
    with switch_db(Jotting, "other"):
        doc = await Jotting(text="v1").save()
        doc.text = "v2"
        await doc.save()
        assert await texts(other_db["jottings"]) == ["v2"]
        await doc.delete()
    assert await other_db["jottings"].count_documents({}) == 0


async def test_nesting_layers_and_restores(backend: Backend, other_db: Any) -> None:
    with switch_db(Jotting, "other"):
        with switch_collection(Jotting, "inner"):
            await Jotting(text="both").save()
        await Jotting(text="db only").save()
    await Jotting(text="neither").save()
    assert await texts(other_db["inner"]) == ["both"]
    assert await texts(other_db["jottings"]) == ["db only"]
    assert await texts(backend.db["jottings"]) == ["neither"]


async def test_an_exception_leaves_the_block_switched_back(backend: Backend) -> None:
    with contextlib.suppress(RuntimeError), switch_collection(Jotting, "tmp"):
        raise RuntimeError
    assert switch_for(Jotting) is None
    assert Jotting.get_collection().name == "jottings"


async def test_a_switch_on_a_parent_applies_to_its_subclasses(
    backend: Backend, other_db: Any
) -> None:
    with switch_db(Scribble, "other"):
        await Doodle(text="child", strokes=3).save()
        with switch_collection(Doodle, "doodles_only"):  # keeps the parent's database
            await Doodle(text="child elsewhere").save()
    assert await texts(other_db["scribbles"]) == ["child"]
    assert await texts(other_db["doodles_only"]) == ["child elsewhere"]
    assert await backend.db["scribbles"].count_documents({}) == 0


async def test_collection_options(backend: Backend) -> None:
    wc = WriteConcern(w=1, wtimeout=1234)
    rc = ReadConcern("local")
    codec = CodecOptions(tz_aware=True)
    with collection_options(
        Jotting,
        read_preference=ReadPreference.SECONDARY_PREFERRED,
        write_concern=wc,
        read_concern=rc,
        codec_options=codec,
    ):
        raw = Jotting.get_collection()
        assert raw.read_preference == ReadPreference.SECONDARY_PREFERRED
        assert raw.write_concern == wc
        assert raw.read_concern == rc
        assert raw.codec_options.tz_aware is True
    raw = Jotting.get_collection()
    assert raw.read_preference == ReadPreference.PRIMARY
    assert raw.codec_options.tz_aware is False


async def test_collection_options_accept_plain_dicts(backend: Backend) -> None:
    with collection_options(Jotting, write_concern={"w": 1, "wtimeout": 99}):
        assert Jotting.get_collection().write_concern == WriteConcern(w=1, wtimeout=99)


async def test_collection_options_reject_unknown_names(backend: Backend) -> None:
    with (
        pytest.raises(TypeError, match="unknown options"),
        collection_options(Jotting, read_preferences=ReadPreference.PRIMARY),
    ):
        pass


async def test_codec_options_change_what_reads_return(backend: Backend) -> None:
    await Jotting(text="t", written=datetime.datetime(2024, 1, 2, 3, 4, 5)).save()
    [naive] = await Jotting.objects.as_pymongo().to_list()
    assert naive["written"].tzinfo is None
    with collection_options(Jotting, codec_options=CodecOptions(tz_aware=True)):
        [aware] = await Jotting.objects.as_pymongo().to_list()
    assert aware["written"].tzinfo is not None
    assert aware["written"] == naive["written"].replace(tzinfo=datetime.timezone.utc)


@pytest.mark.needs("command_monitoring")
async def test_write_concern_is_sent(backend: Backend) -> None:
    backend.reset_commands()
    with collection_options(Jotting, write_concern=WriteConcern(w=1, wtimeout=4321)):
        await Jotting(text="x").save()
    await Jotting(text="y").save()
    inserts = [c.doc for c in backend.commands if c.name == "insert"]
    assert inserts[0]["writeConcern"] == {"w": 1, "wtimeout": 4321}
    assert "writeConcern" not in inserts[1]


async def test_no_auto_dereference(backend: Backend) -> None:
    author = await NoteAuthor(name="Ann").save()
    await Annotation(text="a", author=author).save()
    [note] = await Annotation.objects.to_list()
    with no_auto_dereference(Annotation):
        assert note.author == author.pk  # the raw id: nothing to await
    fetched = await note.author
    assert fetched.name == "Ann"


# --------------------------------------------------------------------------------------------
# Task-local


async def test_twenty_concurrent_tasks_switch_independently(
    backend: Backend, other_db: Any
) -> None:
    """Every task switches somewhere else and yields to the others between every step; each
    document must land exactly where its own task's block pointed."""
    started = asyncio.Barrier(21) if hasattr(asyncio, "Barrier") else None

    async def rendezvous() -> None:
        if started is not None:
            await started.wait()
        await asyncio.sleep(0)

    async def switched(i: int) -> tuple[int, list[str]]:
        alias_block = switch_db(Jotting, "other") if i % 2 else contextlib.nullcontext()
        with alias_block, switch_collection(Jotting, f"jot_{i:02d}"):
            await rendezvous()
            await Jotting(text=f"t{i}", n=i).save()
            await asyncio.sleep(0)
            seen = [j.text async for j in Jotting.objects]
            await asyncio.sleep(0)
            doc = await Jotting.objects.get(n=i)
            doc.text = f"t{i}!"
            await doc.save()
        return i, seen

    async def unswitched() -> None:
        await rendezvous()
        for k in range(5):
            await Jotting(text=f"plain{k}").save()
            await asyncio.sleep(0)

    results = await asyncio.gather(*(switched(i) for i in range(20)), unswitched())
    for i, seen in results[:20]:
        assert seen == [f"t{i}"], f"task {i} saw {seen}"
    for i in range(20):
        db = other_db if i % 2 else backend.db
        assert await texts(db[f"jot_{i:02d}"]) == [f"t{i}!"]
        assert await texts((backend.db if i % 2 else other_db)[f"jot_{i:02d}"]) == []
    assert await texts(backend.db["jottings"]) == [f"plain{k}" for k in range(5)]
    assert await other_db["jottings"].count_documents({}) == 0


async def test_twenty_tasks_with_different_options(backend: Backend) -> None:
    async def one(i: int) -> int:
        with collection_options(Jotting, write_concern=WriteConcern(w=1, wtimeout=1000 + i)):
            await asyncio.sleep(0)
            return int(Jotting.get_collection().write_concern.document["wtimeout"])

    assert await asyncio.gather(*(one(i) for i in range(20))) == [1000 + i for i in range(20)]


async def test_tasks_started_inside_a_block_inherit_it(backend: Backend) -> None:
    before = asyncio.ensure_future(asyncio.sleep(0.01, result="unused"))
    release = asyncio.Event()

    async def started_before() -> None:
        await release.wait()
        await Jotting(text="from outside").save()

    outside = asyncio.create_task(started_before())
    with switch_collection(Jotting, "inherited"):
        inside = asyncio.create_task(Jotting(text="from inside").save())
        release.set()
        await asyncio.gather(inside, outside, before)
    assert await texts(backend.db["inherited"]) == ["from inside"]
    assert await texts(backend.db["jottings"]) == ["from outside"]


async def test_a_child_tasks_switch_does_not_leak_into_its_parent(backend: Backend) -> None:
    async def child() -> str:
        with switch_collection(Jotting, "child_only"):
            await asyncio.sleep(0)
            return str(Jotting.get_collection().name)

    task = asyncio.create_task(child())
    await asyncio.sleep(0)
    assert Jotting.get_collection().name == "jottings"
    assert await task == "child_only"
    assert switch_for(Jotting) is None
