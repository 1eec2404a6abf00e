"""Whether a deployment runs transactions, decided from PyMongo's own topology descriptions.

The descriptions are real ``pymongo.topology_description.TopologyDescription`` objects, moved
from one state to the next by PyMongo's own discovery logic (``updated_topology_description``
fed with ``hello`` replies), so each state is one the driver can actually be in. The adapter
tests then prove the question is asked anew on every use: nothing is remembered across an
election or a step-down.
"""

from __future__ import annotations

from typing import Any

import pytest
from pymongo import errors as pm_errors
from pymongo.asynchronous.settings import TopologySettings
from pymongo.hello import Hello
from pymongo.server_description import ServerDescription
from pymongo.topology_description import (
    TOPOLOGY_TYPE,
    TopologyDescription,
    updated_topology_description,
)

from asyncodm import errors
from asyncodm._drivers._base import BaseClient
from asyncodm._drivers._motor import MotorClient
from asyncodm._drivers._pymongo import PyMongoClient
from asyncodm._drivers._topology import description_supports_transactions, transactions_supported

A = ("a.example", 27017)
B = ("b.example", 27017)
HOSTS = ["a.example:27017", "b.example:27017"]
_WIRE = {"ok": 1, "minWireVersion": 0, "maxWireVersion": 25}

STANDALONE = {"isWritablePrimary": True}
PRIMARY = {"isWritablePrimary": True, "setName": "rs", "hosts": HOSTS}
SECONDARY = {"isWritablePrimary": False, "secondary": True, "setName": "rs", "hosts": HOSTS}
MONGOS = {"isWritablePrimary": True, "msg": "isdbgrid"}


def seeds(topology_type: int, *addresses: Any, replica_set: str | None = None) -> Any:
    """A description as a new client starts it: every seed known by address only."""
    servers = {address: ServerDescription(address) for address in addresses}
    settings = TopologySettings(seeds=list(addresses), replica_set_name=replica_set)
    return TopologyDescription(topology_type, servers, replica_set, None, None, settings)


def answered(description: Any, address: Any, hello: dict[str, Any]) -> Any:
    """The description after ``address`` answered ``hello``, by PyMongo's discovery rules."""
    server = ServerDescription(address, Hello({**_WIRE, **hello}), round_trip_time=0.001)
    return updated_topology_description(description, server)


def down(description: Any, address: Any) -> Any:
    """The description after ``address`` stopped answering (a failed heartbeat)."""
    failed = ServerDescription(address, error=pm_errors.AutoReconnect("gone"))
    return updated_topology_description(description, failed)


# -- the pure decision, state by state ------------------------------------------------------


def test_standalone_has_no_transactions() -> None:
    description = answered(seeds(TOPOLOGY_TYPE.Unknown, A), A, STANDALONE)
    assert description.topology_type_name == "Single"
    assert description_supports_transactions(description) is False


def test_replica_set_with_primary() -> None:
    description = answered(seeds(TOPOLOGY_TYPE.Unknown, A, B), A, PRIMARY)
    assert description.topology_type_name == "ReplicaSetWithPrimary"
    assert description_supports_transactions(description) is True


def test_replica_set_before_its_primary_answers() -> None:
    """A ``replicaSet=`` client starts here; a transaction's first command waits for the primary
    within serverSelectionTimeoutMS, as a write would, so the answer is already yes."""
    starting = seeds(TOPOLOGY_TYPE.ReplicaSetNoPrimary, A, B, replica_set="rs")
    assert starting.topology_type_name == "ReplicaSetNoPrimary"
    assert description_supports_transactions(starting) is True
    secondary_only = answered(starting, B, SECONDARY)
    assert secondary_only.topology_type_name == "ReplicaSetNoPrimary"
    assert description_supports_transactions(secondary_only) is True


def test_replica_set_during_an_election() -> None:
    starting = seeds(TOPOLOGY_TYPE.ReplicaSetNoPrimary, A, B, replica_set="rs")
    with_primary = answered(starting, A, PRIMARY)
    assert description_supports_transactions(with_primary) is True
    electing = down(answered(with_primary, B, SECONDARY), A)
    assert electing.topology_type_name == "ReplicaSetNoPrimary"
    assert description_supports_transactions(electing) is True


def test_sharded_cluster() -> None:
    description = answered(seeds(TOPOLOGY_TYPE.Unknown, A, B), A, MONGOS)
    assert description.topology_type_name == "Sharded"
    assert description_supports_transactions(description) is True
    assert description_supports_transactions(down(description, A)) is True  # still a cluster


def test_load_balanced() -> None:
    description = seeds(TOPOLOGY_TYPE.LoadBalanced, A)
    assert description.topology_type_name == "LoadBalanced"
    assert description_supports_transactions(description) is True


def test_unknown_until_a_server_answers() -> None:
    assert description_supports_transactions(seeds(TOPOLOGY_TYPE.Unknown, A, B)) is None


