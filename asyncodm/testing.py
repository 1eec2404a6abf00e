"""Test helpers: count what the ODM sends, and an embedded database per test (pytest plugin).

Stage: integrations (above ``_document``, beside ``compat`` and ``files``). Operations are
counted at the driver seam (``asyncodm._drivers._capture``), not with PyMongo's
``CommandListener``: one per find, insert, update, delete, aggregate, count, distinct and
findAndModify, the same on PyMongo, Motor and the embedded mongomock-motor, and a cursor's
further batches (``getMore``) or the driver's housekeeping never count. That makes
``assert_num_queries(2)`` a statement about the ODM's behaviour, true on every backend.

A capture is task-local: concurrent tasks never see each other's operations, while tasks
started inside the block (``asyncio.gather``) are counted in it. Captures nest.

``pytest -p asyncodm.testing`` (or the ``asyncodm`` pytest11 entry point, active whenever
asyncodm is installed) adds the ``asyncodm_db`` fixture. It is a plain (synchronous) fixture, so
it works with pytest-asyncio in any mode, anyio or ``asyncio.run``: connecting performs no I/O.
What it does, and what it deliberately leaves alone:

* connects the alias ``"default"`` to ``mongomock://localhost/<fresh name>`` -- an in-memory
  store of its own, so nothing leaks between tests -- replacing any "default" connection;
* yields the raw driver database, for reading what was stored (``await
  asyncodm_db["post"].find_one()``);
* afterwards drops the database and disconnects "default";
* leaves the model registry alone: models are defined at import time, once per test session,
  and clearing the registry would unregister the application's own models. Context switches
  (``switch_db``...) are task-local and need no restoring.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

from asyncodm._drivers._capture import SentCommand, recording
from asyncodm.connection import connect, disconnect, get_database, get_db

__all__ = ["CommandLog", "SentCommand", "assert_num_queries", "asyncodm_db", "capture_commands"]


class CommandLog:
    """What a ``capture_commands()`` block sent, in order.

    Attributes:
        commands: ``(name, collection, command_doc)`` tuples (``SentCommand``), e.g.
            ``("find", "post", {"find": "post", "filter": {"_id": 1}, "limit": 1})``.
    """

    __slots__ = ("commands",)

    def __init__(self) -> None:
        self.commands: list[SentCommand] = []

    def append(self, command: SentCommand, /) -> None:
        """Called by the driver seam for every operation sent while the capture is active."""
        self.commands.append(command)

    @property
    def names(self) -> list[str]:
        """The operation names only: ``["find", "update"]``."""
        return [c.name for c in self.commands]

    def __len__(self) -> int:
        return len(self.commands)

    def describe(self) -> str:
        """One numbered line per operation, for assertion messages."""
        if not self.commands:
            return "  (none)"
        return "\n".join(
            f"  {i}. {c.name} {c.collection}: {c.command!r}" for i, c in enumerate(self.commands, 1)
        )

    def __repr__(self) -> str:
        return f"<CommandLog {len(self)}: {self.names}>"


@asynccontextmanager
async def capture_commands() -> AsyncIterator[CommandLog]:
    """Record the operations the ODM sends inside the block (and in tasks started there)."""
    log = CommandLog()
    with recording(log):
        yield log


@asynccontextmanager
async def assert_num_queries(expected: int) -> AsyncIterator[CommandLog]:
    """Fail with ``AssertionError``, listing the operations, unless the block sends ``expected``.

    The N+1 guard for tests: ``async with assert_num_queries(2): ...``. If the block itself
    raises, that error propagates and the count is not checked.
    """
    if expected < 0:
        raise ValueError(f"assert_num_queries({expected}): the count cannot be negative")
    async with capture_commands() as log:
        yield log
    if len(log) != expected:
        raise AssertionError(
            f"expected {expected} database operation(s), {len(log)} were sent:\n{log.describe()}"
        )


# --- the pytest plugin ------------------------------------------------------------------------


def _run_outside_loop(work: Any) -> None:
    """Run coroutine function ``work`` to completion from synchronous fixture code.

    No loop runs in a synchronous fixture's teardown under pytest-asyncio or anyio, so
    ``asyncio.run`` serves; should one be running in this thread, a helper thread runs it (the
    embedded database is in process and not bound to any loop).
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(work())
        return
    failure: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(work())
        except BaseException as exc:  # re-raised in the calling thread
            failure.append(exc)

    thread = threading.Thread(target=target, name="asyncodm_db teardown")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def _embedded_db() -> Iterator[Any]:
    name = f"test_{uuid.uuid4().hex[:12]}"
    connect(f"mongomock://localhost/{name}")

    async def teardown() -> None:
        try:
            await get_database().drop()
        finally:
            await disconnect()

    try:
        yield get_db()
    finally:
        _run_outside_loop(teardown)


try:
    import pytest
except ImportError:  # the helpers above work without pytest; only the fixture needs it
    _PYTEST = False
else:
    _PYTEST = True

if _PYTEST:
    asyncodm_db = pytest.fixture(_embedded_db, name="asyncodm_db")
    """A fresh embedded (mongomock) database per test, connected as the alias "default"."""
