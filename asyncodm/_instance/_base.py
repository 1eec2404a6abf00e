"""BaseDocument: what every document class shares, compiled once per class, held in slots.

Stage: instance. Each class is compiled once into a ``Schema`` when it is defined
(``__init_subclass__``). An instance keeps its state in four places:

* ``__dict__``: the values of *plain* fields (stored as their own immutable Python value under
  their own name: strings, numbers, booleans, ObjectIds, datetimes), so reading one is a plain
  attribute lookup. A loaded document uses the stored document itself as its ``__dict__``
  (nothing is copied) unless a stored key could shadow something on the class.
* ``_son``: the stored document as loaded or last saved (None for a new document).
* ``_orig``: None, or the stored values of plain fields assigned since (``__setattr__`` records
  them before the first change), which is how a save finds what changed; also the snapshots of
  stored lists and dicts handed out without a copy (``asyncodm.fields._snapshots``).
* ``_values``: the converted values of the other fields (containers, embedded documents,
  references...) read or assigned since, and dynamic attributes. They are compared with
  ``_son`` on save.
"""

from __future__ import annotations

import copy
import reprlib
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from bson import json_util
from bson.binary import UuidRepresentation
from bson.json_util import JSONMode, JSONOptions
from typing_extensions import Self

from asyncodm import signals
from asyncodm._instance._codec import to_son
from asyncodm._instance._compiled import (
    SlotSetters,
    compile_dumper,
    compile_init,
    compile_loader,
    compile_quick_valid,
    never_valid,
)
from asyncodm._instance._validation import ValidationMixin
from asyncodm._registry import registry
from asyncodm._schema._compile import Schema, compile_schema
from asyncodm._types import MISSING
from asyncodm.errors import (
    DoesNotExist,
    FieldDoesNotExist,
    InvalidDocumentError,
    MultipleObjectsReturned,
)
from asyncodm.fields import _snapshots as snapshots
from asyncodm.fields._base import BaseField, PlainAccess

__all__ = ["BaseDocument"]

_new = object.__new__
#: The live receiver lists of the init signals: construction and loading test them without a call.
_pre_init_receivers = signals.pre_init._receivers
_post_init_receivers = signals.post_init._receivers
_JSON_OPTIONS = JSONOptions(
    json_mode=JSONMode.RELAXED, uuid_representation=UuidRepresentation.STANDARD
)
_IMMUTABLE_DEFAULTS = (str, int, float, bool, bytes, type(None))
_repr = reprlib.Repr()
_repr.maxstring = 40
_repr.maxother = 40


class DocumentMeta(type):
    """Only delegates: gives each document class ``__slots__ = ()`` unless it sets its own, so
    instances keep the base class's compact layout."""

    def __new__(
        mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any
    ) -> DocumentMeta:
        namespace.setdefault("__slots__", ())
        return super().__new__(mcs, name, bases, namespace, **kwargs)


