"""The aiohttp example (``examples/aiohttp_app.py``) through aiohttp's test client, on every
backend: ``asyncodm.aiohttp.setup`` connects for the app's lifetime and answers asyncodm errors
with the FastAPI handlers' statuses and bodies. Writes are checked in the raw documents.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from bson import ObjectId

from tests._backends import Backend

pytestmark = pytest.mark.needs("core_crud")

Client = TestClient[Any, Any]


async def make_user(aio: Client, email: str = "ann@example.com") -> str:
    r = await aio.post("/users", json={"email": email, "name": "Ann"})
    assert r.status == 201, await r.text()
    uid: str = (await r.json())["id"]
    return uid


async def test_create_read_delete(aio: Client, backend: Backend) -> None:
    uid = await make_user(aio)
    [stored] = [d async for d in backend.db["user"].find({})]
    assert stored == {"_id": ObjectId(uid), "email": "ann@example.com", "name": "Ann"}
    r = await aio.get(f"/users/{uid}")
    assert r.status == 200
    assert await r.json() == {"id": uid, "email": "ann@example.com", "name": "Ann"}
    r = await aio.post("/posts", json={"title": "Hi", "author": uid, "tags": ["x"]})
    assert r.status == 201
    body = await r.json()
    assert body["author"] == uid and body["tags"] == ["x"]
    [raw_post] = [d async for d in backend.db["post"].find({})]
    assert raw_post["author"] == ObjectId(uid)
    r = await aio.delete(f"/users/{uid}")
    assert r.status == 204
    assert [d async for d in backend.db["user"].find({})] == []
    assert [d async for d in backend.db["post"].find({})] == []  # CASCADE


async def test_unknown_and_malformed_ids(aio: Client) -> None:
    r = await aio.get(f"/users/{ObjectId()}")
    assert r.status == 404 and "detail" in await r.json()
    r = await aio.get("/users/nope")
    assert r.status == 422
    [error] = (await r.json())["detail"]
    assert error["loc"] == ["path", "uid"]


async def test_validation_errors_are_422_at_the_dotted_path(aio: Client, backend: Backend) -> None:
    uid = await make_user(aio)
    r = await aio.post(
        "/posts",
        json={
            "title": "T" * 201,
            "author": uid,
            "comments": [
                {"author": "a", "content": "ok"},
                {"author": "b", "content": "x", "email": "bad"},
            ],
        },
    )
    assert r.status == 422
    locs = {tuple(e["loc"]) for e in (await r.json())["detail"]}
    assert locs == {("body", "title"), ("body", "comments", 1, "email")}
    assert [d async for d in backend.db["post"].find({})] == []


async def test_unknown_body_field_is_422(aio: Client, backend: Backend) -> None:
    r = await aio.post("/users", json={"email": "a@example.com", "name": "A", "nmae": 1})
    assert r.status == 422
    [error] = (await r.json())["detail"]
    assert error["loc"] == ["body", "nmae"] and error["type"] == "extra_forbidden"
    assert [d async for d in backend.db["user"].find({})] == []


@pytest.mark.needs("index_unique")
async def test_duplicate_is_409(aio: Client, backend: Backend) -> None:
    await make_user(aio)
    r = await aio.post("/users", json={"email": "ann@example.com", "name": "Other"})
    assert r.status == 409
    assert "detail" in await r.json()
    assert [d["name"] async for d in backend.db["user"].find({})] == ["Ann"]
