"""Geo fields: legacy coordinate pairs (2d) and GeoJSON geometries (2dsphere).

Stage: fields. As in MongoEngine, a GeoJSON field accepts either a GeoJSON dict
(``{"type": "Point", "coordinates": [lng, lat]}``) or the bare coordinates (``[lng, lat]``) and
always stores (and, on assignment, holds) the GeoJSON dict, with tuples turned into lists so a
reloaded value compares equal. Validation walks the whole structure, because MongoDB rejects a
malformed geometry only when the 2dsphere index sees it, with a message that names no field.

Each field carries ``index_type`` ("2dsphere", or "2d" for ``GeoPointField``) and
``auto_index`` (default True) for the index builder.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from asyncodm.fields._base import BaseField, describe
from asyncodm.fields._prepare import RAW_OPS
from asyncodm.fields._spec import frozen_mapping

__all__ = [
    "GeoJSON",
    "GeoPointField",
    "GeometryCollectionField",
    "LineStringField",
    "MultiLineStringField",
    "MultiPointField",
    "MultiPolygonField",
    "PointField",
    "PolygonField",
    "validate_geometry",
]

GeoJSON = dict[str, Any]
"""A GeoJSON geometry as stored: ``{"type": ..., "coordinates": ...}``."""


class _Bad(Exception):
    """A structural problem, raised from deep inside a geometry to stop at the first one."""

    def __init__(self, where: str, expected: str, found: str) -> None:
        at = f" (at {where})" if where else ""
        super().__init__(f"expected {expected}, found {found}{at}")


def _items(count: int) -> str:
    return f"{count} item" if count == 1 else f"{count} items"


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Bad(where, "a number", describe(value))
    if not math.isfinite(value):
        raise _Bad(where, "a finite number", repr(value))
    return float(value)


def _position(value: Any, where: str) -> None:
    if not isinstance(value, (list, tuple)):
        raise _Bad(where, "a position [longitude, latitude]", describe(value))
    if not 2 <= len(value) <= 3:
        raise _Bad(where, "a position of 2 or 3 numbers", f"{_items(len(value))} {list(value)!r}")
    x = _number(value[0], f"{where}[0]")
    y = _number(value[1], f"{where}[1]")
    if len(value) == 3:
        _number(value[2], f"{where}[2]")
    if not -180 <= x <= 180:
        raise _Bad(f"{where}[0]", "a longitude between -180 and 180", repr(value[0]))
    if not -90 <= y <= 90:
        raise _Bad(f"{where}[1]", "a latitude between -90 and 90", repr(value[1]))


def _array(value: Any, where: str, what: str, minimum: int) -> list[Any] | tuple[Any, ...]:
    if not isinstance(value, (list, tuple)):
        raise _Bad(where, what, describe(value))
    if len(value) < minimum:
        raise _Bad(where, f"{what} of at least {minimum}", _items(len(value)))
    return value


def _line(value: Any, where: str) -> None:
    for i, item in enumerate(_array(value, where, "a line string (a list of positions)", 2)):
        _position(item, f"{where}[{i}]")


def _ring(value: Any, where: str) -> None:
    ring = _array(value, where, "a linear ring (a list of positions)", 4)
    for i, item in enumerate(ring):
        _position(item, f"{where}[{i}]")
    if list(ring[0]) != list(ring[-1]):
        raise _Bad(
            where,
            "a closed ring (first position equal to last)",
            f"first {list(ring[0])!r} and last {list(ring[-1])!r}",
        )


def _polygon(value: Any, where: str) -> None:
    for i, ring in enumerate(_array(value, where, "a polygon (a list of linear rings)", 1)):
        _ring(ring, f"{where}[{i}]")


_Check = Callable[[Any, str], None]


def _multi(check: _Check, what: str) -> _Check:
    def walk(value: Any, where: str) -> None:
        for i, item in enumerate(_array(value, where, f"a list of {what}", 1)):
            check(item, f"{where}[{i}]")

    return walk


_COORDINATE_CHECKS: dict[str, _Check] = {
    "Point": _position,
    "LineString": _line,
    "Polygon": _polygon,
    "MultiPoint": _multi(_position, "positions"),
    "MultiLineString": _multi(_line, "line strings"),
    "MultiPolygon": _multi(_polygon, "polygons"),
}
_TYPES = ", ".join([*_COORDINATE_CHECKS, "GeometryCollection"])


def _geometry(value: Any, where: str, expected_type: str | None) -> None:
    prefix = f"{where}." if where else ""
    if not isinstance(value, dict):
        raise _Bad(where, "a GeoJSON geometry dict", describe(value))
    kind = value.get("type")
    if expected_type is not None and kind != expected_type:
        raise _Bad(f"{prefix}type", f"a GeoJSON {expected_type}", f"type {kind!r}")
    if kind == "GeometryCollection":
        members = _array(value.get("geometries"), f"{prefix}geometries", "a list of geometries", 0)
        for i, member in enumerate(members):
            here = f"{prefix}geometries[{i}]"
            if isinstance(member, dict) and member.get("type") == "GeometryCollection":
                raise _Bad(here, "a geometry", "a nested GeometryCollection")
            _geometry(member, here, None)
        return
    check = _COORDINATE_CHECKS.get(kind) if isinstance(kind, str) else None
    if check is None:
        raise _Bad(f"{prefix}type", f"a GeoJSON type ({_TYPES})", f"type {kind!r}")
    if "coordinates" not in value:
        raise _Bad(where, "a 'coordinates' key", f"keys {sorted(value)!r}")
    check(value["coordinates"], f"{prefix}coordinates")


def validate_geometry(value: Any, expected_type: str | None = None) -> str | None:
    """What is wrong with a GeoJSON geometry (the first problem, and where), or None."""
    try:
        _geometry(value, "", expected_type)
    except _Bad as exc:
        return str(exc)
    return None


def _lists(value: Any) -> Any:
    """A deep copy with tuples as lists: what BSON would give back."""
    if isinstance(value, (list, tuple)):
        return [_lists(item) for item in value]
    if isinstance(value, dict):
        return {key: _lists(item) for key, item in value.items()}
    return value


G = TypeVar("G")


class _GeoField(BaseField[G]):
    """What every geo field shares: the index hints and query handling."""

    index_type: ClassVar[str] = "2dsphere"

    def __init__(
        self, db_field: str | None = None, *, auto_index: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(db_field, **kwargs)
        self.auto_index = auto_index

    def _describe(self) -> dict[str, Any]:
        options = frozen_mapping(index_type=self.index_type, auto_index=self.auto_index)
        return {**super()._describe(), "options": options}

    def to_python(self, value: Any) -> Any:
        return _lists(value)  # a fresh copy: the loaded raw document must never change

    def prepare_query_value(self, op: str | None, value: Any) -> Any:
        """Convert an equality value (or a list of them for ``in``/``nin``) to its stored form.

        Geo operators' shapes (``near``, ``geo_within`` ...) are the query compiler's business
        and pass through untouched.
        """
        if value is None or op in RAW_OPS:
            return value
        if (
            op in ("in", "nin", "all")
            and isinstance(value, (list, tuple))
            and all(isinstance(item, (dict, list, tuple)) for item in value)
        ):
            return [self.to_mongo(item) for item in value]
        return self.to_mongo(value)


class GeoPointField(_GeoField[list[float]]):
    """A legacy coordinate pair ``[x, y]`` for a ``2d`` index.

    A GeoJSON Point dict is accepted too and stored as its pair. Coordinates are not range
    checked: a 2d index's bounds are set by the index (``min``/``max``), not the field.
    """

    index_type = "2d"
    coerces = True
    expected = "a coordinate pair [x, y]"

    kind = "geo_point"

    def coerce(self, value: Any) -> Any:
        if isinstance(value, dict) and value.get("type") == "Point":
            return _lists(value.get("coordinates"))
        if isinstance(value, tuple):
            return list(value)
        return value

    def check(self, value: Any) -> str | None:
        pair = self.coerce(value)
        if not isinstance(pair, list):
            return f"expected {self.expected}, found {describe(value)}"
        if len(pair) != 2:
            return f"expected {self.expected} of 2 numbers, found {len(pair)} items"
        for i, item in enumerate(pair):
            if isinstance(item, bool) or not isinstance(item, (int, float)):
                return f"expected a number at [{i}], found {describe(item)}"
            if not math.isfinite(item):
                return f"expected a finite number at [{i}], found {item}"
        return None

    def to_mongo(self, value: Any) -> Any:
        return _lists(self.coerce(value))


class _GeoJSONField(_GeoField[GeoJSON]):
    """A GeoJSON geometry of one type; bare coordinates are wrapped on assignment."""

    geo_type: ClassVar[str] = "Point"
    coerces = True

    def coerce(self, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return {"type": self.geo_type, "coordinates": _lists(value)}
        return value

    def check(self, value: Any) -> str | None:
        if not isinstance(value, (dict, list, tuple)):
            return f"expected {self.expected}, found {describe(value)}"
        return validate_geometry(self.coerce(value), self.geo_type)

    def to_mongo(self, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return {"type": self.geo_type, "coordinates": _lists(value)}
        if isinstance(value, dict):
            return _lists(value)
        return value


class PointField(_GeoJSONField):
    """A GeoJSON Point: ``[longitude, latitude]``."""

    geo_type = "Point"
    expected = "a GeoJSON Point or [longitude, latitude]"
    kind = "point"


class LineStringField(_GeoJSONField):
    """A GeoJSON LineString: two or more positions."""

    geo_type = "LineString"
    expected = "a GeoJSON LineString or a list of positions"
    kind = "linestring"


class PolygonField(_GeoJSONField):
    """A GeoJSON Polygon: closed rings of four or more positions, the outer ring first."""

    geo_type = "Polygon"
    expected = "a GeoJSON Polygon or a list of linear rings"
    kind = "polygon"


class MultiPointField(_GeoJSONField):
    """A GeoJSON MultiPoint: a list of positions."""

    geo_type = "MultiPoint"
    expected = "a GeoJSON MultiPoint or a list of positions"
    kind = "multipoint"


class MultiLineStringField(_GeoJSONField):
    """A GeoJSON MultiLineString: a list of line strings' coordinates."""

    geo_type = "MultiLineString"
    expected = "a GeoJSON MultiLineString or a list of line strings"
    kind = "multilinestring"


class MultiPolygonField(_GeoJSONField):
    """A GeoJSON MultiPolygon: a list of polygons' coordinates."""

    geo_type = "MultiPolygon"
    expected = "a GeoJSON MultiPolygon or a list of polygons"
    kind = "multipolygon"


class GeometryCollectionField(_GeoJSONField):
    """A GeoJSON GeometryCollection; a bare list of geometry dicts is wrapped on assignment."""

    geo_type = "GeometryCollection"
    expected = "a GeoJSON GeometryCollection or a list of geometries"
    kind = "geometry_collection"

    def coerce(self, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return {"type": self.geo_type, "geometries": _lists(value)}
        return value

    def to_mongo(self, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return {"type": self.geo_type, "geometries": _lists(value)}
        if isinstance(value, dict):
            return _lists(value)
        return value
