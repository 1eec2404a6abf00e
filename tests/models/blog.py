"""A small blog: users, pages with embedded comments, inheritance, a dynamic document."""

from __future__ import annotations

import datetime

from asyncodm import (
    DateTimeField,
    DictField,
    Document,
    DynamicDocument,
    EmailField,
    EmbeddedDocument,
    EmbeddedDocumentField,
    IntField,
    ListField,
    StringField,
)


class Comment(EmbeddedDocument):
    author = StringField(required=True)
    content = StringField(max_length=200)
    votes = IntField(default=0)


class Address(EmbeddedDocument):
    street = StringField()
    city = StringField(required=True)


class BlogUser(Document):
    email = EmailField(primary_key=True)
    name = StringField(required=True, max_length=50)
    address = EmbeddedDocumentField(Address)


class BlogPage(Document):
    title = StringField(max_length=200, required=True)
    date_modified = DateTimeField(default=datetime.datetime.now)
    tags = ListField(StringField(max_length=50))
    comments = ListField(EmbeddedDocumentField(Comment))
    views = IntField(default=0)
    extra = DictField()
    meta = {"collection": "cms_page", "ordering": ["-date_modified"]}


class Animal(Document):
    name = StringField()
    meta = {"allow_inheritance": True}


class Dog(Animal):
    barks = IntField(default=1)


class Puppy(Dog):
    age_weeks = IntField()


class Note(DynamicDocument):
    title = StringField()
