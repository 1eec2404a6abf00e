"""The benchmarks' fast wire server (``benchmarks/fast_server.py``) answers what the workloads send.

The end-to-end benchmark numbers on ``--server fast`` are only worth something if the server
does what a MongoDB would for those commands, so every operation the workloads (and the spec
tasks) use is checked here through both real drivers, PyMongo async and Motor, against one
server process started the way the benchmark runner starts it.
"""

from __future__ import annotations

import inspect
import shutil
import socket
import struct
from collections.abc import AsyncIterator, Iterator
from typing import Any

import bson
import pytest
from bson import ObjectId
from pymongo import AsyncMongoClient, ReturnDocument
from pymongo.errors import DuplicateKeyError, OperationFailure

from benchmarks._server import FastServerProcess


@pytest.fixture(scope="module")
def fast_uri() -> Iterator[str]:
    server = FastServerProcess().start()
    try:
        yield server.uri
        assert server.alive(), "the fast server died during the tests"
    finally:
        server.stop()
        shutil.rmtree(server.workdir, ignore_errors=True)


@pytest.fixture(params=["pymongo", "motor"])
async def db(request: pytest.FixtureRequest, fast_uri: str) -> AsyncIterator[Any]:
    """A database on the fast server through one driver; dropped and closed afterwards."""
    client: Any
    if request.param == "motor":
        from motor.motor_asyncio import AsyncIOMotorClient

        client = AsyncIOMotorClient(fast_uri)
    else:
        client = AsyncMongoClient(fast_uri)
    database = client[f"t_{request.param}_{ObjectId()}"]
    try:
        yield database
    finally:
        await client.drop_database(database.name)
        closed = client.close()
        if closed is not None:
            await closed


async def test_crud_the_workloads_use(db: Any) -> None:
    coll = db.posts
    one = await coll.insert_one({"title": "first", "views": 1, "tags": ["a", "b"]})
    assert isinstance(one.inserted_id, ObjectId)
    many = await coll.insert_many(
        [{"title": f"p{i}", "views": i, "extra": {"n": i}} for i in range(250)]
    )
    assert len(many.inserted_ids) == 250

    found = await coll.find_one({"_id": one.inserted_id})
    assert found == {"_id": one.inserted_id, "title": "first", "views": 1, "tags": ["a", "b"]}
    assert [
        d["views"] for d in await coll.find({"_id": {"$in": many.inserted_ids[:3]}}).to_list(None)
    ] == [0, 1, 2]
    assert (await coll.find_one({"title": "p7"}))["views"] == 7
    assert (await coll.find_one({"tags": "b"}))["_id"] == one.inserted_id  # array contains

    # 251 documents: a first batch of 101, then getMore; and small batches.
    every = await coll.find({}).to_list(None)
    assert len(every) == 251
    assert [d["_id"] for d in every[1:]] == many.inserted_ids
    batched = await coll.find({}).batch_size(20).to_list(None)
    assert len(batched) == 251
    limited = await coll.find({}).sort("_id", -1).limit(5).to_list(None)
    assert [d["_id"] for d in limited] == many.inserted_ids[-1:-6:-1]

    target = many.inserted_ids[10]
    await coll.update_one({"_id": target}, {"$set": {"title": "changed"}, "$inc": {"views": 5}})
    await coll.update_one({"_id": target}, {"$unset": {"extra": ""}})
    assert await coll.find_one({"_id": target}) == {"_id": target, "title": "changed", "views": 15}
    await coll.replace_one({"_id": target}, {"title": "replaced"})
    assert await coll.find_one({"_id": target}) == {"_id": target, "title": "replaced"}
    result = await coll.update_one({"title": "new"}, {"$set": {"views": 3}}, upsert=True)
    assert result.upserted_id is not None
    assert await coll.find_one({"_id": result.upserted_id}) == {
        "_id": result.upserted_id,
        "title": "new",
        "views": 3,
    }
    replaced = await coll.replace_one({"_id": 42}, {"title": "by id"}, upsert=True)
    assert replaced.upserted_id == 42
    many_result = await coll.update_many({"views": {"$lt": 3}}, {"$set": {"low": True}})
    assert many_result.matched_count == many_result.modified_count == 4  # 0, 1, 1 and 2

    assert await coll.count_documents({}) == 253
    assert await coll.count_documents({"low": True}) == 4
    assert await coll.estimated_document_count() == 253

    after = await coll.find_one_and_update(
        {"title": "p20"}, {"$inc": {"views": 1}}, return_document=ReturnDocument.AFTER
    )
    assert after["views"] == 21
    before = await coll.find_one_and_update({"title": "p21"}, {"$set": {"views": 0}})
    assert before["views"] == 21

    assert (await coll.delete_one({"_id": target})).deleted_count == 1
    assert (await coll.delete_many({"low": True})).deleted_count == 4
    assert await coll.count_documents({}) == 248
    assert await coll.find_one({"_id": target}) is None

    with pytest.raises(DuplicateKeyError):
        await coll.insert_one({"_id": 42})


