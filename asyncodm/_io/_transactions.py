"""``asyncodm.transaction()`` and ``asyncodm.run_in_transaction()``: one MongoDB transaction,
bound to the current task.

Stage: I/O. The session is started on the alias's client for the running loop and bound with
``_context.bound_session``, so every adapter call for that alias inside the block (and in tasks
started inside it) runs in the transaction without passing ``session=``. ``transaction()``
commits when its block exits normally and aborts when it raises (or is cancelled), once.
``run_in_transaction()`` adds the retries of PyMongo's ``ClientSession.with_transaction`` (see
there): the error labels it reads are the driver's, reached through the seam
(``_drivers.has_error_label``), whether the error is the driver's own or an asyncodm error
translated from it.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Final, TypeVar

from asyncodm import errors
from asyncodm._context import bound_session, current_session
from asyncodm._drivers import BaseClient, driver_error_code, has_error_label
from asyncodm.connection import get_client_adapter

__all__ = ["run_in_transaction", "transaction"]

T = TypeVar("T")

#: The labels MongoDB puts on errors a transaction can be retried after.
TRANSIENT: Final = "TransientTransactionError"
UNKNOWN_COMMIT: Final = "UnknownTransactionCommitResult"

#: PyMongo's ``with_transaction`` limits (``client_session_shared``): stop retrying after 120 s,
#: and wait ``jitter * min(5 ms * 1.5**retry, 500 ms)`` before each rerun of the function.
RETRY_TIME_LIMIT: Final = 120.0
BACKOFF_INITIAL: Final = 0.005
BACKOFF_MAX: Final = 0.5
#: ``MaxTimeMSExpired``: a commit that ran out of ``max_commit_time_ms`` is not retried.
MAX_TIME_MS_EXPIRED: Final = 50

# Module attributes, so tests can drive the clock, the jitter and the waits.
_monotonic = time.monotonic
_jitter = random.random
_sleep = asyncio.sleep


async def _started_session(alias: str) -> tuple[BaseClient, Any]:
    """The alias's client adapter and a new session on it, after the checks both APIs share."""
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
    return client, await client.start_session()


async def _abort(client: BaseClient, session: Any, cause: BaseException) -> None:
    """Abort after ``cause``; an abort that fails too is noted on ``cause``, never raised."""
    try:
        await client.abort_transaction(session)
    except errors.ODMError as abort_error:  # keep the error that caused the abort
        if sys.version_info >= (3, 11):
            cause.add_note(f"asyncodm: aborting the transaction failed too: {abort_error}")


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
    client, session = await _started_session(alias)
    try:
        await client.start_transaction(session, **options)
        with bound_session(alias, session):
            try:
                yield session
            except BaseException as exc:
                await _abort(client, session, exc)
                raise
        await client.commit_transaction(session)
    finally:
        await client.end_session(session)


def _within_time_limit(start: float, backoff: float = 0.0) -> bool:
    """PyMongo's ``_within_time_limit``: is there time left to retry (after ``backoff``)?"""
    return _monotonic() + backoff - start < RETRY_TIME_LIMIT


def _gave_up(exc: BaseException) -> BaseException:
    """``exc``, noted as the last error before the time limit stopped the retries."""
    if sys.version_info >= (3, 11):
        exc.add_note(
            f"asyncodm: run_in_transaction stopped retrying after {RETRY_TIME_LIMIT:.0f} s"
        )
    return exc


async def run_in_transaction(
    fn: Callable[..., Awaitable[T]],
    /,
    *args: Any,
    alias: str = "default",
    read_concern: Any = None,
    write_concern: Any = None,
    read_preference: Any = None,
    max_commit_time_ms: int | None = None,
    **kwargs: Any,
) -> T:
    """``await fn(*args, **kwargs)`` in a transaction, retried as ``with_transaction`` retries.

    What PyMongo's ``ClientSession.with_transaction`` does, step for step, with ``fn``'s ODM
    calls bound to the transaction as inside ``transaction()``:

    * an error from ``fn`` aborts the transaction; if it carries the
      ``TransientTransactionError`` label (a write conflict, a primary stepping down), ``fn``
      runs again in a new transaction, after a short jittered backoff;
    * a commit error labelled ``UnknownTransactionCommitResult`` (the commit may or may not
      have applied) retries the commit, unless it ran out of ``max_commit_time_ms``; one
      labelled ``TransientTransactionError`` reruns ``fn``;
    * after 120 s in all, the last error is raised (with a note saying so) where PyMongo
      would wrap it in a ``NetworkTimeout``: re-raised, it keeps its asyncodm class and the
      driver's error as ``__cause__``. Any other error propagates at once.

    ``fn`` may run more than once: keep side effects outside the database idempotent. The
    server still commits at most once.

    Args:
        fn: the coroutine function to run; its result is returned.
        *args: passed to ``fn``.
        alias: the connection to use.
        read_concern: the transaction's read concern (driver default when None).
        write_concern: the transaction's write concern (driver default when None).
        read_preference: the transaction's read preference (driver default when None).
        max_commit_time_ms: the server's time limit for each commit attempt.
        **kwargs: passed to ``fn``.

    Raises:
        OperationError: as for ``transaction()``, and whatever ``fn`` raises.
    """
    options = {
        key: value
        for key, value in (
            ("read_concern", read_concern),
            ("write_concern", write_concern),
            ("read_preference", read_preference),
            ("max_commit_time_ms", max_commit_time_ms),
        )
        if value is not None
    }
    client, session = await _started_session(alias)
    try:
        start = _monotonic()
        retry = 0
        last_error: BaseException | None = None
        while True:
            if retry:  # back off exponentially, with jitter, before rerunning fn
                backoff = _jitter() * min(BACKOFF_INITIAL * (1.5**retry), BACKOFF_MAX)
                if not _within_time_limit(start, backoff):
                    assert last_error is not None
                    raise _gave_up(last_error)
                await _sleep(backoff)
            retry += 1
            await client.start_transaction(session, **options)
            try:
                with bound_session(alias, session):
                    result = await fn(*args, **kwargs)
            except BaseException as exc:  # cancellation too: the transaction must not linger
                last_error = exc
                await _abort(client, session, exc)
                if has_error_label(exc, TRANSIENT):
                    if _within_time_limit(start):
                        continue  # rerun fn in a new transaction
                    _gave_up(exc)
                raise
            while True:
                try:
                    await client.commit_transaction(session)
                except errors.ODMError as exc:
                    last_error = exc
                    if (
                        has_error_label(exc, UNKNOWN_COMMIT)
                        and driver_error_code(exc) != MAX_TIME_MS_EXPIRED
                    ):
                        if not _within_time_limit(start):
                            _gave_up(exc)
                            raise
                        continue  # retry the commit
                    if has_error_label(exc, TRANSIENT):
                        if not _within_time_limit(start):
                            _gave_up(exc)
                            raise
                        break  # rerun fn in a new transaction
                    raise
                return result
    finally:
        await client.end_session(session)
