"""asyncodm on the ``Post`` workloads, written as an application would use it.

Shared by ``asyncodm_pymongo`` and ``asyncodm_motor``, which only choose the driver. Where the
QuerySet API a workload needs (``to_list()``, ``bulk_create()``) is not there yet, the adapter
takes the path that API is built on (``collection_for`` + ``_from_son`` / ``to_mongo``) and says
so in the results, so the numbers stay honest about what they measured.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from bson import ObjectId

import asyncodm
from asyncodm import (
    BooleanField,
    DateTimeField,
    DictField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    FloatField,
    IntField,
    ListField,
    ObjectIdField,
    StringField,
)
from asyncodm._io._collection import collection_for
from benchmarks._data import PostData, read_doc
from benchmarks.systems._base import System

__all__ = ["AsyncodmSystem", "Comment", "Post", "RenamedPost"]


class Comment(EmbeddedDocument):
    author = StringField(required=True, max_length=50)
    text = StringField(required=True, max_length=1000)
    created = DateTimeField(required=True)


class Post(Document):
    title = StringField(required=True, max_length=200)
    body = StringField(required=True)
    author = ObjectIdField(required=True)
    tags = ListField(StringField(max_length=50))
    created = DateTimeField(required=True)
    views = IntField(min_value=0)
    rating = FloatField(min_value=0, max_value=5)
    published = BooleanField(default=False)
    comments = ListField(EmbeddedDocumentField(Comment))
    extra = DictField()
    meta = {"collection": "bench_post"}


class RenamedPost(Document):
    """``Post`` stored with ``_data.RENAMED``'s names: ``author`` as ``author_id`` and ``extra``
    as ``meta``, the name of every Document's ``meta`` options (W2_renamed)."""

    title = StringField(required=True, max_length=200)
    body = StringField(required=True)
    author = ObjectIdField(required=True, db_field="author_id")
    tags = ListField(StringField(max_length=50))
    created = DateTimeField(required=True)
    views = IntField(min_value=0)
    rating = FloatField(min_value=0, max_value=5)
    published = BooleanField(default=False)
    comments = ListField(EmbeddedDocumentField(Comment))
    extra = DictField(db_field="meta")
    meta = {"collection": "bench_post_renamed"}


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


class AsyncodmSystem(System):
    driver: ClassVar[str]

    async def connect(self, uri: str, db: str) -> None:
        asyncodm.connect(uri, db=db, driver=self.driver)
        self._has_to_list = callable(getattr(Post.objects(), "to_list", None))
        self._has_bulk = callable(getattr(Post.objects, "bulk_create", None))
        if not self._has_to_list:
            self.runtime_notes.append(
                "QuerySet.to_list() is not available yet: W5/W6 loads use the path it is built "
                "on (collection_for(Post).find() + Post._from_son)"
            )
        if not self._has_bulk:
            self.runtime_notes.append(
                "Manager.bulk_create() is not available yet: W4 bulk validates, calls to_mongo() "
                "and insert_many() through collection_for(Post), as bulk_create will"
            )

    async def close(self) -> None:
        await asyncodm.disconnect_all()

    async def reset(self) -> None:
        await Post.drop_collection()

    def construct(self, posts: Sequence[PostData]) -> list[Any]:
        out = []
        for p in posts:
            doc = build(p)
            doc.validate()
            out.append(doc)
        return out

    def load(self, raws: Sequence[dict[str, Any]]) -> list[Any]:
        out = []
        from_son = Post._from_son
        for raw in raws:
            doc = from_son(raw)
            read_doc(doc)
            out.append(doc)
        return out

    def load_renamed(self, raws: Sequence[dict[str, Any]]) -> list[Any]:
        out = []
        from_son = RenamedPost._from_son
        for raw in raws:
            doc = from_son(raw)
            read_doc(doc)
            out.append(doc)
        return out

    def load_untouched(self, raws: Sequence[dict[str, Any]]) -> list[Any]:
        from_son = Post._from_son
        return [from_son(raw) for raw in raws]

    def load_public(self, raws: Sequence[dict[str, Any]]) -> list[Any]:
        out = []
        from_son = Post.from_son  # public: adopts the raw dict, as the query path does
        for raw in raws:
            doc = from_son(raw)
            read_doc(doc)
            out.append(doc)
        return out

    def to_mongo(self, docs: Sequence[Any]) -> list[Any]:
        return [doc.to_mongo() for doc in docs]

    async def insert_each(self, posts: Sequence[PostData]) -> None:
        for p in posts:
            await build(p).save()

    async def insert_bulk(self, posts: Sequence[PostData]) -> None:
        docs = [build(p) for p in posts]
        if self._has_bulk:
            await Post.objects.bulk_create(docs)
            return
        sons = []
        for doc in docs:
            doc.validate()
            sons.append({"_id": ObjectId(), **doc.to_mongo()})
        await collection_for(Post).insert_many(sons)
        for doc, son in zip(docs, sons, strict=True):
            doc._son = son

    async def find_all(self) -> list[Any]:
        if self._has_to_list:
            return await Post.objects().to_list()
        raws = await collection_for(Post).find({}).to_list()
        return [Post._from_son(raw) for raw in raws]

    async def find_some(self, n: int) -> list[Any]:
        if self._has_to_list:
            return await Post.objects().limit(n).to_list()
        raws = await collection_for(Post).find({}, limit=n).to_list()
        return [Post._from_son(raw) for raw in raws]

    async def update_each(self, docs: Sequence[Any]) -> None:
        for doc in docs:
            doc.views += 1
            await doc.save()
