"""Capped collections: a bounded audit trail, a size-only buffer, and a capped model that is also
indexed lazily."""

from __future__ import annotations

from asyncodm import DateTimeField, Document, IntField, StringField


class AuditEntry(Document):
    """Capped by count; ``max_size`` defaults to 10 MiB."""

    action = StringField()
    at = DateTimeField()
    meta = {"collection": "audit_entries", "max_documents": 100}


class ByteBuffer(Document):
    """Capped by size only: 5000 bytes round up to 5120."""

    chunk = StringField()
    meta = {"collection": "byte_buffer", "max_size": 5000}


class TickerLine(Document):
    """Capped and indexed on its first operation."""

    symbol = StringField()
    seq = IntField()
    meta = {
        "collection": "ticker_lines",
        "max_documents": 3,
        "max_size": 4096,
        "auto_create_index": True,
        "indexes": ["symbol"],
    }


class Feed(Document):
    """A capped hierarchy: the root is not indexed lazily, a subclass is."""

    title = StringField()
    meta = {"collection": "feeds", "max_documents": 50, "allow_inheritance": True}


class IndexedFeed(Feed):
    rank = IntField()
    meta = {"auto_create_index": True, "indexes": ["rank"]}
