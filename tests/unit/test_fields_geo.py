"""Geo fields: GeoJSON or bare coordinates in, GeoJSON out, and full structural validation.

Pure unit tests: no database, no event loop.
"""

from __future__ import annotations

from typing import Any, TypeVar

import bson
import pytest

from asyncodm.fields._base import BaseField
from asyncodm.fields._geo import (
    GeometryCollectionField,
    GeoPointField,
    LineStringField,
    MultiLineStringField,
    MultiPointField,
    MultiPolygonField,
    PointField,
    PolygonField,
    validate_geometry,
)

F = TypeVar("F", bound=BaseField[Any])

SQUARE = [[0, 0], [0, 1], [1, 1], [1, 0], [0, 0]]
HOLE = [[0.2, 0.2], [0.2, 0.4], [0.4, 0.4], [0.2, 0.2]]


def named(field: F) -> F:
    field.bind(None, "loc")
    return field


def errors_of(field: BaseField[Any], value: Any) -> dict[str, str]:
    errors: dict[str, str] = {}
    field._collect_errors(value, "loc", errors)
    return errors


def message(field: BaseField[Any], value: Any) -> str:
    errors = errors_of(field, value)
    assert list(errors) == ["loc"], errors
    return errors["loc"]


def through_bson(field: BaseField[Any], value: Any) -> Any:
    raw = bson.decode(bson.encode({"v": field.to_mongo(value)}))["v"]
    return field.to_python(raw)


# --- accepted shapes, both spellings ----------------------------------------------------------

VALID: list[tuple[type[BaseField[Any]], str, Any]] = [
    (PointField, "Point", [-73.97, 40.77]),
    (PointField, "Point", [10, 20, 30]),
    (LineStringField, "LineString", [[0, 0], [1, 1]]),
    (PolygonField, "Polygon", [SQUARE]),
    (PolygonField, "Polygon", [SQUARE, HOLE]),
    (MultiPointField, "MultiPoint", [[0, 0], [1, 1]]),
    (MultiLineStringField, "MultiLineString", [[[0, 0], [1, 1]], [[2, 2], [3, 3]]]),
    (MultiPolygonField, "MultiPolygon", [[SQUARE], [SQUARE, HOLE]]),
]


@pytest.mark.parametrize(("cls", "kind", "coordinates"), VALID)
def test_bare_coordinates_and_geojson_store_geojson(
    cls: type[BaseField[Any]], kind: str, coordinates: Any
) -> None:
    field = named(cls())
    geojson = {"type": kind, "coordinates": coordinates}
    assert errors_of(field, coordinates) == {}
    assert errors_of(field, geojson) == {}
    assert field.to_mongo(coordinates) == geojson
    assert field.to_mongo(geojson) == geojson
    assert field.coerce(coordinates) == geojson
    assert through_bson(field, coordinates) == geojson
    assert cls.coerces is True
    assert cls.identity_load is False


def test_tuples_become_lists_so_reloads_compare_equal() -> None:
    field = named(PolygonField())
    stored = field.to_mongo({"type": "Polygon", "coordinates": [tuple(map(tuple, SQUARE))]})
    assert stored == {"type": "Polygon", "coordinates": [SQUARE]}
    assert field.to_mongo((1, 2)) != (1, 2)
    assert named(PointField()).to_mongo((1, 2)) == {"type": "Point", "coordinates": [1, 2]}


def test_to_mongo_and_to_python_copy() -> None:
    field = named(PolygonField())
    given = {"type": "Polygon", "coordinates": [SQUARE]}
    stored = field.to_mongo(given)
    assert stored is not given
    assert stored["coordinates"] is not given["coordinates"]
    loaded = field.to_python(stored)
    loaded["coordinates"][0][0][0] = 99
    assert stored["coordinates"][0][0][0] == 0


