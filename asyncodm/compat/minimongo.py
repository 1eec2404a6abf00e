"""minimongo, awaited: schemaless attribute-dicts over any collection.

Stage: compat. ``Model`` is an asyncodm ``DynamicDocument`` whose ``_id`` may be of any type,
read and written both as attributes and as items (``obj.x`` / ``obj["x"]``); every attribute
set on it is stored, and a document written by another application keeps every field it had
(fields this code never touches are never rewritten). Queries take PyMongo's raw syntax and
return models. Being an asyncodm document, a model also has ``Model.objects``, indexes, delete
rules, ``switch_*`` contexts and transactions.

Example:
    ```python
    class MyCollection(Model):
        mongo = MongoCollection(database="test", collection="minimongo.example")
        indices = (Index("x"),)


    obj = await MyCollection({"x": 1, "y": 2}).save()
    res = await MyCollection.find_one({"x": 1})
    res.other = "some data"
    await res.save()
    ```

Where data lives: ``MongoCollection(database=..., collection=...)`` or ``class Meta:`` with
``database``, ``collection``, ``indices`` and ``auto_index`` (minimongo's newer spelling).
Without ``host``, a named database is reached through the client of asyncodm's ``"default"``
connection (one ``asyncodm.connect()`` serves every database); with ``host``/``port`` a
connection to that server is opened on first use. Without ``database``, the default
connection's own database is used.

Indexes: ``indices`` are created on the model's first use (asyncodm's ``auto_create_index``;
minimongo created them at import time), or up front by ``await asyncodm.ensure_indexes()`` /
``await MyCollection.auto_index()``; ``auto_index = False`` leaves them to those calls.

Differences: assigning None to an attribute removes it (asyncodm's dynamic documents store no
nulls); names starting with ``_`` (other than ``_id``) can be read from stored documents but not
set; ``find()`` returns an asyncodm queryset (``async for``, ``await c.to_list()``,
``await c.count()``, ``c.sort()``, ``c.skip()``, ``c.limit()``).
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Mapping
from typing import Any, ClassVar, cast

from bson import DBRef, ObjectId
from pymongo import IndexModel

import asyncodm
from asyncodm.compat._shared import (
    AnyId,
    Cursor,
    DialectMeta,
    DictAccess,
    bind_database,
    database_alias,
    find_arguments,
    id_filter,
)
from asyncodm.errors import ConfigurationError

__all__ = ["Collection", "Cursor", "Index", "Model", "MongoCollection"]


class MongoCollection:
    """Where a model's documents live: ``database`` and ``collection`` names, optionally on
    another server (``host``, ``port``). ``placeholder=True`` marks a base class with none."""

    def __init__(
        self,
        host: str | None = None,
        port: int | None = None,
        database: str | None = None,
        collection: str | None = None,
        collection_class: Any = None,
        placeholder: bool = False,
    ) -> None:
        if placeholder and (host or port or database or collection):
            raise ConfigurationError("Placeholder configs can't also specify other params")
        self.host = host
        self.port = port
        self.database = database
        self.collection = collection
        self.collection_class = collection_class
        self.placeholder = placeholder

    @property
    def alias(self) -> str:
        """The asyncodm connection alias this configuration uses."""
        if self.host is not None:
            return f"minimongo:{self.host}:{self.port or 27017}/{self.database}"
        return database_alias(self.database)

    def bind(self) -> None:
        """Make ``alias`` usable in the running event loop (no I/O)."""
        if self.host is not None:
            try:
                asyncodm.get_client(self.alias)
            except ConfigurationError:
                uri = f"mongodb://{self.host}:{self.port or 27017}/{self.database}"
                asyncodm.connect(uri, alias=self.alias)
        elif self.database is not None:
            bind_database(self.alias, self.database)


class Index:
    """The arguments of one PyMongo ``create_index`` call: ``Index("x")``,
    ``Index("x", unique=True)``, ``Index([("x", 1), ("y", -1)])``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._args = args
        self._kwargs = kwargs

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Index):
            return NotImplemented
        return (self._args, self._kwargs) == (other._args, other._kwargs)

    def __hash__(self) -> int:
        return hash(repr((self._args, sorted(self._kwargs.items()))))

    def __repr__(self) -> str:
        return f"Index({', '.join([*map(repr, self._args), *(f'{k}={v!r}' for k, v in self._kwargs.items())])})"

    def model(self) -> IndexModel:
        """The index as a ``pymongo.IndexModel`` (what asyncodm's index builder takes)."""
        keys: Any = self._args[0] if self._args else self._kwargs.get("keys")
        if isinstance(keys, str):
            direction = self._args[1] if len(self._args) > 1 else 1
            keys = [(keys, direction)]
        options = {k: v for k, v in self._kwargs.items() if k not in ("keys", "cache_for")}
        return IndexModel(keys, **options)

    async def ensure(self, collection: Any) -> Any:
        """Create the index on a driver collection now (minimongo's ``ensure``)."""
        result = collection.create_indexes([self.model()])
        return await result if inspect.isawaitable(result) else result


