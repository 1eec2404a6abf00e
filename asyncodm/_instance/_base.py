"""BaseDocument: what every document class shares, compiled once per class, held in slots.

Stage: instance. Each class is compiled once into its record (``_schema.compile_class``) when
it is defined (``__init_subclass__``, which then gives the class its generated fast paths and
registers it). An instance's state (its four slots) is owned by ``_state``: this module reads
it, and changes it only through ``_state``'s operations.
"""

from __future__ import annotations

import copy
import copyreg
import reprlib
import sys
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar, SupportsIndex

from bson import json_util
from bson.binary import UuidRepresentation
from bson.json_util import JSONMode, JSONOptions
from typing_extensions import Self

from asyncodm._instance import _state
from asyncodm._instance._codec import to_son
from asyncodm._instance._compiled import compile_dumper, compile_init, compile_loader
from asyncodm._instance._quick import compile_quick_valid, never_valid
from asyncodm._instance._validation import ValidationMixin, touched_checks
from asyncodm._registry import registry
from asyncodm._schema._compile import Schema, compile_class
from asyncodm.errors import DoesNotExist, FieldDoesNotExist, MultipleObjectsReturned
from asyncodm.fields._access import PlainAccess
from asyncodm.fields._base import BaseField

__all__ = ["BaseDocument"]

_JSON_OPTIONS = JSONOptions(
    json_mode=JSONMode.RELAXED, uuid_representation=UuidRepresentation.STANDARD
)
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
        if "__module__" not in namespace:
            # ``type(name, bases, ns)`` (a class built at run time): ``type.__new__`` would
            # name this module, the frame calling it, so pickle could not find the class.
            namespace["__module__"] = sys._getframe(1).f_globals.get("__name__", "__main__")
        return super().__new__(mcs, name, bases, namespace, **kwargs)