@pytest.mark.parametrize(
    ("hello", "expected"),
    [(STANDALONE, False), (PRIMARY, True), (SECONDARY, False), (MONGOS, True), (None, None)],
    ids=["standalone", "primary", "secondary", "mongos", "not-yet-answered"],
)
def test_direct_connection_is_decided_by_its_server(
    hello: dict[str, Any] | None, expected: bool | None
) -> None:
    description = seeds(TOPOLOGY_TYPE.Single, A)
    if hello is not None:
        description = answered(description, A, hello)
    assert description.topology_type_name == "Single"
    assert description_supports_transactions(description) is expected


@pytest.mark.parametrize(
    ("topology_type", "expected"),
    [
        ("Single", None),
        ("ReplicaSetNoPrimary", True),
        ("ReplicaSetWithPrimary", True),
        ("Sharded", True),
        ("Unknown", None),
        ("LoadBalanced", True),
    ],
)
def test_every_topology_type_pymongo_names(topology_type: str, expected: bool | None) -> None:
    assert topology_type in TOPOLOGY_TYPE._fields
    assert transactions_supported(topology_type) is expected


def test_the_table_covers_every_topology_type() -> None:
    covered = {name for name in TOPOLOGY_TYPE._fields if transactions_supported(name)}
    assert covered | {"Single", "Unknown"} == set(TOPOLOGY_TYPE._fields)
    assert transactions_supported("Single", ["Standalone"]) is False
    assert transactions_supported("Single", ["Unknown"]) is None


# -- through the adapter: asked on every use, never remembered ------------------------------


class FakeDriverClient:
    """The two things ``supports_transactions`` reads of a driver client: its current topology
    description, and ``admin.command("ping")`` to select a server while none has answered."""

    def __init__(self, description: Any, *, after_ping: Any = None, fails: bool = False) -> None:
        self.topology_description = description
        self.after_ping = after_ping
        self.fails = fails
        self.pings = 0
        self.admin = self

    async def command(self, command: str) -> dict[str, Any]:
        assert command == "ping"
        self.pings += 1
        if self.fails:
            raise pm_errors.ServerSelectionTimeoutError("no servers found yet")
        self.topology_description = self.after_ping
        return {"ok": 1}


@pytest.fixture(params=[PyMongoClient, MotorClient])
def adapter_class(request: pytest.FixtureRequest) -> type[BaseClient]:
    klass: type[BaseClient] = request.param
    return klass


async def test_a_later_primary_is_seen(adapter_class: type[BaseClient]) -> None:
    """A direct connection to a secondary says no; once that member is elected it says yes."""
    raw = FakeDriverClient(answered(seeds(TOPOLOGY_TYPE.Single, A), A, SECONDARY))
    adapter = adapter_class(raw, "rs")
    assert await adapter.supports_transactions() is False
    raw.topology_description = answered(raw.topology_description, A, PRIMARY)
    assert await adapter.supports_transactions() is True
    raw.topology_description = answered(raw.topology_description, A, SECONDARY)  # stepped down
    assert await adapter.supports_transactions() is False
    assert raw.pings == 0  # a known topology costs no round trip


async def test_an_election_does_not_turn_transactions_off(adapter_class: type[BaseClient]) -> None:
    starting = seeds(TOPOLOGY_TYPE.ReplicaSetNoPrimary, A, B, replica_set="rs")
    raw = FakeDriverClient(starting)
    adapter = adapter_class(raw, "rs")
    assert await adapter.supports_transactions() is True  # before the primary answered
    raw.topology_description = with_primary = answered(starting, A, PRIMARY)
    assert await adapter.supports_transactions() is True
    raw.topology_description = down(answered(with_primary, B, SECONDARY), A)  # election
    assert await adapter.supports_transactions() is True
    raw.topology_description = answered(raw.topology_description, B, PRIMARY)  # B elected
    assert await adapter.supports_transactions() is True
    assert raw.pings == 0


async def test_an_unknown_topology_selects_a_server_first(adapter_class: type[BaseClient]) -> None:
    starting = seeds(TOPOLOGY_TYPE.Unknown, A)
    raw = FakeDriverClient(starting, after_ping=answered(starting, A, STANDALONE))
    adapter = adapter_class(raw, "solo")
    assert await adapter.supports_transactions() is False
    assert await adapter.supports_transactions() is False
    assert raw.pings == 1  # only while nothing was known


async def test_no_server_to_select_is_connection_failure(adapter_class: type[BaseClient]) -> None:
    raw = FakeDriverClient(seeds(TOPOLOGY_TYPE.Unknown, A), fails=True)
    with pytest.raises(errors.ConnectionFailure) as caught:
        await adapter_class(raw, "gone").supports_transactions()
    assert caught.value.alias == "gone"
    assert isinstance(caught.value.__cause__, pm_errors.ServerSelectionTimeoutError)


async def test_mongomock_has_none_and_asks_nothing() -> None:
    from asyncodm._drivers._mongomock import MongomockClient

    class Untouchable:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"supports_transactions() read {name!r} of the client")

    assert await MongomockClient(Untouchable(), "mock").supports_transactions() is False
