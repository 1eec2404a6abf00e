"""``async with asyncodm.transaction():`` -- one MongoDB transaction, bound to the current task.

Stage: drivers. The session is started on the alias's client for the running loop and bound
with ``_context.bound_session``, so every adapter call for that alias inside the block (and in
tasks started inside it) runs in the transaction without passing ``session=``. The block
commits when it exits normally and aborts when it raises (or is cancelled).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from asyncodm import errors
from asyncodm._context import bound_session, current_session
from asyncodm.connection import get_client_adapter

__all__ = ["transaction"]


@asynccontextmanager
async def transaction(alias: str = "default", **options: Any) -> AsyncIterator[Any]:
    """Run the block in a transaction on connection ``alias``; yields the driver session.

    Args:
        alias: the connection to use.
        options: transaction options for the driver: ``read_concern``, ``write_concern``,
            ``read_preference``, ``max_commit_time_ms``.

    Raises:
        OperationError: the backend has no sessions (mongomock), a transaction for ``alias``
            is already open in this task (MongoDB has no nested transactions), or the server
            refused to start, commit or abort it.
    """
    client = get_client_adapter(alias)
    if not client.supports_sessions:
        raise errors.OperationError(
            f"transaction(alias={alias!r}): the {client.kind} backend has no sessions or "
            "transactions; use a MongoDB replica set (or a server that supports them)"
        )
    if current_session(alias) is not None:
        raise errors.OperationError(
            f"transaction(alias={alias!r}) is already open in this task; MongoDB transactions "
            "do not nest, so run the inner code in the outer transaction"
        )
    session = await client.start_session()
    try:
        await client.start_transaction(session, **options)
        with bound_session(alias, session):
            try:
                yield session
            except BaseException as exc:
                try:
                    await client.abort_transaction(session)
                except errors.ODMError as abort_error:  # keep the error that caused the abort
                    if sys.version_info >= (3, 11):
                        exc.add_note(
                            f"asyncodm: aborting the transaction failed too: {abort_error}"
                        )
                raise
        await client.commit_transaction(session)
    finally:
        await client.end_session(session)
