"""From ``describe()`` to starlette-admin fields: one converter per field *kind*.

Stage: integration (admin). The admin never asks a field which class it is: it reads each
field's ``FieldSpec`` (API.md §11) and picks the starlette-admin field for its ``kind``, so a
custom field that describes itself as a built-in kind gets that kind's widget, and a new field
class needs no change here. Embedded documents become nested forms (``CollectionField``), lists
repeatable inputs (``ListField``), references selects of the target's view (``HasOne`` /
``HasMany``), choices selects (``EnumField``) and files upload inputs whose content goes to GridFS.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import starlette_admin.fields as sa
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette_admin.helpers import slugify_class_name

from asyncodm import MISSING, FieldSpec, describe

__all__ = [
    "FileField",
    "HasMany",
    "HasOne",
    "ImageField",
    "ObjectIdInput",
    "ReadOnlyField",
    "convert_field",
    "convert_fields",
    "view_key",
]

#: Kinds stored as free-form structures: edited as JSON (GeoJSON, dicts, dynamic values).
_JSON_KINDS = frozenset(
    {
        "dict",
        "map",
        "dynamic",
        "generic_embedded",
        "point",
        "linestring",
        "polygon",
        "multipoint",
        "multilinestring",
        "multipolygon",
        "geometry_collection",
        "geo_point",
    }
)

#: Kinds shown but not editable in a form: no widget turns text into their stored value safely.
_READ_ONLY_KINDS = frozenset({"binary", "timestamp", "javascript", "generic_reference"})


def view_key(model: type) -> str:
    """The admin key of a model's view: its slugified class name (``BlogPost`` -> ``blog-post``),
    starlette-admin's own default, so a reference knows its target's URL without asking."""
    return slugify_class_name(model.__name__)


@dataclass
class ObjectIdInput(sa.StringField):
    """An ObjectId shown as its hex string; filters compare it as an ObjectId (see _query)."""

    copy_to_clipboard: bool | None = True


@dataclass
class ReadOnlyField(sa.StringField):
    """A value with no form widget (binary, timestamps, generic references): shown as text."""

    read_only: bool | None = True
    exclude_from_create: bool | None = True
    exclude_from_edit: bool | None = True
    searchable: bool | None = False
    orderable: bool | None = False

    async def serialize_value(self, request: Request, value: Any) -> Any:
        return str(value)


async def _resolve(value: Any) -> Any:
    """A reference as a document: ``Ref`` and ``RefList`` are awaitable (one query, cached)."""
    if value is None:
        return None
    if hasattr(value, "__await__"):
        return await value
    return value


@dataclass
class HasOne(sa.HasOne):
    """A reference: a select of the target's documents; shown through the target's view."""

    async def parse_obj(self, request: Request, obj: Any) -> Any:
        return await _resolve(getattr(obj, self.name, None))


@dataclass
class HasMany(sa.HasMany):
    """A list of references: a multiple select of the target's documents."""

    async def parse_obj(self, request: Request, obj: Any) -> Any:
        value = await _resolve(getattr(obj, self.name, None))
        return [v for v in value or [] if v is not None]


async def _file_info(field: sa.FileField, request: Request, value: Any) -> dict[str, Any] | None:
    """What the file templates show: name, type and the admin's download URL for the file,
    which reads it back through the document's own file field (so any storage works)."""
    if not value or getattr(value, "file_id", None) is None:
        return None
    owner = getattr(value, "instance", None)
    if owner is None or getattr(owner, "pk", None) is None:
        return None
    if getattr(value, "info", None) is None:
        await value.open()  # one query for its files document, when not loaded with the page
    key = field._view.key if field._view is not None else None
    url = request.url_for(
        request.app.state.ROUTE_NAME + ":api:asyncodm-file",
        key=key or view_key(type(owner)),
        field=field.name,
        pk=str(owner.pk),
    )
    return {
        "filename": getattr(value, "filename", None) or "unnamed",
        "content_type": getattr(value, "content_type", None) or "application/octet-stream",
        "url": str(url),
    }


async def _close_empty(field: sa.FileField, form_data: Any) -> None:
    """Close what the browser sent for an empty file input: starlette-admin drops it unclosed,
    leaving a temporary file to the garbage collector (a ResourceWarning)."""
    for upload in form_data.getlist(field.id):
        if isinstance(upload, UploadFile) and not upload.filename:
            await upload.close()


class _StoredUpload:
    """What file and image inputs share: an empty input is closed, and a stored file shows
    its GridFS record. A plain mixin (not a dataclass), so each field keeps its own
    starlette-admin defaults (templates, ``accept``, validators)."""

    async def parse_form_data(self, request: Request, form_data: Any) -> Any:
        parsed = await super().parse_form_data(request, form_data)  # type: ignore[misc]
        if parsed[0] is None:
            await _close_empty(self, form_data)  # type: ignore[arg-type]
        return parsed

    async def serialize_value(self, request: Request, value: Any) -> Any:
        return await _file_info(self, request, value)  # type: ignore[arg-type]


@dataclass
class FileField(_StoredUpload, sa.FileField):
    """A GridFS file: uploaded through the document's own file field (see ModelView)."""


@dataclass
class ImageField(_StoredUpload, sa.ImageField):
    """A GridFS image (an ``image`` kind): uploaded like a file, shown as a picture."""


def _common(spec: FieldSpec) -> dict[str, Any]:
    """The keywords every converted field takes: name, label, help, required, default."""
    default = spec.default
    if default is MISSING or spec.primary_key or callable(default):
        default = None
    label = spec.metadata.get("verbose_name")
    return {
        "name": spec.name,
        "label": str(label) if label else None,
        "help_text": spec.metadata.get("help_text"),
        "required": spec.required and not spec.auto,
        "default": default,
    }


