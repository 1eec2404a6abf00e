"""``asyncodm.testing``: operations counted at the driver seam, the same on every backend.

The kit never looks at wire commands, so these tests run on mongomock too and assert the same
numbers there as on nx-27017 through PyMongo and Motor. Where nx records wire commands
(``backend.commands``), a test also checks that a cursor's ``getMore`` round trips, which the
wire sees, are not operations the kit counts.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

import asyncodm
from asyncodm import Document, IntField, ListField, StringField
from asyncodm.testing import CommandLog, assert_num_queries, capture_commands
from tests._backends import Backend

ROOT = Path(__file__).parent.parent


class KitNote(Document):
    title = StringField()
    views = IntField(default=0)
    tags = ListField(StringField())
    meta = {"collection": "kit_notes"}


async def test_one_operation_per_odm_call(backend: Backend) -> None:
    async with capture_commands() as log:
        note = KitNote(title="a", tags=["x"])
        await note.save()
        fetched = await KitNote.objects.get(pk=note.pk)
        assert await KitNote.objects.count() == 1
        note.views = 3
        await note.save()
        assert await KitNote.objects.distinct("title") == ["a"]
        assert [n.title for n in await KitNote.objects.filter(views=3).to_list()] == ["a"]
        rows = [r async for r in KitNote.objects.aggregate([{"$project": {"views": 1}}])]
        modified = await KitNote.objects(pk=note.pk).modify(inc__views=1, new=True)
        await note.delete()
    assert fetched.title == "a" and [r["views"] for r in rows] == [3]
    assert modified is not None and modified.views == 4
    assert log.names == [
        "insert", "find", "count", "update", "distinct", "find", "aggregate", "findAndModify",
        "delete",
    ]  # fmt: skip
    assert [c.collection for c in log.commands] == ["kit_notes"] * 9
    insert, get, _, update, *_ = log.commands
    assert insert.command == {
        "insert": "kit_notes",
        "documents": [{"_id": note.pk, "title": "a", "views": 0, "tags": ["x"]}],
    }
    assert get.command["filter"] == {"_id": note.pk}
    assert update.command["updates"][0]["q"] == {"_id": note.pk}
    assert update.command["updates"][0]["u"] == {"$set": {"views": 3}}


async def test_the_log_keeps_what_was_sent_not_what_the_document_became(backend: Backend) -> None:
    async with capture_commands() as log:
        note = KitNote(title="first")
        await note.save()
        note.title = "second"
        await note.save()
    first, second = log.commands
    assert first.command["documents"][0]["title"] == "first"
    assert second.command["updates"][0]["u"] == {"$set": {"title": "second"}}


async def test_further_batches_are_not_operations(backend: Backend) -> None:
    await KitNote.objects.insert([KitNote(title=str(i)) for i in range(25)])
    backend.reset_commands()
    async with assert_num_queries(1) as log:
        titles = [n.title async for n in KitNote.objects.batch_size(10)]
    assert sorted(titles, key=int) == [str(i) for i in range(25)]
    assert log.names == ["find"]
    if backend.has("command_monitoring"):  # the wire saw the batches the kit did not count
        wire = [c.name for c in backend.commands if c.name in ("find", "getMore")]
        assert wire == ["find", "getMore", "getMore"]
    else:
        assert backend.server == "mongomock"  # nothing on a wire to compare with


async def test_assert_num_queries_lists_the_operations(backend: Backend) -> None:
    await KitNote(title="n").save()

    async def two_operations() -> None:
        async with assert_num_queries(1):
            await KitNote.objects.to_list()
            await KitNote.objects.count()

    with pytest.raises(AssertionError) as caught:
        await two_operations()
    message = str(caught.value)
    assert message.startswith("expected 1 database operation(s), 2 were sent:")
    assert "1. find kit_notes: {'find': 'kit_notes', 'filter': {}}" in message
    assert "2. count kit_notes:" in message


async def test_assert_num_queries_passes_on_the_exact_count(backend: Backend) -> None:
    async with assert_num_queries(0) as none:
        KitNote(title="unsaved")  # building a document sends nothing
    async with assert_num_queries(2) as two:
        await KitNote(title="n").save()
        await KitNote.objects.first()
    assert (len(none), two.names) == (0, ["insert", "find"])


async def test_an_error_in_the_block_propagates_uncounted(backend: Backend) -> None:
    async def failing_block() -> None:
        async with assert_num_queries(5):
            await KitNote.objects.count()
            raise KeyError("the block's own error wins")

    with pytest.raises(KeyError, match="own error wins"):
        await failing_block()


async def test_a_refused_operation_is_still_counted(backend: Backend) -> None:
    """It was sent: the server refused it. Counting it keeps the count a statement of cost."""
    note = KitNote(title="dup")
    await note.save()
    async with capture_commands() as log:
        with pytest.raises(asyncodm.NotUniqueError):
            await KitNote.objects.insert(KitNote(pk=note.pk, title="again"))
    assert log.names == ["insert"]


async def test_a_negative_count_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot be negative"):
        async with assert_num_queries(-1):
            pass


async def test_captures_nest(backend: Backend) -> None:
    async with capture_commands() as outer:
        await KitNote.objects.count()
        async with capture_commands() as inner:
            await KitNote(title="in").save()
        await KitNote.objects.count()
    assert inner.names == ["insert"]
    assert outer.names == ["count", "insert", "count"]


async def test_nothing_is_recorded_outside_a_capture(backend: Backend) -> None:
    async with capture_commands() as log:
        pass
    await KitNote.objects.count()
    assert log.commands == []


async def test_concurrent_tasks_do_not_see_each_others_captures(backend: Backend) -> None:
    """Two tasks interleave their operations; each capture holds exactly its own task's."""
    step = asyncio.Event()

    async def worker(title: str, n: int) -> CommandLog:
        async with capture_commands() as log:
            for _ in range(n):
                await KitNote(title=title).save()
                await asyncio.sleep(0)  # let the other task run in between
            step.set()
            await KitNote.objects.filter(title=title).count()
        return log

    a, b = await asyncio.gather(worker("a", 3), worker("b", 2))
    assert a.names == ["insert"] * 3 + ["count"]
    assert b.names == ["insert"] * 2 + ["count"]
    assert all(c.command["documents"][0]["title"] == "a" for c in a.commands[:3])
    assert all(c.command["documents"][0]["title"] == "b" for c in b.commands[:2])
    assert step.is_set()


