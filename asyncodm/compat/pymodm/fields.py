"""PyMODM's field vocabulary (``pymodm.fields``) over asyncodm's fields.

Stage: compat. Each class here *is* an asyncodm field (a subclass), so models declared with
them are ordinary asyncodm documents; only the constructors speak PyMODM:

* the first positional argument is ``verbose_name`` and the second ``mongo_name`` (asyncodm's
  own first positional argument is the stored name);
* ``blank`` defaults to False: an empty value (``""``, ``[]``, ``{}``) set on a field that is
  not ``blank=True`` fails ``full_clean()``, as in PyMODM; an unset field is not validated;
* ``default=None`` means "no default", and list and dict fields start unset (None) rather
  than empty, as PyMODM's do;
* validators are called PyMODM's way: they raise to reject a value and anything they raise
  becomes a ``ValidationError``;
* geometry fields create no index by themselves (PyMODM never did): declare one in ``Meta``.
"""

from __future__ import annotations

import dataclasses
import decimal
import re
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from bson.decimal128 import Decimal128

from asyncodm import fields as _f
from asyncodm.errors import ValidationError
from asyncodm.fields import FieldSpec

__all__ = [
    "BigIntegerField",
    "BinaryField",
    "BooleanField",
    "CharField",
    "DateTimeField",
    "Decimal128Field",
    "DictField",
    "EmailField",
    "EmbeddedDocumentField",
    "EmbeddedDocumentListField",
    "EmbeddedModelField",
    "EmbeddedModelListField",
    "FileField",
    "FloatField",
    "GenericIPAddressField",
    "GeometryCollectionField",
    "ImageField",
    "IntegerField",
    "JavaScriptField",
    "LineStringField",
    "ListField",
    "MultiLineStringField",
    "MultiPointField",
    "MultiPolygonField",
    "ObjectIdField",
    "OrderedDictField",
    "PointField",
    "PolygonField",
    "ReferenceField",
    "RegularExpressionField",
    "TimestampField",
    "URLField",
    "UUIDField",
]

Validator = Callable[[Any], Any]


def _validator(check: Validator) -> Validator:
    """A PyMODM validator as asyncodm runs them: PyMODM's raise on a bad value (any
    exception) and ignore what they return; asyncodm's may also return False."""

    def run(value: Any) -> None:
        try:
            check(value)
        except ValidationError:
            raise
        except Exception as exc:
            raise ValidationError(str(exc) or type(exc).__name__) from exc

    run.__name__ = getattr(check, "__name__", "validator")
    return run


def _options(
    verbose_name: str | None,
    mongo_name: str | None,
    options: dict[str, Any],
    *,
    empty: bool = False,
) -> dict[str, Any]:
    """PyMODM's field arguments as asyncodm's; ``empty`` marks the container fields, which
    start empty in asyncodm but unset (None) in PyMODM."""
    out = dict(options)
    out.setdefault("blank", False)
    if "default" in out and out["default"] is None:
        del out["default"]
    if empty and "default" not in out:
        out["default"] = None
    validators: Iterable[Validator] | None = out.pop("validators", None)
    if validators:
        out["validators"] = [_validator(v) for v in validators]
    if verbose_name is not None:
        out["verbose_name"] = verbose_name
    if mongo_name is not None:
        out["mongo_name"] = mongo_name
    return out


class CharField(_f.StringField):
    """A unicode string (``min_length``/``max_length``)."""

    def __init__(
        self,
        verbose_name: str | None = None,
        mongo_name: str | None = None,
        min_length: int | None = None,
        max_length: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            min_length=min_length,
            max_length=max_length,
            **_options(verbose_name, mongo_name, kwargs),
        )


class IntegerField(_f.IntField):
    """A Python int (``min_value``/``max_value``)."""

    def __init__(
        self,
        verbose_name: str | None = None,
        mongo_name: str | None = None,
        min_value: int | None = None,
        max_value: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            min_value=min_value, max_value=max_value, **_options(verbose_name, mongo_name, kwargs)
        )


class BigIntegerField(_f.LongField):
    """An int always stored as a 64-bit integer (``bson.Int64``)."""

    def __init__(
        self,
        verbose_name: str | None = None,
        mongo_name: str | None = None,
        min_value: int | None = None,
        max_value: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            min_value=min_value, max_value=max_value, **_options(verbose_name, mongo_name, kwargs)
        )


