"""The driver seam on every backend: adapter round trips, error translation, transactions.

Each test runs through ``connection.get_database()``, the way the model layer reaches the
database, so it also proves that a client passed to ``connect(client=...)`` is wrapped in the
adapter for its kind.
"""

from __future__ import annotations

import asyncio
import gc
import socket
from typing import Any

import pymongo
import pytest
from bson import ObjectId
from pymongo import IndexModel, WriteConcern
from pymongo import errors as pm_errors

from asyncodm import connection, errors
from asyncodm._drivers import DriverCursor, UpdateOutcome, duplicate_key_details, map_driver_errors
from asyncodm._drivers._base import BaseDatabase
from asyncodm._drivers._collection import BaseCollection
from asyncodm._io._transactions import transaction
from tests._backends import Backend


@pytest.fixture
def db(backend: Backend) -> BaseDatabase:
    return connection.get_database()


@pytest.fixture
async def people(db: BaseDatabase) -> BaseCollection:
    coll = db.collection("people")
    await coll.insert_many([{"name": f"p{i:02d}", "n": i, "team": "ab"[i % 2]} for i in range(30)])
    return coll


def _names(docs: list[dict[str, Any]]) -> list[str]:
    return [d["name"] for d in docs]


async def test_adapter_matches_the_client(backend: Backend, db: BaseDatabase) -> None:
    assert db.kind == backend.driver
    assert db.name == backend.db_name
    assert db.raw.name == backend.db_name
    assert db.client.raw is backend.client
    assert connection.get_database() is db  # cached: the model layer calls this per operation
    assert db.collection("people") is db.collection("people")
    assert db.collection("people").raw.name == "people"


# -- CRUD ----------------------------------------------------------------------------------


async def test_insert_and_find_one(db: BaseDatabase) -> None:
    coll = db.collection("things")
    new_id = await coll.insert_one({"_id": "a", "n": 1})
    assert new_id == "a"
    ids = await coll.insert_many([{"_id": "b", "n": 2}, {"_id": "c", "n": 3}], ordered=False)
    assert ids == ["b", "c"]
    assert await coll.find_one({"_id": "b"}) == {"_id": "b", "n": 2}
    assert await coll.find_one({"_id": "c"}, {"_id": 0}) == {"n": 3}
    assert await coll.find_one({"_id": "zzz"}) is None


async def test_find_options_and_cursor_reads(people: BaseCollection) -> None:
    cursor = people.find({"team": "a"}, {"_id": 0, "name": 1}, sort=[("n", -1)], skip=1, limit=5)
    assert isinstance(cursor, DriverCursor)
    assert await cursor.to_list() == [{"name": f"p{i:02d}"} for i in (26, 24, 22, 20, 18)]

    sorted_cursor = people.find({}, sort=[("n", 1)])
    assert _names(await sorted_cursor.to_list(3)) == ["p00", "p01", "p02"]
    assert [d["n"] async for d in sorted_cursor] == list(range(3, 30))  # continues where it was
    assert await sorted_cursor.to_list() == []


async def test_to_list_honours_length(people: BaseCollection) -> None:
    """mongomock-motor's own to_list ignores length; the adapter must not."""
    cursor = people.find({}, sort=[("n", 1)])
    assert len(await cursor.to_list(7)) == 7
    assert len(await cursor.to_list(100)) == 23
    with pytest.raises(ValueError, match="at least 1"):
        await cursor.to_list(0)


async def test_batches_cover_every_document_once(db: BaseDatabase) -> None:
    coll = db.collection("many")
    await coll.insert_many([{"i": i} for i in range(2500)])
    sizes = [len(batch) async for batch in coll.find({}, batch_size=700).batches()]
    assert sizes == [700, 700, 700, 400]
    seen = [d["i"] async for batch in coll.find({}, sort=[("i", 1)]).batches(1000) for d in batch]
    assert seen == list(range(2500))


async def test_cursor_after_partial_iteration_and_close(people: BaseCollection) -> None:
    cursor = people.find({}, sort=[("n", 1)], batch_size=10)
    first = await cursor.__anext__()
    batches = [b async for b in cursor.batches(10)]
    assert first["n"] == 0
    assert [d["n"] for b in batches for d in b] == list(range(1, 30))
    async with people.find({}) as closing:
        assert (await closing.__anext__())["name"]
    assert await closing.to_list() == []
    await people.find({}).close()  # never opened: nothing to do


