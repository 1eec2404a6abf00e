"""ODMantic (pydantic v2, Motor) on the ``Post`` workloads.

Loads go through ``Model.model_validate_doc`` (what ``engine.find`` uses), W3 through
``model_dump_doc``. ODMantic has no bulk insert: ``engine.save_all`` upserts one document at a
time, and that is what W4 bulk measures for it.
"""

import datetime
from collections.abc import Sequence
from typing import Annotated, Any

from motor.motor_asyncio import AsyncIOMotorClient
from odmantic import AIOEngine, EmbeddedModel, Field, Model, ObjectId
from pydantic import StringConstraints

from benchmarks._data import PostData, read_doc
from benchmarks.systems._base import System
from benchmarks.systems._raw import CLIENT_OPTIONS

__all__ = ["SYSTEM"]


class Comment(EmbeddedModel):
    author: str = Field(max_length=50)
    text: str = Field(max_length=1000)
    created: datetime.datetime


class Post(Model):
    title: str = Field(max_length=200)
    body: str
    author: ObjectId
    tags: list[Annotated[str, StringConstraints(max_length=50)]]
    created: datetime.datetime
    views: int = Field(ge=0)
    rating: float = Field(ge=0, le=5)
    published: bool = False
    comments: list[Comment]
    extra: dict[str, Any]

    model_config = {"collection": "bench_post"}


class RenamedPost(Model):
    """``Post`` with ``_data.RENAMED``'s stored names, as ODMantic key names (W2_renamed)."""

    title: str = Field(max_length=200)
    body: str
    author: ObjectId = Field(key_name="author_id")
    tags: list[Annotated[str, StringConstraints(max_length=50)]]
    created: datetime.datetime
    views: int = Field(ge=0)
    rating: float = Field(ge=0, le=5)
    published: bool = False
    comments: list[Comment]
    extra: dict[str, Any] = Field(key_name="meta")

    model_config = {"collection": "bench_post_renamed"}


def build(p: PostData) -> Post:
    return Post(
        title=p["title"],
        body=p["body"],
        author=p["author"],
        tags=p["tags"],
        created=p["created"],
        views=p["views"],
        rating=p["rating"],
        published=p["published"],
        comments=[
            Comment(author=c["author"], text=c["text"], created=c["created"]) for c in p["comments"]
        ],
        extra=p["extra"],
    )


class OdmanticSystem(System):
    name = "odmantic"
    notes = (
        "No bulk insert exists; W4 bulk is engine.save_all() (one upsert per "
        "document); its W4-W6 ratios are against raw Motor, its driver.",
        "W2_renamed: Field(key_name=...); W2_from_son: model_validate_doc, the same public "
        "call as W2 (ODMantic's query path has no internal loader of its own).",
    )

    async def connect(self, uri: str, db: str) -> None:
        self.client: Any = AsyncIOMotorClient(uri, **CLIENT_OPTIONS)
        self.engine = AIOEngine(client=self.client, database=db)

    async def close(self) -> None:
        self.client.close()

    async def reset(self) -> None:
        await self.engine.get_collection(Post).drop()

    def construct(self, posts: Sequence[PostData]) -> list[Any]:
        return [build(p) for p in posts]  # pydantic validates in the constructor

    def load(self, raws: Sequence[dict[str, Any]]) -> list[Any]:
        out = []
        validate_doc = Post.model_validate_doc
        for raw in raws:
            doc = validate_doc(raw)
            read_doc(doc)
            out.append(doc)
        return out

    def load_renamed(self, raws: Sequence[dict[str, Any]]) -> list[Any]:
        out = []
        validate_doc = RenamedPost.model_validate_doc
        for raw in raws:
            doc = validate_doc(raw)
            read_doc(doc)
            out.append(doc)
        return out

    def load_public(self, raws: Sequence[dict[str, Any]]) -> list[Any]:
        return self.load(raws)

    def to_mongo(self, docs: Sequence[Any]) -> list[Any]:
        return [doc.model_dump_doc() for doc in docs]

    async def insert_each(self, posts: Sequence[PostData]) -> None:
        for p in posts:
            await self.engine.save(build(p))

    async def insert_bulk(self, posts: Sequence[PostData]) -> None:
        await self.engine.save_all([build(p) for p in posts])

    async def find_all(self) -> list[Any]:
        return await self.engine.find(Post)

    async def find_some(self, n: int) -> list[Any]:
        return await self.engine.find(Post, limit=n)

    async def update_each(self, docs: Sequence[Any]) -> None:
        for doc in docs:
            doc.views += 1
            await self.engine.save(doc)


SYSTEM = OdmanticSystem
