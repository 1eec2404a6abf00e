"""MongoKit's ``Document``: a dict described by a ``structure``, stored as an asyncodm document.

Stage: compat. When a class is defined its structure is checked and each top-level key
becomes an asyncodm field (``StructureField``, stored under the key itself) that converts
custom types and checks its subtree; keys outside the structure are the dynamic attributes of
an asyncodm ``DynamicDocument``. So a MongoKit document is saved, loaded, queried, indexed and
switched like any asyncodm document, while it reads and writes like MongoKit's dict:
``doc["title"]``, ``doc["balance"]["foo"] = 3``, ``doc.validate()``, ``await doc.save()``,
``await Doc.find_one({...})``.

What MongoKit keeps here: the skeleton of a new document (None, empty containers, tuples as
lists of None, custom types' ``init_type``), ``default_values`` (dotted), the validation order
and messages, ``use_schemaless``, ``use_dot_notation``, ``skip_validation``,
``raise_validation_errors`` / ``validation_errors``, ``__collection__`` / ``__database__``,
``indexes`` and inheritance (a subclass merges its parents' structure and descriptors and has
its own collection).
"""

from __future__ import annotations

import contextlib
import dataclasses
import uuid as _uuid
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar

from bson import DBRef
from pymongo import IndexModel

import asyncodm
from asyncodm.compat._shared import (
    AnyId,
    Cursor,
    DialectMeta,
    DictAccess,
    bind_database,
    database_alias,
    inherited,
)
from asyncodm.compat.mongokit import _structure as st
from asyncodm.compat.mongokit._queries import Queries
from asyncodm.compat.mongokit._spec import describe_structure
from asyncodm.compat.mongokit._types import AUTHORIZED_TYPES
from asyncodm.errors import ConfigurationError
from asyncodm.fields import BaseField, FieldSpec

__all__ = ["Document", "StructureField"]


class StructureField(BaseField[Any]):
    """One top-level key of a structure: stores its value (nulls included, as MongoKit does),
    converts custom types, and reports MongoKit's messages for its subtree."""

    expected = "a value matching the structure"

    def __init__(self, spec: Any, key: str, *, dotted: bool = False) -> None:
        super().__init__(key, null=True)
        self.spec = spec
        self.dotted = dotted

    def to_python(self, value: Any) -> Any:
        return st.convert(self.spec, value, False, self.dotted)

    def to_mongo(self, value: Any) -> Any:
        return st.convert(self.spec, value, True)

    def prepare_query_value(self, op: str | None, value: Any) -> Any:
        return value

    def _builtin_checks(self, value: Any, path: str, errors: dict[str, str]) -> None:
        owner: Any = self.owner
        problems: list[st.Problem] = []
        st.custom_type_problems(self.spec, value, self.db_field, problems)
        st.structure_problems(
            self.spec,
            st.convert(self.spec, value, True),
            self.db_field,
            problems,
            schemaless=bool(getattr(owner, "use_schemaless", False)),
            authorized=tuple(getattr(owner, "authorized_types", AUTHORIZED_TYPES)),
        )
        for _kind, key, message in problems:
            errors.setdefault(key or self.db_field, message)

    def describe(self) -> FieldSpec:
        """The structure's type as a spec (``str`` -> "string", ``[str]`` -> a "list" of
        "string", ``IS(...)`` -> choices, ``OR``/``NOT``/``None`` -> "dynamic"), required
        if the key is in ``required_fields``, with its ``default_values`` entry; the raw
        structure is ``options["structure"]``."""
        owner: Any = self.owner
        options = MappingProxyType({"structure": self.spec})
        base = dataclasses.replace(super().describe(), options=options)
        spec = describe_structure(self.spec, base)
        default = (getattr(owner, "default_values", None) or {}).get(
            self.db_field, asyncodm.MISSING
        )
        required = self.db_field in (getattr(owner, "required_fields", None) or ())
        return dataclasses.replace(spec, required=required, default=default)


def _index_model(spec: Mapping[str, Any]) -> IndexModel:
    """A MongoKit index (``{"fields": [...], "unique": True, "ttl": 300}``) as an IndexModel."""
    options = dict(spec)
    options.pop("check", None)
    given = options.pop("fields")
    if isinstance(given, str):
        keys = [(given, 1)]
    elif isinstance(given, tuple):
        keys = [given]
    else:
        keys = [(f, 1) if isinstance(f, str) else tuple(f) for f in given]
    if "ttl" in options:
        options["expireAfterSeconds"] = options.pop("ttl")
    return IndexModel(keys, **options)


