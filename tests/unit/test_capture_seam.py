"""The seam's capture hook (``asyncodm._drivers._capture``), against a fake driver collection.

No backend: a stand-in for the driver's collection answers the adapter's calls, so these tests
pin what the hook costs and records independently of any server. The integration side (the
same counts on every backend) is ``tests/test_testing_kit.py``.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from asyncodm._drivers import BaseCollection, _capture, _collection
from asyncodm._drivers._capture import SentCommand, capturing, recording


class FakeRaw:
    """Just enough of a driver collection for the adapter methods used here."""

    name = "things"
    database = SimpleNamespace(name="db")

    async def insert_one(self, document: Any, session: Any = None) -> Any:
        return SimpleNamespace(inserted_id=document.get("_id"))

    async def delete_many(self, filter: Any, session: Any = None) -> Any:
        return SimpleNamespace(deleted_count=3)

    async def count_documents(self, filter: Any, session: Any = None, **kwargs: Any) -> int:
        return 7


def adapter() -> BaseCollection:
    return BaseCollection(FakeRaw(), "default")


def test_nothing_is_active_by_default() -> None:
    assert capturing() == ()


async def test_without_a_capture_no_command_document_is_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def must_not_run(*args: Any) -> None:
        raise AssertionError("report() ran although nothing was capturing")

    monkeypatch.setattr(_collection, "report", must_not_run)
    coll = adapter()
    assert await coll.insert_one({"_id": 1}) == 1
    assert await coll.count_documents({}) == 7


async def test_recording_collects_operations_shaped_like_mongodb_commands() -> None:
    sink: list[SentCommand] = []
    coll = adapter()
    with recording(sink):
        await coll.insert_one({"_id": 1, "a": [1]})
        assert await coll.delete_many({"a": 1}) == 3
        assert await coll.count_documents({"a": 1}, limit=5) == 7
    assert sink == [
        ("insert", "things", {"insert": "things", "documents": [{"_id": 1, "a": [1]}]}),
        ("delete", "things", {"delete": "things", "deletes": [{"q": {"a": 1}, "limit": 0}]}),
        ("count", "things", {"count": "things", "query": {"a": 1}, "limit": 5}),
    ]
    assert capturing() == ()


async def test_the_record_is_a_copy_taken_at_the_call() -> None:
    sink: list[SentCommand] = []
    document: dict[str, Any] = {"_id": 1, "tags": ["a"]}
    with recording(sink):
        await adapter().insert_one(document)
    document["tags"].append("changed later")
    assert sink[0].command["documents"] == [{"_id": 1, "tags": ["a"]}]


def test_recordings_nest_and_unwind_on_errors() -> None:
    outer: list[SentCommand] = []
    inner: list[SentCommand] = []
    seen: list[tuple[Any, ...]] = []

    def inner_block() -> None:
        with recording(inner):
            seen.append(capturing())
            raise KeyError("leaves the inner block")

    with recording(outer):
        with pytest.raises(KeyError, match="leaves the inner block"):
            inner_block()
        assert seen == [(outer, inner)]
        assert capturing() == (outer,)
        _capture.report(capturing(), "find", "c", {"filter": {}})
    assert capturing() == ()
    assert [c.name for c in outer] == ["find"] and inner == []


async def test_a_recording_is_task_local() -> None:
    mine: list[SentCommand] = []
    started = asyncio.Event()
    seen_elsewhere: list[tuple[Any, ...]] = []

    async def other_task() -> None:
        await started.wait()
        seen_elsewhere.append(capturing())
        await adapter().insert_one({"_id": "other"})

    task = asyncio.create_task(other_task())  # created before the recording: a clean context
    with recording(mine):
        started.set()
        await task
        await adapter().insert_one({"_id": "mine"})
    assert seen_elsewhere == [()]
    assert [c.command["documents"][0]["_id"] for c in mine] == ["mine"]
