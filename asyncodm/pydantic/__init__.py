"""Pydantic v2 models generated from ``asyncodm.describe()`` (API.md §12).

Stage: integration, above the public API. A document's constraints are declared once, on its
fields; this package reads the ``ModelSpec`` and builds the pydantic model FastAPI validates
request bodies with and documents its OpenAPI schema from, so a 201-character title is a 422
before the database is touched and the schema shows ``maxLength: 200``.

The mapping is a table keyed by ``FieldSpec.kind`` (``_kinds._KINDS``), one small function per kind;
no field class is ever asked for. A custom kind (a field that describes itself as ``"upper"``)
falls back to its ``python_type`` when pydantic can build a schema for it, else ``Any``.

Needs the ``fastapi`` extra (``pip install 'asyncodm[fastapi]'``); ``import asyncodm`` never
imports pydantic.
"""

try:
    from pydantic import VERSION as _PYDANTIC_VERSION
except ImportError as exc:  # the fastapi extra is not installed
    raise ImportError(
        "asyncodm.pydantic needs pydantic v2: pip install 'asyncodm[fastapi]'"
    ) from exc

if _PYDANTIC_VERSION.startswith("1."):  # pragma: no cover - the extra pins v2
    raise ImportError(
        f"asyncodm.pydantic needs pydantic v2, found {_PYDANTIC_VERSION}: "
        "pip install 'asyncodm[fastapi]'"
    )

from asyncodm.pydantic._models import pydantic_model
from asyncodm.pydantic._scalars import OBJECTID_PATTERN, Mode, ObjectIdStr
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
)

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
    "Mode",
    "ObjectIdStr",
    "pydantic_model",
]
