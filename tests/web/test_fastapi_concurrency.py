"""100 concurrent requests against the FastAPI example lose nothing, on every backend.

The example's counters and comments are single atomic updates ($inc, $push), and each create
is one insert, so requests running at once on one event loop cannot overwrite each other.
Every count is checked in the raw stored documents.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from bson import ObjectId

from tests._backends import Backend
from tests.web.test_fastapi_blog import PUSH_STRINGIFIES, post, user

pytestmark = pytest.mark.needs("core_crud")


async def test_100_concurrent_creates_and_increments(
    api: httpx.AsyncClient, backend: Backend
) -> None:
    pid = (await post(api, await user(api)))["id"]
    creates = [
        api.post("/users", json={"email": f"u{i}@example.com", "name": f"U{i}"}) for i in range(50)
    ]
    views = [api.post(f"/posts/{pid}/views") for _ in range(50)]
    responses = await asyncio.gather(*creates, *views)
    assert [r.status_code for r in responses] == [201] * 50 + [200] * 50
    emails = {d["email"] async for d in backend.db["user"].find({})}
    assert emails == {"ann@example.com"} | {f"u{i}@example.com" for i in range(50)}
    stored = await backend.db["post"].find_one({"_id": ObjectId(pid)})
    assert stored is not None and stored["views"] == 50


@PUSH_STRINGIFIES
async def test_100_concurrent_comments(api: httpx.AsyncClient, backend: Backend) -> None:
    pid = (await post(api, await user(api)))["id"]
    responses = await asyncio.gather(
        *(
            api.post(f"/posts/{pid}/comments", json={"author": f"a{i}", "content": f"c{i}"})
            for i in range(100)
        )
    )
    assert {r.status_code for r in responses} == {201}
    stored = await backend.db["post"].find_one({"_id": ObjectId(pid)})
    assert stored is not None
    assert sorted(c["content"] for c in stored["comments"]) == sorted(f"c{i}" for i in range(100))
