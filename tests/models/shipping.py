"""Sharded collections: a compound shard key through an embedded document with stored names,
and a single-field one given as a string."""

from __future__ import annotations

from asyncodm import Document, EmbeddedDocument, EmbeddedDocumentField, IntField, StringField


class Destination(EmbeddedDocument):
    code = StringField(db_field="c")
    street = StringField()


class Shipment(Document):
    region = StringField(db_field="r", required=True)
    dest = EmbeddedDocumentField(Destination)
    weight = IntField()
    meta = {"collection": "shipments", "shard_key": ("region", "dest.code")}


class Parcel(Document):
    tenant = StringField()
    label = StringField()
    meta = {"collection": "parcels", "shard_key": "tenant"}
