"""A vault of versioned documents (optimistic concurrency, ``meta = {"versioned": True}``):
accounts, a versioned hierarchy sharing one collection, and holders whose cards are
nullified and statements cascaded when a holder is deleted."""

from __future__ import annotations

from asyncodm import CASCADE, NULLIFY, Document, IntField, ReferenceField, StringField


class VaultAccount(Document):
    owner = StringField()
    balance = IntField(default=0)
    meta = {"collection": "vault_accounts", "versioned": True}


class PlainAccount(Document):
    """The same shape, not versioned: it must store and send nothing about versions."""

    owner = StringField()
    balance = IntField(default=0)
    meta = {"collection": "plain_accounts"}


class Asset(Document):
    label = StringField()
    meta = {"collection": "vault_assets", "versioned": True, "allow_inheritance": True}


class Vehicle(Asset):
    wheels = IntField()


class Holder(Document):
    name = StringField()
    meta = {"collection": "vault_holders", "versioned": True}


class Card(Document):
    number = StringField()
    holder = ReferenceField(Holder, reverse_delete_rule=NULLIFY)
    meta = {"collection": "vault_cards", "versioned": True}


class Statement(Document):
    month = StringField()
    holder = ReferenceField(Holder, reverse_delete_rule=CASCADE)
    meta = {"collection": "vault_statements", "versioned": True}
