"""A catalogue item with typed scalar fields (Decimal128, UUID, enum, datetime) for query
conversion tests."""

from __future__ import annotations

import enum

from asyncodm import DateTimeField, DecimalField, Document, EnumField, StringField, UUIDField


class Status(enum.Enum):
    DRAFT = "draft"
    LIVE = "live"


class Item(Document):
    name = StringField()
    price = DecimalField(precision=2)
    token = UUIDField()
    status = EnumField(Status)
    added = DateTimeField()
    meta = {"collection": "catalog_items"}