class BaseDocument(ValidationMixin, metaclass=DocumentMeta):
    """What documents and embedded documents share: construction, access, conversion,
    validation."""

    __slots__ = ("__dict__", "_values", "_son", "_orig")

    _schema: ClassVar[Schema]
    #: Each class's own error subclasses (``except Post.DoesNotExist``), see ``_attach_errors``.
    DoesNotExist: ClassVar[type[DoesNotExist]]
    MultipleObjectsReturned: ClassVar[type[MultipleObjectsReturned]]
    _dump: ClassVar[Any]
    #: The loader for documents read with a projection (no ``enforce_schema`` check).
    _from_projected_son: ClassVar[Any]
    _values: dict[str, Any]
    _son: dict[str, Any] | None
    _orig: dict[str, Any] | None

    _is_embedded: ClassVar[bool] = False
    _is_dynamic: ClassVar[bool] = False
    _instantiable: ClassVar[bool] = False
    _check_quick: ClassVar[Any] = staticmethod(never_valid)
    #: The same, ignoring a ``clean`` override (for ``clean_fields`` / ``validate(clean=False)``).
    _check_quick_fields: ClassVar[Any] = staticmethod(never_valid)
    _polymorphic: ClassVar[bool] = False
    """Stored documents may name a subclass in ``_cls`` (checked on every load)."""
    _enforce_schema: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("_library_base", False):
            return  # the library's own base classes (Document, EmbeddedDocument...) have no schema
        from asyncodm.fields._scalar import ObjectIdField

        def make_pk() -> BaseField[Any]:
            field = ObjectIdField(primary_key=True)
            field._auto_pk = True  # type: ignore[attr-defined]
            return field

        schema = compile_schema(
            cls, is_embedded=cls._is_embedded, dynamic=cls._is_dynamic, make_pk=make_pk
        )
        cls._schema = schema
        cls._polymorphic = schema.stores_cls
        cls._instantiable = not schema.abstract
        cls._enforce_schema = bool(schema.meta.get("enforce_schema"))
        if isinstance(schema.pk_field, ObjectIdField):
            schema.pk_field.required = False  # generated by save() when missing
        reserved = _reserved_names()
        for name in schema.fields:
            if name in reserved and not getattr(schema.fields[name], "_auto_pk", False):
                raise InvalidDocumentError(
                    f"{cls.__name__}.{name}: the name {name!r} is used by asyncodm itself"
                )
        for name in schema.plain_names:
            if isinstance(cls.__dict__.get(name), BaseField):
                type.__setattr__(cls, name, PlainAccess(schema.fields[name]))
        values_valid = compile_quick_valid(cls)
        cls._check_quick_fields = staticmethod(values_valid)
        # A clean() override may still object to valid values: then always check properly.
        cls._check_quick = staticmethod(
            values_valid if cls.clean is BaseDocument.clean else never_valid
        )
        type.__setattr__(cls, "_from_son", staticmethod(compile_loader(cls, _SLOTS)))
        type.__setattr__(
            cls, "_from_projected_son", staticmethod(compile_loader(cls, _SLOTS, projected=True))
        )
        type.__setattr__(cls, "_dump", staticmethod(compile_dumper(cls, to_son)))
        if cls._instantiable and _inherits_general_init(cls):
            type.__setattr__(cls, "__init__", compile_init(cls, _SLOTS, _general_init))
        _attach_errors(cls)
        registry.register(cls)
        _after_class_created(cls)

    # --- construction ---------------------------------------------------------------------

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        cls = type(self)
        if not cls._instantiable:
            raise InvalidDocumentError(f"{cls.__name__} is abstract and cannot be instantiated")
        schema = cls._schema
        if _pre_init_receivers:
            signals.pre_init.send_sync(cls, document=self, values=kwargs)
        _set_son(self, None)
        _set_orig(self, None)
        values: dict[str, Any] = {}
        _set_values(self, values)
        plain = self.__dict__
        for name, make, constant, is_plain in schema.default_table:
            if name not in kwargs:
                (plain if is_plain else values)[name] = constant if make is None else make()
        if args:
            positional = schema.positional
            if len(args) > len(positional):
                raise TypeError(
                    f"{cls.__name__}() takes at most {len(positional)} positional arguments "
                    f"({', '.join(positional)}), {len(args)} given"
                )
            for name, value in zip(positional, args, strict=False):
                if name in kwargs:
                    raise TypeError(f"{cls.__name__}() got multiple values for field {name!r}")
                kwargs[name] = value
        if kwargs:
            self._assign(kwargs)
        if _post_init_receivers:
            signals.post_init.send_sync(cls, document=self)

    def _assign(self, data: Mapping[str, Any]) -> None:
        schema = self._schema
        values = self._values
        plain = self.__dict__
        if schema.field_names.issuperset(data):
            # The common case: every key is a field name. Copy them in one step, move the
            # values of fields that are not plain out, and adapt the few that coerce.
            plain.update(data)
            for name, coerce in schema.other_fields:
                if name in plain:
                    value = plain.pop(name)
                    if coerce is not None and value is not None:
                        value = coerce(value)
                    values[name] = value
            for name, coerce in schema.plain_coercers:
                if name in data:
                    value = plain[name]
                    if value is not None:
                        plain[name] = coerce(value)
            return
        fields = schema.fields
        for name, value in data.items():
            field = fields.get(name)
            if field is None:
                field = self._field_for_key(name)
                if field is None:
                    if schema.dynamic and name != "_cls":
                        values[name] = value
                    continue
            if value is not None and field.coerces:
                value = field.coerce(value)
            (plain if field.name in schema.plain_names else values)[field.name] = value

    def _field_for_key(self, name: str) -> BaseField[Any] | None:
        """The field a keyword that is not a field name refers to (``pk``, a stored name);
        None for ``_cls`` and dynamic attributes; an error otherwise."""
        schema = self._schema
        if name == "pk" and schema.pk_name is not None:
            return schema.fields[schema.pk_name]
        by_db = schema.db_fields.get(name)
        if by_db is not None:
            return by_db
        if name == "_cls":
            return None
        if schema.dynamic:
            if name[:1] == "_":
                raise FieldDoesNotExist(
                    f"{type(self).__name__}: {name!r} cannot be a dynamic attribute "
                    "(dynamic attribute names may not start with '_')"
                )
            return None
        known = ", ".join(schema.fields) or "none"
        raise FieldDoesNotExist(
            f"{type(self).__name__} has no field {name!r} (its fields: {known})"
        )

    @classmethod
    def _from_son(cls, son: dict[str, Any]) -> Self:
        """Build an instance around a raw stored document (no copy, no conversion yet).

        Every document class replaces this with its compiled loader when it is defined."""
        load: Any = compile_loader(cls, _SLOTS)
        return load(son)  # type: ignore[no-any-return]

    def _load_state(self, son: dict[str, Any]) -> None:
        """Make ``son`` this instance's stored state, dropping every unsaved change."""
        schema = self._schema
        if schema.fast_keys.issuperset(son):
            _set_dict(self, son)  # the stored document is the instance dict: nothing is copied
        else:
            plain_names = schema.plain_names
            _set_dict(self, {k: v for k, v in son.items() if k in plain_names})
        _set_son(self, son)
        _set_values(self, {})
        _set_orig(self, None)

    def _keep_snapshot(self, name: str, data: bytes) -> None:
        """Record the snapshot of a stored container handed out without a copy."""
        orig = self._orig
        if orig is None:
            orig = {}
            _set_orig(self, orig)
        orig[snapshots.key(name)] = data

    def _mark_saved(self, son: dict[str, Any]) -> None:
        """``son`` was written: it is the new baseline; current values stay as they are."""
        _set_son(self, son)
        _set_orig(self, None)

    @classmethod
    def from_son(cls, son: Mapping[str, Any]) -> Self:
        """An instance of the right class for a raw document as stored (MongoEngine).

        ``son`` stays yours: the document works on its own deep copy (a loaded document
        hands out its stored lists and dicts, which must not be the caller's)."""
        return cls._from_son(copy.deepcopy(dict(son)))

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Self:
        """PyMODM's name for ``from_son``."""
        return cls.from_son(document)

    # --- reading values ---------------------------------------------------------------------

    def _read_missing(self, field: BaseField[Any]) -> Any:
        """A field with no value: its default on a loaded document, else None.

        Reading a default is not a change: a callable or mutable default is remembered (so
        it stays the same object) and written into the baseline, so a save sends it only if
        it was changed afterwards."""
        son = self._son
        if son is None or not field.has_default:
            return None
        value = field.get_default()
        if value is None or (
            not callable(field.default) and isinstance(value, _IMMUTABLE_DEFAULTS)
        ):
            return value
        if field.name in self._schema.plain_names:
            self.__dict__[field.name] = value  # for a fast-loaded document: also the baseline
            return value
        self._values[field.name] = value
        son[field.db_field] = field.to_mongo(value)
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        schema = self._schema
        if name in schema.plain_names:
            field = schema.fields[name]
            if value is not None and field.coerces:
                value = field.coerce(value)
            son = self._son
            if son is not None:
                if self.__dict__ is son and self._is_embedded:
                    # An embedded document reads its values from its part of the parent's
                    # stored document; it copies them before its first change, so that
                    # stored document stays the baseline the parent's save compares with.
                    _set_dict(self, son.copy())
                orig = self._orig
                if orig is None:
                    orig = {}
                    _set_orig(self, orig)
                if name not in orig:
                    orig[name] = son.get(name, MISSING)
            self.__dict__[name] = value
            return
        if name in schema.fields or name[:1] == "_" or hasattr(type(self), name):
            if name not in schema.fields:
                son = self._son
                if son is not None and self.__dict__ is son:
                    # Not a field: it must never enter the stored document the instance
                    # dict of a loaded document is.
                    _set_dict(self, son.copy())
            object.__setattr__(self, name, value)
            return
        if schema.dynamic:
            self._values[name] = value
            return
        raise AttributeError(
            f"{type(self).__name__} has no field {name!r}; declare it, or use a DynamicDocument"
        )

    def __delattr__(self, name: str) -> None:
        if name in self._schema.fields:
            setattr(self, name, None)
        elif name[:1] != "_" and self._schema.dynamic and name in self._dynamic_names():
            self._values[name] = None
        else:
            object.__delattr__(self, name)

    def __getitem__(self, key: str) -> Any:
        if key in self._schema.fields or key in self._dynamic_names():
            return getattr(self, key)
        field = self._schema.db_fields.get(key)
        if field is not None:
            return getattr(self, field.name)
        raise KeyError(key)

    def __setitem__(self, key: str, value: Any) -> None:
        schema = self._schema
        if key in schema.fields or (schema.dynamic and key[:1] != "_"):
            setattr(self, key, value)
            return
        field = schema.db_fields.get(key)
        if field is None:
            raise KeyError(f"{type(self).__name__} has no field {key!r}")
        setattr(self, field.name, value)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        if key in self._schema.fields or key in self._dynamic_names():
            return getattr(self, key) is not None
        return False

    def __iter__(self) -> Iterator[str]:
        yield from self._schema.fields
        yield from self._dynamic_names()

    def _dynamic_names(self) -> list[str]:
        return []

    def _fields_with_values(self) -> list[tuple[str, Any]]:
        out = [(name, getattr(self, name)) for name in self._schema.fields]
        out.extend((name, getattr(self, name)) for name in self._dynamic_names())
        return out

    # --- conversion -------------------------------------------------------------------------

    def to_mongo(self) -> dict[str, Any]:
        """The BSON-ready document, stored names, in field order (``_id`` first)."""
        son: dict[str, Any] = self._dump(self)
        return son

    to_son = to_mongo

    def to_dict(self) -> dict[str, Any]:
        """Python values by field name; embedded documents become dicts too."""
        return {
            name: _plain(value) for name, value in self._fields_with_values() if value is not None
        }

    def to_json(self, *args: Any, **kwargs: Any) -> str:
        """MongoDB Extended JSON (relaxed) of ``to_mongo()``."""
        kwargs.setdefault("json_options", _JSON_OPTIONS)
        return json_util.dumps(self.to_mongo(), *args, **kwargs)

    @classmethod
    def from_json(cls, json_data: str, created: bool = False) -> Self:
        """The document an Extended JSON string describes; ``created=True`` treats it as new."""
        son = json_util.loads(json_data, json_options=_JSON_OPTIONS)
        doc = cls._from_son(son)
        if created:
            doc._become_new()
        return doc

    def _become_new(self) -> None:
        """Turn a document built from raw data into a new, unsaved one holding the same values."""
        son = self._son or {}
        plain_names = self._schema.plain_names
        for name, field in self._schema.fields.items():
            if name in plain_names:
                if field.db_field in son:
                    self.__dict__[name] = son[field.db_field]
                continue
            getattr(self, name)
            if name not in self._values and field.db_field in son:
                self._values[name] = son[field.db_field]
        for name in self._dynamic_names():
            self._values[name] = getattr(self, name)
        if self.__dict__ is son:
            _set_dict(self, dict(son))
        _set_son(self, None)
        _set_orig(self, None)

    # --- identity and display ---------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if type(self) is not type(other):
            return False
        assert isinstance(other, BaseDocument)
        return self.to_mongo() == other.to_mongo()

    def __hash__(self) -> int:
        # Embedded documents are mutable values: hashing them would break dict/set invariants.
        raise TypeError(f"unhashable type: {type(self).__name__!r}")

    def __repr__(self) -> str:
        parts = [
            f"{name}={_repr.repr(value)}"
            for name, value in self._fields_with_values()
            if value is not None
        ]
        return f"{type(self).__name__}({', '.join(parts)})"


