"""A shop catalogue with every kind of index: declared specs, unique fields, geo fields,
embedded paths with stored names, and an inheritance hierarchy sharing one collection."""

from __future__ import annotations

from pymongo import IndexModel

from asyncodm import (
    DateTimeField,
    DictField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    EmbeddedDocumentListField,
    FloatField,
    GeoPointField,
    IntField,
    ListField,
    PointField,
    StringField,
)


class ShopDimensions(EmbeddedDocument):
    width = FloatField(db_field="w")
    height = FloatField(db_field="h")


class ShopSupplier(EmbeddedDocument):
    name = StringField(db_field="n")
    code = StringField(unique=True, sparse=True)  # a unique field inside an embedded document
    depot = PointField()  # a geo field inside an embedded document: auto 2dsphere


class ShopReview(EmbeddedDocument):
    stars = IntField()
    where = PointField(auto_index=False)


class ShopProduct(Document):
    """Every spec form MongoEngine users write, on fields with stored names."""

    sku = StringField(db_field="s", unique=True)
    title = StringField(db_field="t")
    description = StringField()
    brand = StringField()
    created = DateTimeField()
    price = FloatField()
    tags = ListField(StringField())
    size = EmbeddedDocumentField(ShopDimensions)
    supplier = EmbeddedDocumentField(ShopSupplier)
    reviews = EmbeddedDocumentListField(ShopReview)
    attributes = DictField()
    meta = {
        "collection": "shop_products",
        "indexes": [
            "title",
            "-created",
            ("brand", "-price"),
            "$description",
            "#brand",
            "size.width",
            [("supplier.depot", "2dsphere"), ("created", 1)],
            {"fields": ["tags"], "sparse": True, "name": "tag_lookup"},
            {"fields": ["created"], "expireAfterSeconds": 3600, "name": "expiry"},
            {"fields": ["price"], "partialFilterExpression": {"price": {"$gt": 0}}},
            {"fields": ["title"], "name": "title_ci", "collation": {"locale": "en", "strength": 2}},
            IndexModel([("attributes.colour", 1)], name="colour"),
        ],
    }


class ShopStore(Document):
    """Geo fields: automatic 2d / 2dsphere indexes, one turned off."""

    name = StringField(unique_with=["city", "country"])
    city = StringField()
    country = StringField()
    position = GeoPointField()
    entrance = PointField()
    parking = PointField(auto_index=False)
    meta = {"collection": "shop_stores"}


class Stock(Document):
    """The root of a hierarchy: every class's documents live in ``items``."""

    name = StringField(unique=True)
    kind = StringField()
    meta = {
        "collection": "stock",
        "allow_inheritance": True,
        "indexes": ["kind", {"fields": ["-name"], "cls": False}],
    }


class StockBook(Stock):
    isbn = StringField()
    meta = {"indexes": ["isbn"]}


class StockEbook(StockBook):
    url = StringField()
    meta = {"indexes": [{"fields": ["url"], "sparse": True}]}


class StockGadget(Stock):
    voltage = IntField()


class ShopPlain(Document):
    """No declared indexes at all."""

    name = StringField()
    meta = {"collection": "shop_plain"}


class ShopCustomer(Document):
    """Only what every local backend reports faithfully: ascending keys, unique, TTL."""

    email = StringField(unique=True)
    name = StringField(db_field="n")
    city = StringField()
    seen = DateTimeField()
    meta = {
        "collection": "shop_customers",
        "indexes": [("city", "name"), {"fields": ["seen"], "expireAfterSeconds": 86400}],
    }


class ShopCoupon(Document):
    """Indexed lazily, once, by its first operation."""

    code = StringField(unique=True)
    percent = IntField()
    meta = {"collection": "shop_coupons", "auto_create_index": True, "indexes": ["percent"]}