class _Meta(DialectMeta):
    """Compiles a MongoKit class: merges the parents' structure and descriptors, checks them,
    and declares one ``StructureField`` per new top-level key."""

    @staticmethod
    def prepare(name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> dict[str, Any]:
        merged: dict[Any, Any] = {}
        required: list[str] = []
        defaults: dict[str, Any] = {}
        validators: dict[str, Any] = {}
        indexes: list[Any] = []
        attrs: dict[str, str] = {}
        for base in reversed(bases):
            merged.update(getattr(base, "structure", None) or {})
            required += [r for r in getattr(base, "required_fields", ()) if r not in required]
            defaults.update(getattr(base, "default_values", None) or {})
            validators.update(getattr(base, "validators", None) or {})
            indexes += [i for i in getattr(base, "indexes", ()) if i not in indexes]
            attrs.update(getattr(base, "_mk_attrs", None) or {})
        own = namespace.get("structure") or {}
        merged.update(own)
        required += [r for r in namespace.get("required_fields", ()) if r not in required]
        defaults.update(namespace.get("default_values") or {})
        validators.update(namespace.get("validators") or {})
        indexes += [i for i in namespace.get("indexes", ()) if i not in indexes]
        authorized = tuple(namespace.get("authorized_types") or AUTHORIZED_TYPES)
        st.check_structure(merged, name, authorized)
        st.check_descriptors(name, st.namespaces(merged), required, defaults, validators)
        dotted = bool(namespace.get("use_dot_notation", any(
            getattr(b, "use_dot_notation", False) for b in bases)))  # fmt: skip
        taken = {n for b in bases for n in dir(b)} | set(namespace)
        for key, spec in own.items():
            if isinstance(key, type) or key == "_id":
                continue
            attr = attrs.get(key) or key
            while attr in taken and attr not in attrs.values():
                attr += "_"
            attrs[key] = attr
            namespace[attr] = StructureField(spec, key, dotted=dotted)
        namespace.update(
            structure=merged, required_fields=required, default_values=defaults,
            validators=validators, indexes=indexes, _mk_attrs=attrs,
        )  # fmt: skip
        return namespace

    @staticmethod
    def storage_meta(
        name: str, bases: tuple[type, ...], namespace: dict[str, Any]
    ) -> Mapping[str, Any]:
        meta: dict[str, Any] = {"queryset_class": Cursor}
        collection = inherited("__collection__", bases, namespace)
        if collection:
            meta["collection"] = collection
        meta["db_alias"] = database_alias(inherited("__database__", bases, namespace))
        indexes = namespace.get("indexes")
        if indexes:
            meta["indexes"] = [_index_model(i) for i in indexes]
        return meta

    @staticmethod
    def created(cls: type) -> None:
        with contextlib.suppress(ConfigurationError):  # not connected yet: bound on first use
            cls._ready()  # type: ignore[attr-defined]


class Document(Queries, DictAccess, asyncodm.DynamicDocument, metaclass=_Meta):
    """A MongoKit document: a dict checked against ``structure``.

    Example:
        ```python
        class BlogPost(Document):
            __collection__ = "blog_posts"
            structure = {"title": str, "rank": int, "tags": [str]}
            required_fields = ["title"]
            default_values = {"rank": 0}


        post = BlogPost()
        post["title"] = "my first blog post"
        await post.save()
        found = await BlogPost.find_one({"title": "my first blog post"})
        ```
    """

    __slots__ = ("_mk_absent", "_mk_errors")
    _dialect_root = True
    meta: ClassVar[dict[str, Any]] = {"abstract": True}
    _id = AnyId(primary_key=True)

    structure: ClassVar[dict[Any, Any]] = {}
    required_fields: ClassVar[list[str]] = []
    default_values: ClassVar[dict[str, Any]] = {}
    validators: ClassVar[dict[str, Any]] = {}
    indexes: ClassVar[list[dict[str, Any]]] = []
    authorized_types: ClassVar[tuple[Any, ...]] = AUTHORIZED_TYPES
    use_schemaless: ClassVar[bool] = False
    use_dot_notation: ClassVar[bool] = False
    skip_validation: ClassVar[bool] = False
    raise_validation_errors: ClassVar[bool] = True
    __collection__: ClassVar[str | None] = None
    __database__: ClassVar[str | None] = None
    _mk_attrs: ClassVar[dict[str, str]] = {}

    def __init__(
        self, doc: Mapping[str, Any] | None = None, gen_skel: bool = True, *args: Any,
        **values: Any,
    ) -> None:  # fmt: skip
        super().__init__()
        cls = type(self)
        self._mk_absent: set[str] = set()
        self._mk_errors: dict[str, list[Exception]] = {}
        given = {**(doc or {}), **values}
        if given:
            for key, value in given.items():
                self[key] = value
            self._mk_absent = {k for k in cls._mk_attrs if k not in given}
        elif gen_skel:
            view: dict[str, Any] = {}
            for key, spec in cls.structure.items():
                if not isinstance(key, type) and key != "_id":
                    view[key] = st.skeleton(spec, cls.use_dot_notation)
            for path, default in cls.default_values.items():
                st.apply_default(view, path, default)
            for key, value in view.items():
                setattr(self, cls._mk_attrs[key], value)

    # --- the dict ---------------------------------------------------------------------------

    def _absent(self) -> set[str]:
        return getattr(self, "_mk_absent", None) or set()

    def keys(self) -> list[str]:
        """The keys present: ``_id`` once set, the structure's, then any others."""
        attrs = type(self)._mk_attrs
        absent = self._absent()
        out = ["_id"] if self._id is not None else []
        out += [k for k in attrs if k not in absent]
        fields = {"_id", *attrs.values()}
        out += [n for n in asyncodm.DynamicDocument.__iter__(self) if n not in fields]
        return out

    def __getitem__(self, key: str) -> Any:
        attr = "_id" if key == "_id" else type(self)._mk_attrs.get(key)
        if attr is None:
            if key not in self.keys():
                raise KeyError(key)
            return getattr(self, key)
        if key in self._absent() or (key == "_id" and self._id is None):
            raise KeyError(key)
        return getattr(self, attr)

    def __setitem__(self, key: str, value: Any) -> None:
        attr = "_id" if key == "_id" else type(self)._mk_attrs.get(key)
        if attr is None:
            if key.startswith("_") or hasattr(type(self), key):
                raise KeyError(
                    f"{type(self).__name__} cannot hold the key {key!r} outside its structure: "
                    "it starts with '_' or names an attribute of the class; add it to structure"
                )
            setattr(self, key, value)
            return
        setattr(self, attr, value)
        self._absent().discard(key)

    def __delitem__(self, key: str) -> None:
        if key not in self.keys():
            raise KeyError(key)
        attr = "_id" if key == "_id" else type(self)._mk_attrs.get(key)
        if attr is None:
            delattr(self, key)
            return
        setattr(self, attr, None)
        if getattr(self, "_mk_absent", None) is not None:
            self._mk_absent.add(key)

    # --- validation -------------------------------------------------------------------------

    @property
    def validation_errors(self) -> dict[str, list[Exception]]:
        """With ``raise_validation_errors = False``: key -> errors of the last ``validate()``."""
        return getattr(self, "_mk_errors", None) or {}

    def _problems(self) -> list[st.Problem]:
        cls = type(self)
        structure = cls.structure
        view = dict(self.items())
        out: list[st.Problem] = []
        st.validator_problems(view, cls.validators, out)
        for key, spec in structure.items():
            if key in view:
                st.custom_type_problems(spec, view[key], key, out)
        stored = {k: st.convert(structure[k], v, True) if k in structure else v
                  for k, v in view.items()}  # fmt: skip
        st.structure_problems(structure, stored, "", out, schemaless=cls.use_schemaless,
                              authorized=tuple(cls.authorized_types))  # fmt: skip
        st.required_problems(view, structure, cls.required_fields, out,
                             schemaless=cls.use_schemaless)  # fmt: skip
        return out

    def validate(self, *args: Any, **kwargs: Any) -> None:
        """Check the document as MongoKit does: validators, custom types, the structure, then
        required fields. Raises the first problem (``SchemaTypeError``, ``StructureError``,
        ``RequireFieldError``...), or with ``raise_validation_errors = False`` records them
        all in ``validation_errors``."""
        problems = self._problems()
        self._mk_errors = {}
        if not problems:
            return
        if self.raise_validation_errors:
            kind, key, message = problems[0]
            raise kind(message, errors={key or "__all__": message})
        for kind, key, message in problems:
            self._mk_errors.setdefault(key or "__all__", []).append(kind(message))

    # --- persistence ------------------------------------------------------------------------

    @classmethod
    def _ready(cls) -> None:
        """Bind ``__database__`` to the default connection's client (see ``bind_database``)."""
        database = cls.__database__
        if database:
            bind_database(database_alias(database), database)

    async def save(  # type: ignore[override]
        self, uuid: bool = False, validate: bool | None = None, safe: bool = True, **kwargs: Any
    ) -> Document:
        """Validate (unless ``skip_validation``; ``validate=True`` forces it), give the
        document an ``_id`` (a ``"<Class>-<uuid4>"`` string with ``uuid=True``), and save it."""
        cls = type(self)
        cls._ready()
        if validate is True or (validate is None and not self.skip_validation):
            self.validate()
        if uuid and self._id is None:
            self["_id"] = f"{cls.__name__}-{_uuid.uuid4()}"
        await super().save(validate=False, **kwargs)
        return self

    async def delete(self, *args: Any, **kwargs: Any) -> None:
        """Delete the stored document (asyncodm's delete rules apply)."""
        type(self)._ready()
        await super().delete(*args, **kwargs)

    async def reload(self, *fields: str, **kwargs: Any) -> Document:
        """Replace the values with what is stored now; unsaved changes are lost."""
        type(self)._ready()
        await super().reload(*fields, **kwargs)
        self._mk_absent = set()
        return self

    def get_dbref(self) -> DBRef:
        """A DBRef naming the database, the collection and this document's ``_id``."""
        if self._id is None:
            raise KeyError("You must specify an '_id' for using this method")
        type(self)._ready()
        collection = self.get_collection()
        return DBRef(collection.name, self._id, database=collection.database.name)
