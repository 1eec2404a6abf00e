"""``Model.json_schema()`` pinned as dicts, using only the MongoDB manual's ``$jsonSchema``
keywords (https://www.mongodb.com/docs/manual/reference/operator/query/jsonSchema/)."""

from __future__ import annotations

from typing import Any

import pytest

from asyncodm import (
    Document,
    GeoPointField,
    MapField,
    PointField,
    SortedListField,
    StringField,
    UUIDField,
)
from asyncodm._io._validators import collection_root, validator_command
from tests.models.feeds import Event, Note, Purchase, Story

#: Every keyword the manual lists for $jsonSchema (omitted: JSON Schema's "type" and
#: "$ref", which MongoDB does not support; "title"/"description" are annotations).
MANUAL_KEYWORDS = {
    "additionalItems", "additionalProperties", "allOf", "anyOf", "bsonType", "dependencies",
    "description", "enum", "exclusiveMaximum", "exclusiveMinimum", "items", "maximum",
    "maxItems", "maxLength", "maxProperties", "minimum", "minItems", "minLength",
    "minProperties", "multipleOf", "not", "oneOf", "pattern", "patternProperties",
    "properties", "required", "title", "uniqueItems",
}  # fmt: skip
BSON_TYPE_ALIASES = {
    "double", "string", "object", "array", "binData", "objectId", "bool", "date", "null",
    "regex", "javascript", "int", "timestamp", "long", "decimal", "minKey", "maxKey",
}  # fmt: skip


def _keywords(schema: Any) -> None:
    """Fail on any keyword or bsonType the manual does not list, at every depth."""
    assert isinstance(schema, dict)
    for key, value in schema.items():
        assert key in MANUAL_KEYWORDS, key
        if key == "bsonType":
            types = [value] if isinstance(value, str) else value
            assert set(types) <= BSON_TYPE_ALIASES, types
        elif key == "properties":
            for sub in value.values():
                _keywords(sub)
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            _keywords(value)


def test_story() -> None:
    assert Story.json_schema() == {
        "bsonType": "object",
        "required": ["_id", "t"],
        "properties": {
            "_id": {"bsonType": "objectId"},
            "t": {"bsonType": "string", "maxLength": 80},
            "tags": {"bsonType": "array", "items": {"bsonType": "string", "maxLength": 20}},
            "views": {"bsonType": ["int", "long"], "minimum": 0},
            "byline": {
                "bsonType": "object",
                "required": ["name"],
                "properties": {
                    "name": {"bsonType": "string", "maxLength": 40},
                    "score": {"bsonType": "double", "minimum": 0},
                },
            },
            "status": {"enum": ["draft", "live"]},
        },
    }


def test_inheritance_requires_cls_and_the_root_covers_the_hierarchy() -> None:
    event = Event.json_schema()
    assert event["required"] == ["_cls", "_id", "kind"]
    assert event["properties"]["_cls"] == {
        "bsonType": "string",
        "enum": ["Event", "Event.Purchase"],
    }
    assert event["properties"]["kind"] == {"bsonType": "string", "enum": ["click", "view"]}
    assert event["properties"]["size"] == {"bsonType": "long", "maximum": 10**12}
    assert event["properties"]["data"] == {
        "bsonType": "object",
        "additionalProperties": {"bsonType": ["int", "long"]},
    }
    assert event["properties"]["story"] == {"bsonType": "objectId"}  # the target's pk type
    assert event["properties"]["at"] == {"bsonType": "date"}
    assert event["properties"]["ok"] == {"bsonType": "bool"}
    purchase = Purchase.json_schema()
    assert purchase["required"] == ["_cls", "_id", "kind", "amount"]
    assert purchase["properties"]["amount"] == {"bsonType": "double", "minimum": 0}
    assert collection_root(Purchase) is Event


def test_dynamic_documents_stay_open_and_null_is_allowed_when_stored() -> None:
    assert Note.json_schema() == {
        "bsonType": "object",
        "required": ["_id"],
        "properties": {"_id": {"bsonType": "objectId"}, "text": {"bsonType": ["string", "null"]}},
        "additionalProperties": True,
    }
    assert "additionalProperties" not in Story.json_schema()  # open by default: never false


