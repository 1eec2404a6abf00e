"""Sales lines for grouping and expressions: renamed fields (``db_field``), an embedded
document, a reference, dates and numbers of several kinds."""

from __future__ import annotations

from asyncodm import (
    DateTimeField,
    DecimalField,
    DictField,
    Document,
    DynamicDocument,
    EmbeddedDocument,
    EmbeddedDocumentField,
    FloatField,
    IntField,
    ListField,
    ReferenceField,
    StringField,
)


class Customer(Document):
    name = StringField()
    meta = {"collection": "sales_customers"}


class Shipping(EmbeddedDocument):
    city = StringField(db_field="c")
    cost = FloatField()


class Line(Document):
    sku = StringField(db_field="s")
    status = StringField()
    price = FloatField()
    qty = IntField(db_field="q")
    likes = IntField()
    total = FloatField()
    tags = ListField(StringField())
    shipping = EmbeddedDocumentField(Shipping)
    customer = ReferenceField(Customer)
    sold = DateTimeField()
    extra = DictField()
    meta = {"collection": "sales_lines"}


class Ledger(Document):
    """Decimal amounts (Decimal128: not every backend stores them)."""

    account = StringField()
    amount = DecimalField(precision=2)
    meta = {"collection": "sales_ledger"}


class Note(DynamicDocument):
    """Undeclared fields: aggregates and expressions take them as written."""

    meta = {"collection": "sales_notes"}