class _Options:
    """A model's resolved settings (``Model._meta``)."""

    host: str | None = None
    port: int | None = None
    database: str | None = None
    collection: str | None = None
    indices: tuple[Index, ...] = ()
    auto_index: bool = True
    collection_class: Any = None

    def __init__(self, **settings: Any) -> None:
        self.__dict__.update(settings)


class _Meta(DialectMeta):
    """Reads ``mongo``, ``indices`` and ``class Meta`` into settings and asyncodm meta."""

    @staticmethod
    def prepare(name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> dict[str, Any]:
        parent: _Options | None = next(
            (getattr(b, "_meta", None) for b in bases if isinstance(getattr(b, "_meta", None), _Options)),
            None,
        )  # fmt: skip
        settings: dict[str, Any] = {}
        if parent is not None:
            for key in ("host", "port", "database", "auto_index"):
                settings[key] = getattr(parent, key)
        inner = namespace.pop("Meta", None)
        if isinstance(inner, type):
            settings.update({k: v for k, v in vars(inner).items() if not k.startswith("__")})
        mongo = namespace.get("mongo")
        if isinstance(mongo, MongoCollection) and not mongo.placeholder:
            settings.update(
                {
                    k: getattr(mongo, k)
                    for k in ("host", "port", "database", "collection")
                    if getattr(mongo, k) is not None
                }
            )
        if "indices" in namespace:
            settings["indices"] = tuple(namespace["indices"])
        settings.setdefault("collection", None)
        namespace["_meta"] = _Options(**settings)
        namespace.setdefault("mongo", MongoCollection(
            settings.get("host"), settings.get("port"), settings.get("database"),
            settings.get("collection")))  # fmt: skip
        return namespace

    @staticmethod
    def storage_meta(
        name: str, bases: tuple[type, ...], namespace: dict[str, Any]
    ) -> Mapping[str, Any]:
        options: _Options = namespace["_meta"]
        meta: dict[str, Any] = {"queryset_class": Cursor, "db_alias": _config(options).alias}
        if options.collection:
            meta["collection"] = options.collection
        if options.indices:
            meta["indexes"] = [index.model() for index in options.indices]
            meta["auto_create_index"] = bool(options.auto_index)
        return meta

    @staticmethod
    def created(cls: type) -> None:
        with contextlib.suppress(ConfigurationError):  # not connected yet: bound on first use
            _config(cls._meta).bind()  # type: ignore[attr-defined]


def _config(options: _Options) -> MongoCollection:
    return MongoCollection(options.host, options.port, options.database, options.collection)


def _reachable(model: type, key: str) -> bool:
    """Whether ``key`` is read and written as an attribute: a declared field, or a dynamic
    name that neither starts with ``_`` nor names something on the class (a method...)."""
    if isinstance(getattr(model, key, None), asyncodm.BaseField):
        return True
    return not key.startswith("_") and not hasattr(model, key)


class Model(DictAccess, asyncodm.DynamicDocument, metaclass=_Meta):
    """A schemaless document: set any attribute or item, then ``await obj.save()``."""

    _dialect_root = True
    meta: ClassVar[dict[str, Any]] = {"abstract": True}
    _id = AnyId(primary_key=True)
    mongo: ClassVar[MongoCollection] = MongoCollection(placeholder=True)
    indices: ClassVar[tuple[Index, ...]] = ()
    _meta: ClassVar[_Options] = _Options()

    def __init__(self, initial_value: Mapping[str, Any] | None = None, **values: Any) -> None:
        super().__init__()
        for key, value in {**(initial_value or {}), **values}.items():
            self[key] = value

    # --- the dict ---------------------------------------------------------------------------

    def keys(self) -> list[str]:
        """``_id`` once set, then every other stored or assigned key, in order."""
        out = ["_id"] if self._id is not None else []
        out += [n for n in asyncodm.DynamicDocument.__iter__(self) if n != "_id"]
        return out

    def __getitem__(self, key: str) -> Any:
        if key == "_id":
            if self._id is None:
                raise KeyError(key)
            return self._id
        if key not in self.keys():
            raise KeyError(key)
        if _reachable(type(self), key):
            return getattr(self, key)
        return self.to_mongo()[key]  # a name attribute access cannot reach: read it as stored

    def __setitem__(self, key: str, value: Any) -> None:
        if key != "_id" and not _reachable(type(self), key):
            raise KeyError(
                f"{type(self).__name__} cannot set {key!r}: names starting with '_' and names of "
                "the class's attributes are not stored"
            )
        setattr(self, key, value)

    def __delitem__(self, key: str) -> None:
        if key not in self.keys():
            raise KeyError(key)
        delattr(self, key)

    def __str__(self) -> str:
        return f"{type(self).__name__}({self.to_plain_dict()!r})"

    @property
    def rawdata(self) -> dict[str, Any]:
        """The document as it would be stored."""
        return self.to_mongo()

    # --- where the documents live -------------------------------------------------------------

    @classmethod
    def _ready(cls) -> None:
        _config(cls._meta).bind()

    @classmethod
    def database(cls) -> Any:
        """The driver's database object for this model."""
        cls._ready()
        return cls.get_collection().database

    @classmethod
    def collection(cls) -> Any:
        """The driver's collection object for this model (raw PyMongo/Motor API)."""
        cls._ready()
        return cls.get_collection()

    @classmethod
    async def auto_index(cls) -> list[str]:
        """Create the declared ``indices`` now."""
        cls._ready()
        return await cls.ensure_indexes()

    # --- reading ------------------------------------------------------------------------------

    @classmethod
    def find(cls, spec: Any = None, projection: Any = None, **kwargs: Any) -> Cursor:
        """Models matching a raw PyMongo query; iterate with ``async for``. ``skip``,
        ``limit``, ``sort`` and ``projection`` are PyMongo's."""
        cls._ready()
        cursor = cast(Cursor, cls.objects.raw(id_filter(spec)))
        return find_arguments(cursor, kwargs.pop("fields", projection), **kwargs)

    @classmethod
    async def find_one(cls, spec_or_id: Any = None, projection: Any = None, **kwargs: Any) -> Any:
        """The first model matching a raw query (or an ``_id``), or None."""
        return await cls.find(spec_or_id, projection, **kwargs).first()

    @classmethod
    async def from_dbref(cls, dbref: DBRef) -> Any:
        """The model a DBRef points to; ``ValueError`` if it names another collection or
        database."""
        collection = cls.collection()
        if dbref.collection != collection.name:
            raise ValueError("DBRef points to an invalid collection.")
        if dbref.database and dbref.database != collection.database.name:
            raise ValueError("DBRef points to an invalid database.")
        return await cls.find_one({"_id": dbref.id})

    # --- writing ------------------------------------------------------------------------------

    def dbref(self, with_database: bool = True) -> DBRef:
        """A DBRef to this document (with its database name by default); a document without
        an ``_id`` gets one now."""
        if self._id is None:
            self._id = ObjectId()
        collection = type(self).collection()
        database = collection.database.name if with_database else None
        return DBRef(collection.name, self._id, database=database)

    async def save(self, *args: Any, **kwargs: Any) -> Model:
        """Store the document (insert, or send what changed) and return it."""
        type(self)._ready()
        await super().save(*args, **kwargs)
        return self

    async def mongo_update(self) -> Model:
        """Write this document (minimongo's name for saving an existing one)."""
        return await self.save()

    async def remove(self) -> None:
        """Delete this document (asyncodm's delete rules apply)."""
        type(self)._ready()
        await self.delete()


#: minimongo exposed its collection wrapper class; a model's ``collection()`` is the driver's.
Collection = Cursor