class FloatField(_f.FloatField):
    """A Python float (``min_value``/``max_value``)."""

    def __init__(
        self,
        verbose_name: str | None = None,
        mongo_name: str | None = None,
        min_value: float | None = None,
        max_value: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            min_value=min_value, max_value=max_value, **_options(verbose_name, mongo_name, kwargs)
        )


class Decimal128Field(_f.DecimalField):
    """A ``bson.Decimal128``, read back as ``Decimal128`` as PyMODM does (asyncodm's own
    ``DecimalField`` reads ``decimal.Decimal``); Decimals, ints, floats and numeric strings are
    accepted on assignment."""

    def __init__(
        self,
        verbose_name: str | None = None,
        mongo_name: str | None = None,
        min_value: Any = None,
        max_value: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            min_value=min_value, max_value=max_value, **_options(verbose_name, mongo_name, kwargs)
        )

    def coerce(self, value: Any) -> Any:
        number = super().coerce(value)
        if isinstance(number, decimal.Decimal):
            try:
                return Decimal128(number)
            except (decimal.InvalidOperation, ArithmeticError):
                return number  # does not fit decimal128: validation reports it
        return number

    def to_python(self, value: Any) -> Any:
        return self.coerce(value)

    def describe(self) -> FieldSpec:
        """A "decimal" that reads as ``Decimal128``."""
        return dataclasses.replace(super().describe(), python_type=Decimal128)


class _Args:
    """PyMODM's common constructor: ``(verbose_name=None, mongo_name=None, **kwargs)``."""

    def __init__(
        self, verbose_name: str | None = None, mongo_name: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**_options(verbose_name, mongo_name, kwargs))


class BooleanField(_Args, _f.BooleanField):
    """A boolean."""


class DateTimeField(_Args, _f.DateTimeField):
    """A datetime (dates and ISO-8601 strings are accepted on assignment)."""


class ObjectIdField(_Args, _f.ObjectIdField):
    """A BSON ObjectId (24-character hex strings are accepted)."""


class EmailField(_Args, _f.EmailField):
    """An email address, checked as loosely as PyMODM checks it: one ``@`` with text on both
    sides.

    PyMODM's own rule ("better to accept than reject email addresses", ``EMAIL_PATTERN`` in
    ``pymodm/fields.py``) lets through addresses asyncodm's RFC 5322 check refuses (a local
    part with spaces or a dotless domain such as ``admin@localhost``); data a PyMODM
    application stored must stay valid after the switch.
    """

    EMAIL_PATTERN: ClassVar[re.Pattern[str]] = re.compile(r"^[^@]+@[^@]+$")

    def _problem(self, value: str) -> str | None:
        if self.EMAIL_PATTERN.match(value) is None:
            return "not of the form local@domain"
        return None


class URLField(_Args, _f.URLField):
    """A URL."""


class UUIDField(_Args, _f.UUIDField):
    """A UUID, stored as standard binary (subtype 4)."""


class RegularExpressionField(_Args, _f.RegularExpressionField):
    """A regular expression, stored as a BSON regex."""


class JavaScriptField(_Args, _f.JavaScriptField):
    """JavaScript code, stored as BSON code."""


class TimestampField(_Args, _f.TimestampField):
    """A BSON timestamp."""