async def test_updates_replace_and_upsert(people: BaseCollection) -> None:
    one = await people.update_one({"n": 1}, {"$set": {"x": 1}})
    assert one == UpdateOutcome(matched=1, modified=1, upserted_id=None)
    many = await people.update_many({"team": "a"}, {"$inc": {"n": 100}})
    assert (many.matched, many.modified) == (15, 15)
    upserted = await people.update_one({"name": "new"}, {"$set": {"n": -1}}, upsert=True)
    assert upserted.matched == 0 and upserted.upserted_id is not None
    replaced = await people.replace_one({"name": "new"}, {"name": "new", "n": -2})
    assert replaced.modified == 1
    found = await people.find_one({"name": "new"}, {"_id": 0})
    assert found == {"name": "new", "n": -2}


async def test_deletes_and_counts(people: BaseCollection) -> None:
    assert await people.count_documents({"team": "a"}) == 15
    assert await people.count_documents({}, limit=4) == 4
    assert await people.estimated_document_count() == 30
    assert await people.delete_one({"team": "a"}) == 1
    assert await people.delete_many({"team": "b"}) == 15
    assert await people.count_documents({}) == 14
    assert sorted(await people.distinct("team")) == ["a"]
    assert await people.distinct("team", {"n": {"$lt": 0}}) == []


async def test_find_one_and_update_and_delete(people: BaseCollection) -> None:
    before = await people.find_one_and_update({"n": 5}, {"$set": {"v": 1}})
    assert before is not None and "v" not in before
    after = await people.find_one_and_update(
        {"team": "b"}, {"$set": {"v": 2}}, sort=[("n", -1)], projection={"n": 1, "v": 1},
        return_new=True,
    )  # fmt: skip
    assert after is not None and (after["n"], after["v"]) == (29, 2)
    created = await people.find_one_and_update(
        {"name": "zz"}, {"$set": {"n": 99}}, upsert=True, return_new=True
    )
    assert created is not None and created["n"] == 99
    gone = await people.find_one_and_delete({"team": "a"}, sort=[("n", 1)])
    assert gone is not None and gone["n"] == 0
    assert await people.find_one_and_delete({"name": "nobody"}) is None


@pytest.mark.xfail_backend(
    "mongomock",
    reason="find_one_and_update with an _id-excluding projection updates another document",
    raises=AssertionError,
)
async def test_find_one_and_update_projection_without_id(people: BaseCollection) -> None:
    after = await people.find_one_and_update(
        {"team": "b"}, {"$set": {"v": 2}}, sort=[("n", -1)], projection={"_id": 0, "n": 1, "v": 1},
        return_new=True,
    )  # fmt: skip
    assert after == {"n": 29, "v": 2}


async def test_aggregate_returns_a_lazy_cursor(people: BaseCollection) -> None:
    """PyMongo's aggregate() is a coroutine, Motor's returns a cursor: both are absorbed."""
    pipeline: list[dict[str, Any]] = [
        {"$match": {"n": {"$lt": 10}}},
        {"$group": {"_id": "$team", "total": {"$sum": "$n"}}},
        {"$sort": {"total": 1}},
    ]
    cursor = people.aggregate(pipeline)
    assert isinstance(cursor, DriverCursor)
    assert cursor.raw is None  # nothing sent yet
    assert [(d["_id"], d["total"]) for d in await cursor.to_list()] == [("a", 20), ("b", 25)]
    counted = [d async for d in people.aggregate([{"$match": {"team": "a"}}, {"$count": "k"}])]
    assert counted == [{"k": 15}]
    batches = [b async for b in people.aggregate([{"$sort": {"n": 1}}]).batches(8)]
    assert [len(b) for b in batches] == [8, 8, 8, 6]


async def test_with_options_keeps_an_async_collection(people: BaseCollection) -> None:
    """Mongomock's with_options() returns a synchronous collection; the adapter wraps it back."""
    acknowledged = people.with_options(write_concern=WriteConcern(w=1))
    assert type(acknowledged) is type(people)
    await acknowledged.insert_one({"name": "wc", "n": 100})
    assert await acknowledged.count_documents({"name": "wc"}) == 1


async def test_indexes(backend: Backend, db: BaseDatabase) -> None:
    coll = db.collection("indexed")
    names = await coll.create_indexes([IndexModel([("email", pymongo.ASCENDING)], unique=True)])
    assert len(names) == 1
    info = await coll.index_information()
    listed = await coll.list_indexes()
    assert set(info) == {ix["name"] for ix in listed}
    assert "_id_" in info and len(info) == 2
    assert names == ["email_1"]  # the name PyMongo computes and createIndexes reports
    if backend.has("index_metadata"):
        assert "email_1" in info
    else:  # nx lists it under its own name: still one unique index on email
        [(_, ix)] = [(n, ix) for n, ix in info.items() if n != "_id_"]
        assert [k for k, _ in ix["key"]] == ["email"] and ix.get("unique") is True
    await coll.drop_index(names[0])
    remaining = {ix["name"] for ix in await coll.list_indexes()}
    assert names[0] not in remaining and not remaining - {"_id_"}


