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
from asyncodm.fields._file import FileField
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
from asyncodm.fields._image import ImageField
from asyncodm.fields._numeric import (
    BigIntegerField,
    BooleanField,
    DecimalField,
    FloatField,
    IntegerField,
    IntField,
    LongField,
)
from asyncodm.fields._reference import (
    CASCADE,
    DENY,
    DO_NOTHING,
    NULLIFY,
    PULL,
    DeleteRule,
    GenericReferenceField,
    Ref,
    RefDict,
    ReferenceField,
    RefList,
)
from asyncodm.fields._scalar import (
    BinaryField,
    CharField,
    EnumField,
    ObjectIdField,
    TimestampField,
    UUIDField,
)
from asyncodm.fields._sequence import SequenceField
from asyncodm.fields._spec import KINDS, FieldSpec
from asyncodm.fields._text import (
    EmailField,
    GenericIPAddressField,
    JavaScriptField,
    RegularExpressionField,
    StringField,
    URLField,
)

__all__ = [
    "CASCADE",
    "DENY",
    "DO_NOTHING",
    "KINDS",
    "NULLIFY",
    "PULL",
    "BaseField",
    "BigIntegerField",
    "BinaryField",
    "BooleanField",
    "CharField",
    "ComplexDateTimeField",
    "DateField",
    "DateTimeField",
    "DecimalField",
    "DeleteRule",
    "DictField",
    "DynamicField",
    "EmailField",
    "EmbeddedDocumentField",
    "EmbeddedDocumentListField",
    "EnumField",
    "FieldSpec",
    "FileField",
    "FloatField",
    "GenericEmbeddedDocumentField",
    "GenericIPAddressField",
    "GenericReferenceField",
    "GeoPointField",
    "GeometryCollectionField",
    "ImageField",
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
    "Ref",
    "RefDict",
    "RefList",
    "ReferenceField",
    "RegularExpressionField",
    "SequenceField",
    "SortedListField",
    "StringField",
    "TimestampField",
    "URLField",
    "UUIDField",
]
