"""The blog's documents, shared by the FastAPI and aiohttp examples.

Users write posts; a post embeds its comments, refers to its author (deleting a user deletes
their posts: CASCADE) and to a category (a category still in use cannot be deleted: DENY).
Every constraint is declared here once; the FastAPI example's request and response models are
generated from these fields (``asyncodm.pydantic``).
"""

from __future__ import annotations

import datetime

from asyncodm import (
    CASCADE,
    DENY,
    DateTimeField,
    Document,
    EmailField,
    EmbeddedDocument,
    EmbeddedDocumentField,
    IntField,
    ListField,
    ReferenceField,
    StringField,
)


def utcnow() -> datetime.datetime:
    # BSON keeps milliseconds and no time zone: store what reads back equal.
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class User(Document):
    email = EmailField(required=True, unique=True, max_length=254)
    name = StringField(required=True, max_length=50, help_text="Shown beside posts")


class Category(Document):
    name = StringField(required=True, unique=True, max_length=40)


class Comment(EmbeddedDocument):
    author = StringField(required=True, max_length=50)
    email = EmailField()
    content = StringField(required=True, max_length=500)
    created = DateTimeField(default=utcnow)


class Post(Document):
    title = StringField(required=True, max_length=200)
    body = StringField(default="", max_length=20_000)
    status = StringField(choices=["draft", "published"], default="draft")
    tags = ListField(StringField(max_length=30), max_length=10)
    views = IntField(default=0, min_value=0)
    created = DateTimeField(default=utcnow)
    author = ReferenceField(User, required=True, reverse_delete_rule=CASCADE)
    category = ReferenceField(Category, reverse_delete_rule=DENY)
    comments = ListField(EmbeddedDocumentField(Comment))
    meta = {"indexes": ["author", "-created"], "ordering": ["-created"]}


MODELS = (User, Category, Post)
