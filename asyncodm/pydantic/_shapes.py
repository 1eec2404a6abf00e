"""The fixed models a generated model nests: GeoJSON geometries, files, generic references.

Stage: integration (``asyncodm.pydantic``). They are the same for every document, so they are
declared once, here, and show once in an OpenAPI schema.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from asyncodm.errors import OperationError
from asyncodm.files import FieldFile
from asyncodm.pydantic._scalars import _AnyValue

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