_SLOTS = SlotSetters(BaseDocument)
_set_dict, _set_son, _set_values, _set_orig = _SLOTS.dict, _SLOTS.son, _SLOTS.values, _SLOTS.orig
#: The general constructor: the compiled ones hand it every case they do not handle.
_general_init = BaseDocument.__init__


def _inherits_general_init(cls: type) -> bool:
    """True unless a class (or a parent) has its own ``__init__``, which must stay in charge."""
    init = cls.__dict__.get("__init__") or next(
        k.__dict__["__init__"] for k in cls.__mro__ if "__init__" in k.__dict__
    )
    return init is _general_init or getattr(init, "compiled_init", False)


#: Attribute names of the document API that a field may not take (a test pins that this
#: covers every public attribute of ``Document``).
RESERVED_NAMES = frozenset(
    {
        "clean",
        "clean_fields",
        "compare_indexes",
        "delete",
        "drop_collection",
        "ensure_indexes",
        "from_document",
        "from_json",
        "from_son",
        "full_clean",
        "get_collection",
        "is_valid",
        "list_indexes",
        "modify",
        "objects",
        "pk",
        "refresh_from_db",
        "register_delete_rule",
        "reload",
        "save",
        "to_dbref",
        "to_dict",
        "to_json",
        "to_mongo",
        "to_son",
        "update",
        "validate",
        "DoesNotExist",
        "MultipleObjectsReturned",
        "meta",
        "Meta",
    }
)


