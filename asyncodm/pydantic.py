"""Pydantic v2 models generated from ``asyncodm.describe()`` (API.md §12).

Stage: integration, above the public API. A document's constraints are declared once, on its
fields; this module reads the ``ModelSpec`` and builds the pydantic model FastAPI validates
request bodies with and documents its OpenAPI schema from, so a 201-character title is a 422
before the database is touched and the schema shows ``maxLength: 200``.

The mapping is a table keyed by ``FieldSpec.kind`` (``_KINDS``), one small function per kind;
no field class is ever asked for. A custom kind (a field that describes itself as ``"upper"``)
falls back to its ``python_type`` when pydantic can build a schema for it, else ``Any``.

Needs the ``fastapi`` extra (``pip install 'asyncodm[fastapi]'``); ``import asyncodm`` never
imports pydantic.
"""

from __future__ import annotations

import datetime
import decimal
import re
import uuid
import weakref
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union

from bson import DBRef, Decimal128, ObjectId, Timestamp
from bson.code import Code

try:
    from pydantic import VERSION as _PYDANTIC_VERSION
    from pydantic import (
        BaseModel,
        BeforeValidator,
        ConfigDict,
        Field,
        GetCoreSchemaHandler,
        GetJsonSchemaHandler,
        PlainSerializer,
        PydanticSchemaGenerationError,
        TypeAdapter,
        create_model,
    )
    from pydantic.fields import FieldInfo
    from pydantic.json_schema import JsonSchemaValue
    from pydantic_core import core_schema
except ImportError as exc:  # pragma: no cover - exercised by a subprocess test
    raise ImportError(
        "asyncodm.pydantic needs pydantic v2: pip install 'asyncodm[fastapi]'"
    ) from exc

if _PYDANTIC_VERSION.startswith("1."):  # pragma: no cover - the extra pins v2
    raise ImportError(
        f"asyncodm.pydantic needs pydantic v2, found {_PYDANTIC_VERSION}: "
        "pip install 'asyncodm[fastapi]'"
    )

from asyncodm import MISSING, Document, EmbeddedDocument, FieldSpec, Ref, describe
from asyncodm.errors import OperationError
from asyncodm.files import FieldFile

__all__ = [
    "OBJECTID_PATTERN",
    "FileMetadata",
    "GenericReference",
    "GeoJSONGeometryCollection",
    "GeoJSONLineString",
    "GeoJSONMultiLineString",
    "GeoJSONMultiPoint",
    "GeoJSONMultiPolygon",
    "GeoJSONPoint",
    "GeoJSONPolygon",
    "ObjectIdStr",
    "pydantic_model",
]

Mode = Literal["input", "output"]

#: What a 24-hex ObjectId looks like in JSON (and in the OpenAPI schema).
OBJECTID_PATTERN = "^[0-9a-fA-F]{24}$"


# --- BSON scalars: a Python type in Python, a JSON shape in JSON ------------------------------


