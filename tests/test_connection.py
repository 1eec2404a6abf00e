"""``connect`` and friends without a server: aliases, database names, replacement, errors and
the one-client-per-event-loop rule (API.md section 1).

Nothing here performs I/O against MongoDB: PyMongo and Motor clients are only constructed (they
connect lazily), and the per-loop behaviour is exercised on ``mongomock://``. Tests are plain
functions that run their own loops with ``asyncio.run``, exactly as a script or job worker would.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from bson.binary import UuidRepresentation
from mongomock_motor import AsyncMongoMockClient
from motor.motor_asyncio import AsyncIOMotorClient
from pymongo import AsyncMongoClient

from asyncodm import connection, errors
from asyncodm._drivers import driver_kind
from asyncodm._io._transactions import transaction

NOWHERE = "mongodb://127.0.0.1:1"  # never contacted: clients connect lazily


@pytest.fixture(autouse=True)
def _clean_registry() -> Iterator[None]:
    yield
    asyncio.run(connection.disconnect_all())


# -- aliases and database names ------------------------------------------------------------


def test_connect_returns_the_driver_client_without_io() -> None:
    client = connection.connect(f"{NOWHERE}/blog")
    assert type(client) is AsyncMongoClient
    assert connection.get_client() is client
    assert connection.get_db().name == "blog"
    assert connection.get_database().name == "blog"


def test_database_name_from_uri_path_or_db_argument() -> None:
    connection.connect(f"{NOWHERE}/from_path?retryWrites=false", alias="a")
    connection.connect(NOWHERE, alias="b", db="from_arg")
    connection.connect(f"{NOWHERE}/ignored", alias="c", db="explicit")
    connection.connect("mongodb://h1:1,h2:1/multi%2Dhost?replicaSet=rs", alias="d")
    names = [connection.get_db(a).name for a in "abcd"]
    assert names == ["from_path", "from_arg", "explicit", "multi-host"]


@pytest.mark.parametrize(
    "host", [NOWHERE, f"{NOWHERE}/", f"{NOWHERE}/?w=1", "mongomock://localhost"]
)
def test_no_database_name_is_a_configuration_error(host: str) -> None:
    with pytest.raises(errors.ConfigurationError, match="no database name"):
        connection.connect(host)


def test_unknown_alias_is_a_configuration_error_naming_it() -> None:
    connection.connect(f"{NOWHERE}/blog")
    for call in (connection.get_db, connection.get_client, connection.get_database):
        with pytest.raises(errors.ConfigurationError, match="'archive'") as caught:
            call("archive")
        assert "'default'" in str(caught.value)  # lists what is connected


def test_second_alias_and_replacement() -> None:
    first = connection.connect(f"{NOWHERE}/blog")
    connection.connect(f"{NOWHERE}/old", alias="archive")
    assert connection.get_db("archive").name == "old"
    replaced = connection.connect(f"{NOWHERE}/new", alias="archive")
    assert connection.get_db("archive").name == "new"
    assert connection.get_client("archive") is replaced
    assert connection.get_client() is first


def test_disconnect_forgets_the_alias() -> None:
    connection.connect(f"{NOWHERE}/blog", alias="gone")
    asyncio.run(connection.disconnect("gone"))
    with pytest.raises(errors.ConfigurationError, match="'gone'"):
        connection.get_db("gone")
    asyncio.run(connection.disconnect("never-connected"))  # no error


# -- drivers -------------------------------------------------------------------------------


def test_driver_choice_and_mongomock_scheme() -> None:
    assert type(connection.connect(f"{NOWHERE}/a", alias="p")) is AsyncMongoClient
    motor = connection.connect(f"{NOWHERE}/a", alias="m", driver="motor")
    assert type(motor) is AsyncIOMotorClient
    mock = connection.connect("mongomock://localhost/a", alias="x")
    assert isinstance(mock, AsyncMongoMockClient)
    assert [connection.get_database(a).kind for a in "pmx"] == ["pymongo", "motor", "mongomock"]


def test_client_kind_is_detected_by_type() -> None:
    """mongomock-motor's classes claim to be Motor's through __class__; type() is not fooled."""
    mock: Any = AsyncMongoMockClient()
    assert isinstance(mock, AsyncIOMotorClient)  # the disguise
    assert driver_kind(mock) == "mongomock"
    assert driver_kind(AsyncIOMotorClient(NOWHERE)) == "motor"
    assert driver_kind(AsyncMongoClient(NOWHERE)) == "pymongo"
    assert driver_kind(object()) is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"host": "postgres://h/db"}, "not a mongodb"),
        ({"host": f"{NOWHERE}/db", "driver": "tornado"}, "unknown driver 'tornado'"),
        ({"client": object(), "db": "x"}, "unsupported client"),
        ({"client": AsyncMongoMockClient(), "host": f"{NOWHERE}/db"}, "uses the client as is"),
        ({"client": AsyncMongoMockClient(), "db": "x", "tz_aware": True}, "uses the client as is"),
        ({"client": AsyncMongoMockClient()}, "no database name"),
    ],
)
def test_bad_arguments_are_configuration_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(errors.ConfigurationError, match=message):
        connection.connect(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("driver", ["pymongo", "motor"])
def test_invalid_client_options_are_configuration_errors(driver: str) -> None:
    with pytest.raises(errors.ConfigurationError, match="serverSelectionTimeoutMS") as caught:
        connection.connect(f"{NOWHERE}/db", driver=driver, serverSelectionTimeoutMS="soon")
    assert caught.value.__cause__ is not None
    with pytest.raises(errors.ConfigurationError, match="database names cannot contain"):
        connection.connect(NOWHERE, db="has space", driver=driver)


def test_passed_client_uses_its_default_database() -> None:
    client: Any = AsyncIOMotorClient(f"{NOWHERE}/fromclient")
    assert connection.connect(client=client) is client
    assert connection.get_db().name == "fromclient"


@pytest.mark.parametrize(("module", "driver", "host"), [
    ("motor.motor_asyncio", "motor", f"{NOWHERE}/db"),
    ("mongomock_motor", "pymongo", "mongomock://localhost/db"),
])  # fmt: skip
def test_missing_extra_is_a_clear_configuration_error(
    monkeypatch: pytest.MonkeyPatch, module: str, driver: str, host: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # makes the import fail
    with pytest.raises(errors.ConfigurationError, match=r"pip install 'asyncodm\[(motor|mock)\]'"):
        connection.connect(host, driver=driver)


def test_uri_clients_default_to_standard_uuids_and_naive_datetimes() -> None:
    for driver in ("pymongo", "motor"):
        opts = connection.connect(f"{NOWHERE}/db", driver=driver).codec_options
        assert opts.uuid_representation == UuidRepresentation.STANDARD
        assert opts.tz_aware is False
    explicit = connection.connect(f"{NOWHERE}/db?uuidRepresentation=pythonLegacy", tz_aware=True)
    assert explicit.codec_options.uuid_representation == UuidRepresentation.PYTHON_LEGACY
    assert explicit.codec_options.tz_aware is True


# -- event loops ---------------------------------------------------------------------------


def test_uri_connection_opens_one_client_per_loop() -> None:
    returned = connection.connect(f"{NOWHERE}/blog")  # outside any loop
    seen = []

    async def job() -> None:
        client = connection.get_client()
        assert connection.get_client() is client
        assert connection.get_database() is connection.get_database()
        seen.append(client)

    asyncio.run(job())
    asyncio.run(job())
    assert seen[0] is returned  # the first loop to use it gets the client connect() returned
    assert seen[1] is not returned
    assert all(type(c) is AsyncMongoClient for c in seen)


def test_mongomock_data_survives_across_loops() -> None:
    """Each loop gets its own client, but they share one in-memory "server", like a real one."""
    connection.connect("mongomock://localhost/jobs")

    async def job(n: int) -> int:
        coll = connection.get_database().collection("runs")
        await coll.insert_one({"n": n})
        return await coll.count_documents({})

    assert [asyncio.run(job(n)) for n in range(3)] == [1, 2, 3]

    connection.connect("mongomock://localhost/jobs")  # a new connection is a fresh "server"
    assert asyncio.run(job(9)) == 1


def test_clients_of_closed_loops_are_released() -> None:
    connection.connect("mongomock://localhost/jobs")
    bindings = []

    async def job() -> None:
        await connection.get_database().collection("c").insert_one({})
        bindings.append(connection._connections["default"].last)

    asyncio.run(job())
    assert bindings[0] is not None and bindings[0].released  # closed when its loop shut down
    asyncio.run(job())
    conn = connection._connections["default"]
    assert bindings[0] not in conn.bindings.values()  # and forgotten by the next loop


def test_connect_inside_a_loop_binds_to_it() -> None:
    async def main() -> None:
        client = connection.connect("mongomock://localhost/inside")
        assert connection.get_client() is client
        await connection.get_database().collection("c").insert_one({"x": 1})

    asyncio.run(main())


def test_passed_client_on_another_loop_is_a_configuration_error() -> None:
    async def first() -> None:
        connection.connect(client=AsyncMongoMockClient(), db="shared")
        await connection.get_database().collection("c").insert_one({"x": 1})

    async def second() -> None:
        connection.get_database()

    asyncio.run(first())
    with pytest.raises(errors.ConfigurationError, match="another event loop") as caught:
        asyncio.run(second())
    assert "URI" in str(caught.value)  # says what to do instead


def test_passed_client_connected_outside_a_loop_binds_to_the_first() -> None:
    client: Any = AsyncMongoMockClient()
    connection.connect(client=client, db="shared")
    assert connection.get_client() is client

    async def use() -> None:
        assert connection.get_client() is client
        await connection.get_database().collection("c").insert_one({})

    asyncio.run(use())
    with pytest.raises(errors.ConfigurationError, match="another event loop"):
        asyncio.run(use())


def test_transaction_on_mongomock_is_an_operation_error() -> None:
    connection.connect("mongomock://localhost/tx")

    async def main() -> None:
        async with transaction():
            pass

    with pytest.raises(errors.OperationError, match="no sessions or transactions"):
        asyncio.run(main())
