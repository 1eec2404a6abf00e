"""Documents numbered by SequenceFields: tickets, auto-increment ids (Djongo style), formatted
invoice numbers, a counter shared by two models, and per-class counters under an abstract base.

Counters live in ``numbering_counters``: nx-27017 refuses collection names with a dot, such as
the default ``asyncodm.counters`` (``DefaultNumbered`` covers the default where it works)."""

from __future__ import annotations

from asyncodm import Document, SequenceField, StringField

COUNTERS = "numbering_counters"


class Ticket(Document):
    code = StringField(unique=True)
    number = SequenceField(collection_name=COUNTERS)
    meta = {"collection": "tickets"}


class Entry(Document):
    id = SequenceField(primary_key=True, collection_name=COUNTERS)
    headline = StringField()
    meta = {"collection": "entries"}


class Invoice(Document):
    ref = SequenceField(collection_name=COUNTERS, value_decorator=lambda n: f"INV-{n:05d}")
    meta = {"collection": "invoices"}


class Order(Document):
    number = SequenceField(collection_name=COUNTERS, sequence_name="shared")
    meta = {"collection": "orders"}


class Refund(Document):
    number = SequenceField(collection_name=COUNTERS, sequence_name="shared")
    meta = {"collection": "refunds"}


class Numbered(Document):
    number = SequenceField(collection_name=COUNTERS)
    meta = {"abstract": True}


class Receipt(Numbered):
    meta = {"collection": "receipts"}


class Voucher(Numbered):
    meta = {"collection": "vouchers"}


class DefaultNumbered(Document):
    number = SequenceField()
    meta = {"collection": "default_numbered"}
