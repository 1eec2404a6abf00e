"""Capped collections from ``max_documents`` / ``max_size``: created by ``ensure_indexes()`` or
before the first write, and a clear ``OperationError`` when an existing collection disagrees.

Neither local backend has capped collections: nx-27017 accepts the options and ignores them
(``options()`` then reports ``{}``), mongomock refuses them. So the ``create`` command is checked
where commands can be observed (nx), real capping and eviction only on a real MongoDB.
"""

from __future__ import annotations

from typing import Any

import pytest

from asyncodm import OperationError
from tests._backends import Backend
from tests.models.journal import AuditEntry, ByteBuffer, Feed, IndexedFeed, TickerLine


def creates(backend: Backend, collection: str) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in c.doc.items() if k in ("create", "capped", "size", "max")}
        for c in backend.commands
        if c.name == "create" and c.collection == collection
    ]


@pytest.mark.needs("command_monitoring")
async def test_ensure_indexes_creates_the_capped_collection(backend: Backend) -> None:
    backend.reset_commands()
    await AuditEntry.ensure_indexes()
    assert creates(backend, "audit_entries") == [
        {"create": "audit_entries", "capped": True, "size": 10 * 1024 * 1024, "max": 100}
    ]


@pytest.mark.needs("command_monitoring")
async def test_the_first_write_creates_it_without_auto_create_index(backend: Backend) -> None:
    backend.reset_commands()
    await ByteBuffer(chunk="x").save()
    await ByteBuffer(chunk="y").save()
    assert creates(backend, "byte_buffer") == [
        {"create": "byte_buffer", "capped": True, "size": 5120}
    ]
    names = [c.name for c in backend.commands if c.collection == "byte_buffer"]
    assert names == ["create", "insert", "insert"]  # created once, before the first insert


@pytest.mark.needs("command_monitoring")
async def test_capped_and_auto_indexed(backend: Backend) -> None:
    backend.reset_commands()
    await TickerLine(symbol="A", seq=1).save()
    names = [c.name for c in backend.commands if c.collection == "ticker_lines"]
    assert names == ["create", "createIndexes", "insert"]
    assert creates(backend, "ticker_lines") == [
        {"create": "ticker_lines", "capped": True, "size": 4096, "max": 3}
    ]


@pytest.mark.xfail_backend(
    "mongomock",
    reason="collections have no options(): the adapter raises an OperationError saying so "
    "instead of naming both settings",
    raises=AssertionError,
)
async def test_an_existing_uncapped_collection_is_reported(backend: Backend) -> None:
    await backend.db["audit_entries"].insert_one({"action": "made by hand"})
    with pytest.raises(OperationError) as caught:
        await AuditEntry.ensure_indexes()
    message = str(caught.value)
    assert f"{backend.db_name}.audit_entries" in message
    assert "'default'" in message and "AuditEntry" in message
    assert "is not capped" in message
    assert "capped, size=10485760, max=100" in message and "max_documents=100" in message


async def test_the_error_reaches_the_first_write_too(backend: Backend) -> None:
    await backend.db["byte_buffer"].insert_one({"chunk": "old"})
    with pytest.raises(OperationError):
        await ByteBuffer(chunk="new").save()
    assert await backend.db["byte_buffer"].count_documents({}) == 1


@pytest.mark.backend_only("mongomock")
async def test_mongomock_says_it_cannot_cap(backend: Backend) -> None:
    with pytest.raises(OperationError, match="cannot create a collection with options"):
        await AuditEntry(action="x").save()


@pytest.mark.xfail_backend(
    "nx",
    reason="capped options are ignored: options() reports {}, so the collection it created "
    "looks uncapped the second time",
    raises=OperationError,
)
@pytest.mark.xfail_backend(
    "mongomock", reason="cannot create capped collections", raises=OperationError
)
async def test_ensure_again_accepts_its_own_capped_collection(backend: Backend) -> None:
    await AuditEntry.ensure_indexes()
    await AuditEntry.ensure_indexes()
    options = await backend.db["audit_entries"].options()
    assert options["capped"] is True and options["max"] == 100


@pytest.mark.needs("capped")
async def test_a_different_size_is_reported(backend: Backend) -> None:
    await backend.db.create_collection("audit_entries", capped=True, size=4096, max=100)
    with pytest.raises(OperationError) as caught:
        await AuditEntry.ensure_indexes()
    assert "capped with size=4096, max=100" in str(caught.value)
    assert "size=10485760, max=100" in str(caught.value)


@pytest.mark.needs("capped")
async def test_only_the_newest_documents_are_kept(backend: Backend) -> None:
    for seq in range(5):
        await TickerLine(symbol="A", seq=seq).save()
    assert [d.seq async for d in TickerLine.objects.order_by("$natural")] == [2, 3, 4]


@pytest.mark.needs("command_monitoring")
async def test_a_capped_only_preparation_does_not_stand_in_for_indexing(
    backend: Backend,
) -> None:
    backend.reset_commands()
    await Feed(title="plain").save()  # creates the capped collection, no indexes
    await IndexedFeed(title="ranked", rank=1).save()  # must still create the indexes
    await IndexedFeed(title="again", rank=2).save()
    await Feed(title="plain again").save()
    names = [c.name for c in backend.commands if c.collection == "feeds"]
    assert names == ["create", "insert", "createIndexes", "insert", "insert", "insert"]
