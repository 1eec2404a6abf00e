"""What a GridFS upload reads from: bytes, str, file objects and async iterables, as pieces.

Stage: drivers. An upload must never hold the whole file: a 2 GB video would otherwise cost
2 GB of memory (twice, counting the BSON copies). ``iter_pieces`` therefore yields bounded
pieces, at most ``piece_size`` bytes each when it does the reading itself:

* ``bytes`` / ``bytearray`` / ``memoryview``: zero-copy ``memoryview`` slices;
* ``str``: encoded one slice at a time (UTF-8 unless told otherwise), never as a whole;
* a synchronous file object (anything with ``read``): each ``read`` runs in a worker thread
  (``asyncio.to_thread``), because a disk or socket read blocks and would stall every other
  task on the event loop; in-memory ``BytesIO``/``StringIO`` are read inline (they never block);
* an asynchronous file object (``read`` is a coroutine function: aiofiles, a GridOut...):
  awaited;
* an ``os.PathLike``: the file is opened (in a thread), streamed, and closed;
* an async iterable (an async generator, a web framework's request stream): its pieces, as they
  come;
* any other iterable of ``bytes``/``str`` (a generator): its pieces.

The writer (``_gridfs.GridIn``) cuts the pieces into GridFS chunks.
"""

from __future__ import annotations

import asyncio
import codecs
import inspect
import io
import os
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from typing import Any

__all__ = ["Piece", "is_source", "iter_pieces"]

Piece = bytes | bytearray | memoryview

_BINARY = (bytes, bytearray, memoryview)


def is_source(value: object) -> bool:
    """Whether ``value`` is something ``iter_pieces`` can upload."""
    return (
        isinstance(value, (*_BINARY, str, os.PathLike))
        or callable(getattr(value, "read", None))
        or hasattr(value, "__aiter__")
        or (isinstance(value, Iterable) and not isinstance(value, (dict, set, frozenset)))
    )


async def iter_pieces(
    source: Any, piece_size: int, *, encoding: str = "utf-8"
) -> AsyncIterator[Piece]:
    """Yield ``source``'s content as bounded pieces of bytes (see the module docstring).

    Raises:
        TypeError: ``source`` is none of the supported kinds, or yields something other than
            bytes or str.
    """
    if isinstance(source, _BINARY):
        view = memoryview(source).cast("B")
        for start in range(0, len(view), piece_size):
            yield view[start : start + piece_size]
        return
    if isinstance(source, str):
        encoder = codecs.getincrementalencoder(encoding)()
        for start in range(0, len(source), piece_size):
            yield encoder.encode(source[start : start + piece_size])
        tail = encoder.encode("", final=True)
        if tail:
            yield tail
        return
    if isinstance(source, os.PathLike):
        handle = await asyncio.to_thread(open, source, "rb")
        try:
            async for piece in _read_file(handle, piece_size, encoding):
                yield piece
        finally:
            await asyncio.to_thread(handle.close)
        return
    if callable(getattr(source, "read", None)):
        async for piece in _read_file(source, piece_size, encoding):
            yield piece
        return
    if hasattr(source, "__aiter__"):
        async for piece in _async_pieces(source, encoding):
            yield piece
        return
    if isinstance(source, Iterable) and not isinstance(source, (dict, set, frozenset)):
        encoder = codecs.getincrementalencoder(encoding)()
        for item in source:
            yield _as_piece(item, encoder)
        return
    raise TypeError(
        f"cannot upload a {type(source).__name__}: expected bytes, str, a file object, "
        "a path, or an (async) iterable of bytes"
    )


async def _read_file(handle: Any, piece_size: int, encoding: str) -> AsyncIterator[Piece]:
    read = handle.read
    encoder = codecs.getincrementalencoder(encoding)()
    if inspect.iscoroutinefunction(read):
        while True:
            data = await read(piece_size)
            if not data:
                return
            yield _as_piece(data, encoder)
    inline = isinstance(handle, (io.BytesIO, io.StringIO))
    while True:
        data = read(piece_size) if inline else await asyncio.to_thread(read, piece_size)
        if not data:
            tail = encoder.encode("", final=True)
            if tail:
                yield tail
            return
        yield _as_piece(data, encoder)


async def _async_pieces(source: AsyncIterable[Any], encoding: str) -> AsyncIterator[Piece]:
    encoder = codecs.getincrementalencoder(encoding)()
    async for item in source:
        yield _as_piece(item, encoder)


def _as_piece(item: Any, encoder: codecs.IncrementalEncoder) -> Piece:
    if isinstance(item, _BINARY):
        return item
    if isinstance(item, str):
        return encoder.encode(item)
    raise TypeError(f"an upload source yielded a {type(item).__name__}; expected bytes or str")