def _reserved_names() -> frozenset[str]:
    return RESERVED_NAMES


def _attach_errors(cls: type) -> None:
    """Give each model its own ``DoesNotExist`` / ``MultipleObjectsReturned`` subclasses,
    inheriting from the parents' (so ``except Parent.DoesNotExist`` catches a child's)."""
    for base_error in (DoesNotExist, MultipleObjectsReturned):
        name = base_error.__name__
        parents = tuple(
            b.__dict__[name]
            for b in cls.__mro__[1:]
            if name in b.__dict__ and isinstance(b.__dict__[name], type)
        ) or (base_error,)
        seen: list[type] = []
        for p in parents:
            if not any(issubclass(s, p) for s in seen):
                seen.append(p)
        setattr(
            cls,
            name,
            type(
                name,
                tuple(seen),
                {"__module__": cls.__module__, "__qualname__": f"{cls.__qualname__}.{name}"},
            ),
        )


def _plain(value: Any) -> Any:
    if isinstance(value, BaseDocument):
        return value.to_dict()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _after_class_created(cls: type) -> None:
    """Hooks later stages register (indexes, delete rules, references)."""
    for hook in _CLASS_HOOKS:
        hook(cls)


_CLASS_HOOKS: list[Any] = []


# Slot and instance-dict setters used by the hot paths, bypassing ``__setattr__``.
