"""The seam's own record of what the ODM sends: the hook behind ``asyncodm.testing``.

Stage: drivers. Counting queries with PyMongo's ``CommandListener`` sees wire commands only, so
it sees nothing on mongomock-motor (in process) and counts a cursor's ``getMore`` batches and a
driver's housekeeping. Counting here, where every adapter method already wraps its driver call,
counts *operations* -- one per find, insert, update, delete, aggregate, count, distinct and
findAndModify -- identically on every driver.

The design, and why:

* The active sinks live in one ``ContextVar`` holding a tuple (empty by default). An adapter
  method reads it once (``capturing()``); when nothing is captured that read is the whole cost,
  and no command document is built.
* A ``ContextVar``, not a module-level list: a capture is task-local, like a ``transaction()``
  block. Concurrent tasks never record into each other's captures; tasks started *inside* a
  capture block inherit it (asyncio copies the context), so ``gather()`` inside it is counted.
* A tuple of sinks, so captures nest: an outer capture also sees what an inner one records.
* The document is shaped like the command MongoDB receives (``{"find": "post", "filter": ...}``,
  ``{"update": "post", "updates": [{"q": ..., "u": ...}]}``), built from the adapter call's own
  arguments, so a test can assert on filters and updates whatever the driver.
* The document is a deep copy taken at the call, so later changes to the ODM's dicts do not
  rewrite history; that copy is the only cost a capture adds.
* A find or aggregate is recorded when the adapter opens its cursor (``find()`` /
  ``aggregate()``); reading further batches is not another operation.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, NamedTuple, Protocol

__all__ = [
    "COUNTED_OPERATIONS",
    "CommandSink",
    "SentCommand",
    "capturing",
    "recording",
    "report",
]

#: The command names an adapter reports: the operations an ODM call costs.
COUNTED_OPERATIONS = frozenset(
    {"find", "insert", "update", "delete", "aggregate", "count", "distinct", "findAndModify"}
)


class SentCommand(NamedTuple):
    """One operation sent through a collection adapter: unpacks as ``(name, collection, doc)``."""

    name: str
    collection: str
    command: dict[str, Any]


class CommandSink(Protocol):
    """Where a capture collects: anything with ``append`` (a list will do)."""

    def append(self, command: SentCommand, /) -> None: ...


_sinks: ContextVar[tuple[CommandSink, ...]] = ContextVar("asyncodm_command_sinks", default=())


#: ``capturing()``: the sinks recording in this task (empty, hence falsy, when none is). The
#: ContextVar's own bound ``get``, so the read is one C call, not a Python frame around it:
#: every adapter call and every save lane asks it.
capturing: Callable[[], tuple[CommandSink, ...]] = _sinks.get


def report(
    sinks: tuple[CommandSink, ...], name: str, collection: str, command: dict[str, Any]
) -> None:
    """Hand one sent operation to every active sink (called only when ``capturing()`` is true).

    The document is copied: the ODM goes on to change the dicts it sent (a saved document's
    SON is reused for the next delta), and the log must show what was sent at the time.
    """
    sent = SentCommand(name, collection, copy.deepcopy({name: collection, **command}))
    for sink in sinks:
        sink.append(sent)


@contextmanager
def recording(sink: CommandSink) -> Iterator[CommandSink]:
    """Record the operations this task (and tasks it starts inside the block) sends into ``sink``."""
    token = _sinks.set((*_sinks.get(), sink))
    try:
        yield sink
    finally:
        _sinks.reset(token)
