"""Documents with files: attachments in the default bucket, reports in their own bucket,
photos with resizing and thumbnails, and tracks that an album's deletion cascades to."""

from __future__ import annotations

from asyncodm import (
    CASCADE,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    FileField,
    GridFSStorage,
    ImageField,
    ReferenceField,
    StringField,
)


class Attachment(Document):
    title = StringField(unique=True)
    attachment = FileField()
    meta = {"collection": "attachments"}


class Report(Document):
    name = StringField()
    body = FileField(storage=GridFSStorage("reports"))
    meta = {"collection": "reports"}


class Photo(Document):
    caption = StringField()
    image = ImageField(size=(80, 60, True), thumbnail_size=(16, 16))
    meta = {"collection": "photos"}


class Scan(Document):
    """Shrunk to fit (aspect kept), no thumbnail."""

    page = ImageField(size=(50, 50), storage=GridFSStorage("scans"))
    meta = {"collection": "scans"}


class Album(Document):
    name = StringField()
    meta = {"collection": "albums"}


class Track(Document):
    album = ReferenceField(Album, reverse_delete_rule=CASCADE)
    audio = FileField()
    meta = {"collection": "tracks"}


class Caption(EmbeddedDocument):
    text = StringField()
    subtitles = FileField()


class Clip(Document):
    caption = EmbeddedDocumentField(Caption)
    meta = {"collection": "clips"}
