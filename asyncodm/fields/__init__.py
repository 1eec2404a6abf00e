"""Field types (re-exports only). See ``fields/_base.py`` for the contract every field keeps."""

from asyncodm.fields._base import BaseField
from asyncodm.fields._compound import (
    DictField,
    DynamicField,
    ListField,
    MapField,
    OrderedDictField,
    SortedListField,
)
from asyncodm.fields._datetime import ComplexDateTimeField, DateField, DateTimeField
from asyncodm.fields._embedded import (
    EmbeddedDocumentField,
    EmbeddedDocumentListField,
    GenericEmbeddedDocumentField,
)
from asyncodm.fields._geo import (
    GeometryCollectionField,
    GeoPointField,
    LineStringField,
    MultiLineStringField,
    MultiPointField,
    MultiPolygonField,
    PointField,
    PolygonField,
)
from asyncodm.fields._numeric import (
    BigIntegerField,
    BooleanField,
    DecimalField,
    FloatField,
    IntegerField,
    IntField,
    LongField,
)
from asyncodm.fields._scalar import (
    BinaryField,
    CharField,
    EnumField,
    ObjectIdField,
    TimestampField,
    UUIDField,
)
from asyncodm.fields._text import (
    EmailField,
    GenericIPAddressField,
    JavaScriptField,
    RegularExpressionField,
    StringField,
    URLField,
)

__all__ = [
    "BaseField",
    "BigIntegerField",
    "BinaryField",
    "BooleanField",
    "CharField",
    "ComplexDateTimeField",
    "DateField",
    "DateTimeField",
    "DecimalField",
    "DictField",
    "DynamicField",
    "EmailField",
    "EmbeddedDocumentField",
    "EmbeddedDocumentListField",
    "EnumField",
    "FloatField",
    "GenericEmbeddedDocumentField",
    "GenericIPAddressField",
    "GeoPointField",
    "GeometryCollectionField",
    "IntField",
    "IntegerField",
    "JavaScriptField",
    "LineStringField",
    "ListField",
    "LongField",
    "MapField",
    "MultiLineStringField",
    "MultiPointField",
    "MultiPolygonField",
    "ObjectIdField",
    "OrderedDictField",
    "PointField",
    "PolygonField",
    "RegularExpressionField",
    "SortedListField",
    "StringField",
    "TimestampField",
    "URLField",
    "UUIDField",
]
