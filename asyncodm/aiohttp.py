"""aiohttp integration: connect for the app's lifetime, answer asyncodm errors as JSON.

Stage: integration, above the public API. ``setup(app, uri)`` adds a ``cleanup_ctx`` that
connects on startup and disconnects on cleanup, and a middleware that answers asyncodm errors
with the same statuses and bodies as the FastAPI handlers (``asyncodm._web``): 404, 409, 422
in FastAPI's ``detail`` shape, 503, so one client serves both kinds of backend.

Needs the ``aiohttp`` extra (``pip install 'asyncodm[aiohttp]'``); ``import asyncodm`` never
imports aiohttp.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId

try:
    from aiohttp import web
    from aiohttp.typedefs import Handler
except ImportError as exc:  # pragma: no cover - exercised by a subprocess test
    raise ImportError("asyncodm.aiohttp needs aiohttp: pip install 'asyncodm[aiohttp]'") from exc

import asyncodm
from asyncodm._web import answer_for, jsonable
from asyncodm.errors import ODMError

__all__ = ["error_middleware", "json_response", "object_id", "setup"]


def setup(
    app: web.Application,
    uri: str | None = None,
    *,
    alias: str = "default",
    ensure_indexes: bool = False,
    **connect_kwargs: Any,
) -> None:
    """Connect ``alias`` while ``app`` runs and answer asyncodm errors as JSON.

    Args:
        app: The application (before it starts: its middlewares freeze then).
        uri: The connection URI; or ``client=`` and ``db=`` in ``connect_kwargs``.
        alias: The connection alias the models use.
        ensure_indexes: Create the indexes of the models bound to ``alias`` on startup.
        connect_kwargs: Passed to ``asyncodm.connect()``.
    """

    async def connection(app: web.Application) -> AsyncIterator[None]:
        asyncodm.connect(uri, alias=alias, **connect_kwargs)
        try:
            if ensure_indexes:
                await asyncodm.ensure_indexes(alias=alias)
            yield
        finally:
            await asyncodm.disconnect(alias)

    app.cleanup_ctx.append(connection)
    app.middlewares.append(error_middleware)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer asyncodm errors as JSON (404 / 409 / 422 / 503); others pass unchanged."""
    try:
        response = await handler(request)
    except ODMError as exc:
        answer = answer_for(exc)
        if answer is None:
            raise
        return web.json_response(answer.body, status=answer.status)
    return response


def object_id(request: web.Request, name: str) -> ObjectId:
    """Path parameter ``name`` as an ``ObjectId``; a malformed one is a 422 naming the
    parameter, in FastAPI's shape (``loc: ["path", name]``), before the database is asked."""
    raw = request.match_info[name]
    try:
        return ObjectId(raw)
    except (InvalidId, TypeError):
        detail = [
            {
                "loc": ["path", name],
                "msg": "expected a 24-hex ObjectId",
                "type": "value_error",
                "input": raw,
            }
        ]
        raise web.HTTPUnprocessableEntity(
            text=web.json_response({"detail": detail}).text, content_type="application/json"
        ) from None


def json_response(value: Any, *, status: int = 200) -> web.Response:
    """A JSON response for documents (or lists and dicts of them): the pk as ``id``,
    references as their ids, ObjectIds and decimals as strings, datetimes in ISO 8601."""
    return web.json_response(jsonable(value), status=status)