@dataclass(frozen=True, eq=False)  # hashed by identity: its schemas are dicts
class _BsonScalar:
    """Pydantic metadata for a BSON value: accepted as itself or as its JSON form, kept as
    the BSON type in Python (``model_dump()`` gives what a document takes) and written as the
    JSON form in JSON. One class serves ObjectId, Timestamp, Pattern and Code."""

    cls: type
    json_input: core_schema.CoreSchema
    load: Callable[[Any], Any]
    dump: Callable[[Any], Any]
    json_schema: Mapping[str, Any]
    #: The one error a bad value gets (type, message), instead of one per union branch.
    error: tuple[str, str]

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        from_json = core_schema.chain_schema(
            [self.json_input, core_schema.no_info_plain_validator_function(self.load)]
        )
        return core_schema.json_or_python_schema(
            json_schema=from_json,
            python_schema=core_schema.union_schema(
                [core_schema.is_instance_schema(self.cls), from_json],
                custom_error_type=self.error[0],
                custom_error_message=self.error[1],
            ),
            serialization=core_schema.plain_serializer_function_ser_schema(
                self.dump, when_used="json"
            ),
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return dict(self.json_schema)


def _timestamp(value: Mapping[str, int]) -> Timestamp:
    return Timestamp(value["t"], value["i"])


_TIMESTAMP_JSON = core_schema.typed_dict_schema(
    {
        "t": core_schema.typed_dict_field(core_schema.int_schema(ge=0)),
        "i": core_schema.typed_dict_field(core_schema.int_schema(ge=0)),
    }
)

#: An ``ObjectId`` in Python, a 24-hex string in JSON, with that pattern in the schema; use it
#: for path parameters (``pid: ObjectIdStr``): a malformed id is a 422 naming the parameter.
ObjectIdStr = Annotated[
    ObjectId,
    _BsonScalar(
        ObjectId,
        core_schema.str_schema(pattern=OBJECTID_PATTERN),
        ObjectId,
        str,
        {"type": "string", "pattern": OBJECTID_PATTERN, "examples": ["5f0c9a1e8b3e4a2d9c7b6a51"]},
        ("objectid", "Input should be an ObjectId: a string of 24 hexadecimal digits"),
    ),
]

_TimestampValue = Annotated[
    Timestamp,
    _BsonScalar(
        Timestamp,
        _TIMESTAMP_JSON,
        _timestamp,
        lambda ts: {"t": ts.time, "i": ts.inc},
        {
            "type": "object",
            "properties": {"t": {"type": "integer"}, "i": {"type": "integer"}},
            "required": ["t", "i"],
        },
        ("timestamp", "Input should be a BSON timestamp {t: seconds, i: increment}"),
    ),
]


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:  # pydantic reports ValueErrors as validation errors
        raise ValueError(f"not a regular expression: {exc}") from None


_PatternValue = Annotated[
    re.Pattern[str],
    _BsonScalar(
        re.Pattern,
        core_schema.str_schema(),
        _compile,
        lambda p: p.pattern,
        {"type": "string", "format": "regex"},
        ("regex", "Input should be a regular expression"),
    ),
]

_CodeValue = Annotated[
    Code,
    _BsonScalar(
        Code,
        core_schema.str_schema(),
        Code,
        str,
        {"type": "string"},
        ("code", "Input should be a string"),
    ),
]


def _jsonable(value: Any) -> Any:
    """A schemaless value (dynamic fields, untyped dicts) with its BSON parts made JSON-ready:
    pydantic's ``Any`` serializer knows datetimes and UUIDs, not ObjectIds or references."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (ObjectId, Decimal128, Code)):
        return str(value)
    if isinstance(value, Ref):
        return _jsonable(value.pk)
    if isinstance(value, DBRef):
        return {"collection": value.collection, "id": _jsonable(value.id)}
    if isinstance(value, Timestamp):
        return {"t": value.time, "i": value.inc}
    if isinstance(value, re.Pattern):
        return value.pattern
    if isinstance(value, (Document, EmbeddedDocument)):
        return _jsonable(value.to_mongo())
    return value


_AnyValue = Annotated[Any, PlainSerializer(_jsonable, when_used="json")]


# --- fixed models: GeoJSON, files, generic references ----------------------------------------

_Position = Annotated[list[float], Field(min_length=2, max_length=3)]


class GeoJSONPoint(BaseModel):
    type: Literal["Point"] = "Point"
    coordinates: _Position


class GeoJSONLineString(BaseModel):
    type: Literal["LineString"] = "LineString"
    coordinates: Annotated[list[_Position], Field(min_length=2)]


class GeoJSONPolygon(BaseModel):
    type: Literal["Polygon"] = "Polygon"
    coordinates: list[Annotated[list[_Position], Field(min_length=4)]]


class GeoJSONMultiPoint(BaseModel):
    type: Literal["MultiPoint"] = "MultiPoint"
    coordinates: list[_Position]


class GeoJSONMultiLineString(BaseModel):
    type: Literal["MultiLineString"] = "MultiLineString"
    coordinates: list[Annotated[list[_Position], Field(min_length=2)]]


class GeoJSONMultiPolygon(BaseModel):
    type: Literal["MultiPolygon"] = "MultiPolygon"
    coordinates: list[list[Annotated[list[_Position], Field(min_length=4)]]]


_Geometry = Annotated[
    Union[  # noqa: UP007 - a discriminated union reads best spelled out
        GeoJSONPoint,
        GeoJSONLineString,
        GeoJSONPolygon,
        GeoJSONMultiPoint,
        GeoJSONMultiLineString,
        GeoJSONMultiPolygon,
    ],
    Field(discriminator="type"),
]


class GeoJSONGeometryCollection(BaseModel):
    type: Literal["GeometryCollection"] = "GeometryCollection"
    geometries: list[_Geometry]


class FileMetadata(BaseModel):
    """What a file field shows in JSON: its stored file's details, never its content (upload
    files through an endpoint of your own, with ``File``)."""

    model_config = ConfigDict(from_attributes=True)

    file_id: _AnyValue = None
    filename: str | None = None
    length: int | None = None
    content_type: str | None = None
    upload_date: datetime.datetime | None = None
    metadata: dict[str, _AnyValue] | None = None


def _file_details(value: Any) -> Any:
    """A ``FieldFile`` as the details a ``FileMetadata`` reads (None for an empty one); a
    document loaded without its files' details still shows the file id."""
    if not isinstance(value, FieldFile):
        return value
    if not value:
        return None
    details: dict[str, Any] = {"file_id": value.file_id}
    for key in ("filename", "length", "content_type", "upload_date", "metadata"):
        try:
            details[key] = getattr(value, key)
        except OperationError:  # details not loaded: the id alone is still true
            break
    return details


