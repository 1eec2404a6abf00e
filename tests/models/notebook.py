"""Notes for the context tests: a plain model switched between collections and databases, a
hierarchy, and a reference for ``no_auto_dereference``."""

from __future__ import annotations

from asyncodm import DateTimeField, Document, IntField, ReferenceField, StringField


class Jotting(Document):
    text = StringField()
    n = IntField()
    written = DateTimeField()
    meta = {"collection": "jottings"}


class Scribble(Document):
    text = StringField()
    meta = {"collection": "scribbles", "allow_inheritance": True}


class Doodle(Scribble):
    strokes = IntField()


class NoteAuthor(Document):
    name = StringField()
    meta = {"collection": "note_authors"}


class Annotation(Document):
    text = StringField()
    author = ReferenceField(NoteAuthor)
    meta = {"collection": "annotations"}
