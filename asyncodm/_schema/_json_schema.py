"""``Model.json_schema()``: a MongoDB ``$jsonSchema`` validator from ``describe()`` (API.md §13).

Stage: schema (pure, read only). Every field becomes a property keyed by its stored name, typed
by its ``FieldSpec.kind`` alone (never by its class), with the keywords of the MongoDB manual's
``$jsonSchema`` dialect (https://www.mongodb.com/docs/manual/reference/operator/query/jsonSchema/):
``bsonType``, ``required``, ``properties``, ``items``, ``minLength``/``maxLength``,
``pattern``, ``minimum``/``maximum``, ``minItems``/``maxItems``, ``enum``,
``additionalProperties``. What the server must accept decides every choice:

* ``additionalProperties`` is never false: a loaded document keeps the fields its class does
  not declare (API.md §2), so a validator must let them through; dynamic documents say
  ``additionalProperties: true`` explicitly.
* ``null`` is allowed where the field stores an explicit None (``null=True``); a field that
  is not ``required`` may be missing, which ``required`` alone expresses.
* a string ``regex`` is matched from the start of the value (``re.match``), so the pattern is
  anchored with ``^``; ``$jsonSchema`` patterns search anywhere.
* with inheritance, ``_cls`` is required and limited to the class names of the hierarchy
  registered now (re-sync the validator after adding a subclass).
* a versioned document's ``_version`` is a positive integer; it is not required (documents
  stored before the class was versioned have none until their next write).
* kinds with no meaningful BSON type (``dynamic``, a custom kind) accept any value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from asyncodm._registry import registry
from asyncodm._schema._describe import ModelSpec, describe
from asyncodm._schema._versioning import VERSION_KEY
from asyncodm.fields._spec import FieldSpec

__all__ = ["BSON_TYPES", "field_schema", "json_schema"]

JsonSchema = dict[str, Any]

#: kind -> bsonType, for kinds whose whole schema is their type (plus common keywords).
BSON_TYPES: Mapping[str, str | list[str]] = {
    "objectid": "objectId",
    "string": "string",
    "email": "string",
    "url": "string",
    "ip": "string",
    "complex_datetime": "string",
    "int": ["int", "long"],
    "sequence": ["int", "long"],
    "long": "long",
    "float": "double",
    "bool": "bool",
    "datetime": "date",
    "date": "date",
    "binary": "binData",
    "file": "objectId",
    "image": "objectId",
    "regex": "regex",
    "javascript": "javascript",
    "timestamp": "timestamp",
    "generic_embedded": "object",
    "generic_reference": "object",
}

_GEOJSON_TYPES: Mapping[str, str] = {
    "point": "Point",
    "linestring": "LineString",
    "polygon": "Polygon",
    "multipoint": "MultiPoint",
    "multilinestring": "MultiLineString",
    "multipolygon": "MultiPolygon",
    "geometry_collection": "GeometryCollection",
}


def _with_null(bson_type: str | list[str], spec: FieldSpec) -> str | list[str]:
    if not spec.null:
        return bson_type
    types = [bson_type] if isinstance(bson_type, str) else list(bson_type)
    return [*types, "null"]


def _anchored(regex: str) -> str:
    return regex if regex.startswith("^") else f"^(?:{regex})"


def _string_keywords(spec: FieldSpec) -> JsonSchema:
    c = spec.constraints
    out: JsonSchema = {}
    if "min_length" in c:
        out["minLength"] = c["min_length"]
    if "max_length" in c:
        out["maxLength"] = c["max_length"]
    if "regex" in c:
        out["pattern"] = _anchored(str(c["regex"]))
    return out


def _number_keywords(spec: FieldSpec) -> JsonSchema:
    c = spec.constraints
    out: JsonSchema = {}
    if c.get("min_value") is not None:
        out["minimum"] = c["min_value"]
    if c.get("max_value") is not None:
        out["maximum"] = c["max_value"]
    return out


def _scalar(spec: FieldSpec) -> JsonSchema:
    out: JsonSchema = {"bsonType": _with_null(BSON_TYPES[spec.kind], spec)}
    if out["bsonType"] in ("string", ["string", "null"]):
        out.update(_string_keywords(spec))
    if spec.kind in ("int", "long", "float", "sequence"):
        out.update(_number_keywords(spec))
    return out


def _uuid(spec: FieldSpec) -> JsonSchema:
    binary = spec.options.get("binary", True)
    return {"bsonType": _with_null("binData" if binary else "string", spec)}


def _decimal(spec: FieldSpec) -> JsonSchema:
    if spec.options.get("force_string"):
        return {"bsonType": _with_null("string", spec)}
    # Decimal128 bounds are not comparable as JSON numbers without losing precision; the
    # model's own validation keeps min/max_value.
    return {"bsonType": _with_null("decimal", spec)}


def _enum(spec: FieldSpec) -> JsonSchema:
    values = list(spec.choices or ())
    return {"enum": [*values, None] if spec.null else values}


def _array(spec: FieldSpec) -> JsonSchema:
    out: JsonSchema = {"bsonType": _with_null("array", spec)}
    if spec.item is not None and spec.item.kind != "dynamic":
        out["items"] = field_schema(spec.item)
    c = spec.constraints
    if "min_length" in c:
        out["minItems"] = c["min_length"]
    if "max_length" in c:
        out["maxItems"] = c["max_length"]
    return out


def _mapping(spec: FieldSpec) -> JsonSchema:
    out: JsonSchema = {"bsonType": _with_null("object", spec)}
    if spec.item is not None and spec.item.kind != "dynamic":
        out["additionalProperties"] = field_schema(spec.item)
    return out


def _embedded(spec: FieldSpec) -> JsonSchema:
    if spec.document is None:
        return {"bsonType": _with_null("object", spec)}
    out = json_schema(spec.document)
    out["bsonType"] = _with_null("object", spec)
    return out


def _reference(spec: FieldSpec) -> JsonSchema:
    if spec.options.get("dbref"):
        return {"bsonType": _with_null("object", spec)}
    target = spec.reference
    if target is None:
        return {}
    target_spec = describe(target)
    pk = target_spec.fields.get(target_spec.pk) if target_spec.pk else None
    if pk is None:
        return {}
    bson = field_schema(pk).get("bsonType")
    return {"bsonType": _with_null(bson, spec)} if bson is not None else {}


def _geojson(spec: FieldSpec) -> JsonSchema:
    name = _GEOJSON_TYPES[spec.kind]
    if spec.kind == "geometry_collection":
        body: JsonSchema = {"geometries": {"bsonType": "array"}}
        needed = ["type", "geometries"]
    else:
        body = {"coordinates": {"bsonType": "array"}}
        needed = ["type", "coordinates"]
    return {
        "bsonType": _with_null("object", spec),
        "required": needed,
        "properties": {"type": {"enum": [name]}, **body},
    }


def _geo_point(spec: FieldSpec) -> JsonSchema:
    number = {"bsonType": ["double", "int", "long"]}
    return {"bsonType": _with_null("array", spec), "minItems": 2, "maxItems": 2, "items": number}


def _anything(spec: FieldSpec) -> JsonSchema:
    return {}


_BUILDERS: Mapping[str, Callable[[FieldSpec], JsonSchema]] = {
    **dict.fromkeys(BSON_TYPES, _scalar),
    **dict.fromkeys(_GEOJSON_TYPES, _geojson),
    "uuid": _uuid,
    "decimal": _decimal,
    "enum": _enum,
    "list": _array,
    "sorted_list": _array,
    "dict": _mapping,
    "map": _mapping,
    "embedded": _embedded,
    "reference": _reference,
    "geo_point": _geo_point,
    "dynamic": _anything,
}


def field_schema(spec: FieldSpec) -> JsonSchema:
    """The ``$jsonSchema`` of one field's stored value, chosen by its kind."""
    out = _BUILDERS.get(spec.kind, _anything)(spec)
    if spec.choices is not None and spec.kind != "enum":
        choices = list(spec.choices)
        out["enum"] = [*choices, None] if spec.null else choices
    for key in ("verbose_name", "help_text"):
        text = spec.metadata.get(key)
        if isinstance(text, str):
            out["title" if key == "verbose_name" else "description"] = text
    return out


def _cls_property(spec: ModelSpec) -> JsonSchema:
    return {"bsonType": "string", "enum": registry.class_names_under(spec.model)}


def json_schema(model: Any) -> JsonSchema:
    """``{"bsonType": "object", "required": [...], "properties": {...}}`` for a document class.

    Example:
        ```python
        Page.json_schema()["properties"]["title"]
        # {"bsonType": "string", "maxLength": 200}
        ```
    """
    spec = describe(model)
    properties: JsonSchema = {}
    required: list[str] = []
    if spec.stores_cls:
        properties["_cls"] = _cls_property(spec)
        required.append("_cls")
    for fs in spec.fields.values():
        properties[fs.db_field] = field_schema(fs)
        if fs.required or (fs.primary_key and not spec.embedded):
            required.append(fs.db_field)
    if spec.versioned:
        properties[VERSION_KEY] = {"bsonType": ["int", "long"], "minimum": 1}
    out: JsonSchema = {"bsonType": "object"}
    if required:
        out["required"] = required
    out["properties"] = properties
    if spec.dynamic:
        out["additionalProperties"] = True
    return out