class BaseDocument(_state.Stateful, ValidationMixin, metaclass=DocumentMeta):
    """What documents and embedded documents share: construction, access, conversion,
    validation."""

    __slots__ = ()

    _schema: ClassVar[Schema]
    #: Each class's own error subclasses (``except Post.DoesNotExist``), see ``_attach_errors``.
    DoesNotExist: ClassVar[type[DoesNotExist]]
    MultipleObjectsReturned: ClassVar[type[MultipleObjectsReturned]]
    _dump: ClassVar[Any]
    #: The loader of stored documents (``_compiled.compile_loader``): raw dict -> instance.
    _from_son: ClassVar[Any]
    #: The loader for documents read with a projection (no ``enforce_schema`` check).
    _from_projected_son: ClassVar[Any]

    _is_embedded: ClassVar[bool] = False
    _is_dynamic: ClassVar[bool] = False
    _instantiable: ClassVar[bool] = False
    _check_quick: ClassVar[Any] = staticmethod(never_valid)
    #: The same, ignoring a ``clean`` override (for ``clean_fields`` / ``validate(clean=False)``).
    _check_quick_fields: ClassVar[Any] = staticmethod(never_valid)
    #: Field name -> quick check, for the touched-only validation of a delta save.
    _touched_checks: ClassVar[dict[str, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("_library_base", False):
            return  # the library's own base classes (Document, EmbeddedDocument...) have no record
        _finish_class(
            cls, compile_class(cls, is_embedded=cls._is_embedded, dynamic=cls._is_dynamic)
        )

    # --- construction (the state operations of ``_state``) ----------------------------------

    # The functions themselves, not wrappers: no extra call on the construction path.
    if TYPE_CHECKING:

        def __init__(self, *args: Any, **kwargs: Any) -> None: ...
        def __setattr__(self, name: str, value: Any) -> None: ...
        def _assign(self, data: Mapping[str, Any]) -> None: ...
        def _read_missing(self, field: BaseField[Any]) -> Any: ...
        def _keep_snapshot(self, name: str, data: bytes) -> None: ...

    else:
        __init__ = _state.general_init
        __setattr__ = _state.set_attribute
        _assign = _state.assign
        _read_missing = _state.read_missing
        _keep_snapshot = _state.keep_snapshot

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
            f"{type(self).__name__} has no field {name!r} (its fields: {known})", field=name
        )

    @classmethod
    def from_son(cls, son: Mapping[str, Any]) -> Self:
        """An instance of the right class for a raw document as stored (MongoEngine): a save
        sends only later changes.

        A dict is *adopted*, as a query adopts the dict the driver decoded: it becomes the
        document's state (its instance dict, the baseline of its changes, the lists and dicts
        it hands out), so loading costs what the query path's loader costs. Do not use or
        change it afterwards; pass ``copy.deepcopy(son)`` to keep yours. Any other mapping
        is copied into a dict first."""
        doc: Self = cls._from_son(son if type(son) is dict else dict(son))
        return doc

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Self:
        """An instance for a raw document that is *not* taken as stored (PyMODM): its next
        ``save()`` writes it whole, upserted by primary key (inserted when it has none), and
        later saves send only changes. Stored keys the class does not declare are kept and
        written too. A dict is adopted, as by ``from_son``."""
        doc: Self = cls._from_son(document if type(document) is dict else dict(document))
        _state.mark_unsaved(doc)
        return doc

    # --- reading values ---------------------------------------------------------------------

    def __delattr__(self, name: str) -> None:
        if name in self._schema.fields:
            setattr(self, name, None)
        elif name[:1] != "_" and self._schema.dynamic and name in self._dynamic_names():
            _state.set_value(self, name, None)
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
        doc: Self = cls._from_son(son)
        if created:
            _state.become_new(doc)
        return doc

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

    # --- pickling and copying (``_state.state_of`` / ``_state.restore_state``) -------------

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        """Pickle by class reference and the four state slots, on every protocol.

        ``copyreg.__newobj__`` makes the bare instance (``cls.__new__(cls)``: no ``__init__``,
        no init signals, no defaults) and ``__setstate__`` gives its state back, so an
        unpickled loaded document is still loaded (an unchanged one saves nothing) and a
        pending change is still pending. The default reduction would restore the slots with
        ``__setattr__``, which reads the state it is restoring."""
        newobj = copyreg.__newobj__  # type: ignore[attr-defined]  # not in typeshed
        return (newobj, (type(self),), _state.state_of(self))

    def __getstate__(self) -> tuple[Any, ...]:
        return _state.state_of(self)

    def __setstate__(self, state: Any) -> None:
        _state.restore_state(self, state)

    def __copy__(self) -> Self:
        """A document is a mutable value tracking its own changes: a shallow copy would share
        its lists, dicts, embedded documents and baseline with the original, so an edit of
        the copy would leak into the original's next save. ``copy.copy`` is therefore
        ``copy.deepcopy``."""
        return copy.deepcopy(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        """A fully independent document: its state deep-copied, the sharing inside it kept
        (the new instance is in ``memo`` first, so values that refer back to it, such as
        its file values, refer to the copy)."""
        cls = type(self)
        new: Self = cls.__new__(cls)
        memo[id(self)] = new
        _state.restore_state(new, copy.deepcopy(_state.state_of(self), memo))
        return new


#: The general constructor: the compiled ones hand it every case they do not handle.
_general_init = _state.general_init


def _finish_class(cls: Any, record: Schema) -> None:
    """Give a new class its record, its generated fast paths and its own errors, and register
    it (which adds the delete rules it declares). An invalid index setting is raised last, once
    the class is registered (collection-wide operations then skip it)."""
    for name in record.plain_names:
        if isinstance(cls.__dict__.get(name), BaseField):
            type.__setattr__(cls, name, PlainAccess(record.fields[name]))
    if record.pk_name not in (None, "id") and not record.dynamic and not hasattr(cls, "id"):
        type.__setattr__(cls, "id", PkAlias(record.pk_name))
    shielded = _shield_stored_names(cls, record)
    if shielded:
        record = replace(record, fast_keys=record.fast_keys | shielded)
    cls._schema = record
    cls._instantiable = not record.abstract
    values_valid = compile_quick_valid(cls)
    cls._check_quick_fields = staticmethod(values_valid)
    # A clean() override may still object to valid values: then always check properly.
    cls._check_quick = staticmethod(
        values_valid if cls.clean is BaseDocument.clean else never_valid
    )
    cls._touched_checks = touched_checks(record)
    type.__setattr__(cls, "_from_son", staticmethod(compile_loader(cls)))
    type.__setattr__(cls, "_from_projected_son", staticmethod(compile_loader(cls, projected=True)))
    type.__setattr__(cls, "_dump", staticmethod(compile_dumper(cls, to_son)))
    if cls._instantiable and _inherits_general_init(cls):
        type.__setattr__(cls, "__init__", compile_init(cls, _general_init))
    _attach_errors(cls)
    registry.register(cls)
    if record.definition_error is not None:
        raise record.definition_error


class PkAlias:
    """``doc.id`` of a class whose primary key has another name (``slug =
    StringField(primary_key=True)``): the pk, as MongoEngine users expect.

    A descriptor on the class rather than a ``__getattr__`` on every document: in CPython 3.11
    a class with a ``__getattr__`` gets no specialised attribute reads at all, so every
    ``doc.title`` and every ``instance._values`` inside the field descriptors paid the generic
    lookup (6.7k instructions per loaded post, W2). Read-only: the pk is set by its own name."""

    __slots__ = ("pk_name",)

    def __init__(self, pk_name: str) -> None:
        self.pk_name = pk_name

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        return getattr(instance, self.pk_name)

    def __set__(self, instance: Any, value: Any) -> None:
        raise AttributeError(
            f"{type(instance).__name__}.id is the primary key {self.pk_name!r}: "
            f"set {self.pk_name!r} instead"
        )


class StoredName:
    """Stands in, on the class, for the attribute named like a stored key of a renamed field
    (``extra = DictField(db_field="meta")``), so a loaded document's stored dict can be its
    ``__dict__`` even though it holds that key.

    A data descriptor wins over the instance dict, so the stored key never shows through as an
    attribute: the class's own attribute of that name (``meta``, a method) reads as it did,
    and a name the class does not have stays an ``AttributeError``. Without it the loader
    would copy the plain values into a dict of their own for every such document."""

    __slots__ = ("name", "shadowed", "owner")

    def __init__(self, name: str, shadowed: Any, owner: type) -> None:
        self.name = name
        self.shadowed = shadowed  # _NOTHING: the class has no attribute of that name
        self.owner = owner

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        shadowed = self.shadowed
        if shadowed is _NOTHING:
            raise AttributeError(
                f"{(owner or type(instance)).__name__!r} object has no attribute {self.name!r}"
            )
        get = getattr(type(shadowed), "__get__", None)
        return shadowed if get is None else get(shadowed, instance, owner)

    def __set__(self, instance: Any, value: Any) -> None:
        raise AttributeError(
            f"{type(instance).__name__}.{self.name} is stored as the field "
            f"{instance._schema.db_fields[self.name].name!r}: set that field, or set "
            f"{self.name!r} on the class"
        )

    def __repr__(self) -> str:
        return f"<stored name {self.name!r} of {self.owner.__qualname__}>"


_NOTHING: Any = object()


def _shield_stored_names(cls: type, record: Schema) -> frozenset[str]:
    """The stored names of renamed fields that may sit in the instance dict: each gets a
    ``StoredName`` on the class unless a data descriptor already owns the name (a field that
    is not plain, a property). A name a plain field reads through the instance dict (another
    field's name) cannot be shielded: documents holding it keep the copying load."""
    if record.dynamic:
        return frozenset()  # dynamic documents always copy their plain values
    shielded = set()
    for db, field in record.db_fields.items():
        if db == field.name or db in record.fast_keys:
            continue
        found = next((k.__dict__[db] for k in cls.__mro__ if db in k.__dict__), _NOTHING)
        if isinstance(found, StoredName):
            shielded.add(db)  # inherited; a class of its own below would have replaced it
            continue
        if isinstance(found, PlainAccess):
            continue
        kind = type(found)
        if found is not _NOTHING and (hasattr(kind, "__set__") or hasattr(kind, "__delete__")):
            shielded.add(db)
            continue
        type.__setattr__(cls, db, StoredName(db, found, cls))
        shielded.add(db)
    return frozenset(shielded)


def _inherits_general_init(cls: type) -> bool:
    """True unless a class (or a parent) has its own ``__init__``, which must stay in charge."""
    init = cls.__dict__.get("__init__") or next(
        k.__dict__["__init__"] for k in cls.__mro__ if "__init__" in k.__dict__
    )
    return init is _general_init or getattr(init, "compiled_init", False)


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