class BinaryField(_f.BinaryField):
    """Binary data of the given BSON ``subtype``."""

    def __init__(
        self,
        verbose_name: str | None = None,
        mongo_name: str | None = None,
        subtype: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(subtype=subtype, **_options(verbose_name, mongo_name, kwargs))


class GenericIPAddressField(_f.GenericIPAddressField):
    """An IPv4 or IPv6 address; ``protocol`` is ``IPV4``, ``IPV6`` or ``BOTH`` (default)."""

    def __init__(
        self,
        verbose_name: str | None = None,
        mongo_name: str | None = None,
        protocol: int = _f.GenericIPAddressField.BOTH,
        **kwargs: Any,
    ) -> None:
        super().__init__(protocol=protocol, **_options(verbose_name, mongo_name, kwargs))


class DictField(_f.DictField[Any]):
    """A dict with string keys (no ``$`` or ``.`` in them)."""

    def __init__(
        self, verbose_name: str | None = None, mongo_name: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**_options(verbose_name, mongo_name, kwargs, empty=True))


class OrderedDictField(_f.OrderedDictField[Any]):
    """A dict whose key order is kept (``collections.OrderedDict``)."""

    def __init__(
        self, verbose_name: str | None = None, mongo_name: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**_options(verbose_name, mongo_name, kwargs, empty=True))


class ListField(_f.ListField[Any]):
    """A list; ``field`` (the first argument) types its items."""

    def __init__(
        self,
        field: _f.BaseField[Any] | None = None,
        verbose_name: str | None = None,
        mongo_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(field, **_options(verbose_name, mongo_name, kwargs, empty=True))


class EmbeddedDocumentField(_f.EmbeddedDocumentField[Any]):
    """An ``EmbeddedMongoModel`` (or its name) stored inside the document."""

    def __init__(
        self,
        model: Any,
        verbose_name: str | None = None,
        mongo_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(model, **_options(verbose_name, mongo_name, kwargs))


class EmbeddedDocumentListField(_f.EmbeddedDocumentListField[Any]):
    """A list of ``EmbeddedMongoModel`` instances of one class."""

    def __init__(
        self,
        model: Any,
        verbose_name: str | None = None,
        mongo_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(model, **_options(verbose_name, mongo_name, kwargs, empty=True))


#: The names PyMODM's own getting-started guide uses.
EmbeddedModelField = EmbeddedDocumentField
EmbeddedModelListField = EmbeddedDocumentListField


class ReferenceField(_f.ReferenceField[Any]):
    """A reference to a ``MongoModel`` (stored as its ``_id``); ``on_delete`` is one of this
    class's ``DO_NOTHING`` (default), ``NULLIFY``, ``CASCADE``, ``DENY`` or ``PULL``.

    Reading the field gives an awaitable handle: ``author = await post.author`` (PyMODM
    dereferenced on attribute access, which would be hidden I/O in asyncio).
    """

    def __init__(
        self,
        model: Any,
        on_delete: int = _f.DO_NOTHING,
        verbose_name: str | None = None,
        mongo_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(model, on_delete=on_delete, **_options(verbose_name, mongo_name, kwargs))


class FileField(_f.FileField):
    """A file kept in ``storage`` (GridFS bucket ``fs`` by default)."""

    def __init__(
        self,
        verbose_name: str | None = None,
        mongo_name: str | None = None,
        storage: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(storage, **_options(verbose_name, mongo_name, kwargs))


class ImageField(_f.ImageField):
    """An image file (needs Pillow); ``width``, ``height`` and ``format`` are read from it."""

    def __init__(
        self,
        verbose_name: str | None = None,
        mongo_name: str | None = None,
        storage: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(storage=storage, **_options(verbose_name, mongo_name, kwargs))


class _GeoArgs:
    """PyMODM's GeoJSON fields: the common constructor, and no implicit 2dsphere index."""

    def __init__(
        self, verbose_name: str | None = None, mongo_name: str | None = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("auto_index", False)
        super().__init__(**_options(verbose_name, mongo_name, kwargs))


class PointField(_GeoArgs, _f.PointField):
    """A GeoJSON Point (a GeoJSON dict, or just ``[longitude, latitude]``)."""


class LineStringField(_GeoArgs, _f.LineStringField):
    """A GeoJSON LineString (a GeoJSON dict, or just its list of points)."""


class PolygonField(_GeoArgs, _f.PolygonField):
    """A GeoJSON Polygon (a GeoJSON dict, or just its list of rings)."""


class MultiPointField(_GeoArgs, _f.MultiPointField):
    """A GeoJSON MultiPoint."""


class MultiLineStringField(_GeoArgs, _f.MultiLineStringField):
    """A GeoJSON MultiLineString."""


class MultiPolygonField(_GeoArgs, _f.MultiPolygonField):
    """A GeoJSON MultiPolygon."""


class GeometryCollectionField(_GeoArgs, _f.GeometryCollectionField):
    """A GeoJSON GeometryCollection (a GeoJSON dict, or just its list of geometries)."""
