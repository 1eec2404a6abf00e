"""The kind table: ``FieldSpec.kind`` -> the pydantic annotation of one value of that kind.

Stage: integration (``asyncodm.pydantic``). One small function per kind, keyed by the kind
string, never by a field class; a custom kind falls back to its ``python_type`` when pydantic
can build a schema for it, else any value.
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from bson import DBRef
from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PydanticSchemaGenerationError,
    TypeAdapter,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from asyncodm import Document, EmbeddedDocument, FieldSpec, Ref, describe
from asyncodm.pydantic._scalars import (
    Mode,
    ObjectIdStr,
    _AnyValue,
    _CodeValue,
    _jsonable,
    _PatternValue,
    _TimestampValue,
)
from asyncodm.pydantic._shapes import (
    FileMetadata,
    GenericReference,
    GeoJSONGeometryCollection,
    GeoJSONLineString,
    GeoJSONMultiLineString,
    GeoJSONMultiPoint,
    GeoJSONMultiPolygon,
    GeoJSONPoint,
    GeoJSONPolygon,
    _file_details,
)


@dataclass(frozen=True)
class _Context:
    """What a kind function needs besides the spec: which way the model faces, and how to
    get the model of an embedded document (``_models`` builds it; passed in, so this table
    does not import the builder that imports it)."""

    mode: Mode
    nested_model: Callable[[type, Mode], Any]

    def nested(self, document: type) -> Any:
        return self.nested_model(document, self.mode)


KindMapper = Callable[[FieldSpec, _Context], Any]


def _bounds(spec: FieldSpec, *, number: bool = False) -> dict[str, Any]:
    c = spec.constraints
    if number:
        return {"ge": c.get("min_value"), "le": c.get("max_value")}
    return {"min_length": c.get("min_length"), "max_length": c.get("max_length")}


def _constrained(tp: Any, **constraints: Any) -> Any:
    given = {k: v for k, v in constraints.items() if v is not None}
    return Annotated[tp, Field(**given)] if given else tp


@dataclass(frozen=True)
class _Format:
    """Adds ``format`` to a type's JSON schema (email, uri, ipv4 ...): the value itself is
    checked by the document's own validation on save."""

    format: str

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        result = handler(schema)
        result["format"] = self.format
        return result


def _anchored(pattern: str) -> str:
    """A field's regex matches from the start of the value (``re.match``); pydantic's pattern
    searches, so it is anchored."""
    return pattern if pattern.startswith("^") else f"^(?:{pattern})"


def _string(spec: FieldSpec, ctx: _Context) -> Any:
    regex = spec.constraints.get("regex")
    return _constrained(str, **_bounds(spec), pattern=_anchored(regex) if regex else None)


def _formatted(fmt: str) -> KindMapper:
    def mapper(spec: FieldSpec, ctx: _Context) -> Any:
        return Annotated[_string(spec, ctx), _Format(fmt)]

    return mapper


def _ip(spec: FieldSpec, ctx: _Context) -> Any:
    protocol = spec.constraints.get("protocol")
    fmt = {"ipv4": "ipv4", "ipv6": "ipv6"}.get(str(protocol).lower(), "ip")
    return Annotated[str, _Format(fmt)]


def _number(tp: type) -> KindMapper:
    def mapper(spec: FieldSpec, ctx: _Context) -> Any:
        return _constrained(tp, **_bounds(spec, number=True))

    return mapper


def _plain(tp: Any) -> KindMapper:
    def mapper(spec: FieldSpec, ctx: _Context) -> Any:
        return tp

    return mapper


def _binary(spec: FieldSpec, ctx: _Context) -> Any:
    return _constrained(bytes, max_length=spec.constraints.get("max_bytes"))


def _enum(spec: FieldSpec, ctx: _Context) -> Any:
    return spec.python_type


def _list(spec: FieldSpec, ctx: _Context) -> Any:
    item = _item_type(spec.item, ctx)
    return _constrained(list[item], **_bounds(spec))  # type: ignore[valid-type]


def _dict(spec: FieldSpec, ctx: _Context) -> Any:
    return dict[str, _item_type(spec.item, ctx)]  # type: ignore[misc]


def _embedded(spec: FieldSpec, ctx: _Context) -> Any:
    assert spec.document is not None
    return ctx.nested(spec.document)


def _generic_embedded(spec: FieldSpec, ctx: _Context) -> Any:
    return Annotated[dict[str, _AnyValue], BeforeValidator(_embedded_as_dict)]


def _embedded_as_dict(value: Any) -> Any:
    if isinstance(value, EmbeddedDocument):
        son = value.to_mongo()
        return {"_cls": type(value).__name__, **dict(son)}
    return value


def _pk_of(value: Any) -> Any:
    """A reference as its id: a ``Ref`` handle, a document or a DBRef give their pk."""
    if isinstance(value, (Ref, Document)):
        return value.pk
    if isinstance(value, DBRef):
        return value.id
    return value


def _reference(spec: FieldSpec, ctx: _Context) -> Any:
    target = spec.reference
    pk_type: Any = ObjectIdStr
    if target is not None:
        target_spec = describe(target)
        if target_spec.pk is not None:
            pk_spec = target_spec.fields[target_spec.pk]
            pk_type = _type_of(pk_spec, ctx)
    return Annotated[pk_type, BeforeValidator(_pk_of)]