def _choices(spec: FieldSpec) -> sa.BaseField:
    """A select over the declared choices, coercing the submitted text to the stored type."""
    labels = spec.choice_labels or tuple((c, str(c)) for c in spec.choices or ())
    values = [value for value, _ in labels]
    kinds = {type(v) for v in values}
    coerce: Callable[[Any], Any] = kinds.pop() if len(kinds) == 1 else str
    if coerce is bool or not isinstance(coerce, type):
        coerce = str
    return sa.EnumField(**_common(spec), choices=list(labels), coerce=coerce)


def _enum(spec: FieldSpec) -> sa.BaseField:
    """An ``enum`` kind: a select over the members, coerced back to the member."""
    cls = spec.python_type
    if isinstance(cls, type) and issubclass(cls, enum.Enum):
        members = list(cls)
        by_text = {str(m.value): m for m in members}

        def coerce(raw: Any) -> Any:
            return by_text.get(str(raw), raw)

        labels = [(m.value, m.name.replace("_", " ")) for m in members]
        return sa.EnumField(**_common(spec), choices=labels, coerce=coerce)
    return _choices(spec)


def _string(spec: FieldSpec) -> sa.BaseField:
    common = _common(spec)
    bounds: dict[str, Any] = {
        "maxlength": spec.constraints.get("max_length"),
        "minlength": spec.constraints.get("min_length"),
    }
    if spec.metadata.get("widget") == "textarea":
        return sa.TextAreaField(**common, **bounds)
    return sa.StringField(**common, **bounds)


def _number(cls: type[sa.NumberField], spec: FieldSpec) -> sa.BaseField:
    return cls(
        **_common(spec),
        min=spec.constraints.get("min_value"),
        max=spec.constraints.get("max_value"),
    )


_SIMPLE: dict[str, Callable[[FieldSpec], sa.BaseField]] = {
    "string": _string,
    "regex": _string,
    "ip": lambda s: sa.IPAddressField(**_common(s)),
    "email": lambda s: sa.EmailField(**_common(s)),
    "url": lambda s: sa.URLField(**_common(s)),
    "uuid": lambda s: sa.UUIDField(**_common(s)),
    "objectid": lambda s: ObjectIdInput(**_common(s)),
    "int": lambda s: _number(sa.IntegerField, s),
    "long": lambda s: _number(sa.IntegerField, s),
    "sequence": lambda s: sa.IntegerField(**_common(s)),
    "decimal": lambda s: _number(sa.DecimalField, s),
    "float": lambda s: sa.FloatField(**_common(s)),
    "bool": lambda s: sa.BooleanField(**_common(s)),
    "datetime": lambda s: sa.DateTimeField(**_common(s)),
    "complex_datetime": lambda s: sa.DateTimeField(**_common(s)),
    "date": lambda s: sa.DateField(**_common(s)),
    "enum": _enum,
    "file": lambda s: FileField(**_common(s)),
    "image": lambda s: ImageField(**_common(s)),
}


def convert_field(spec: FieldSpec) -> sa.BaseField:
    """The starlette-admin field for one ``FieldSpec``, chosen by its ``kind`` alone.

    Unknown kinds (custom fields that describe themselves under their own name) are shown
    read-only as text rather than refused, so adding a custom field never breaks the admin.
    """
    kind = spec.kind
    if spec.choices and kind not in ("list", "sorted_list", "enum"):
        field = _choices(spec)
    elif kind in _SIMPLE:
        field = _SIMPLE[kind](spec)
    elif kind == "embedded" and spec.document is not None:
        field = sa.CollectionField(spec.name, convert_fields(spec.document), required=spec.required)
    elif kind == "reference" and spec.reference is not None:
        field = HasOne(**_common(spec), key=view_key(spec.reference))
    elif kind in ("list", "sorted_list"):
        field = _list(spec)
    elif kind in _JSON_KINDS:
        field = sa.JSONField(**_common(spec))
    elif kind in _READ_ONLY_KINDS:
        field = ReadOnlyField(**_common(spec))
    else:
        field = ReadOnlyField(**_common(spec))
    if spec.primary_key and spec.auto:
        field.exclude_from_create = True
    if spec.primary_key:
        field.exclude_from_edit = True
    return field


def _list(spec: FieldSpec) -> sa.BaseField:
    """Lists: references as a multiple select, choices as a multiple select, anything else as
    repeatable inputs of the item's own widget (nested forms for embedded documents)."""
    item = spec.item
    if item is None or item.kind == "dynamic":
        return sa.JSONField(**_common(spec))
    if item.kind == "reference" and item.reference is not None:
        return HasMany(**_common(spec), key=view_key(item.reference))
    if item.choices or item.kind == "enum":
        select = convert_field(item)
        assert isinstance(select, sa.EnumField)
        select.name = spec.name
        select.multiple = True
        select.select2 = True
        select.required = spec.required
        return select
    if item.kind in _JSON_KINDS:
        return sa.JSONField(**_common(spec))
    inner = convert_field(item)
    inner.name = spec.name
    return sa.ListField(inner, required=spec.required)


def convert_fields(model: type, names: Sequence[str] | None = None) -> list[sa.BaseField]:
    """The admin fields of a document class, in stored order (the primary key first)."""
    fields = describe(model).fields
    chosen = list(fields) if names is None else list(names)
    return [convert_field(fields[name]) for name in chosen]
