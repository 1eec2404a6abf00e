"""What the dict-style dialects (MongoKit, minimongo) share: an ``_id`` of any type, a
PyMongo-style cursor, and databases reached by name.

Stage: compat. Everything here imports asyncodm's public API only. One piece leans on more
than the API: ``DialectMeta`` reads and briefly replaces a class's compiled schema
(``cls._schema``, a frozen dataclass) so a subclass can be compiled as if its parent were
abstract; if that record ever changes shape it falls back to asyncodm's own inheritance, and
the dialect tests say so.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from typing_extensions import Self

import asyncodm
from asyncodm.errors import ConfigurationError
from asyncodm.fields import FieldSpec, ObjectIdField
from asyncodm.queryset import QuerySet

__all__ = [
    "AnyId",
    "Cursor",
    "DialectMeta",
    "DictAccess",
    "bind_database",
    "database_alias",
    "find_arguments",
    "id_filter",
    "inherited",
]


class AnyId(ObjectIdField):
    """An ``_id`` of any BSON type, as other applications store it.

    MongoKit and minimongo documents layer over collections they did not write, where ``_id``
    may be a string, a number or a subdocument; a new document without one still gets an
    ObjectId on its first save (asyncodm generates it for ObjectId primary keys only, which is
    why this extends ``ObjectIdField`` while accepting everything).
    """

    coerces = False
    expected = "any BSON value"

    def describe(self) -> FieldSpec:
        """Any value (kind "dynamic"), generated as an ObjectId when missing (``auto``)."""
        return dataclasses.replace(super().describe(), kind="dynamic", python_type=object)

    def quick_check(self) -> Callable[[Any], bool] | None:
        return _always

    def coerce(self, value: Any) -> Any:
        return value

    def check(self, value: Any) -> str | None:
        return None

    def to_python(self, value: Any) -> Any:
        return value

    def to_mongo(self, value: Any) -> Any:
        return value

    def prepare_query_value(self, op: str | None, value: Any) -> Any:
        return value


def _always(value: Any) -> bool:
    return True


class Cursor(QuerySet):
    """A QuerySet that also answers PyMongo's cursor vocabulary (``sort``).

    MongoKit and minimongo hand PyMongo cursors to their users; this is the same queryset
    asyncodm uses everywhere (``async for``, ``await cursor.to_list()``, ``count()``,
    ``skip()``, ``limit()``), with PyMongo's ``sort(key, direction)`` spelling added.
    """

    __slots__ = ()

    def sort(self, key_or_list: str | Iterable[tuple[str, Any]], direction: Any = None) -> Self:
        """``sort("y")``, ``sort("y", -1)`` or ``sort([("y", 1), ("x", -1)])`` (PyMongo)."""
        if isinstance(key_or_list, str):
            return self.order_by((key_or_list, 1 if direction is None else direction))
        return self.order_by(*[(str(k), d) for k, d in key_or_list])


def find_arguments(
    cursor: Cursor,
    projection: Mapping[str, Any] | Iterable[str] | None = None,
    *,
    skip: int = 0,
    limit: int = 0,
    sort: Any = None,
) -> Cursor:
    """Apply PyMongo ``find()`` keywords to a cursor: projection, skip, limit and sort."""
    if projection is not None:
        if isinstance(projection, Mapping):
            wanted = [k for k, v in projection.items() if v and k != "_id"]
            unwanted = [k for k, v in projection.items() if not v]
            if wanted:
                cursor = cursor.only(*wanted)
            if unwanted:
                cursor = cursor.exclude(*unwanted)
        else:
            cursor = cursor.only(*[k for k in projection if k != "_id"])
    if skip:
        cursor = cursor.skip(skip)
    if limit:
        cursor = cursor.limit(limit)
    if sort is not None:
        cursor = cursor.sort(sort)
    return cursor


def id_filter(spec_or_id: Any) -> dict[str, Any]:
    """PyMongo's ``find_one(spec_or_id)``: a filter document, or a bare ``_id`` value."""
    if spec_or_id is None:
        return {}
    if isinstance(spec_or_id, Mapping):
        return dict(spec_or_id)
    return {"_id": spec_or_id}


def database_alias(database: str | None, base: str = "default") -> str:
    """The connection alias a model naming ``database`` uses: ``base`` itself when it names
    none, else ``"<base>/<database>"`` (bound by ``bind_database``)."""
    return base if database is None else f"{base}/{database}"


def bind_database(alias: str, database: str, base: str = "default") -> None:
    """Make ``alias`` reach ``database`` through the client of connection ``base``.

    The older libraries name a database per class (``__database__``, ``MongoCollection``);
    asyncodm names connections. One connect() is enough for the application: each database a
    class names becomes an alias sharing that connection's client, registered here the first
    time it is needed in an event loop (``connect`` does no I/O), and again whenever the base
    connection's client changed (a reconnect, another event loop).

    Raises:
        ConfigurationError: ``base`` is not connected.
    """
    client = asyncodm.get_client(base)
    try:
        current = asyncodm.get_client(alias)
    except ConfigurationError:
        current = None
    if current is not client:
        asyncodm.connect(client=client, db=database, alias=alias)


