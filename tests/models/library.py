"""A library for query tests: books with embedded reviews, writers, an inheritance hierarchy of
media and a dynamic memo. Collection names avoid SQL keywords (nx-27017 breaks on them)."""

from __future__ import annotations

from asyncodm import (
    DateTimeField,
    DictField,
    Document,
    DynamicDocument,
    EmbeddedDocument,
    EmbeddedDocumentField,
    EmbeddedDocumentListField,
    FloatField,
    IntField,
    ListField,
    ObjectIdField,
    StringField,
)


class Review(EmbeddedDocument):
    author = StringField(required=True)
    stars = IntField(min_value=0, max_value=5)
    text = StringField()


class Publisher(EmbeddedDocument):
    name = StringField()
    city = StringField()


class Writer(Document):
    name = StringField(required=True)
    country = StringField()
    meta = {"collection": "writers"}


class Book(Document):
    title = StringField(db_field="t", required=True, max_length=200)
    pages = IntField(min_value=0)
    price = FloatField()
    tags = ListField(StringField(max_length=20))
    reviews = EmbeddedDocumentListField(Review)
    publisher = EmbeddedDocumentField(Publisher)
    author = ObjectIdField()
    published = DateTimeField()
    extra = DictField()
    meta = {"collection": "books", "ordering": ["title"]}


class Media(Document):
    name = StringField()
    year = IntField()
    meta = {"collection": "media", "allow_inheritance": True}


class Ebook(Media):
    fmt = StringField()


class Audiobook(Media):
    minutes = IntField()


class Podcast(Audiobook):
    episode = IntField()


class Memo(DynamicDocument):
    title = StringField()
    meta = {"collection": "memos"}