async def _aggregate(coll: Any, pipeline: list[dict[str, Any]]) -> list[Any]:
    """PyMongo async's ``aggregate`` is awaited for its cursor; Motor's returns one."""
    cursor = coll.aggregate(pipeline)
    if inspect.isawaitable(cursor):
        cursor = await cursor
    docs: list[Any] = await cursor.to_list(None)
    return docs


async def test_admin_and_aggregate(db: Any) -> None:
    coll = db.items
    await coll.insert_many([{"k": i % 3, "nested": {"u": str(i)}} for i in range(30)])
    await coll.create_index("k")
    assert "k_1" in await coll.index_information()
    assert "items" in await db.list_collection_names()
    assert (await coll.find_one({"nested.u": "7"}))["k"] == 1
    await coll.update_one({"nested.u": "7"}, {"$set": {"nested.v": 1}})
    assert (await coll.find_one({"nested.u": "7"}))["nested"] == {"u": "7", "v": 1}
    assert await _aggregate(coll, [{"$match": {"k": 2}}, {"$count": "n"}]) == [{"n": 10}]
    groups = [{"$group": {"_id": "$k", "n": {"$sum": 1}}}, {"$sort": {"_id": 1}}]
    assert await _aggregate(coll, groups) == [
        {"_id": 0, "n": 10},
        {"_id": 1, "n": 10},
        {"_id": 2, "n": 10},
    ]
    assert sorted(await coll.distinct("k")) == [0, 1, 2]
    with pytest.raises(OperationFailure) as info:
        await db.command("noSuchCommand")
    assert info.value.code == 59
    assert info.value.details is not None
    assert info.value.details["codeName"] == "CommandNotFound"
    assert info.value.details["ok"] == 0
    await coll.drop()
    assert "items" not in await db.list_collection_names()


def test_legacy_op_query_handshake(fast_uri: str) -> None:
    """An old driver's first message: ``isMaster`` as OP_QUERY on ``admin.$cmd``."""
    port = int(fast_uri.split(":")[2].split("/")[0])
    query = bson.encode({"isMaster": 1, "helloOk": True})
    body = struct.pack("<i", 0) + b"admin.$cmd\x00" + struct.pack("<ii", 0, -1) + query
    message = struct.pack("<iiii", 16 + len(body), 7, 0, 2004) + body
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(message)
        data = b""
        while len(data) < 4 or len(data) < struct.unpack_from("<i", data)[0]:
            data += sock.recv(65536)
    length, _, response_to, op = struct.unpack_from("<iiii", data)
    assert (length, response_to, op) == (len(data), 7, 1)
    reply = bson.decode(data[36:])
    assert reply["ismaster"] is True
    assert reply["helloOk"] is True
    assert reply["maxWireVersion"] >= 17
    assert reply["logicalSessionTimeoutMinutes"] > 0
