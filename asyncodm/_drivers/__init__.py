"""The driver seam: protocols, the adapters that implement them, and error translation.

Stage: drivers. ``connection`` builds a ``ClientAdapter`` with ``client_adapter(raw, alias)``;
every other module only sees the protocols in ``_protocol`` and the errors of
``asyncodm.errors``.

The adapter for Motor and mongomock-motor are imported lazily: the packages are optional
extras (``asyncodm[motor]``, ``asyncodm[mock]``), and the client object is created by
``connection`` (or handed in by the application) before an adapter ever wraps it.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from asyncodm import errors
from asyncodm._drivers._base import BaseClient, BaseDatabase
from asyncodm._drivers._collection import BaseCollection
from asyncodm._drivers._cursor import DriverCursor
from asyncodm._drivers._errors import (
    driver_error_code,
    duplicate_key_details,
    has_error_label,
    map_driver_errors,
    translate,
)
from asyncodm._drivers._protocol import (
    ClientAdapter,
    CollectionAdapter,
    CursorAdapter,
    DatabaseAdapter,
    DriverKind,
    RawDoc,
    UpdateOutcome,
)

__all__ = [
    "BaseClient",
    "BaseCollection",
    "BaseDatabase",
    "ClientAdapter",
    "CollectionAdapter",
    "CursorAdapter",
    "DatabaseAdapter",
    "DriverCursor",
    "DriverKind",
    "RawDoc",
    "UpdateOutcome",
    "client_adapter",
    "driver_error_code",
    "driver_kind",
    "duplicate_key_details",
    "has_error_label",
    "map_driver_errors",
    "translate",
]


def driver_kind(client: object) -> DriverKind | None:
    """Which supported driver ``client`` belongs to, judged by its real type.

    mongomock-motor's classes pretend (through ``__class__``) to be Motor's, so ``isinstance``
    would call a mock client a Motor one; ``type()`` is not fooled. Optional packages are
    looked up in ``sys.modules`` only: a client of a package that was never imported cannot
    exist, so detection imports nothing.
    """
    klass = type(client)
    mock = sys.modules.get("mongomock_motor")
    if mock is not None and issubclass(klass, mock.AsyncMongoMockClient):
        return "mongomock"
    motor = sys.modules.get("motor.motor_asyncio")
    if motor is not None and issubclass(klass, motor.AsyncIOMotorClient):
        return "motor"
    from pymongo import AsyncMongoClient

    if issubclass(klass, AsyncMongoClient):
        return "pymongo"
    return None


def client_adapter(client: Any, alias: str, kind: DriverKind | None = None) -> BaseClient:
    """Wrap a driver client in the adapter for its kind (detected when ``kind`` is None)."""
    kind = kind or driver_kind(client)
    if kind == "pymongo":
        from asyncodm._drivers._pymongo import PyMongoClient

        return PyMongoClient(client, alias)
    if kind == "motor":
        from asyncodm._drivers._motor import MotorClient

        return MotorClient(client, alias)
    if kind == "mongomock":
        from asyncodm._drivers._mongomock import MongomockClient

        return MongomockClient(client, alias)
    raise errors.ConfigurationError(
        f"connection {alias!r}: unsupported client {type(client).__module__}."
        f"{type(client).__qualname__}; pass a pymongo.AsyncMongoClient, a "
        "motor.motor_asyncio.AsyncIOMotorClient or a mongomock_motor.AsyncMongoMockClient "
        "(synchronous pymongo.MongoClient is not supported: asyncodm is async only)"
    )


if TYPE_CHECKING:  # mypy proves the adapters satisfy the protocols the rest of asyncodm uses

    def _conforms(
        client: BaseClient, database: BaseDatabase, collection: BaseCollection, cursor: DriverCursor
    ) -> tuple[ClientAdapter, DatabaseAdapter, CollectionAdapter, CursorAdapter]:
        return client, database, collection, cursor