_DocumentMeta: Any = type(asyncodm.DynamicDocument)


class DialectMeta(_DocumentMeta):  # type: ignore[misc]  # asyncodm's document metaclass
    """Gives the dict-style dialects their own kind of inheritance.

    In MongoKit and minimongo a subclass of a document class is another document class with
    a collection of its own (MongoKit also merges the parent's ``structure`` into it). asyncodm
    would make such a subclass share its parent's collection and record ``_cls`` in every
    document, and requires the parent to allow inheritance. So while a subclass is compiled,
    its concrete dialect ancestors are presented to asyncodm's schema compiler as abstract
    bases: the subclass inherits their fields and methods (and is a true Python subclass:
    ``isinstance`` and ``super()`` work) but nothing about storage.

    A dialect subclasses this metaclass and fills in ``prepare`` (the class namespace, e.g.
    the fields a structure declares) and ``storage_meta`` (collection, alias, indexes).
    """

    def __new__(
        mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any
    ) -> Any:
        if namespace.get("_dialect_root", False):
            return super().__new__(mcs, name, bases, namespace, **kwargs)
        namespace = mcs.prepare(name, bases, dict(namespace))
        meta = dict(mcs.storage_meta(name, bases, namespace))
        user_meta = namespace.get("meta")
        if isinstance(user_meta, Mapping):
            meta.update(user_meta)
        namespace["meta"] = meta
        swapped: list[tuple[type, Any]] = []
        for klass in {k for base in bases for k in base.__mro__}:
            schema: Any = klass.__dict__.get("_schema")
            if isinstance(klass, DialectMeta) and getattr(schema, "is_document", False):
                try:
                    abstract = dataclasses.replace(
                        schema, is_document=False, abstract=True, indexes=()
                    )
                except TypeError:  # the compiled schema changed shape: inherit asyncodm's way
                    continue
                swapped.append((klass, schema))
                type.__setattr__(klass, "_schema", abstract)
        try:
            cls = super().__new__(mcs, name, bases, namespace, **kwargs)
        finally:
            for klass, schema in swapped:
                type.__setattr__(klass, "_schema", schema)
        mcs.created(cls)
        return cls

    @staticmethod
    def prepare(name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> dict[str, Any]:
        """The class namespace, adapted before asyncodm compiles it (fields added...)."""
        return namespace

    @staticmethod
    def storage_meta(
        name: str, bases: tuple[type, ...], namespace: dict[str, Any]
    ) -> Mapping[str, Any]:
        """The asyncodm ``meta`` of the class: collection, alias, indexes..."""
        return {}

    @staticmethod
    def created(cls: type) -> None:
        """Called once the class exists (e.g. to bind its database)."""


def inherited(name: str, bases: tuple[type, ...], namespace: Mapping[str, Any]) -> Any:
    """A class attribute as the class being defined will see it (its own, else its bases')."""
    if name in namespace:
        return namespace[name]
    for base in bases:
        if hasattr(base, name):
            return getattr(base, name)
    return None


class DictAccess:
    """The ``dict`` protocol for document classes that define ``keys``, ``__getitem__``,
    ``__setitem__`` and ``__delitem__`` (MongoKit and minimongo documents were dicts).

    Mixed in before asyncodm's document class. A document stays truthy even when empty, so
    code testing ``if doc:`` for "found" keeps working; ``update()`` with only
    ``op__field=value`` keywords is asyncodm's atomic update, any other call is
    ``dict.update``. Two documents, or a document and a mapping, are equal when their keys
    and values are.
    """

    __slots__ = ()

    def keys(self) -> list[str]:
        raise NotImplementedError

    def __getitem__(self, key: str) -> Any:
        raise NotImplementedError

    def __setitem__(self, key: str, value: Any) -> None:
        raise NotImplementedError

    def __delitem__(self, key: str) -> None:
        raise NotImplementedError

    def __contains__(self, key: object) -> bool:
        return key in self.keys()

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())

    def __bool__(self) -> bool:
        return True

    def items(self) -> list[tuple[str, Any]]:
        return [(k, self[k]) for k in self.keys()]

    def values(self) -> list[Any]:
        return [self[k] for k in self.keys()]

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def pop(self, key: str, *default: Any) -> Any:
        if default and key not in self:
            return default[0]
        value = self[key]
        del self[key]
        return value

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args: Any, **kwargs: Any) -> Any:
        """``dict.update``; with only ``op__field=value`` keywords, asyncodm's atomic update
        of the stored document (a coroutine: await it)."""
        if not args and kwargs and all("__" in k for k in kwargs):
            return super().update(**kwargs)  # type: ignore[misc]
        for key, value in dict(*args, **kwargs).items():
            self[key] = value
        return None

    def to_plain_dict(self) -> dict[str, Any]:
        """The keys and values as a plain ``dict``."""
        return dict(self.items())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Mapping, DictAccess)):
            return self.to_plain_dict() == dict(other.items())
        return NotImplemented

    def __hash__(self) -> int:
        return asyncodm.Document.__hash__(self)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return repr(self.to_plain_dict())
