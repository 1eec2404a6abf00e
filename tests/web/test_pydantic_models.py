"""``asyncodm.pydantic``: models generated from ``describe()``, and the JSON schema users see.

Pure tests: no database, no event loop. The generated JSON schema is what FastAPI puts in the
OpenAPI document, so it is pinned field by field; outputs are built from documents in memory
(``from_attributes``), inputs from JSON.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import re
import uuid
from typing import Any

import pytest
from bson import Code, ObjectId, Timestamp
from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticError

import asyncodm
from asyncodm import (
    BaseField,
    BinaryField,
    BooleanField,
    ComplexDateTimeField,
    DateField,
    DateTimeField,
    DecimalField,
    DictField,
    Document,
    DynamicDocument,
    DynamicField,
    EmailField,
    EmbeddedDocument,
    EmbeddedDocumentField,
    EnumField,
    FileField,
    FloatField,
    GenericEmbeddedDocumentField,
    GenericIPAddressField,
    GenericReferenceField,
    GeometryCollectionField,
    GeoPointField,
    ImageField,
    IntField,
    JavaScriptField,
    LineStringField,
    ListField,
    LongField,
    MapField,
    MultiLineStringField,
    MultiPointField,
    MultiPolygonField,
    ObjectIdField,
    PointField,
    PolygonField,
    Ref,
    ReferenceField,
    RegularExpressionField,
    SequenceField,
    SortedListField,
    StringField,
    TimestampField,
    URLField,
    UUIDField,
)
from asyncodm.fields import KINDS
from asyncodm.pydantic import OBJECTID_PATTERN, ObjectIdStr, pydantic_model

OID = {"type": "string", "pattern": OBJECTID_PATTERN, "examples": ["5f0c9a1e8b3e4a2d9c7b6a51"]}


def nullable(schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """How an optional field shows in the schema: the type or null, a None default."""
    return {"anyOf": [schema, {"type": "null"}], "default": None, **extra}


# Module-level classes get names no other suite registers.
class PdShade(enum.Enum):
    LIGHT = "light"
    DARK = "dark"


class PdAuthor(Document):
    name = StringField(required=True, max_length=50)


class PdKeyed(Document):
    email = EmailField(primary_key=True)
    name = StringField()


class PdNote(EmbeddedDocument):
    text = StringField(required=True, max_length=20)


class PdEverything(Document):
    """One field of every kind (a list and a dict of embedded documents too)."""

    oid = ObjectIdField()
    title = StringField(required=True, min_length=2, max_length=200, regex=r"[A-Z]\w*")
    email = EmailField(max_length=100)
    url = URLField()
    key = UUIDField()
    count = IntField(min_value=0, max_value=10)
    big = LongField()
    ratio = FloatField(min_value=0.0, max_value=1.0)
    price = DecimalField(min_value=0, precision=2)
    flag = BooleanField()
    when = DateTimeField()
    day = DateField()
    precise = ComplexDateTimeField()
    blob = BinaryField(max_bytes=8)
    shade = EnumField(PdShade)
    size = StringField(choices=[("s", "Small"), ("l", "Large")])
    tags = ListField(StringField(max_length=5), max_length=3)
    ranked = SortedListField(IntField())
    scores = DictField(IntField(min_value=0))
    named = MapField(StringField())
    note = EmbeddedDocumentField(PdNote)
    notes = ListField(EmbeddedDocumentField(PdNote))
    notes_by_key = DictField(EmbeddedDocumentField(PdNote))
    anything = GenericEmbeddedDocumentField()
    author = ReferenceField(PdAuthor)
    authors = ListField(ReferenceField(PdAuthor))
    keyed = ReferenceField(PdKeyed)
    generic = GenericReferenceField(choices=[PdAuthor])
    attachment = FileField()
    photo = ImageField()
    number = SequenceField()
    point = PointField()
    line = LineStringField()
    polygon = PolygonField()
    points = MultiPointField()
    lines = MultiLineStringField()
    polygons = MultiPolygonField()
    shapes = GeometryCollectionField()
    legacy = GeoPointField()
    dynamic = DynamicField()
    pattern = RegularExpressionField()
    code = JavaScriptField()
    ip = GenericIPAddressField(protocol="IPv4")
    stamp = TimestampField()


def test_the_table_maps_every_kind() -> None:
    from asyncodm.pydantic._kinds import _KINDS

    assert set(_KINDS) == KINDS


def test_the_model_has_every_field_with_the_pk_as_id() -> None:
    Out = pydantic_model(PdEverything)
    assert list(Out.model_fields) == ["id", *list(asyncodm.describe(PdEverything).fields)[1:]]
    assert Out.__name__ == "PdEverything"
    assert Out.model_config["from_attributes"] is True


# --- the JSON schema, field by field ----------------------------------------------------------


@pytest.fixture(scope="module")
def out_schema() -> dict[str, Any]:
    return pydantic_model(PdEverything).model_json_schema()


def prop(schema: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = dict(schema["properties"][name])
    found.pop("title", None)
    return found


def test_schema_required_fields(out_schema: dict[str, Any]) -> None:
    assert out_schema["required"] == ["id", "title"]


def test_schema_pk_and_objectids(out_schema: dict[str, Any]) -> None:
    assert prop(out_schema, "id") == OID
    assert prop(out_schema, "oid") == nullable(OID)


def test_schema_strings_carry_their_constraints(out_schema: dict[str, Any]) -> None:
    # required: not nullable; the regex is anchored (a field's regex matches from the start)
    assert prop(out_schema, "title") == {
        "type": "string",
        "minLength": 2,
        "maxLength": 200,
        "pattern": r"^(?:[A-Z]\w*)",
    }
    assert prop(out_schema, "email") == nullable(
        {"type": "string", "maxLength": 100, "format": "email"}
    )
    assert prop(out_schema, "url") == nullable({"type": "string", "format": "uri"})
    assert prop(out_schema, "ip") == nullable({"type": "string", "format": "ipv4"})


def test_schema_numbers(out_schema: dict[str, Any]) -> None:
    assert prop(out_schema, "count") == nullable({"type": "integer", "minimum": 0, "maximum": 10})
    assert prop(out_schema, "big") == nullable({"type": "integer"})
    assert prop(out_schema, "ratio") == nullable({"type": "number", "minimum": 0.0, "maximum": 1.0})
    # a decimal is a number or a numeric string in JSON
    assert prop(out_schema, "price") == nullable({"type": "number", "minimum": 0.0}) | {
        "anyOf": [{"type": "number", "minimum": 0.0}, {"type": "string"}, {"type": "null"}]
    }


def test_schema_scalars_keep_their_types(out_schema: dict[str, Any]) -> None:
    assert prop(out_schema, "key") == nullable({"type": "string", "format": "uuid"})
    assert prop(out_schema, "flag") == nullable({"type": "boolean"})
    assert prop(out_schema, "when") == nullable({"type": "string", "format": "date-time"})
    assert prop(out_schema, "precise") == nullable({"type": "string", "format": "date-time"})
    assert prop(out_schema, "day") == nullable({"type": "string", "format": "date"})
    assert prop(out_schema, "blob") == nullable(
        {"type": "string", "format": "base64url", "maxLength": 8}
    ) or prop(out_schema, "blob") == nullable(
        {"type": "string", "format": "binary", "maxLength": 8}
    )
    assert prop(out_schema, "pattern") == nullable({"type": "string", "format": "regex"})
    assert prop(out_schema, "code") == nullable({"type": "string"})
    assert prop(out_schema, "stamp")["anyOf"][0] == {
        "type": "object",
        "properties": {"t": {"type": "integer"}, "i": {"type": "integer"}},
        "required": ["t", "i"],
    }
    assert prop(out_schema, "number") == nullable({"type": "integer"})
    assert prop(out_schema, "dynamic") == {"default": None}


def test_schema_choices_and_enums(out_schema: dict[str, Any]) -> None:
    assert prop(out_schema, "size") == nullable({"type": "string", "enum": ["s", "l"]})
    assert prop(out_schema, "shade") == nullable({"$ref": "#/$defs/PdShade"})
    assert out_schema["$defs"]["PdShade"]["enum"] == ["light", "dark"]


def test_schema_containers(out_schema: dict[str, Any]) -> None:
    assert prop(out_schema, "tags") == nullable(
        {"type": "array", "items": {"type": "string", "maxLength": 5}, "maxItems": 3}
    )
    assert prop(out_schema, "ranked") == nullable({"type": "array", "items": {"type": "integer"}})
    assert prop(out_schema, "scores") == nullable(
        {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
    )
    assert prop(out_schema, "named") == nullable(
        {"type": "object", "additionalProperties": {"type": "string"}}
    )


def test_schema_embedded_documents_are_nested_models(out_schema: dict[str, Any]) -> None:
    note = {"$ref": "#/$defs/PdNote"}
    assert prop(out_schema, "note") == nullable(note)
    assert prop(out_schema, "notes") == nullable({"type": "array", "items": note})
    assert prop(out_schema, "notes_by_key") == nullable(
        {"type": "object", "additionalProperties": note}
    )
    nested = out_schema["$defs"]["PdNote"]
    assert nested["required"] == ["text"]
    assert nested["properties"]["text"] == {"type": "string", "maxLength": 20, "title": "Text"}


def test_schema_references_are_ids(out_schema: dict[str, Any]) -> None:
    assert prop(out_schema, "author") == nullable(OID)
    assert prop(out_schema, "authors") == nullable({"type": "array", "items": OID})
    # a target whose pk is an email: the reference is that string
    assert prop(out_schema, "keyed") == nullable({"type": "string", "format": "email"})
    assert prop(out_schema, "generic") == nullable({"$ref": "#/$defs/GenericReference"})


def test_schema_files_are_their_metadata(out_schema: dict[str, Any]) -> None:
    assert prop(out_schema, "attachment") == nullable({"$ref": "#/$defs/FileMetadata"})
    assert prop(out_schema, "photo") == nullable({"$ref": "#/$defs/FileMetadata"})
    assert list(out_schema["$defs"]["FileMetadata"]["properties"]) == [
        "file_id",
        "filename",
        "length",
        "content_type",
        "upload_date",
        "metadata",
    ]


def test_schema_geojson(out_schema: dict[str, Any]) -> None:
    for name, model in [
        ("point", "GeoJSONPoint"),
        ("line", "GeoJSONLineString"),
        ("polygon", "GeoJSONPolygon"),
        ("points", "GeoJSONMultiPoint"),
        ("lines", "GeoJSONMultiLineString"),
        ("polygons", "GeoJSONMultiPolygon"),
        ("shapes", "GeoJSONGeometryCollection"),
    ]:
        assert prop(out_schema, name) == nullable({"$ref": f"#/$defs/{model}"})
    point = out_schema["$defs"]["GeoJSONPoint"]["properties"]
    assert point["type"]["const"] == "Point"
    assert point["coordinates"]["minItems"] == 2 and point["coordinates"]["maxItems"] == 3
    assert prop(out_schema, "legacy") == nullable(
        {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}
    )


def test_metadata_becomes_title_and_description() -> None:
    class PdDocumented(Document):
        body = StringField(verbose_name="Body text", help_text="Markdown")

    schema = pydantic_model(PdDocumented).model_json_schema()
    assert schema["properties"]["body"]["title"] == "Body text"
    assert schema["properties"]["body"]["description"] == "Markdown"


# --- output models read documents -------------------------------------------------------------


def test_output_reads_a_document() -> None:
    author = PdAuthor(id=ObjectId(), name="Ann")
    key = uuid.uuid4()
    when = datetime.datetime(2024, 5, 1, 12, 30)
    doc = PdEverything(
        id=ObjectId(),
        title="Hello",
        key=key,
        price=decimal.Decimal("9.99"),
        when=when,
        shade=PdShade.DARK,
        tags=["a", "b"],
        notes=[PdNote(text="one"), {"text": "two"}],
        notes_by_key={"k": PdNote(text="three")},
        author=author,
        authors=[author.pk],
        keyed="k@example.com",
        generic=author,
        point={"type": "Point", "coordinates": [1.5, 2.5]},
        legacy=[1, 2],
        dynamic={"nested": [ObjectId("5f0c9a1e8b3e4a2d9c7b6a51")]},
        pattern=re.compile("^a"),
        code=Code("x => x"),
        stamp=Timestamp(5, 1),
        blob=b"\x00\x01",
    )
    out = pydantic_model(PdEverything).model_validate(doc)
    assert out.id == doc.pk and isinstance(out.id, ObjectId)  # type: ignore[attr-defined]
    data = out.model_dump(mode="json")
    assert data["id"] == str(doc.pk)
    assert data["key"] == str(key)
    assert data["price"] == "9.99"
    assert data["when"] == "2024-05-01T12:30:00"
    assert data["shade"] == "dark"
    assert data["notes"] == [{"text": "one"}, {"text": "two"}]
    assert data["notes_by_key"] == {"k": {"text": "three"}}
    assert data["author"] == str(author.pk) and data["authors"] == [str(author.pk)]
    assert data["keyed"] == "k@example.com"
    assert data["generic"] == {"cls": "PdAuthor", "id": str(author.pk)}
    assert data["point"] == {"type": "Point", "coordinates": [1.5, 2.5]}
    assert data["legacy"] == [1.0, 2.0]
    assert data["dynamic"] == {"nested": ["5f0c9a1e8b3e4a2d9c7b6a51"]}
    assert data["pattern"] == "^a" and data["code"] == "x => x"
    assert data["stamp"] == {"t": 5, "i": 1}
    assert data["blob"] == "AAE="  # base64
    assert data["attachment"] is None and data["count"] is None
    # Python mode keeps BSON types, so a dump goes back into a document
    python = out.model_dump()
    assert python["author"] == author.pk and python["pattern"] == re.compile("^a")


def test_output_shows_a_file_as_its_metadata() -> None:
    class PdAttachment(Document):
        attachment = FileField()

    doc = PdAttachment(id=ObjectId())
    doc.attachment = asyncodm.File(b"hello", name="a.txt", content_type="text/plain")
    data = pydantic_model(PdAttachment).model_validate(doc).model_dump(mode="json")
    assert data["attachment"]["filename"] == "a.txt"
    assert data["attachment"]["content_type"] == "text/plain"
    assert data["attachment"]["length"] == 5


# --- input models -------------------------------------------------------------------------------


def test_input_models_forbid_unknown_fields() -> None:
    In = pydantic_model(PdAuthor, exclude={"id"})
    assert In.__name__ == "PdAuthorIn"
    with pytest.raises(PydanticError) as caught:
        In.model_validate({"name": "Ann", "nmae": "typo"})
    assert caught.value.errors()[0]["type"] == "extra_forbidden"
    assert caught.value.errors()[0]["loc"] == ("nmae",)
    assert In.model_json_schema()["additionalProperties"] is False
    Explicit = pydantic_model(PdAuthor, mode="input")
    with pytest.raises(PydanticError):
        Explicit.model_validate({"name": "Ann", "x": 1})
    # an output model ignores what it does not know
    assert pydantic_model(PdAuthor).model_validate({"id": str(ObjectId()), "name": "A", "x": 1})


def test_input_rejects_oversize_strings_and_out_of_range_numbers() -> None:
    In = pydantic_model(PdEverything, mode="input")
    with pytest.raises(PydanticError) as caught:
        In.model_validate({"title": "T" * 201, "count": 11, "tags": ["toolong"]})
    assert {(e["loc"], e["type"]) for e in caught.value.errors()} == {
        (("title",), "string_too_long"),
        (("count",), "less_than_equal"),
        (("tags", 0), "string_too_long"),
    }


def test_input_takes_ids_for_references_and_gives_what_documents_take() -> None:
    In = pydantic_model(PdEverything, mode="input", include={"title", "author", "generic"})
    author_id = ObjectId()
    body = In.model_validate_json(
        f'{{"title": "Hi", "author": "{author_id}", '
        f'"generic": {{"cls": "PdAuthor", "id": "{author_id}"}}}}'
    )
    data = body.model_dump(exclude_unset=True)
    assert data["author"] == author_id
    assert isinstance(data["generic"], Ref) and data["generic"].model is PdAuthor
    doc = PdEverything(**data)
    assert doc.author.pk == author_id  # type: ignore[union-attr]
    assert doc.generic.pk == author_id  # type: ignore[union-attr]
    with pytest.raises(PydanticError):
        In.model_validate({"title": "Hi", "author": "not-an-id"})
    with pytest.raises(PydanticError):
        In.model_validate({"title": "Hi", "generic": {"cls": "PdNote", "id": str(author_id)}})


def test_input_requiredness_defaults_and_output_only_fields() -> None:
    In = pydantic_model(PdEverything, mode="input")
    schema = In.model_json_schema()
    assert schema["required"] == ["title"]  # the generated pk is optional
    assert "attachment" not in In.model_fields and "photo" not in In.model_fields

    class PdDefaults(Document):
        status = StringField(default="draft", required=True)
        tags = ListField(StringField())
        created = DateTimeField(default=datetime.datetime.now)

    body = pydantic_model(PdDefaults, mode="input").model_validate({})
    assert body.status == "draft" and body.tags == []  # type: ignore[attr-defined]
    assert isinstance(body.created, datetime.datetime)  # type: ignore[attr-defined]
    assert body.model_dump(exclude_unset=True) == {}


def test_partial_models_make_every_field_optional() -> None:
    Patch = pydantic_model(PdEverything, partial=True, exclude={"id"})
    assert Patch.__name__ == "PdEverythingPatch"
    assert "required" not in Patch.model_json_schema()
    body = Patch.model_validate({"count": 3})
    assert body.model_dump(exclude_unset=True) == {"count": 3}
    with pytest.raises(PydanticError):
        Patch.model_validate({"count": 30})  # constraints still hold


def test_a_declared_pk_is_id_in_both_directions() -> None:
    Out = pydantic_model(PdKeyed)
    assert list(Out.model_fields) == ["id", "name"]
    out = Out.model_validate(PdKeyed(email="a@example.com", name="A"))
    assert out.model_dump() == {"id": "a@example.com", "name": "A"}
    In = pydantic_model(PdKeyed, mode="input")
    body = In.model_validate({"id": "b@example.com", "name": "B"})
    # the dump uses the document's own name, so the constructor takes it
    assert body.model_dump(exclude_unset=True) == {"email": "b@example.com", "name": "B"}
    assert PdKeyed(**body.model_dump(exclude_unset=True)).pk == "b@example.com"
    assert In.model_json_schema()["properties"]["id"]["format"] == "email"


def test_include_exclude_and_names() -> None:
    Small = pydantic_model(PdEverything, include={"id", "title"}, name="Summary")
    assert Small.__name__ == "Summary" and list(Small.model_fields) == ["id", "title"]
    with pytest.raises(ValueError, match="no field 'nope'"):
        pydantic_model(PdEverything, exclude={"nope"})


def test_models_are_cached_per_arguments() -> None:
    assert pydantic_model(PdAuthor) is pydantic_model(PdAuthor)
    assert pydantic_model(PdAuthor, exclude={"id"}) is pydantic_model(PdAuthor, exclude=["id"])
    assert pydantic_model(PdAuthor, exclude={"id"}) is not pydantic_model(PdAuthor, partial=True)
    assert pydantic_model(PdAuthor, name="A") is not pydantic_model(PdAuthor, name="B")


def test_dynamic_documents_keep_undeclared_fields() -> None:
    class PdFree(DynamicDocument):
        name = StringField()

    In = pydantic_model(PdFree, mode="input")
    assert In.model_validate({"name": "x", "extra": 1}).model_dump() == {
        "id": None,
        "name": "x",
        "extra": 1,
    }


def test_recursive_embedded_documents_end() -> None:
    class PdReply(EmbeddedDocument):
        text = StringField()
        replies = ListField(EmbeddedDocumentField("PdReply"))

    schema = pydantic_model(PdReply).model_json_schema()
    assert schema["properties"]["replies"]["anyOf"][0]["type"] == "array"


def test_custom_kinds_fall_back_to_their_python_type() -> None:
    class UpperField(StringField):
        def describe(self) -> asyncodm.FieldSpec:
            return dataclasses.replace(super().describe(), kind="upper")

    class Opaque:
        pass

    class OpaqueField(BaseField[Opaque]):
        pass

    class PdCustom(Document):
        code = UpperField(max_length=3)
        thing = OpaqueField()

    schema = pydantic_model(PdCustom).model_json_schema()
    assert schema["properties"]["code"]["anyOf"][0] == {"type": "string"}  # python_type str
    assert schema["properties"]["thing"] == {"default": None, "title": "Thing"}  # Any


# --- ObjectIdStr --------------------------------------------------------------------------------


def test_objectid_str() -> None:
    adapter = TypeAdapter(ObjectIdStr)
    oid = ObjectId()
    assert adapter.validate_python(str(oid)) == oid
    assert adapter.validate_python(oid) is oid
    assert adapter.validate_json(f'"{oid}"') == oid
    assert adapter.dump_json(oid) == f'"{oid}"'.encode()
    assert adapter.dump_python(oid) is oid
    assert adapter.json_schema() == OID
    with pytest.raises(PydanticError) as caught:
        adapter.validate_python("123")
    assert [e["type"] for e in caught.value.errors()] == ["objectid"]  # one error, not two


def test_nested_models_are_base_models() -> None:
    Out = pydantic_model(PdEverything)
    note = Out.model_fields["note"].annotation
    assert any(isinstance(a, type) and issubclass(a, BaseModel) for a in note.__args__)  # type: ignore[union-attr]


def test_fields_named_like_base_model_attributes_keep_their_names() -> None:
    class PdShadowing(Document):
        json = StringField()
        model_name = StringField()

    Out = pydantic_model(PdShadowing)
    doc = PdShadowing(id=ObjectId(), json="j", model_name="m")
    assert Out.model_validate(doc).model_dump(mode="json") == {
        "id": str(doc.pk),
        "json": "j",
        "model_name": "m",
    }
    assert set(Out.model_json_schema()["properties"]) == {"id", "json", "model_name"}
    body = pydantic_model(PdShadowing, mode="input").model_validate({"json": "x"})
    assert PdShadowing(**body.model_dump(exclude_unset=True)).json == "x"
