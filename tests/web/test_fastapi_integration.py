"""``asyncodm.fastapi``: the lifespan, the error handlers and ``get_or_404``, on small apps.

The error mapping is exercised with each error raised for real where a backend can do it (a
missing document, an unreachable server) and raised directly where it cannot (a stale version).
"""

from __future__ import annotations

import contextlib
import gc
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, HTTPException

import asyncodm
from asyncodm import Document, StringField
from asyncodm.errors import ConcurrencyError, OperationError, ValidationError
from asyncodm.fastapi import get_or_404, install_error_handlers, lifespan
from tests._backends import Backend


@contextlib.asynccontextmanager
async def client_for(app: FastAPI, **kwargs: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, **kwargs)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield client


async def test_lifespan_connects_and_disconnects() -> None:
    app = FastAPI(lifespan=lifespan("mongomock://localhost/web_lifespan", alias="web_lc"))
    async with app.router.lifespan_context(app):
        assert asyncodm.get_db("web_lc").name == "web_lifespan"
    with pytest.raises(asyncodm.ConfigurationError):
        asyncodm.get_db("web_lc")


async def test_lifespan_composes_with_the_apps_own() -> None:
    events: list[str] = []

    @contextlib.asynccontextmanager
    async def own(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        events.append(f"start {asyncodm.get_db('web_own').name}")  # already connected
        yield {"answer": 42}
        events.append("stop")

    app = FastAPI(
        lifespan=lifespan("mongomock://localhost/web_own", alias="web_own", app_lifespan=own)
    )
    async with app.router.lifespan_context(app) as state:
        assert state == {"answer": 42}  # the app's state passes through
        assert asyncodm.get_db("web_own").name == "web_own"
    assert events == ["start web_own", "stop"]

    # the other way round: the ODM's lifespan entered inside the app's own
    odm = lifespan("mongomock://localhost/web_inner", alias="web_inner")

    @contextlib.asynccontextmanager
    async def outer(app: FastAPI) -> AsyncIterator[None]:
        async with odm(app):
            events.append(asyncodm.get_db("web_inner").name)
            yield

    app2 = FastAPI(lifespan=outer)
    async with app2.router.lifespan_context(app2):
        pass
    assert events[-1] == "web_inner"


@pytest.mark.needs("index_unique")
async def test_lifespan_ensures_the_indexes_of_its_alias(
    backend: Backend, own_registry: None
) -> None:
    class WebIndexed(Document):
        code = StringField(unique=True)
        meta = {"db_alias": "web_idx"}

    app = FastAPI(
        lifespan=lifespan(
            alias="web_idx", ensure_indexes=True, client=backend.client, db=backend.db_name
        )
    )
    async with app.router.lifespan_context(app):
        await WebIndexed(code="a").save()
        with pytest.raises(asyncodm.NotUniqueError):
            await WebIndexed(code="a").save()
    assert await backend.db["web_indexed"].count_documents({}) == 1


# PyMongo 4.20 leaks the socket of a monitor connection attempt that close() cancels (see
# tests/test_drivers.py); gc.collect() at the end pins any such ResourceWarning on this test.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_unreachable_server_is_503() -> None:
    class WebUnreachable(Document):
        meta = {"db_alias": "web_down"}

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    uri = f"mongodb://127.0.0.1:{port}/web?serverSelectionTimeoutMS=200"
    app = FastAPI(lifespan=lifespan(uri, alias="web_down"))
    install_error_handlers(app)

    @app.get("/thing")
    async def thing() -> Any:
        return (await WebUnreachable.objects.first()) is None

    try:
        async with client_for(app) as client:
            r = await client.get("/thing")
    finally:
        gc.collect()
    assert r.status_code == 503
    assert r.json() == {"detail": "database unavailable (connection 'web_down')"}


async def test_error_shapes_without_a_database() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/stale")
    async def stale() -> Any:
        raise ConcurrencyError("the document changed under us")

    @app.get("/invalid")
    async def invalid() -> Any:
        raise ValidationError(errors={"items.0.name": "expected a string", "__all__": "bad"})

    @app.get("/clean")
    async def clean() -> Any:
        raise ValidationError("nothing fits")

    @app.get("/refused")
    async def refused() -> Any:
        raise OperationError("the server said no")

    async with client_for(app, raise_app_exceptions=False) as client:
        r = await client.get("/stale")
        assert r.status_code == 409 and r.json() == {"detail": "the document changed under us"}
        r = await client.get("/invalid")
        assert r.status_code == 422
        assert r.json()["detail"] == [
            {
                "loc": ["body", "items", 0, "name"],
                "msg": "expected a string",
                "type": "value_error",
            },
            {"loc": ["body", "__all__"], "msg": "bad", "type": "value_error"},
        ]
        r = await client.get("/clean")
        assert r.json()["detail"] == [
            {"loc": ["body"], "msg": "nothing fits", "type": "value_error"}
        ]
        # an OperationError that is not a DENY is not ours to answer: the app's 500
        assert (await client.get("/refused")).status_code == 500


async def test_get_or_404(backend: Backend, own_registry: None) -> None:
    class WebThing(Document):
        name = StringField()

    thing = await WebThing(name="a").save()
    assert await get_or_404(WebThing, id=thing.pk) == thing
    assert await get_or_404(WebThing.objects(name="a"), id=thing.pk) == thing
    with pytest.raises(HTTPException) as caught:
        await get_or_404(WebThing.objects(name="b"), id=thing.pk)
    assert caught.value.status_code == 404
    assert caught.value.detail == f"WebThing not found (id={thing.pk})"
