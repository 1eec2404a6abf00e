"""Checked by mypy and pyright (``make lint``), not run by pytest: field descriptors give typed
values."""

from __future__ import annotations

import datetime
import decimal
import uuid

from bson import ObjectId
from typing_extensions import assert_type

import asyncodm as odm


class Comment(odm.EmbeddedDocument):
    content = odm.StringField()


class Post(odm.Document):
    title = odm.StringField(required=True)
    views = odm.IntField()
    rating = odm.FloatField()
    price = odm.DecimalField()
    published = odm.BooleanField()
    created = odm.DateTimeField()
    day = odm.DateField()
    key = odm.UUIDField()
    author_id = odm.ObjectIdField()
    tags = odm.ListField(odm.StringField())
    comment = odm.EmbeddedDocumentField(Comment)


def check(post: Post) -> None:
    assert_type(post.title, str | None)
    assert_type(post.views, int | None)
    assert_type(post.rating, float | None)
    assert_type(post.price, decimal.Decimal | None)
    assert_type(post.published, bool | None)
    assert_type(post.created, datetime.datetime | None)
    assert_type(post.day, datetime.date | None)
    assert_type(post.key, uuid.UUID | None)
    assert_type(post.author_id, ObjectId | None)
    assert_type(post.tags, list[str] | None)
    assert_type(post.comment, Comment | None)
    assert_type(Post.title, odm.StringField)
    post.title = "new"
    post.views = 3
    post.views = "not an int"  # type: ignore[assignment]  # pyright: ignore[reportAttributeAccessIssue]
