"""The raw drivers on the ODM benchmark spec tasks: dicts in, dicts out, ``$set`` updates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient
from pymongo import AsyncMongoClient

from benchmarks.spec_systems._base import UPDATED_PATH, SpecSystem
from benchmarks.systems._raw import CLIENT_OPTIONS

__all__ = ["Motor", "PyMongo"]


class _Raw(SpecSystem):
    def make_client(self, uri: str) -> Any:
        raise NotImplementedError

    async def connect(self, uri: str, db: str) -> None:
        self.client = self.make_client(uri)
        self.db = self.client[db]

    async def close(self) -> None:
        closed = self.client.close()
        if closed is not None:
            await closed

    def collection(self, kind: str) -> Any:
        return self.db[f"spec_{kind}"]

    async def drop(self, kind: str) -> None:
        await self.db[f"spec_{kind}"].drop()

    async def drop_database(self) -> None:
        await self.client.drop_database(self.db.name)

    async def create_each(self, kind: str, docs: Sequence[dict[str, Any]]) -> None:
        insert_one = self.db[f"spec_{kind}"].insert_one
        for doc in docs:
            await insert_one(dict(doc))

    async def insert_all(self, kind: str, docs: Sequence[dict[str, Any]]) -> None:
        await self.db[f"spec_{kind}"].insert_many([dict(doc) for doc in docs])

    async def load_all(self, kind: str) -> list[Any]:
        docs: list[Any] = await self.db[f"spec_{kind}"].find({}).to_list(None)
        return docs

    async def update_each(self, kind: str, objs: Sequence[Any], value: str) -> None:
        update_one = self.db[f"spec_{kind}"].update_one
        path = UPDATED_PATH[kind]
        for obj in objs:
            await update_one({"_id": obj["_id"]}, {"$set": {path: value}})

    async def find_each(self, kind: str, key: str, values: Sequence[Any]) -> int:
        find = self.db[f"spec_{kind}"].find
        found = 0
        for value in values:
            found += len(await find({key: value}).to_list(None))
        return found


class PyMongo(_Raw):
    def make_client(self, uri: str) -> Any:
        return AsyncMongoClient(uri, **CLIENT_OPTIONS)


class Motor(_Raw):
    def make_client(self, uri: str) -> Any:
        return AsyncIOMotorClient(uri, **CLIENT_OPTIONS)
