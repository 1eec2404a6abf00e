"""MongoEngine (synchronous PyMongo) on the ``Post`` workloads.

Its loads go through ``Document._from_son`` (what its QuerySet uses) and W3 through
``to_mongo()``. It blocks instead of awaiting; the event loop has nothing else to run, so its
end-to-end times are its own, divided by raw PyMongo async as the issue asks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import mongoengine as me

from benchmarks._data import PostData, read_doc
from benchmarks.systems._base import System, Unsupported
from benchmarks.systems._raw import CLIENT_OPTIONS

__all__ = ["SYSTEM"]


class Comment(me.EmbeddedDocument):
    author = me.StringField(required=True, max_length=50)
    text = me.StringField(required=True, max_length=1000)
    created = me.DateTimeField(required=True)


class Post(me.Document):
    title = me.StringField(required=True, max_length=200)
    body = me.StringField(required=True)
    author = me.ObjectIdField(required=True)
    tags = me.ListField(me.StringField(max_length=50))
    created = me.DateTimeField(required=True)
    views = me.IntField(min_value=0)
    rating = me.FloatField(min_value=0, max_value=5)
    published = me.BooleanField(default=False)
    comments = me.ListField(me.EmbeddedDocumentField(Comment))
    extra = me.DictField()
    meta = {"collection": "bench_post"}


class RenamedPost(me.Document):
    """``Post`` with ``_data.RENAMED``'s stored names (``db_field``), for W2_renamed."""

    title = me.StringField(required=True, max_length=200)
    body = me.StringField(required=True)
    author = me.ObjectIdField(required=True, db_field="author_id")
    tags = me.ListField(me.StringField(max_length=50))
    created = me.DateTimeField(required=True)
    views = me.IntField(min_value=0)
    rating = me.FloatField(min_value=0, max_value=5)
    published = me.BooleanField(default=False)
    comments = me.ListField(me.EmbeddedDocumentField(Comment))
    extra = me.DictField(db_field="meta")
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


class MongoEngineSystem(System):
    name = "mongoengine"
    notes = (
        "Synchronous; W4 bulk is QuerySet.insert(load_bulk=False) (no re-read); "
        "its W4-W6 ratios are against raw PyMongo async.",
    )

    async def connect(self, uri: str, db: str) -> None:
        me.connect(db=db, host=uri, **CLIENT_OPTIONS)

    async def close(self) -> None:
        me.disconnect()

    async def reset(self) -> None:
        Post.drop_collection()

    def construct(self, posts: Sequence[PostData]) -> list[Any]:
        out = []
        for p in posts:
            doc = build(p)
            doc.validate()
            out.append(doc)
        return out

    def load_untouched(self, raws: Sequence[dict[str, Any]]) -> list[Any]:
        from_son = Post._from_son
        return [from_son(raw) for raw in raws]

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

    def load_public(self, raws: Sequence[dict[str, Any]]) -> list[Any]:
        raise Unsupported(
            "MongoEngine has no public document-from-dict API (W2 already uses _from_son)"
        )

    def to_mongo(self, docs: Sequence[Any]) -> list[Any]:
        return [doc.to_mongo() for doc in docs]

    async def insert_each(self, posts: Sequence[PostData]) -> None:
        for p in posts:
            build(p).save()

    async def insert_bulk(self, posts: Sequence[PostData]) -> None:
        Post.objects.insert([build(p) for p in posts], load_bulk=False)

    async def find_all(self) -> list[Any]:
        return list(Post.objects)

    async def find_some(self, n: int) -> list[Any]:
        return list(Post.objects.limit(n))

    async def update_each(self, docs: Sequence[Any]) -> None:
        for doc in docs:
            doc.views += 1
            doc.save()


SYSTEM = MongoEngineSystem
