"""Field surveys: every kind of path a query, an update, an index or a shard key can walk.

Every field is stored under another name, at every level, so a test that gets a stored path
right cannot have got it by accident: embedded documents inside lists inside embedded
documents, dicts and maps of embedded documents, dynamic data, generic embedded documents,
references (plain and DBRef), a geometry, a subclass sharing the collection.
"""

from __future__ import annotations

from asyncodm import (
    DictField,
    Document,
    DynamicEmbeddedDocument,
    DynamicField,
    EmbeddedDocument,
    EmbeddedDocumentField,
    EmbeddedDocumentListField,
    GenericEmbeddedDocumentField,
    IntField,
    ListField,
    MapField,
    PointField,
    ReferenceField,
    StringField,
)


class Measurement(EmbeddedDocument):
    value = IntField(db_field="v")
    unit = StringField(db_field="u")


class Station(EmbeddedDocument):
    code = StringField(db_field="c")
    readings = EmbeddedDocumentListField(Measurement, db_field="rs")
    extra = DictField(db_field="x")
    gauges = MapField(EmbeddedDocumentField(Measurement), db_field="g")
    loose = DynamicField(db_field="l")


class FieldNote(DynamicEmbeddedDocument):
    text = StringField(db_field="t")


class Surveyor(Document):
    name = StringField()
    meta = {"collection": "surveyors"}


class Survey(Document):
    title = StringField(db_field="t")
    station = EmbeddedDocumentField(Station, db_field="st")
    stations = ListField(EmbeddedDocumentField(Station), db_field="sts")
    tags = ListField(StringField(), db_field="tg")
    matrix = ListField(ListField(IntField()), db_field="mx")
    counts = MapField(IntField(), db_field="n")
    lead = ReferenceField(Surveyor, db_field="ld")
    backup = ReferenceField(Surveyor, dbref=True, db_field="bk")
    crew_refs = ListField(ReferenceField(Surveyor), db_field="cw")
    anything = GenericEmbeddedDocumentField(db_field="any")
    note = EmbeddedDocumentField(FieldNote, db_field="nt")
    where = PointField(db_field="w", auto_index=False)
    visits = IntField(db_field="vs")
    meta = {"collection": "surveys", "allow_inheritance": True}


class FieldSurvey(Survey):
    crew = IntField(db_field="cr")


class ShardedSurvey(Document):
    title = StringField(db_field="t")
    station = EmbeddedDocumentField(Station, db_field="st")
    meta = {"collection": "sharded_surveys", "shard_key": ("station__code", "title", "pk")}
