"""The raw driver on the ``Post`` workloads: the end-to-end baseline every ODM is divided by.

Documents are plain dicts built by ``plain_post`` (the W1 baseline), inserted with
``insert_one`` / ``insert_many``, read with ``find().to_list()`` and updated with a ``$set`` of
the one changed field: the least work any ODM could do for the same result. The client uses the
codec options asyncodm's ``connect()`` gives its own clients, so both decode the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from benchmarks._data import PostData, plain_post
from benchmarks.systems._base import System

__all__ = ["RawSystem"]

CLIENT_OPTIONS: dict[str, Any] = {"uuidRepresentation": "standard", "tz_aware": False}


class RawSystem(System):
    has_cpu_workloads = False

    def make_client(self, uri: str) -> Any:
        raise NotImplementedError

    async def connect(self, uri: str, db: str) -> None:
        self.client = self.make_client(uri)
        self.coll = self.client[db]["bench_post"]

    async def close(self) -> None:
        closed = self.client.close()
        if closed is not None:  # PyMongo async returns a coroutine, Motor closes at once
            await closed

    async def reset(self) -> None:
        await self.coll.drop()

    async def insert_each(self, posts: Sequence[PostData]) -> None:
        insert_one = self.coll.insert_one
        for p in posts:
            await insert_one(plain_post(p))

    async def insert_bulk(self, posts: Sequence[PostData]) -> None:
        await self.coll.insert_many([plain_post(p) for p in posts])

    async def find_all(self) -> list[Any]:
        docs: list[Any] = await self.coll.find({}).to_list(None)
        return docs

    async def find_some(self, n: int) -> list[Any]:
        docs: list[Any] = await self.coll.find({}).limit(n).to_list(None)
        return docs

    async def update_each(self, docs: Sequence[Any]) -> None:
        update_one = self.coll.update_one
        for doc in docs:
            doc["views"] += 1
            await update_one({"_id": doc["_id"]}, {"$set": {"views": doc["views"]}})
