"""Documents that are pickled and copied: module level, so ``pickle`` finds each class by its
module and name. A draft with tags, an embedded summary and a list of embedded sections, an
author reference, a list of reviewer references and an attachment; a versioned and a dynamic
document; an all-plain embedded class (its instances share one empty values mapping); a
subclass in a hierarchy; and an author whose ``pinned`` draft points back at a draft."""

from __future__ import annotations

from asyncodm import (
    DictField,
    Document,
    DynamicDocument,
    EmbeddedDocument,
    EmbeddedDocumentField,
    EmbeddedDocumentListField,
    FileField,
    ImageField,
    IntField,
    ListField,
    ReferenceField,
    StringField,
)


class PkSection(EmbeddedDocument):
    """Every field plain: instances share ``_state.NO_VALUES``."""

    heading = StringField()
    words = IntField(default=0)


class PkSummary(EmbeddedDocument):
    text = StringField()
    keywords = ListField(StringField())


class PkWriter(Document):
    name = StringField()
    pinned = ReferenceField("PkDraft")
    meta = {"collection": "pickle_writers"}


class PkDraft(Document):
    title = StringField()
    tags = ListField(StringField())
    extra = DictField()
    summary = EmbeddedDocumentField(PkSummary)
    sections = EmbeddedDocumentListField(PkSection)
    author = ReferenceField(PkWriter)
    reviewers = ListField(ReferenceField(PkWriter))
    attachment = FileField()
    meta = {"collection": "pickle_drafts"}


class PkLedger(Document):
    owner = StringField()
    balance = IntField(default=0)
    meta = {"collection": "pickle_ledgers", "versioned": True}


class PkNote(DynamicDocument):
    title = StringField()
    meta = {"collection": "pickle_notes"}


class PkShape(Document):
    name = StringField()
    meta = {"collection": "pickle_shapes", "allow_inheritance": True}


class PkCircle(PkShape):
    radius = IntField()


class PkPicture(Document):
    image = ImageField()
    meta = {"collection": "pickle_pictures"}


class PkAlbum(Document):
    """Files as list items: a file value's field is found one item field down."""

    files = ListField(FileField())
    meta = {"collection": "pickle_albums"}