async def test_tasks_started_inside_a_capture_are_counted_in_it(backend: Backend) -> None:
    async with capture_commands() as log:
        await asyncio.gather(*(KitNote(title=str(i)).save() for i in range(3)))
    assert log.names == ["insert"] * 3


@pytest.mark.needs("transactions")
async def test_operations_in_a_transaction_count_once(backend: Backend) -> None:
    await backend.db.kit_notes.insert_one({"_id": "seed"})  # nx: create outside the txn
    async with assert_num_queries(2) as log, asyncodm.transaction():
        await KitNote(title="t").save()
        await KitNote.objects.filter(title="t").count()
    assert log.names == ["insert", "count"]  # commitTransaction is no operation of the ODM
    assert await backend.db.kit_notes.count_documents({"title": "t"}) == 1


# --- the pytest plugin -------------------------------------------------------------------------


async def test_asyncodm_db_is_a_fresh_embedded_database(asyncodm_db: object) -> None:
    from asyncodm.connection import get_database

    database = get_database()
    assert database.kind == "mongomock" and database.alias == "default"
    assert asyncodm_db is database.raw  # the raw driver database of the "default" connection
    assert await database.list_collection_names() == []
    note = KitNote(title="plugin")
    await note.save()
    stored = await asyncodm_db["kit_notes"].find_one({"_id": note.pk})  # type: ignore[index]
    assert stored == {"_id": note.pk, "title": "plugin", "views": 0, "tags": []}


async def test_asyncodm_db_does_not_leak_between_tests(asyncodm_db: object) -> None:
    # runs after the test above: a new store, so its document is not here
    assert await KitNote.objects.count() == 0
    async with assert_num_queries(1):
        await KitNote(title="again").save()


PLUGIN_TESTS = """
import pytest
from asyncodm import Document, StringField
from asyncodm.connection import get_database
from asyncodm.testing import assert_num_queries

class Memo(Document):
    text = StringField()

NAMES = []

async def test_first(asyncodm_db):
    NAMES.append(asyncodm_db.name)
    async with assert_num_queries(1):
        await Memo(text="x").save()
    assert await asyncodm_db["memo"].count_documents({}) == 1

async def test_second(asyncodm_db):
    NAMES.append(asyncodm_db.name)
    assert NAMES[0] != NAMES[1]
    assert await Memo.objects.count() == 0

def test_disconnected_after():
    from asyncodm.errors import ConfigurationError
    with pytest.raises(ConfigurationError):
        get_database()
"""


@pytest.mark.parametrize("load", [["-p", "asyncodm.testing"], []], ids=["-p", "entry-point"])
def test_the_plugin_in_a_separate_session(tmp_path: Path, load: list[str]) -> None:
    """A user's project: the fixture comes from ``-p asyncodm.testing`` or the entry point."""
    (tmp_path / "test_memo.py").write_text(PLUGIN_TESTS)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *load,
         "-o", "asyncio_mode=auto", "-o", "asyncio_default_fixture_loop_scope=function",
         "-W", "error", "test_memo.py"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    assert "3 passed" in out, out