class GenericReference(BaseModel):
    """A generic reference in JSON: the target's class name and id."""

    model_config = ConfigDict(from_attributes=True)

    cls: str
    id: _AnyValue


# --- the kind table -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    """What a kind function needs besides the spec: which way the model faces."""

    mode: Mode

    def nested(self, document: type) -> Any:
        return _nested_model(document, self.mode)


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


# --- building a model -----------------------------------------------------------------------


def _field_definition(spec: FieldSpec, ctx: _Context, *, partial: bool, is_pk: bool) -> Any:
    """``(annotation, FieldInfo)`` for one field: required-ness from the spec and the mode."""
    tp = _type_of(spec, ctx)
    docs: dict[str, Any] = {}
    if spec.metadata.get("verbose_name"):
        docs["title"] = str(spec.metadata["verbose_name"])
    if spec.metadata.get("help_text"):
        docs["description"] = str(spec.metadata["help_text"])
    optional = tp if tp is _AnyValue else tp | None  # Any already takes None
    if ctx.mode == "output":
        if spec.required or is_pk:
            return tp, Field(**docs)
        return optional, Field(None, **docs)
    if partial:
        return optional, Field(None, **docs)
    default = spec.default
    if default is not MISSING:
        annotation = tp if spec.required else optional
        if callable(default):
            return annotation, Field(default_factory=default, **docs)
        return annotation, Field(default, **docs)
    if spec.required and not spec.auto:
        return tp, Field(**docs)
    return optional, Field(None, **docs)


_RESERVED = frozenset(dir(BaseModel))


def _python_name(name: str) -> tuple[str, dict[str, Any]]:
    """A pydantic-safe attribute name for a field: one that shadows a ``BaseModel`` attribute
    (``json``, ``copy``, ``model_*``) gets a trailing underscore and keeps its name as alias."""
    if name in _RESERVED or name.startswith("model_"):
        return f"{name}_", {"alias": name}
    return name, {}


def _config(mode: Mode, dynamic: bool) -> ConfigDict:
    extra: Literal["allow", "forbid", "ignore"] = "ignore"
    if dynamic:
        extra = "allow"
    elif mode == "input":
        extra = "forbid"
    config = ConfigDict(
        from_attributes=True,
        extra=extra,
        populate_by_name=True,
        regex_engine="python-re",  # field regexes are Python's (look-arounds included)
        ser_json_bytes="base64",
    )
    if "serialize_by_alias" in ConfigDict.__annotations__:  # pydantic >= 2.11
        config["serialize_by_alias"] = True
    if "val_json_bytes" in ConfigDict.__annotations__:  # pydantic >= 2.8
        config["val_json_bytes"] = "base64"
    return config


