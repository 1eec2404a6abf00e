"""The change-stream adapter: one object over PyMongo's and Motor's change streams.

Stage: drivers. PyMongo async's ``collection.watch()`` is a coroutine that returns the stream;
Motor's returns it at once and opens it on the first read. Both streams then offer ``next()``,
``try_next()``, ``resume_token`` and ``close()``; every call runs inside ``map_driver_errors``,
so code above the seam sees ``asyncodm.errors`` only. Resuming after a resumable error is the
driver's own job (it re-opens the stream with the last token); this adapter adds nothing to it.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from asyncodm._drivers._errors import map_driver_errors
from asyncodm._drivers._protocol import RawDoc

__all__ = ["DriverChangeStream"]


class DriverChangeStream:
    """An open change stream of one collection; ``raw`` is the driver's own stream."""

    __slots__ = ("_alias", "_closed", "_namespace", "_raw")

    def __init__(self, raw: Any, *, alias: str, namespace: str) -> None:
        self._raw = raw
        self._alias = alias
        self._namespace = namespace
        self._closed = False

    @property
    def raw(self) -> Any:
        return self._raw

    @property
    def resume_token(self) -> Mapping[str, Any] | None:
        """The token of the last event read (or the stream's post-batch token)."""
        token: Mapping[str, Any] | None = self._raw.resume_token
        return token

    def _errors(self, operation: str) -> map_driver_errors:
        return map_driver_errors(self._alias, operation, self._namespace)

    async def next(self) -> RawDoc:
        """The next event, waiting for one (``StopAsyncIteration`` once closed)."""
        with self._errors("watch"):
            event: RawDoc = await self._raw.next()
        return event

    async def try_next(self) -> RawDoc | None:
        """The next event, or None when none arrived within the server's await time."""
        with self._errors("watch"):
            event: RawDoc | None = await self._raw.try_next()
        return event

    async def close(self) -> None:
        """Close the server cursor; a second call does nothing."""
        if self._closed:
            return
        self._closed = True
        with self._errors("watch"):
            # PyMongo's close() is a coroutine; Motor's returns an awaitable future.
            result = self._raw.close()
            if inspect.isawaitable(result):
                await result