def test_geometry_collection() -> None:
    field = named(GeometryCollectionField())
    members = [
        {"type": "Point", "coordinates": [1, 2]},
        {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
    ]
    geojson = {"type": "GeometryCollection", "geometries": members}
    assert errors_of(field, members) == {}
    assert errors_of(field, geojson) == {}
    assert field.to_mongo(members) == geojson
    assert through_bson(field, geojson) == geojson
    bad = [{"type": "Point", "coordinates": [1, 200]}]
    assert message(field, bad) == (
        "expected a latitude between -90 and 90, found 200 (at geometries[0].coordinates[1])"
    )
    nested = [{"type": "GeometryCollection", "geometries": []}]
    assert message(field, nested) == (
        "expected a geometry, found a nested GeometryCollection (at geometries[0])"
    )


# --- messages name what was expected, what was found, and where --------------------------------


@pytest.mark.parametrize(
    ("cls", "value", "expected"),
    [
        (PointField, "here", "expected a GeoJSON Point or [longitude, latitude], found str 'here'"),
        (
            PointField,
            [1],
            "expected a position of 2 or 3 numbers, found 1 item [1] (at coordinates)",
        ),
        (
            PointField,
            [1, 2, 3, 4],
            "expected a position of 2 or 3 numbers, found 4 items [1, 2, 3, 4] (at coordinates)",
        ),
        (PointField, [1, "2"], "expected a number, found str '2' (at coordinates[1])"),
        (PointField, [True, 2], "expected a number, found bool True (at coordinates[0])"),
        (PointField, [float("nan"), 2], "expected a finite number, found nan (at coordinates[0])"),
        (
            PointField,
            [181, 0],
            "expected a longitude between -180 and 180, found 181 (at coordinates[0])",
        ),
        (
            PointField,
            [0, -91],
            "expected a latitude between -90 and 90, found -91 (at coordinates[1])",
        ),
        (
            PointField,
            {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
            "expected a GeoJSON Point, found type 'LineString' (at type)",
        ),
        (PointField, {"type": "Point"}, "expected a 'coordinates' key, found keys ['type']"),
        (
            LineStringField,
            [[0, 0]],
            "expected a line string (a list of positions) of at least 2, found 1 item (at coordinates)",
        ),
        (
            LineStringField,
            [[0, 0], 5],
            "expected a position [longitude, latitude], found int 5 (at coordinates[1])",
        ),
        (
            PolygonField,
            [],
            "expected a polygon (a list of linear rings) of at least 1, found 0 items (at coordinates)",
        ),
        (
            PolygonField,
            [[[0, 0], [1, 1], [0, 0]]],
            "expected a linear ring (a list of positions) of at least 4, found 3 items (at coordinates[0])",
        ),
        (
            PolygonField,
            [[[0, 0], [0, 1], [1, 1], [1, 0]]],
            "expected a closed ring (first position equal to last), found first [0, 0] and last [1, 0] (at coordinates[0])",
        ),
        (
            PolygonField,
            [SQUARE, [[0, 0], [0, 1], [1, 1], [0, 95]]],
            "expected a latitude between -90 and 90, found 95 (at coordinates[1][3][1])",
        ),
        (
            MultiPointField,
            [],
            "expected a list of positions of at least 1, found 0 items (at coordinates)",
        ),
        (
            MultiLineStringField,
            [[[0, 0]]],
            "expected a line string (a list of positions) of at least 2, found 1 item (at coordinates[0])",
        ),
        (
            MultiPolygonField,
            [[SQUARE], "x"],
            "expected a polygon (a list of linear rings), found str 'x' (at coordinates[1])",
        ),
        (
            GeometryCollectionField,
            [{"type": "Circle", "coordinates": [0, 0]}],
            "expected a GeoJSON type (Point, LineString, Polygon, MultiPoint, MultiLineString, MultiPolygon, GeometryCollection), found type 'Circle' (at geometries[0].type)",
        ),
        (
            GeometryCollectionField,
            {"type": "GeometryCollection"},
            "expected a list of geometries, found None (at geometries)",
        ),
    ],
)
def test_messages(cls: type[BaseField[Any]], value: Any, expected: str) -> None:
    assert message(named(cls()), value) == expected


def test_validate_geometry_any_type() -> None:
    assert validate_geometry({"type": "Point", "coordinates": [0, 0]}) is None
    assert validate_geometry({"type": "Polygon", "coordinates": [SQUARE]}) is None
    assert validate_geometry("x") == "expected a GeoJSON geometry dict, found str 'x'"


def test_required_and_extra_keys() -> None:
    field = named(PointField(required=True))
    assert message(field, None) == (
        "expected a GeoJSON Point or [longitude, latitude], found None (the field is required)"
    )
    with_crs = {"type": "Point", "coordinates": [0, 0], "crs": {"type": "name"}}
    assert errors_of(field, with_crs) == {}


# --- GeoPointField (legacy pairs, 2d) ---------------------------------------------------------


def test_geo_point_pairs() -> None:
    field = named(GeoPointField())
    assert field.to_mongo((1.5, 2)) == [1.5, 2]
    assert field.to_mongo({"type": "Point", "coordinates": [3, 4]}) == [3, 4]
    assert field.coerce((1, 2)) == [1, 2]
    assert through_bson(field, [1.5, 2.5]) == [1.5, 2.5]
    assert errors_of(field, [500, 500]) == {}  # 2d bounds belong to the index, not the field
    assert (
        message(field, [1, 2, 3]) == "expected a coordinate pair [x, y] of 2 numbers, found 3 items"
    )
    assert message(field, [1, "a"]) == "expected a number at [1], found str 'a'"
    assert message(field, "1,2") == "expected a coordinate pair [x, y], found str '1,2'"


# --- index hints and query values -------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "index_type"),
    [
        (GeoPointField, "2d"),
        (PointField, "2dsphere"),
        (LineStringField, "2dsphere"),
        (PolygonField, "2dsphere"),
        (MultiPointField, "2dsphere"),
        (MultiLineStringField, "2dsphere"),
        (MultiPolygonField, "2dsphere"),
        (GeometryCollectionField, "2dsphere"),
    ],
)
def test_index_hints(cls: type[Any], index_type: str) -> None:
    assert cls.index_type == index_type
    assert cls().auto_index is True
    assert cls(auto_index=False).auto_index is False


def test_query_values() -> None:
    field = named(PointField())
    assert field.prepare_query_value(None, [1, 2]) == {"type": "Point", "coordinates": [1, 2]}
    near = [1, 2]
    assert field.prepare_query_value("near", near) is near
    shape = {"type": "Polygon", "coordinates": [SQUARE]}
    assert field.prepare_query_value("geo_within", shape) is shape
    assert field.prepare_query_value("in", [[1, 2], (3, 4)]) == [
        {"type": "Point", "coordinates": [1, 2]},
        {"type": "Point", "coordinates": [3, 4]},
    ]
    assert named(GeoPointField()).prepare_query_value(None, (1, 2)) == [1, 2]
