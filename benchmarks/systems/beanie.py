"""Beanie (pydantic v2, PyMongo async) on the ``Post`` workloads.

Loads go through ``parse_obj``, the function Beanie's own ``find()`` uses; W3 through
``get_dict(to_db=True)``, what ``insert()`` sends. ``save()`` of a loaded document is Beanie's
upsert of the whole document (``$set`` of every field), as users call it.
"""

import datetime
from collections.abc import Sequence
from typing import Annotated, Any

from beanie import Document, PydanticObjectId, init_beanie
from beanie.odm.utils.dump import get_dict
from beanie.odm.utils.parsing import parse_obj
from pydantic import BaseModel, ConfigDict, Field
from pymongo import AsyncMongoClient

from benchmarks._data import PostData, read_doc
from benchmarks.systems._base import System
from benchmarks.systems._raw import CLIENT_OPTIONS

__all__ = ["SYSTEM"]


class Comment(BaseModel):
    author: Annotated[str, Field(max_length=50)]
    text: Annotated[str, Field(max_length=1000)]
    created: datetime.datetime


class Post(Document):
    title: Annotated[str, Field(max_length=200)]
    body: str
    author: PydanticObjectId
    tags: list[Annotated[str, Field(max_length=50)]]
    created: datetime.datetime
    views: Annotated[int, Field(ge=0)]
    rating: Annotated[float, Field(ge=0, le=5)]
    published: bool = False
    comments: list[Comment]
    extra: dict[str, Any]

    class Settings:
        name = "bench_post"


class RenamedPost(Document):
    """``Post`` with ``_data.RENAMED``'s stored names, as pydantic aliases (W2_renamed)."""

    model_config = ConfigDict(populate_by_name=True)

    title: Annotated[str, Field(max_length=200)]
    body: str
    author: PydanticObjectId = Field(alias="author_id")
    tags: list[Annotated[str, Field(max_length=50)]]
    created: datetime.datetime
    views: Annotated[int, Field(ge=0)]
    rating: Annotated[float, Field(ge=0, le=5)]
    published: bool = False
    comments: list[Comment]
    extra: dict[str, Any] = Field(alias="meta")

    class Settings:
        name = "bench_post_renamed"


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


class BeanieSystem(System):
    name = "beanie"
    notes = (
        "W4 bulk is Document.insert_many(); W6 save() sends every field ($set, upsert).",
        "W2_renamed: pydantic aliases (Field(alias=...)); W2_from_son: Post.model_validate(raw), "
        "the public pydantic API (W2 uses parse_obj, what find() uses).",
    )

    async def connect(self, uri: str, db: str) -> None:
        self.client: Any = AsyncMongoClient(uri, **CLIENT_OPTIONS)
        await init_beanie(database=self.client[db], document_models=[Post, RenamedPost])

    async def close(self) -> None:
        await self.client.close()

    async def reset(self) -> None:
        await Post.get_pymongo_collection().drop()

    def construct(self, posts: Sequence[PostData]) -> list[Any]:
        return [build(p) for p in posts]  # pydantic validates in the constructor

    def load(self, raws: Sequence[dict[str, Any]]) -> list[Any]:
        out = []
        for raw in raws:
            doc = parse_obj(Post, raw)
            read_doc(doc)
            out.append(doc)
        return out

    def load_renamed(self, raws: Sequence[dict[str, Any]]) -> list[Any]:
        out = []
        for raw in raws:
            doc = parse_obj(RenamedPost, raw)
            read_doc(doc)
            out.append(doc)
        return out

    def load_public(self, raws: Sequence[dict[str, Any]]) -> list[Any]:
        out = []
        validate = Post.model_validate
        for raw in raws:
            doc = validate(raw)
            read_doc(doc)
            out.append(doc)
        return out

    def to_mongo(self, docs: Sequence[Any]) -> list[Any]:
        return [get_dict(doc, to_db=True, keep_nulls=doc.get_settings().keep_nulls) for doc in docs]

    async def insert_each(self, posts: Sequence[PostData]) -> None:
        for p in posts:
            await build(p).insert()

    async def insert_bulk(self, posts: Sequence[PostData]) -> None:
        await Post.insert_many([build(p) for p in posts])

    async def find_all(self) -> list[Any]:
        return await Post.find_all().to_list()

    async def find_some(self, n: int) -> list[Any]:
        return await Post.find_all().limit(n).to_list()

    async def update_each(self, docs: Sequence[Any]) -> None:
        for doc in docs:
            doc.views += 1
            await doc.save()


SYSTEM = BeanieSystem