async def test_database_level_calls(db: BaseDatabase) -> None:
    created = await db.create_collection("fresh")
    assert isinstance(created, BaseCollection)
    await created.insert_one({"_id": 1})  # mongomock returns a sync collection: absorbed
    assert await created.find_one({"_id": 1}) == {"_id": 1}
    assert "fresh" in await db.list_collection_names()
    assert (await db.command({"ping": 1}))["ok"] == 1
    await db.drop_collection("fresh")
    assert "fresh" not in await db.list_collection_names()
    await db.collection("other").insert_one({"_id": 2})
    await db.collection("other").drop()
    assert "other" not in await db.list_collection_names()


@pytest.mark.xfail_backend(
    "mongomock",
    reason="collection.options() does not exist in mongomock",
    raises=errors.OperationError,
)
async def test_collection_options(db: BaseDatabase) -> None:
    created = await db.create_collection("fresh")
    assert await created.options() == {}


# -- error translation ---------------------------------------------------------------------


async def _unique_email(db: BaseDatabase) -> tuple[BaseCollection, str]:
    """A collection with a unique index on ``email``, and that index's name as the server lists
    it (nx-27017 renames indexes, so the name create_indexes returns is not enough)."""
    coll = db.collection("users")
    await coll.create_indexes([IndexModel("email", unique=True)])
    await coll.insert_one({"_id": "u1", "email": "a@x"})
    [name] = [n for n, ix in (await coll.index_information()).items() if n != "_id_"]
    return coll, name


@pytest.mark.xfail_backend(
    "nx",
    reason="nx's duplicate-key error carries no keyPattern/keyValue and SQLite's errmsg "
    "('UNIQUE constraint failed: index ...'), so it names no index; asyncodm reads MongoDB's only",
    raises=AssertionError,
)
async def test_duplicate_key_is_not_unique_error(backend: Backend, db: BaseDatabase) -> None:
    coll, index_name = await _unique_email(db)
    with pytest.raises(errors.NotUniqueError) as caught:
        await coll.insert_one({"email": "a@x"})
    err = caught.value
    assert isinstance(err.__cause__, pm_errors.DuplicateKeyError)
    assert err.index == index_name
    assert index_name in str(err) and "'default'" in str(err)
    assert err.value == "a@x"  # keyValue of a secondary index: MongoDB and mongomock send it


@pytest.mark.xfail_backend(
    "nx",
    reason="nx's duplicate-key error carries no keyPattern/keyValue and SQLite's errmsg "
    "('UNIQUE constraint failed: index ...'), so it names no index; asyncodm reads MongoDB's only",
    raises=AssertionError,
)
async def test_duplicate_key_from_update_and_bulk_insert(
    backend: Backend, db: BaseDatabase
) -> None:
    coll, index_name = await _unique_email(db)
    await coll.insert_one({"_id": "u2", "email": "b@x"})
    with pytest.raises(errors.NotUniqueError) as on_update:
        await coll.update_one({"_id": "u2"}, {"$set": {"email": "a@x"}})
    assert on_update.value.index == index_name
    with pytest.raises(errors.NotUniqueError) as on_bulk:
        await coll.insert_many([{"email": "c@x"}, {"email": "c@x"}])
    assert isinstance(on_bulk.value.__cause__, pm_errors.BulkWriteError)
    assert on_bulk.value.index == index_name
    assert (on_update.value.value, on_bulk.value.value) == ("a@x", "c@x")


@pytest.mark.xfail_backend(
    "mongomock",
    reason="a duplicate _id error names no index (no keyPattern, bare message)",
    raises=AssertionError,
)
@pytest.mark.xfail_backend(
    "nx",
    reason="nx's duplicate _id error is SQLite's 'UNIQUE constraint failed: <coll>._id' with no "
    "keyPattern, so it names no index; asyncodm reads MongoDB's error document only",
    raises=AssertionError,
)
async def test_duplicate_id_names_the_id_index(db: BaseDatabase) -> None:
    coll = db.collection("ids")
    await coll.insert_one({"_id": "same"})
    with pytest.raises(errors.NotUniqueError) as caught:
        await coll.insert_one({"_id": "same"})
    assert caught.value.index == "_id_"


