"""``await Model.sync_validator()``: ``create`` with the validator, or ``collMod`` when the
collection exists. The commands are read on the wire (nx); enforcement needs a server that
enforces validators (nx-27017 accepts them silently, mongomock cannot issue them)."""

from __future__ import annotations

import pytest

from asyncodm import OperationError
from tests._backends import Backend
from tests.models.feeds import Event, Purchase, Story


@pytest.mark.needs("command_monitoring")
async def test_create_when_missing_then_collmod(backend: Backend) -> None:
    backend.reset_commands()
    sent = await Story.sync_validator(level="moderate", action="error")
    assert sent["create"] == "stories"
    await Story.sync_validator()
    names = [
        (c.name, c.doc.get("validationLevel"))
        for c in backend.commands
        if c.name in ("create", "collMod")
    ]
    assert names == [("create", "moderate"), ("collMod", "strict")]
    wire = next(c.doc for c in backend.commands if c.name == "collMod")
    assert wire["validator"] == {"$jsonSchema": Story.json_schema()}
    assert "stories" in await backend.db.list_collection_names()


@pytest.mark.needs("command_monitoring")
async def test_a_subclass_installs_its_hierarchy_root_schema(backend: Backend) -> None:
    backend.reset_commands()
    sent = await Purchase.sync_validator()
    assert sent["validator"] == {"$jsonSchema": Event.json_schema()}


async def test_a_bad_level_sends_nothing(backend: Backend) -> None:
    with pytest.raises(ValueError, match="validation level"):
        await Story.sync_validator(level="sometimes")
    assert "stories" not in await backend.db.list_collection_names()


@pytest.mark.backend_only("mongomock")
async def test_mongomock_cannot_issue_the_command(backend: Backend) -> None:
    with pytest.raises((OperationError, NotImplementedError, TypeError)):
        await Story.sync_validator()


@pytest.mark.needs("validators")
async def test_the_server_enforces_it(backend: Backend) -> None:
    await Story.sync_validator()
    from pymongo.errors import WriteError

    with pytest.raises(WriteError):  # raw driver write: the server's own error
        await backend.db["stories"].insert_one({"t": 5})