def _generic_reference(spec: FieldSpec, ctx: _Context) -> Any:
    if ctx.mode == "output":
        return Annotated[GenericReference, BeforeValidator(_generic_as_dict)]
    classes = spec.classes
    return Annotated[GenericReference, BeforeValidator(_generic_as_dict), _RefLoader(classes)]


def _generic_as_dict(value: Any) -> Any:
    if isinstance(value, Ref):
        return {"cls": value.model.__name__, "id": value.pk}
    if isinstance(value, Document):
        return {"cls": type(value).__name__, "id": value.pk}
    return value


@dataclass(frozen=True)
class _RefLoader:
    """In input models a generic reference ``{"cls": "User", "id": ...}`` becomes the
    ``Ref`` handle the document stores; the class must be one the field allows."""

    classes: tuple[type, ...] | None

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            self._load,
            handler(source),
            serialization=core_schema.plain_serializer_function_ser_schema(
                _dump_ref, info_arg=True
            ),
        )

    def _load(self, value: GenericReference) -> Any:
        candidates = self.classes if self.classes is not None else _document_classes()
        for cls in candidates:
            if cls.__name__ == value.cls:
                pk_field = describe(cls).pk
                pk = value.id
                if pk_field is not None and describe(cls).fields[pk_field].kind == "objectid":
                    pk = TypeAdapter(ObjectIdStr).validate_python(pk)
                return Ref(cls, pk)
        raise ValueError(f"{value.cls!r} is not a document class this reference may hold")


def _dump_ref(value: Any, info: core_schema.SerializationInfo) -> Any:
    """An input model's generic reference: the ``Ref`` in Python, ``{cls, id}`` in JSON."""
    return _jsonable(_generic_as_dict(value)) if info.mode_is_json() else value


def _document_classes() -> list[type]:
    """Every document class defined so far (a generic reference with no ``choices``)."""
    found: list[type] = []
    stack: list[type] = [Document]
    while stack:
        cls = stack.pop()
        sub: type
        for sub in cls.__subclasses__():
            found.append(sub)
            stack.append(sub)
    return found


def _file(spec: FieldSpec, ctx: _Context) -> Any:
    return Annotated[FileMetadata | None, BeforeValidator(_file_details)]


def _sequence(spec: FieldSpec, ctx: _Context) -> Any:
    return int if spec.python_type is int else _AnyValue


def _geo(model: type[BaseModel]) -> KindMapper:
    return _plain(model)


def _geo_point(spec: FieldSpec, ctx: _Context) -> Any:
    return Annotated[list[float], Field(min_length=2, max_length=2)]


def _custom(spec: FieldSpec, ctx: _Context) -> Any:
    """A kind the table does not know: its Python type if pydantic can build a schema for it,
    else any value (serialized with BSON values made JSON-ready)."""
    tp = spec.python_type
    if tp is object or tp is Any:
        return _AnyValue
    try:
        TypeAdapter(tp)
    except (PydanticSchemaGenerationError, TypeError):  # pydantic cannot describe it
        return _AnyValue
    return tp


#: FieldSpec.kind -> the pydantic annotation for one value of that kind (API.md §11 kinds).
_KINDS: dict[str, KindMapper] = {
    "objectid": _plain(ObjectIdStr),
    "string": _string,
    "email": _formatted("email"),
    "url": _formatted("uri"),
    "uuid": _plain(uuid.UUID),
    "int": _number(int),
    "long": _number(int),
    "float": _number(float),
    "decimal": _number(decimal.Decimal),
    "bool": _plain(bool),
    "datetime": _plain(datetime.datetime),
    "complex_datetime": _plain(datetime.datetime),
    "date": _plain(datetime.date),
    "binary": _binary,
    "enum": _enum,
    "list": _list,
    "sorted_list": _list,
    "dict": _dict,
    "map": _dict,
    "embedded": _embedded,
    "generic_embedded": _generic_embedded,
    "reference": _reference,
    "generic_reference": _generic_reference,
    "file": _file,
    "image": _file,
    "sequence": _sequence,
    "point": _geo(GeoJSONPoint),
    "linestring": _geo(GeoJSONLineString),
    "polygon": _geo(GeoJSONPolygon),
    "multipoint": _geo(GeoJSONMultiPoint),
    "multilinestring": _geo(GeoJSONMultiLineString),
    "multipolygon": _geo(GeoJSONMultiPolygon),
    "geometry_collection": _geo(GeoJSONGeometryCollection),
    "geo_point": _geo_point,
    "dynamic": _plain(_AnyValue),
    "regex": _plain(_PatternValue),
    "javascript": _plain(_CodeValue),
    "ip": _ip,
    "timestamp": _plain(_TimestampValue),
}

#: Kinds an input model leaves out: their values are not JSON (upload files elsewhere).
_OUTPUT_ONLY = frozenset({"file", "image"})


def _type_of(spec: FieldSpec, ctx: _Context) -> Any:
    """The annotation for a value of ``spec``: ``choices`` become a ``Literal`` (enums keep
    their class, whose schema lists the values already)."""
    if spec.choices and spec.kind != "enum":
        return Literal.__getitem__(tuple(spec.choices))
    return _KINDS.get(spec.kind, _custom)(spec, ctx)


def _item_type(item: FieldSpec | None, ctx: _Context) -> Any:
    if item is None:
        return _AnyValue
    tp = _type_of(item, ctx)
    return tp | None if item.null else tp