async def test_other_driver_errors_are_operation_errors(db: BaseDatabase) -> None:
    await db.create_collection("existing")
    with pytest.raises(errors.OperationError) as caught:
        await db.create_collection("existing")
    assert not isinstance(caught.value, errors.NotUniqueError)
    assert isinstance(caught.value.__cause__, pm_errors.CollectionInvalid)
    assert "create_collection" in str(caught.value)


@pytest.mark.needs("server_errors")
async def test_cursor_iteration_translates_errors(people: BaseCollection) -> None:
    with pytest.raises(errors.OperationError) as caught:
        [d async for d in people.aggregate([{"$notAStage": {}}])]
    assert isinstance(caught.value.__cause__, pm_errors.OperationFailure)
    assert "aggregate" in str(caught.value)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# PyMongo 4.20 leaks the socket of a monitor connection attempt that close() cancels
# (pool_shared._async_create_connection closes it only on OSError/TimeoutError); against a dead
# port that race is real. gc.collect() at the end pins any such ResourceWarning on this test.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("driver", ["pymongo", "motor"])
async def test_unreachable_server_is_connection_failure(driver: str) -> None:
    uri = f"mongodb://127.0.0.1:{_closed_port()}/nowhere"
    connection.connect(uri, alias="dead", driver=driver, serverSelectionTimeoutMS=300)
    try:
        coll = connection.get_database("dead").collection("c")
        with pytest.raises(errors.ConnectionFailure) as caught:
            await coll.insert_one({"x": 1})
        err = caught.value
        assert (err.alias, err.operation) == ("dead", "insert_one")
        assert "'dead'" in str(err) and "insert_one" in str(err)
        assert isinstance(err.__cause__, pm_errors.ServerSelectionTimeoutError)
        with pytest.raises(errors.ConnectionFailure) as on_iteration:
            [d async for d in coll.find({})]
        assert on_iteration.value.operation == "find"
    finally:
        await connection.disconnect("dead")
        gc.collect()


# -- sessions and transactions -------------------------------------------------------------


@pytest.mark.needs("sessions")
async def test_explicit_session_round_trip(db: BaseDatabase) -> None:
    client = connection.get_client_adapter()
    session = await client.start_session()
    try:
        await db.collection("s").insert_one({"_id": 1}, session=session)
        assert await db.collection("s").find_one({"_id": 1}, session=session) == {"_id": 1}
    finally:
        await client.end_session(session)


@pytest.mark.needs("transactions")
async def test_transaction_commits(db: BaseDatabase) -> None:
    coll = db.collection("ledger")
    await coll.insert_one({"_id": "seed"})  # create the collection outside the transaction
    async with transaction() as session:
        assert session is not None
        await coll.insert_one({"_id": "t1"})  # no session= : the bound one is used
        await coll.update_one({"_id": "seed"}, {"$set": {"touched": True}})
    assert await coll.count_documents({}) == 2
    assert await coll.find_one({"_id": "seed"}) == {"_id": "seed", "touched": True}


@pytest.mark.needs("transactions")
async def test_transaction_aborts_on_error(db: BaseDatabase) -> None:
    coll = db.collection("ledger")
    await coll.insert_one({"_id": "seed", "n": 0})

    class Boom(Exception):
        pass

    async def work_then_fail() -> None:
        async with transaction():
            await coll.insert_one({"_id": "t1"})
            await coll.update_one({"_id": "seed"}, {"$set": {"n": 1}})
            raise Boom

    with pytest.raises(Boom):
        await work_then_fail()
    assert await coll.find_one({"_id": "t1"}) is None
    assert await coll.find_one({"_id": "seed"}) == {"_id": "seed", "n": 0}


@pytest.mark.needs("transactions")
async def test_transaction_is_task_local_and_does_not_nest(db: BaseDatabase) -> None:
    from asyncodm._context import current_session

    async def outside() -> object:
        return current_session("default")

    async with transaction() as session:
        assert current_session("default") is session
        assert await asyncio.create_task(outside()) is session  # child tasks inherit it
        with pytest.raises(errors.OperationError, match="already open"):
            async with transaction():
                pass
    assert current_session("default") is None


@pytest.mark.backend_only("mongomock")
async def test_transaction_without_sessions_is_operation_error(db: BaseDatabase) -> None:
    assert connection.get_client_adapter().supports_sessions is False
    with pytest.raises(errors.OperationError, match="no sessions"):
        async with transaction():
            pass
    with pytest.raises(errors.OperationError, match="no sessions"):
        await connection.get_client_adapter().start_session()


# -- translation rules, on the errors a real MongoDB sends (no server needed) ---------------


