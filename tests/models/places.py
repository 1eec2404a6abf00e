"""Geo fields for lookup tests: a GeoJSON point (2dsphere) and a legacy pair (2d)."""

from __future__ import annotations

from asyncodm import Document, GeoPointField, PointField, PolygonField, StringField


class Place(Document):
    name = StringField()
    location = PointField()
    grid = GeoPointField()
    area = PolygonField()
    meta = {"collection": "places"}
