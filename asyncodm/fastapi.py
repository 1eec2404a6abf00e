"""FastAPI integration: a lifespan that connects, error handlers, ``get_or_404`` (API.md §12).

Stage: integration, above the public API. What a FastAPI app needs besides the generated
pydantic models (``asyncodm.pydantic``): a connection for the app's lifetime, asyncodm errors
answered as HTTP errors in FastAPI's own shapes (so a client handles a 422 from a document's
validation like one from the request model), and a one-line fetch-or-404.

Needs the ``fastapi`` extra (``pip install 'asyncodm[fastapi]'``); ``import asyncodm`` never
imports FastAPI.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar, overload

try:
    from fastapi import FastAPI, HTTPException, Request
    from fastapi.responses import JSONResponse
    from starlette.types import Lifespan
except ImportError as exc:  # pragma: no cover - exercised by a subprocess test
    raise ImportError("asyncodm.fastapi needs FastAPI: pip install 'asyncodm[fastapi]'") from exc

import asyncodm
from asyncodm import QuerySet
from asyncodm._web import answer_for
from asyncodm.errors import (
    ConnectionFailure,
    DoesNotExist,
    FieldDoesNotExist,
    OperationError,
    ValidationError,
)

__all__ = ["get_or_404", "install_error_handlers", "lifespan"]

D = TypeVar("D")


def lifespan(
    uri: str | None = None,
    alias: str = "default",
    ensure_indexes: bool = False,
    *,
    app_lifespan: Lifespan[Any] | None = None,
    **connect_kwargs: Any,
) -> Callable[[Any], contextlib.AbstractAsyncContextManager[Any]]:
    """A FastAPI/Starlette lifespan: ``connect()`` on startup, ``disconnect()`` on shutdown.

    Args:
        uri: The connection URI (``mongodb://...``, ``mongomock://...``); or pass
            ``client=`` and ``db=`` in ``connect_kwargs`` to reuse an app's client.
        alias: The connection alias the models use.
        ensure_indexes: Create the indexes of the models bound to ``alias`` on startup
            (indexes are never created implicitly otherwise).
        app_lifespan: The app's own lifespan, run inside this one (connected while it runs);
            whatever state it yields is passed through. To compose the other way round,
            enter this one inside yours: ``async with odm(app): yield``.
        connect_kwargs: Passed to ``asyncodm.connect()`` (``driver="motor"``, ``client=`` ...).
    """

    @contextlib.asynccontextmanager
    async def run(app: Any) -> AsyncIterator[Any]:
        asyncodm.connect(uri, alias=alias, **connect_kwargs)
        try:
            if ensure_indexes:
                await asyncodm.ensure_indexes(alias=alias)
            if app_lifespan is None:
                yield None
            else:
                async with app_lifespan(app) as state:
                    yield state
        finally:
            await asyncodm.disconnect(alias)

    return run


async def _handle(request: Request, exc: Exception) -> JSONResponse:
    answer = answer_for(exc)
    if answer is None:
        raise exc  # not ours (an OperationError other than a DENY): the app's 500 handling
    return JSONResponse(answer.body, status_code=answer.status)


def install_error_handlers(app: FastAPI) -> None:
    """Answer asyncodm errors as HTTP errors: ``DoesNotExist`` 404, ``NotUniqueError`` 409
    naming the field (or index) and value, a delete refused by a DENY rule 409 naming the
    referring model, ``ValidationError`` 422 in FastAPI's ``{"detail": [{"loc", "msg",
    "type"}]}`` shape, ``ConnectionFailure`` 503 (see ``asyncodm._web`` for the bodies)."""
    for error in (
        DoesNotExist,
        OperationError,
        ValidationError,
        FieldDoesNotExist,
        ConnectionFailure,
    ):
        app.add_exception_handler(error, _handle)


@overload
async def get_or_404(model_or_queryset: type[D], **lookup: Any) -> D: ...
@overload
async def get_or_404(model_or_queryset: QuerySet, **lookup: Any) -> Any: ...


async def get_or_404(model_or_queryset: type[Any] | QuerySet, **lookup: Any) -> Any:
    """The one document matching ``lookup`` (``get_or_404(Post, id=pid)``), or an
    ``HTTPException(404)`` that names the model and the lookup; works without
    ``install_error_handlers``."""
    queryset: QuerySet = (
        model_or_queryset.objects.all()
        if isinstance(model_or_queryset, type)
        else model_or_queryset
    )
    try:
        return await queryset.get(**lookup)
    except DoesNotExist as exc:
        shown = ", ".join(f"{k}={v!s}" for k, v in lookup.items())
        detail = f"{queryset.model.__name__} not found" + (f" ({shown})" if shown else "")
        raise HTTPException(status_code=404, detail=detail) from exc