def _translated(exc: BaseException) -> BaseException:
    with pytest.raises(errors.ODMError) as caught, map_driver_errors("main", "save", "db.users"):
        raise exc
    assert caught.value.__cause__ is exc
    return caught.value


def test_mongodb_duplicate_key_with_details() -> None:
    exc = pm_errors.DuplicateKeyError(
        'E11000 duplicate key error collection: db.users index: by_email dup key: { email: "a" }',
        11000,
        {"keyPattern": {"email": 1}, "keyValue": {"email": "a"}},
    )
    err = _translated(exc)
    assert isinstance(err, errors.NotUniqueError)
    assert (err.index, err.value) == ("by_email", "a")  # the message names custom index names
    assert "'main'" in str(err) and "save" in str(err) and "db.users" in str(err)


@pytest.mark.parametrize(
    ("message", "index", "value"),
    [
        ('E11000 duplicate key error collection: db.c index: email_1 dup key: { email: "a" }', "email_1", "a"),
        ("E11000 duplicate key error collection: db.c index: _id_ dup key: { _id: 5 }", "_id_", 5),
        (
            "E11000 duplicate key error collection: db.c index: _id_ dup key: "
            "{ _id: ObjectId('5f1d7a2c9b1e8a3d4c5b6a79') }",
            "_id_",
            ObjectId("5f1d7a2c9b1e8a3d4c5b6a79"),
        ),
        (
            'E11000 duplicate key error collection: db.c index: a_1_b_-1 dup key: { a: 1, b: "x, y" }',
            "a_1_b_-1",
            {"a": 1, "b": "x, y"},
        ),
        ("E11000 Duplicate Key Error", None, None),
    ],
)  # fmt: skip
def test_duplicate_key_details_from_the_message(
    message: str, index: str | None, value: object
) -> None:
    exc = pm_errors.DuplicateKeyError(message, 11000, {"errmsg": message})
    assert duplicate_key_details(exc) == (index, value)


def test_compound_key_value_and_generated_index_name() -> None:
    exc = pm_errors.DuplicateKeyError(
        "dup", 11000, {"keyPattern": {"a": 1, "b": -1}, "keyValue": {"a": 1, "b": 2}}
    )
    assert duplicate_key_details(exc) == ("a_1_b_-1", {"a": 1, "b": 2})


def test_bulk_write_error_uses_its_duplicate_write_error() -> None:
    details = {
        "writeErrors": [
            {
                "index": 1,
                "code": 11000,
                "errmsg": "E11000 duplicate key error collection: db.c index: _id_ dup key: { _id: 1 }",
                "keyPattern": {"_id": 1},
                "keyValue": {"_id": 1},
                "op": {"_id": 1},
            }
        ],
        "nInserted": 1,
    }
    err = _translated(pm_errors.BulkWriteError(details))
    assert isinstance(err, errors.NotUniqueError)
    assert (err.index, err.value) == ("_id_", 1)
    other = _translated(pm_errors.BulkWriteError({"writeErrors": [{"code": 121, "errmsg": "x"}]}))
    assert type(other) is errors.OperationError


def test_unique_index_build_over_duplicates_is_not_unique() -> None:
    exc = pm_errors.OperationFailure(
        "E11000 duplicate key error collection: db.c index: email_1 dup key: { email: null }", 11000
    )
    err = _translated(exc)
    assert isinstance(err, errors.NotUniqueError)
    assert (err.index, err.value) == ("email_1", None)


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (pm_errors.ServerSelectionTimeoutError("no servers"), errors.ConnectionFailure),
        (pm_errors.AutoReconnect("reset"), errors.ConnectionFailure),
        (pm_errors.NetworkTimeout("slow"), errors.ConnectionFailure),
        (pm_errors.ConnectionFailure("down"), errors.ConnectionFailure),
        (pm_errors.WriteError("bad", 121, {}), errors.OperationError),
        (pm_errors.ExecutionTimeout("maxTimeMS", 50), errors.OperationError),
        (pm_errors.InvalidOperation("closed"), errors.OperationError),
        (pm_errors.ConfigurationError("no replica set"), errors.ConfigurationError),
    ],
)
def test_translation_table(exc: BaseException, expected: type[errors.ODMError]) -> None:
    err = _translated(exc)
    assert type(err) is expected
    if isinstance(err, errors.ConnectionFailure):
        assert (err.alias, err.operation) == ("main", "save")


def test_non_driver_errors_pass_through() -> None:
    with pytest.raises(KeyError), map_driver_errors("main", "save"):
        raise KeyError("not a driver error")