def test_more_kinds() -> None:
    class Shape(Document):
        code = StringField(regex="[A-Z]{3}", min_length=3, verbose_name="Code")
        key = UUIDField()
        skey = UUIDField(binary=False)
        marks = SortedListField(StringField(), max_length=4)
        names = MapField(StringField(max_length=5))
        where = PointField()
        legacy = GeoPointField()

    props = Shape.json_schema()["properties"]
    assert props["code"] == {
        "bsonType": "string",
        "minLength": 3,
        "pattern": "^(?:[A-Z]{3})",
        "title": "Code",
    }
    assert props["key"] == {"bsonType": "binData"}
    assert props["skey"] == {"bsonType": "string"}
    assert props["marks"] == {"bsonType": "array", "items": {"bsonType": "string"}, "maxItems": 4}
    assert props["names"] == {
        "bsonType": "object",
        "additionalProperties": {"bsonType": "string", "maxLength": 5},
    }
    assert props["where"] == {
        "bsonType": "object",
        "required": ["type", "coordinates"],
        "properties": {"type": {"enum": ["Point"]}, "coordinates": {"bsonType": "array"}},
    }
    assert props["legacy"]["bsonType"] == "array" and props["legacy"]["maxItems"] == 2
    _keywords(Shape.json_schema())


@pytest.mark.parametrize("model", [Story, Event, Purchase, Note])
def test_only_manual_keywords(model: type[Document]) -> None:
    _keywords(model.json_schema())


def test_validator_command_shape_and_bad_levels() -> None:
    assert validator_command(
        "c", {"$jsonSchema": {}}, exists=False, level="moderate", action="warn"
    ) == {
        "create": "c",
        "validator": {"$jsonSchema": {}},
        "validationLevel": "moderate",
        "validationAction": "warn",
    }
    with pytest.raises(ValueError, match="validation level"):
        validator_command("c", {}, exists=True, level="loose", action="error")
    with pytest.raises(ValueError, match="validation action"):
        validator_command("c", {}, exists=True, level="strict", action="drop")


def test_every_remaining_kind() -> None:
    from asyncodm import (
        BinaryField,
        BooleanField,
        ComplexDateTimeField,
        DateField,
        DecimalField,
        DynamicField,
        EmailField,
        FileField,
        GenericEmbeddedDocumentField,
        GenericIPAddressField,
        GenericReferenceField,
        JavaScriptField,
        LineStringField,
        ObjectIdField,
        RegularExpressionField,
        SequenceField,
        TimestampField,
        URLField,
    )

    class Everything(Document):
        blob = BinaryField()
        flag = BooleanField()
        when = ComplexDateTimeField()
        day = DateField()
        price = DecimalField(min_value=0)
        priced = DecimalField(force_string=True)
        anything = DynamicField()
        mail = EmailField(max_length=60)
        upload = FileField()
        any_doc = GenericEmbeddedDocumentField()
        ip = GenericIPAddressField()
        anyref = GenericReferenceField()
        code = JavaScriptField()
        path = LineStringField()
        other = ObjectIdField(null=True)
        pattern = RegularExpressionField()
        counter = SequenceField()
        stamp = TimestampField()
        site = URLField()

    props = Everything.json_schema()["properties"]
    assert {name: props[name] for name in props if name != "_id"} == {
        "blob": {"bsonType": "binData"},
        "flag": {"bsonType": "bool"},
        "when": {"bsonType": "string"},
        "day": {"bsonType": "date"},
        "price": {"bsonType": "decimal"},
        "priced": {"bsonType": "string"},
        "anything": {},
        "mail": {"bsonType": "string", "maxLength": 60},
        "upload": {"bsonType": "objectId"},
        "any_doc": {"bsonType": "object"},
        "ip": {"bsonType": "string"},
        "anyref": {"bsonType": "object"},
        "code": {"bsonType": "javascript"},
        "path": {
            "bsonType": "object",
            "required": ["type", "coordinates"],
            "properties": {"type": {"enum": ["LineString"]}, "coordinates": {"bsonType": "array"}},
        },
        "other": {"bsonType": ["objectId", "null"]},
        "pattern": {"bsonType": "regex"},
        "counter": {"bsonType": ["int", "long"]},
        "stamp": {"bsonType": "timestamp"},
        "site": {"bsonType": "string"},
    }
    _keywords(Everything.json_schema())
