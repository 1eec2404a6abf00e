"""MongoMotor's ``connect(db=None, alias="default", **kwargs)`` and plain-function ``disconnect``.

Stage: compat. MongoMotor follows MongoEngine's connection settings: the database name comes
first, then ``host`` (a host name, ``host:port``, a list of them, or a ``mongodb://`` /
``mongomock://`` URI, whose database wins over ``db``, as in MongoEngine), ``port``,
``username``, ``password``, ``authentication_source``, ``authentication_mechanism``; any other
keyword goes to the driver client, and the database defaults to MongoEngine's ``"test"``.
``register_connection(alias, db, ...)`` is the same call with the alias first: asyncodm's
``connect`` does no I/O, so registering and connecting are one thing.

``disconnect()`` is a plain function in MongoMotor (it closes the client on an event loop of
its own), so MongoMotor code calls it without ``await`` -- often from a synchronous
``tearDownClass``. Here it forgets the alias at once and finishes closing the client on the
running loop, if there is one; what it returns may be awaited (``await disconnect()``, the
asyncodm way) to wait for that, or ignored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator, Iterable
from typing import Any
from urllib.parse import urlsplit

import asyncodm

__all__ = [
    "DEFAULT_CONNECTION_NAME",
    "DEFAULT_DATABASE_NAME",
    "Disconnection",
    "connect",
    "disconnect",
    "disconnect_all",
    "get_connection",
    "get_db",
    "register_connection",
]

DEFAULT_CONNECTION_NAME = "default"
DEFAULT_DATABASE_NAME = "test"

#: MongoEngine's setting names -> the MongoDB URI option PyMongo and Motor take.
_CLIENT_OPTION = {
    "username": "username",
    "password": "password",
    "authentication_source": "authSource",
    "authentication_mechanism": "authMechanism",
    "authmechanismproperties": "authMechanismProperties",
}
#: Settings older MongoMotor versions took for their event-loop integration; asyncodm uses
#: the running asyncio loop, so they mean nothing here.
_IGNORED = ("io_loop", "async_framework")


def connect(db: str | None = None, alias: str = DEFAULT_CONNECTION_NAME, **kwargs: Any) -> Any:
    """Register connection ``alias`` to database ``db`` and return its driver client (no I/O).

    Args:
        db: The database name (``name=`` is MongoEngine's other spelling); a database in a
            ``host`` URI wins over it; neither gives ``"test"``.
        alias: The connection models name in ``meta = {"db_alias": ...}``.
        kwargs: MongoEngine's settings (``host``, ``port``, ``username``, ``password``,
            ``authentication_source``, ``authentication_mechanism``), asyncodm's ``driver``
            (``"pymongo"``, the default, or ``"motor"``) and ``client`` (an existing client),
            and options for the driver client (``tz_aware``, ``serverSelectionTimeoutMS``...).
    """
    return register_connection(alias, db, **kwargs)


def register_connection(
    alias: str,
    db: str | None = None,
    name: str | None = None,
    host: str | Iterable[str] | None = None,
    port: int | None = None,
    **kwargs: Any,
) -> Any:
    """MongoEngine's ``register_connection``: ``connect`` with the alias first."""
    for key in _IGNORED:
        kwargs.pop(key, None)
    for setting, option in _CLIENT_OPTION.items():
        value = kwargs.pop(setting, None)
        if value is not None:
            kwargs[option] = value
    driver = kwargs.pop("driver", "pymongo")
    client = kwargs.pop("client", None)
    uri = _uri(host, port)
    db_name = _uri_database(uri) or db or name or DEFAULT_DATABASE_NAME
    if client is not None:
        return asyncodm.connect(client=client, db=db_name, alias=alias)
    return asyncodm.connect(uri, alias=alias, db=db_name, driver=driver, **kwargs)


def _uri(host: str | Iterable[str] | None, port: int | None) -> str:
    """A URI for MongoEngine's ``host``/``port`` settings."""
    if host is None:
        host = "localhost"
    if isinstance(host, str) and "://" in host:
        return host
    hosts = [host] if isinstance(host, str) else list(host)
    if len(hosts) == 1 and "://" in hosts[0]:
        return hosts[0]
    with_ports = [h if ":" in h else f"{h}:{port or 27017}" for h in hosts]
    return "mongodb://" + ",".join(with_ports)


def _uri_database(uri: str) -> str | None:
    path = urlsplit(uri).path.lstrip("/")
    return path or None


def get_connection(alias: str = DEFAULT_CONNECTION_NAME) -> Any:
    """The driver client of ``alias`` (MongoEngine's ``get_connection``)."""
    return asyncodm.get_client(alias)


def get_db(alias: str = DEFAULT_CONNECTION_NAME) -> Any:
    """The driver database of ``alias``."""
    return asyncodm.get_db(alias)


class Disconnection:
    """What ``disconnect()`` returns: the alias is forgotten already; awaiting this waits until
    the client it opened is closed too. Ignoring it is fine (it is no coroutine, so nothing
    warns about it never being awaited)."""

    __slots__ = ("_task",)

    def __init__(self, task: asyncio.Task[None] | None) -> None:
        self._task = task

    @property
    def done(self) -> bool:
        """Whether the client is closed already."""
        return self._task is None or self._task.done()

    def __await__(self) -> Generator[Any, None, None]:
        if self._task is not None:
            yield from self._task.__await__()

    def __repr__(self) -> str:
        return f"<Disconnection {'done' if self.done else 'closing'}>"


#: Closings still running: a task nobody references could be garbage-collected mid-way.
_closing: set[asyncio.Task[None]] = set()


def disconnect(alias: str = DEFAULT_CONNECTION_NAME) -> Disconnection:
    """Forget ``alias`` now and close the client asyncodm opened for it (MongoMotor's
    ``disconnect``, callable with or without ``await``).

    asyncodm's ``disconnect`` is a coroutine: it forgets the alias before its first ``await``
    and then closes the client. So it is stepped here until it waits for the first time; the
    rest, if anything remains, runs as a task on the running loop.
    """
    return _step(asyncodm.disconnect(alias))


def disconnect_all() -> Disconnection:
    """``disconnect`` every alias (MongoEngine's ``disconnect_all``)."""
    return _step(asyncodm.disconnect_all())


def _step(coro: Coroutine[Any, Any, None]) -> Disconnection:
    try:
        waiting = coro.send(None)
    except StopIteration:
        return Disconnection(None)
    task = asyncio.get_running_loop().create_task(_finish(coro, waiting))
    _closing.add(task)
    task.add_done_callback(_closing.discard)
    return Disconnection(task)


async def _finish(coro: Coroutine[Any, Any, None], waiting: Any) -> None:
    """Drive ``coro`` (suspended on ``waiting``) to its end, as the task running it would.

    A suspended asyncio coroutine yields the future it waits for (or None for a bare
    ``sleep(0)``); it is resumed with ``send(None)`` once that future is done, and reads the
    future's result or exception itself.
    """
    while True:
        if isinstance(waiting, asyncio.Future):
            await asyncio.wait([waiting])
        else:
            await asyncio.sleep(0)
        try:
            waiting = coro.send(None)
        except StopIteration:
            return
