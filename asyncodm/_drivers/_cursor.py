"""The one cursor adapter: lazy opening, chunked reads and error translation for every driver.

Stage: drivers. PyMongo's, Motor's and mongomock-motor's cursors all offer ``to_list(length)``,
``__anext__`` and ``close()``; what differs is how a cursor is obtained (PyMongo's
``aggregate()`` is a coroutine) and whether ``length`` is honoured (mongomock-motor ignores it,
see ``_mongomock``), both absorbed here or in a subclass's ``_fetch``.

Why ``batches()`` is built on the public ``to_list(length)``: measured on nx-27017 with 10,000
documents (``find({})``, medians of 7 runs, both drivers), repeated ``to_list(1000)``, the
drivers' private batch internals (PyMongo ``_next_batch``, Motor ``_get_more``/``_data``) and
plain ``async for`` all landed within noise of each other (0.27-0.33 s): the server's round trips
dominate, and nx answers every getMore with 101 documents unless ``batch_size`` is set (1000 cut
it to 0.23-0.25 s). The private internals buy nothing, so they are not used. In process, against
a fake cursor, the adapter adds about 0.2 us per document to ``async for`` and nothing measurable
to ``batches()``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any

from asyncodm._drivers._errors import is_driver_error, map_driver_errors, translate
from asyncodm._drivers._protocol import RawDoc
from asyncodm._drivers._tracing import operation_scope

__all__ = ["DEFAULT_CHUNK", "DriverCursor"]

#: Documents per ``to_list`` call when the caller set no ``batch_size``. It bounds the memory of
#: one yielded batch; it never adds round trips, because the driver hands out what the server
#: already sent before asking for more.
DEFAULT_CHUNK = 1000


class DriverCursor:
    """``CursorAdapter`` over a PyMongo or Motor cursor, opened on first use.

    ``opener`` exists because PyMongo's ``aggregate()`` is a coroutine that returns the cursor:
    building the cursor object must not perform I/O (or leave an un-awaited coroutine behind),
    so the call is deferred until the first fetch. ``to_list`` and ``batches`` read ``chunk``
    documents per driver call; ``async for`` goes document by document, as the driver does.
    """

    __slots__ = (
        "_alias",
        "_chunk",
        "_done",
        "_fetched",
        "_namespace",
        "_opener",
        "_operation",
        "_raw",
    )

    def __init__(
        self,
        *,
        alias: str,
        operation: str,
        namespace: str | None,
        raw: Any = None,
        opener: Callable[[], Awaitable[Any]] | None = None,
        chunk: int | None = None,
    ) -> None:
        self._raw = raw
        self._opener = opener
        self._alias = alias
        self._operation = operation
        self._namespace = namespace
        self._chunk = chunk if chunk and chunk > 0 else DEFAULT_CHUNK
        self._done = False
        self._fetched = False

    @property
    def raw(self) -> Any:
        """The driver cursor, or None while an ``aggregate`` cursor is not opened yet."""
        return self._raw

    def _errors(self) -> AbstractContextManager[Any]:
        # Only the first round trip (the find / aggregate itself) is traced: one span per
        # operation, not one per getMore.
        first, self._fetched = not self._fetched, True
        if not first:
            return map_driver_errors(self._alias, self._operation, self._namespace)
        return operation_scope(self._alias, self._operation, self._namespace, fetch=True)

    async def _cursor(self) -> Any:
        if self._raw is None and self._opener is not None:
            with self._errors():
                self._raw = await self._opener()
            self._opener = None
        return self._raw

    async def _fetch(self, length: int | None) -> list[RawDoc]:
        """*hook*: up to ``length`` documents (all when None); fewer means exhausted."""
        cursor = await self._cursor()
        result: list[RawDoc] = await cursor.to_list(length)
        return result

    async def _read(self, length: int | None) -> list[RawDoc]:
        if self._done:
            return []
        with self._errors():
            batch = await self._fetch(length)
        if length is None or len(batch) < length:
            self._done = True
        return batch

    def __aiter__(self) -> DriverCursor:
        return self

    async def __anext__(self) -> RawDoc:
        # One document at a time straight from the driver, so its round trips stay its own: a
        # loop that breaks early never makes the server send more than the driver would. Plain
        # try/except instead of ``map_driver_errors``: this runs per document, and a handler
        # that is not entered costs nothing.
        cursor = self._raw
        if cursor is None:
            if self._done:
                raise StopAsyncIteration
            cursor = await self._cursor()
        try:
            doc: RawDoc = await cursor.__anext__()
        except StopAsyncIteration:
            self._done = True
            raise
        except Exception as exc:
            if is_driver_error(exc):
                raise translate(exc, self._alias, self._operation, self._namespace) from exc
            raise
        return doc

    async def to_list(self, length: int | None = None) -> list[RawDoc]:
        """The next ``length`` documents (all remaining when None)."""
        if length is not None and length < 1:
            raise ValueError("to_list() length must be at least 1")
        return await self._read(length)

    async def batches(self, size: int | None = None) -> AsyncIterator[list[RawDoc]]:
        """Lists of up to ``size`` documents (default: the cursor's ``batch_size`` or 1000).

        The fast path for loading many documents: one driver call per list, no per-document
        await. It never asks the server for more than the driver would: a find with the
        server's default batching still costs the same round trips (pass ``batch_size`` to
        ``find`` to change those).
        """
        length = size if size and size > 0 else self._chunk
        while not self._done:
            batch = await self._read(length)
            if batch:
                yield batch

    async def close(self) -> None:
        """Release the server cursor; a never-opened cursor costs nothing."""
        self._done = True
        self._opener = None
        if self._raw is not None:
            with self._errors():
                await self._raw.close()

    async def __aenter__(self) -> DriverCursor:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
