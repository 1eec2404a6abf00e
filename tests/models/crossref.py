"""Models for lookups through references: articles by scribes from nations, with references
stored directly, in lists, in embedded documents (on either side), as DBRefs, generically, to
a subclass, and with a delete rule. Collection names avoid SQL keywords (nx-27017)."""

from __future__ import annotations

from asyncodm import (
    CASCADE,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    EmbeddedDocumentListField,
    GenericReferenceField,
    IntField,
    ListField,
    ReferenceField,
    StringField,
)


class Nation(Document):
    name = StringField()
    code = StringField(db_field="c")


class Locale(EmbeddedDocument):
    city = StringField(db_field="ci")
    nation = ReferenceField(Nation)


class Scribe(Document):
    name = StringField()
    email = StringField()
    age = IntField()
    home = EmbeddedDocumentField(Locale)
    nation = ReferenceField(Nation)
    meta = {"allow_inheritance": True}


class Chief(Scribe):
    """A subclass target: a lookup on a reference to it also filters ``_cls``."""


class Byline(EmbeddedDocument):
    role = StringField()
    by = ReferenceField(Scribe)


class Folio(EmbeddedDocument):
    owner = ReferenceField(Scribe, db_field="o")


class Piece(Document):
    title = StringField()
    views = IntField(default=0)
    author = ReferenceField(Scribe)
    editors = ListField(ReferenceField(Scribe), default=list)
    folio = EmbeddedDocumentField(Folio)
    bylines = EmbeddedDocumentListField(Byline)
    meta = {"collection": "piece"}


class Remark(Document):
    """Deleting a piece cascades to its remarks."""

    piece = ReferenceField(Piece, reverse_delete_rule=CASCADE)
    text = StringField()


class Cutting(Document):
    """A reference stored as a DBRef."""

    piece = ReferenceField(Piece, dbref=True)
    note = StringField()


class Pin(Document):
    """A generic reference: it cannot be crossed."""

    target = GenericReferenceField()


class Brief(Document):
    """A reference to a subclass in an inheritance hierarchy."""

    chief = ReferenceField(Chief)
    topic = StringField()