def _build(
    model: type,
    *,
    include: frozenset[str] | None,
    exclude: frozenset[str],
    partial: bool,
    name: str | None,
    mode: Mode,
) -> type[BaseModel]:
    spec = describe(model)
    names = ["id" if n == spec.pk else n for n in spec.fields]
    unknown = sorted(((include or frozenset()) | exclude) - set(names))
    if unknown:
        raise ValueError(f"{spec.name} has no field {', '.join(map(repr, unknown))}")
    definitions: dict[str, Any] = {}
    ctx = _Context(mode)
    for field_name, field_spec in spec.fields.items():
        is_pk = field_name == spec.pk
        public = "id" if is_pk else field_name
        if public in exclude or (include is not None and public not in include):
            continue
        if mode == "input" and field_spec.kind in _OUTPUT_ONLY:
            continue
        tp, info = _field_definition(field_spec, ctx, partial=partial, is_pk=is_pk)
        attr, alias = _python_name(public)
        if public != field_name and mode == "input":
            # A declared pk (``email``) is ``id`` in JSON; ``model_dump()`` gives the name the
            # document's constructor takes, so ``Model(**body.model_dump())`` works.
            alias["serialization_alias"] = field_name
        if alias:
            info = FieldInfo.merge_field_infos(info, Field(**alias))
        definitions[attr] = (tp, info)
    default_name = spec.name
    if mode == "input":
        default_name += "Patch" if partial else "In"
    generated: type[BaseModel] = create_model(
        name or default_name,
        __config__=_config(mode, spec.dynamic),
        __doc__=f"{spec.name} ({mode} model generated from asyncodm.describe()).",
        __module__=model.__module__,
        **definitions,
    )
    return generated


_Key = tuple[frozenset[str] | None, frozenset[str], bool, str | None, Mode]

#: Generated models per document class and arguments: the same call gives the same class
#: (FastAPI's OpenAPI schema then names it once), and a redefined document class is a new key.
_CACHE: weakref.WeakKeyDictionary[type, dict[_Key, type[BaseModel]]] = weakref.WeakKeyDictionary()

#: Embedded classes being generated: a recursive embedded document (a comment with replies)
#: is typed as a plain object one level down instead of recursing for ever.
_IN_PROGRESS: set[tuple[type, Mode]] = set()


def _nested_model(document: type, mode: Mode) -> Any:
    if (document, mode) in _IN_PROGRESS:
        return dict[str, _AnyValue]
    return pydantic_model(document, mode=mode)


def pydantic_model(
    model: type,
    *,
    include: Collection[str] | None = None,
    exclude: Collection[str] | None = None,
    partial: bool = False,
    name: str | None = None,
    mode: Mode | None = None,
) -> type[BaseModel]:
    """The pydantic model of a document class, generated from ``describe(model)``.

    Args:
        model: A ``Document`` or ``EmbeddedDocument`` class.
        include: Only these fields (the pk is called ``id``).
        exclude: Leave these fields out (``{"id", "views"}`` for a create body).
        partial: Every field optional with a None default, for PATCH bodies: use
            ``model_dump(exclude_unset=True)`` to get what the client sent.
        name: The model's class name, which is its name in the OpenAPI schema (default: the
            document's name; ``In`` or ``Patch`` appended for input models). Two models of
            one class with the same name in one schema (an embedded document's nested
            ``CommentIn`` and a ``CommentIn`` without some field) are told apart by pydantic
            with long qualified names: name one of them.
        mode: ``"output"`` (responses: unknown attributes ignored) or ``"input"`` (request
            bodies: unknown fields are a 422, file fields left out, generated pks and fields
            with defaults optional). Default: input when ``exclude`` or ``partial`` is given.

    Returns:
        The same class for the same arguments (cached per document class).

    Raises:
        ValueError: ``include`` or ``exclude`` names a field the document does not have.
    """
    chosen: Mode = mode or ("input" if exclude is not None or partial else "output")
    key: _Key = (
        frozenset(include) if include is not None else None,
        frozenset(exclude or ()),
        partial,
        name,
        chosen,
    )
    per_class = _CACHE.setdefault(model, {})
    found = per_class.get(key)
    if found is not None:
        return found
    _IN_PROGRESS.add((model, chosen))
    try:
        built = _build(
            model, include=key[0], exclude=key[1], partial=partial, name=name, mode=chosen
        )
    finally:
        _IN_PROGRESS.discard((model, chosen))
    per_class[key] = built
    return built
