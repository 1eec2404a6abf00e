"""Creating driver clients from a URI: the one place that imports a driver package by name.

Stage: drivers. ``connection`` decides *which* driver a URI gets (``pymongo`` by default,
``motor`` when asked, ``mongomock`` for ``mongomock://``); creating the client object is the
seam's job, so no module above it ever names Motor or mongomock. Motor and mongomock-motor are
optional extras: they are imported here, when a client of theirs is first made, and a missing
one is a ``ConfigurationError`` naming the extra to install.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from asyncodm import errors
from asyncodm._drivers._protocol import DriverKind

__all__ = ["MOCK_SCHEME", "new_client", "new_mock_store"]

#: URIs with this scheme open the embedded in-memory database.
MOCK_SCHEME = "mongomock://"

#: Optional driver packages: the module imported for each kind, and the extra that installs it.
_EXTRAS = {"motor": ("motor.motor_asyncio", "motor"), "mongomock": ("mongomock_motor", "mock")}


def _require(kind: str) -> ModuleType:
    module, extra = _EXTRAS[kind]
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise errors.ConfigurationError(
            f"driver {kind!r} needs an optional dependency: pip install 'asyncodm[{extra}]'"
        ) from exc


def new_mock_store() -> Any:
    """The in-memory "server" that every per-loop client of one ``mongomock://`` URI shares."""
    _require("mongomock")
    return importlib.import_module("mongomock.store").ServerStore()  # mongomock is untyped


def new_client(kind: DriverKind, uri: str, options: dict[str, Any], store: Any) -> Any:
    """A new driver client of ``kind`` for ``uri`` (``store``: the mock server, for mongomock)."""
    if kind == "pymongo":
        from pymongo import AsyncMongoClient

        return AsyncMongoClient(uri, **options)
    if kind == "motor":
        return _require("motor").AsyncIOMotorClient(uri, **options)
    mock = _require("mongomock")
    server = importlib.import_module("mongomock").MongoClient(
        "mongodb://" + uri[len(MOCK_SCHEME) :], _store=store, **options
    )
    return mock.AsyncMongoMockClient(mock_mongo_client=server)
