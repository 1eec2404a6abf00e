"""Named connections: ``connect`` / ``get_client`` / ``get_db`` / ``disconnect``.

Stage: drivers. A connection is an alias, a database name and a way to get a driver client;
``get_database(alias)`` turns it into the ``DatabaseAdapter`` the model layer uses on every
operation, so that lookup is a dict hit plus an identity check on the running loop.

Why per event loop: PyMongo's ``AsyncMongoClient`` and Motor bind to the loop that first uses
them and fail on any other. A connection made from a URI therefore keeps one client per loop
and opens the next one on demand (no I/O happens until the driver's first command), so scripts
that call ``asyncio.run()`` per job, notebooks and per-test loops just work. A client made for
a loop is closed when that loop shuts down (via the loop's async-generator shutdown hook, which
``asyncio.run`` and pytest-asyncio both run), or by ``disconnect``. A client handed in with
``client=`` belongs to the application: it is never closed here, and using it from a second
loop is a ``ConfigurationError``.

URI clients get ``uuidRepresentation="standard"`` and ``tz_aware=False`` unless the caller (or
the URI) says otherwise: UUIDs are stored as standard subtype-4 binaries, and datetimes come
back naive, meaning UTC, which is the rule ``DateTimeField`` follows.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Iterator
from dataclasses import dataclass, field
from typing import Any, get_args
from urllib.parse import parse_qsl, unquote, urlsplit

from pymongo.errors import PyMongoError

from asyncodm import errors
from asyncodm._drivers import BaseClient, BaseDatabase, DriverKind, client_adapter, driver_kind
from asyncodm._drivers._clients import MOCK_SCHEME, new_client, new_mock_store

__all__ = [
    "connect",
    "current_database",
    "disconnect",
    "disconnect_all",
    "get_client",
    "get_client_adapter",
    "get_database",
    "get_db",
]

DEFAULT_HOST = "mongodb://localhost:27017"
DEFAULT_CLIENT_OPTIONS: dict[str, Any] = {"uuidRepresentation": "standard", "tz_aware": False}


@dataclass(slots=True, eq=False)
class _Binding:
    """One driver client (and its database adapter) serving one event loop."""

    client: BaseClient
    database: BaseDatabase
    owned: bool
    loop: asyncio.AbstractEventLoop | None = None
    closer: AsyncGenerator[None, None] | None = None
    released: bool = False

    async def release(self) -> None:
        """Close an owned client exactly once; errors on the way out are not worth raising."""
        if self.released or not self.owned:
            return
        self.released = True
        with contextlib.suppress(errors.ODMError):
            await self.client.close()

    def release_now(self) -> bool:
        if self.released or not self.owned:
            return True
        if self.client.close_now():
            self.released = True
        return self.released


@dataclass(slots=True, eq=False)
class _Connection:
    alias: str
    db_name: str
    kind: DriverKind
    uri: str | None
    options: dict[str, Any]
    store: Any = None  # mongomock: the in-memory "server" every per-loop client shares
    passed: _Binding | None = None  # a client given with client=
    pending: _Binding | None = None  # a URI client made outside any loop, not yet claimed
    bindings: dict[asyncio.AbstractEventLoop, _Binding] = field(default_factory=dict)
    last: _Binding | None = None  # the fast path: the binding used most recently

    def binding(self, loop: asyncio.AbstractEventLoop | None) -> _Binding:
        if loop is None:
            found = self.passed or self.pending
            if found is None:
                found = self.pending = self._open()
            return found
        found = self.bindings.get(loop)
        if found is None:
            found = self._claim(loop) if self.passed is None else self._check_passed(loop)
        self.last = found
        return found

    def _check_passed(self, loop: asyncio.AbstractEventLoop) -> _Binding:
        passed = self.passed
        assert passed is not None
        bound = passed.loop or passed.client.bound_loop()
        if bound is not None and bound is not loop:
            raise errors.ConfigurationError(
                f"connection {self.alias!r} uses the client passed to connect(client=...), which "
                "belongs to another event loop: PyMongo and Motor clients are bound to the loop "
                "that first uses them. Create the client inside the loop that uses it, or pass a "
                "URI to connect() so asyncodm opens one client per event loop."
            )
        passed.loop = loop
        self.bindings[loop] = passed
        return passed

    def _claim(self, loop: asyncio.AbstractEventLoop) -> _Binding:
        for old_loop in [lp for lp in self.bindings if lp.is_closed()]:
            self.bindings.pop(old_loop).release_now()
        found, self.pending = self.pending, None
        if found is not None:
            bound = found.client.bound_loop()
            if bound is not None and bound is not loop:  # the app used it directly elsewhere
                found.loop = bound
                self.bindings[bound] = found
                found = None
        if found is None:
            found = self._open()
        found.loop = loop
        self.bindings[loop] = found
        _close_with_loop(found)
        return found

    def _open(self) -> _Binding:
        assert self.uri is not None
        with _settings_errors(self.alias):
            adapter = client_adapter(
                new_client(self.kind, self.uri, self.options, self.store), self.alias, self.kind
            )
            return _Binding(adapter, adapter.database(self.db_name, alias=self.alias), owned=True)

    def retire(self) -> None:
        """Forget every client; close what can be closed from here, let loops close the rest."""
        running = _running_loop()
        for binding in {
            id(b): b for b in (self.passed, self.pending, *self.bindings.values()) if b
        }.values():
            if binding.release_now():
                continue
            loop = binding.loop
            if loop is None or loop.is_closed():
                continue
            if loop is running:
                _background(loop.create_task(binding.release()))
            elif loop.is_running():
                asyncio.run_coroutine_threadsafe(binding.release(), loop)
        self.bindings.clear()
        self.last = self.pending = self.passed = None


_connections: dict[str, _Connection] = {}
_tasks: set[asyncio.Task[None]] = set()


def connect(
    host: str | None = None,
    alias: str = "default",
    *,
    db: str | None = None,
    driver: str = "pymongo",
    client: Any = None,
    **client_kwargs: Any,
) -> Any:
    """Register connection ``alias`` and return its driver client; performs no I/O.

    Args:
        host: a ``mongodb://``, ``mongodb+srv://`` or ``mongomock://`` URI (default
            ``mongodb://localhost:27017``); its path names the database.
        alias: the name models use (``meta = {"db_alias": ...}``); connecting an alias again
            replaces the old connection.
        db: the database name; wins over the URI path.
        driver: ``"pymongo"`` (PyMongo's ``AsyncMongoClient``) or ``"motor"``; a
            ``mongomock://`` URI always uses mongomock-motor.
        client: an existing client to use as is (its kind is detected from its type).
        client_kwargs: passed to the driver client's constructor.

    Returns:
        The client for the running event loop, or (outside a loop) the client the first loop
        to use this connection will get.
    """
    if client is not None:
        conn = _connection_for_client(client, alias, host, db, client_kwargs)
    else:
        conn = _connection_for_uri(host or DEFAULT_HOST, alias, db, driver, client_kwargs)
    old = _connections.pop(alias, None)
    if old is not None:
        old.retire()
    _connections[alias] = conn
    return conn.binding(_running_loop()).client.raw


def get_client(alias: str = "default") -> Any:
    """The driver client of ``alias`` for the running event loop (opened on demand)."""
    return _binding(alias).client.raw


def get_db(alias: str = "default") -> Any:
    """The driver database object of ``alias`` for the running event loop."""
    return _binding(alias).database.raw


def get_database(alias: str = "default") -> BaseDatabase:
    """The ``DatabaseAdapter`` of ``alias`` for the running loop: the model layer's entry point.

    Cheap on purpose (called for every operation): a dict lookup, one ``get_running_loop`` and
    an identity check; adapters are built once per loop and cached.
    """
    conn = _connections.get(alias)
    if conn is None:
        raise _not_connected(alias)
    loop = _get_running_loop()
    last = conn.last
    if last is not None and last.loop is loop:
        return last.database
    return conn.binding(loop).database


def current_database(alias: str) -> BaseDatabase | None:
    """The ``DatabaseAdapter`` of ``alias`` when ``get_database`` would return it at once
    (connected, and its most recent binding is the running loop's); else None, never an
    error. The save lane asks this: anything else hands over to the general path, which
    raises where it always has (after validation)."""
    conn = _connections.get(alias)
    if conn is not None:
        last = conn.last
        if last is not None and last.loop is _get_running_loop():
            return last.database
    return None


def get_client_adapter(alias: str = "default") -> BaseClient:
    """The ``ClientAdapter`` of ``alias`` for the running loop (sessions, transactions)."""
    return _binding(alias).client


async def disconnect(alias: str = "default") -> None:
    """Forget ``alias`` and close the clients asyncodm opened for it (never a passed client).

    Disconnecting an alias that is not connected does nothing.
    """
    conn = _connections.pop(alias, None)
    if conn is None:
        return
    loop = _running_loop()
    mine = conn.bindings.get(loop) if loop is not None else None
    if mine is not None:
        await mine.release()
    conn.retire()


async def disconnect_all() -> None:
    """``disconnect`` every alias."""
    for alias in list(_connections):
        await disconnect(alias)


# -- helpers -------------------------------------------------------------------------------


def _running_loop() -> asyncio.AbstractEventLoop | None:
    return _get_running_loop()


#: ``asyncio.get_running_loop()`` without the exception when none runs: one C call, where the
#: ``try`` around ``get_running_loop`` was a Python frame on every operation.
_get_running_loop = asyncio._get_running_loop


def _binding(alias: str) -> _Binding:
    conn = _connections.get(alias)
    if conn is None:
        raise _not_connected(alias)
    return conn.binding(_running_loop())


def _not_connected(alias: str) -> errors.ConfigurationError:
    known = ", ".join(repr(a) for a in sorted(_connections)) or "none"
    return errors.ConfigurationError(
        f"no connection named {alias!r}; call asyncodm.connect(..., alias={alias!r}) first "
        f"(connected aliases: {known})"
    )


@contextlib.contextmanager
def _settings_errors(alias: str) -> Iterator[None]:
    """Whatever a driver rejects while a client or database object is built is a settings
    problem (bad option value, bad database name), never an operation failure."""
    try:
        yield
    except errors.ODMError:
        raise
    except (PyMongoError, TypeError, ValueError) as exc:
        raise errors.ConfigurationError(f"connection {alias!r}: invalid settings: {exc}") from exc


def _background(task: asyncio.Task[None]) -> None:
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


def _close_with_loop(binding: _Binding) -> None:
    """Close ``binding``'s client when its loop shuts down.

    An async generator, once started, is registered with the running loop (PEP 525 hooks);
    ``loop.shutdown_asyncgens()`` (run by ``asyncio.run``) then closes it, which runs the
    ``finally`` below while the loop can still await the driver's ``close()``. A client whose
    loop is gone could otherwise never be closed cleanly.
    """

    async def closer() -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            await binding.release()

    gen = closer()
    try:
        gen.asend(None).send(None)
    except StopIteration:
        binding.closer = gen


def _connection_for_client(
    client: Any, alias: str, host: str | None, db: str | None, options: dict[str, Any]
) -> _Connection:
    if host is not None or options:
        raise errors.ConfigurationError(
            f"connection {alias!r}: connect(client=...) uses the client as is; a host or client "
            f"options ({sorted(options)}) cannot be applied to it"
        )
    kind = driver_kind(client)
    adapter = client_adapter(client, alias, kind)
    name = db or _default_db_name(client)
    if not name:
        raise errors.ConfigurationError(
            f"connection {alias!r}: no database name; pass db=... (the client has no default database)"
        )
    conn = _Connection(alias, name, adapter.kind, None, {})
    with _settings_errors(alias):
        conn.passed = _Binding(adapter, adapter.database(name, alias=alias), owned=False)
    return conn


def _default_db_name(client: Any) -> str | None:
    try:
        return str(client.get_default_database().name)
    except Exception:  # each driver signals "no default database" with a different class
        return None


def _connection_for_uri(
    uri: str, alias: str, db: str | None, driver: str, options: dict[str, Any]
) -> _Connection:
    kind = _kind_for(uri, driver, alias)
    name = db or _uri_db_name(uri)
    if not name:
        raise errors.ConfigurationError(
            f"connection {alias!r}: no database name; put it in the URI path "
            f"(mongodb://host/<db>) or pass db=..."
        )
    given = {k.lower() for k in options} | {k.lower() for k, _ in parse_qsl(urlsplit(uri).query)}
    defaults = {k: v for k, v in DEFAULT_CLIENT_OPTIONS.items() if k.lower() not in given}
    merged = {**defaults, **options}
    conn = _Connection(alias, name, kind, uri, merged)
    if kind == "mongomock":
        conn.store = new_mock_store()
    return conn


def _kind_for(uri: str, driver: str, alias: str) -> DriverKind:
    if uri.startswith(MOCK_SCHEME):
        return "mongomock"
    if not uri.startswith(("mongodb://", "mongodb+srv://")):
        raise errors.ConfigurationError(
            f"connection {alias!r}: {uri!r} is not a mongodb://, mongodb+srv:// or mongomock:// URI"
        )
    if driver not in get_args(DriverKind):
        raise errors.ConfigurationError(
            f"connection {alias!r}: unknown driver {driver!r}; use 'pymongo' or 'motor'"
        )
    return driver  # type: ignore[return-value]  # checked against DriverKind just above


def _uri_db_name(uri: str) -> str | None:
    """The database in the URI path, parsed by hand: ``parse_uri`` would resolve SRV records."""
    path = urlsplit(uri).path.lstrip("/")
    return unquote(path) or None
