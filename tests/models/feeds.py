"""Models watched through change streams and guarded by validators (tests/test_watch.py,
tests/test_validators.py)."""

from __future__ import annotations

import enum

from asyncodm import (
    BooleanField,
    DateTimeField,
    DictField,
    Document,
    DynamicDocument,
    EmbeddedDocument,
    EmbeddedDocumentField,
    EnumField,
    FloatField,
    IntField,
    ListField,
    LongField,
    ReferenceField,
    StringField,
)


class Status(enum.Enum):
    DRAFT = "draft"
    LIVE = "live"


class Byline(EmbeddedDocument):
    name = StringField(required=True, max_length=40)
    score = FloatField(min_value=0)


class Story(Document):
    title = StringField(required=True, max_length=80, db_field="t")
    tags = ListField(StringField(max_length=20))
    views = IntField(min_value=0, default=0)
    byline = EmbeddedDocumentField(Byline)
    status = EnumField(Status, default=Status.DRAFT)
    meta = {"collection": "stories", "indexes": ["tags"]}


class TagCount(Document):
    """The derived collection the worker example keeps up to date."""

    tag = StringField(primary_key=True)
    n = IntField(default=0)
    meta = {"collection": "tag_counts"}


class Event(Document):
    kind = StringField(required=True, choices=("click", "view"))
    at = DateTimeField()
    ok = BooleanField()
    size = LongField(max_value=10**12)
    data = DictField(IntField())
    story = ReferenceField(Story)
    meta = {"collection": "events", "allow_inheritance": True}


class Purchase(Event):
    amount = FloatField(required=True, min_value=0)


class Note(DynamicDocument):
    text = StringField(null=True)
    meta = {"collection": "notes"}
