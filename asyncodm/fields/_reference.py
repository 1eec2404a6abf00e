"""References to other documents: stored as the target's pk (or a DBRef), read as awaitable
handles.

Stage: fields. Reading ``post.author`` never touches the network (``__get__`` does no I/O): it
gives a ``Ref``, whose ``pk`` is known at once and which fetches the document when awaited
(``author = await post.author``), once, then keeps it. ``select_related`` fills many handles with
one query per collection (``_deref``). A list or dict of references reads as a ``RefList`` /
``RefDict`` that fetches all its documents in one ``$in`` query when awaited.

Inside ``no_auto_dereference(Model)`` references (and lists and dicts of them, through
``read_container``) read as their raw stored ids instead; the handles stay on the document.

Dangling references (the target was deleted): awaiting raises the target model's
``DoesNotExist`` naming the collection and id; on a field declared ``null=True`` it gives
``None`` instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Generator, Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, cast, overload

from bson import DBRef, ObjectId
from typing_extensions import Self, TypeVar

from asyncodm._context import collection_name_for, dereference_disabled
from asyncodm._registry import registry
from asyncodm._types import DeleteRule, FetchesReferences
from asyncodm.errors import InvalidDocumentError, NotRegistered
from asyncodm.fields._base import BaseField, Container, NoPath, PathStep, References, describe
from asyncodm.fields._spec import frozen_mapping

if TYPE_CHECKING:
    from asyncodm._document import Document, EmbeddedDocument

__all__ = [
    "CASCADE",
    "DENY",
    "DO_NOTHING",
    "NULLIFY",
    "PULL",
    "DeleteRule",
    "GenericReferenceField",
    "Ref",
    "RefDict",
    "RefList",
    "ReferenceField",
    "dangling_error",
]

#: The referenced model (``Any`` for a target named by a string: ``ReferenceField("User")``).
T = TypeVar("T", default=Any)

#: What a reference field accepts besides a document or its ``Ref``: its pk (these types
#: cover ObjectId, string, integer and UUID keys) or a DBRef; the pk's type is checked at save.
PkValue = DBRef | ObjectId | str | int | uuid.UUID

if TYPE_CHECKING:
    from typing import TypeAlias

    #: What an item of a container of references or embedded documents may be assigned as:
    #: a document, a handle, an ObjectId or DBRef, a dict (an embedded document) or None.
    RefItem: TypeAlias = (
        "Document | EmbeddedDocument | Ref[Any] | DBRef | ObjectId | Mapping[str, Any] | None"
    )


DO_NOTHING = DeleteRule.DO_NOTHING
NULLIFY = DeleteRule.NULLIFY
CASCADE = DeleteRule.CASCADE
DENY = DeleteRule.DENY
PULL = DeleteRule.PULL


async def _fetch(model: type, pks: list[Any], null_ok: bool, where: str) -> dict[Any, Any]:
    """``{pk: document}`` of ``model``: the document class fetches its own documents
    (``FetchesReferences``), so this module stays free of I/O and needs no registration."""
    return await cast(FetchesReferences, model)._fetch_by_pks(pks, null_ok, where)


def dangling_error(model: type, pk: Any, where: str) -> Exception:
    """``model.DoesNotExist`` for a reference whose document is not there (deleted)."""
    error: Exception = model.DoesNotExist(  # type: ignore[attr-defined]
        f"{where or model.__name__} refers to {model.__name__} {pk!r}, which is not in "
        f"collection {collection_name_for(model)!r} (a dangling reference)"
    )
    return error


def _is_document_class(value: Any) -> bool:
    schema = getattr(value, "_schema", None)
    return isinstance(value, type) and schema is not None and not schema.is_embedded


class Ref(Generic[T]):
    """A handle on a referenced document: ``pk`` without a query, the document when awaited.

    After the document was fetched (awaited, or prefetched by ``select_related``), attribute
    access passes through to it, so ``post.author.name`` works in templates.
    """

    # ``_missing`` is set only once a fetch found nothing (never in ``__init__``: handles are
    # made for every stored reference loaded, so that path stays as cheap as it was).
    __slots__ = ("model", "pk", "_document", "_null_ok", "_where", "_collection", "_missing")

    def __init__(
        self,
        model: type[T],
        pk: Any,
        document: T | None = None,
        *,
        null_ok: bool = False,
        where: str = "",
        collection: str | None = None,
    ) -> None:
        self.model = model
        self.pk = pk
        self._document = document
        self._null_ok = null_ok
        self._where = where
        self._collection = collection

    @property
    def id(self) -> Any:
        return self.pk

    @property
    def fetched(self) -> bool:
        """Whether the document is here already (awaiting makes no query)."""
        return self._document is not None

    @property
    def document(self) -> T | None:
        """The document if it was fetched, else None (never queries)."""
        return self._document

    def _fill(self, document: T | None) -> None:
        self._document = document
        if document is None:
            self._missing = True

    @property
    def dangling(self) -> bool:
        """Whether a fetch (an await, or ``select_related``) found no such document."""
        return self._document is None and getattr(self, "_missing", False)

    async def fetch(self, *, refresh: bool = False) -> T | None:
        """The referenced document: one query the first time, none afterwards (also when
        it was found missing: None where the field allows it, else ``DoesNotExist``)."""
        if self._document is not None and not refresh:
            return self._document
        if self.pk is None:
            return None
        if not refresh and getattr(self, "_missing", False):
            if self._null_ok:
                return None
            raise dangling_error(self.model, self.pk, self._where)
        found = await _fetch(self.model, [self.pk], self._null_ok, self._where)
        self._fill(found.get(self.pk))
        return self._document

    def __await__(self) -> Generator[Any, None, T]:
        return self.fetch().__await__()  # type: ignore[return-value]

    def to_dbref(self) -> DBRef:
        return DBRef(self._collection or collection_name_for(self.model), self.pk)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle (and copy) as the model class (by reference) and the pk, plus the fetched
        document where there is one: an unpickled handle that was fetched is still fetched
        (no query), one that was not fetches when awaited. The document goes in the state,
        not the arguments, so a document that refers back to this handle pickles too."""
        state = {
            slot: getattr(self, slot)
            for slot in ("_document", "_null_ok", "_where", "_collection", "_missing")
            if hasattr(self, slot)
        }
        return (Ref, (self.model, self.pk), (None, state))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        document = self._document
        if document is None:
            raise AttributeError(
                f"{self.model.__name__} {self.pk!r} is not loaded, so .{name} is unknown: "
                f"`await` the reference first, or load it with select_related()"
            )
        return getattr(document, name)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Ref):
            return bool(self.pk == other.pk) and _same_collection(self.model, other.model)
        if _is_document_class(type(other)):
            return bool(self.pk == other.pk) and _same_collection(self.model, type(other))  # type: ignore[attr-defined]
        if isinstance(other, DBRef):
            return bool(self.pk == other.id)
        return bool(self.pk == other)

    def __hash__(self) -> int:
        return hash(self.pk)

    def __repr__(self) -> str:
        state = "fetched" if self._document is not None else "not fetched"
        return f"Ref({self.model.__name__}, {self.pk!r}, {state})"


def _same_collection(a: type, b: type) -> bool:
    return bool(a._schema.collection == b._schema.collection)  # type: ignore[attr-defined]


class RefList(list[Ref[T]], Generic[T]):
    """A list of references; ``await refs`` fetches every document in one query, in order."""

    def __await__(self) -> Generator[Any, None, list[T]]:
        return _fetch_all(list(self)).__await__()


class RefDict(dict[str, Ref[T]], Generic[T]):
    """A dict of references; ``await refs`` gives the same keys with documents as values."""

    def __await__(self) -> Generator[Any, None, dict[str, T]]:
        async def fetch() -> dict[str, T]:
            keys = list(self)
            documents = await _fetch_all([self[k] for k in keys])
            return dict(zip(keys, documents, strict=True))

        return fetch().__await__()


async def _fetch_all(refs: list[Any]) -> list[Any]:
    """Documents for ``refs`` (Ref handles, documents or None), one query per model."""
    pending: dict[type, list[Ref[Any]]] = {}
    for ref in refs:
        if isinstance(ref, Ref) and ref._document is None and ref.pk is not None:
            if not getattr(ref, "_missing", False):
                pending.setdefault(ref.model, []).append(ref)
            elif not ref._null_ok:
                raise dangling_error(ref.model, ref.pk, ref._where)
    for model, group in pending.items():
        found = await _fetch(
            model, list({r.pk: None for r in group}), group[0]._null_ok, group[0]._where
        )
        for ref in group:
            ref._fill(found.get(ref.pk))
    return [ref._document if isinstance(ref, Ref) else ref for ref in refs]


def _container_view(field: Any, value: Any, owner: type) -> Any:
    """``value`` (a list or dict of references) as read on a document of ``owner``: itself, or
    inside ``no_auto_dereference(owner)`` a new plain list / dict of the raw stored ids.

    The raw container is built on every read and never kept, so the document still holds its
    handles: they read as handles again after the block, and a save sends nothing for them."""
    if not dereference_disabled(owner):
        return value
    raw = field.raw_value
    if isinstance(value, list):
        return [raw(v) if isinstance(v, Ref) else v for v in value]
    if isinstance(value, dict):
        return {k: raw(v) if isinstance(v, Ref) else v for k, v in value.items()}
    return value


class _ReadsAsReference:
    """What both reference fields share: reads give ``Ref`` handles, or the stored value
    inside ``no_auto_dereference`` (single values, and lists and dicts of them)."""

    owner: type | None
    name: str

    def raw_value(self, ref: Ref[Any]) -> Any:
        raise NotImplementedError

    def _where(self) -> str:
        owner = self.owner.__name__ if self.owner is not None else "?"
        return f"{owner}.{self.name}"

    def __get__(self, instance: Any, owner: type) -> Any:
        value = BaseField.__get__(self, instance, owner)  # type: ignore[call-overload]
        if instance is None or value is None or not isinstance(value, Ref):
            return value
        if dereference_disabled(owner):
            return self.raw_value(value)
        return value

    def read_container(self, value: Any, owner: type) -> Any:
        """What a list or dict of these references reads as (``ListField.__get__``)."""
        return _container_view(self, value, owner)


class ReferenceField(_ReadsAsReference, BaseField[Ref[T]], Generic[T]):
    """A reference to a document of ``document_type`` (a class, its name, or ``"self"``).

    Args:
        reverse_delete_rule: What deleting the referenced document does to this one
            (``DO_NOTHING``, ``NULLIFY``, ``CASCADE``, ``DENY``, ``PULL``); ``on_delete`` is
            PyMODM's name for it.
        dbref: Store a DBRef (collection and id) instead of the bare pk.
    """

    coerces = True
    list_type: ClassVar[type] = RefList
    dict_type: ClassVar[type] = RefDict

    if TYPE_CHECKING:
        # For type checkers: ``post.author`` is a ``Ref[User] | None`` (raw ids inside
        # ``no_auto_dereference``, which no annotation can follow), and it accepts a document,
        # its ``Ref``, its pk or a DBRef.

        @overload
        def __get__(self, instance: None, owner: type) -> Self: ...

        @overload
        def __get__(self, instance: object, owner: type) -> Ref[T] | None: ...

        def __get__(self, instance: object | None, owner: type) -> Self | Ref[T] | None: ...

        def __set__(self, instance: object, value: T | Ref[T] | PkValue | None) -> None: ...

    def __init__(
        self,
        document_type: type[T] | str,
        reverse_delete_rule: DeleteRule | int = DO_NOTHING,
        *,
        dbref: bool = False,
        on_delete: DeleteRule | int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not isinstance(document_type, str) and not _is_document_class(document_type):
            raise InvalidDocumentError(
                f"ReferenceField expects a Document class, its name or 'self', found "
                f"{describe(document_type)}"
            )
        self._document_type: type[T] | str = document_type
        rule = on_delete if on_delete is not None else reverse_delete_rule
        self.reverse_delete_rule = DeleteRule(int(rule))
        self.dbref = dbref

    kind = "reference"

    def _describe(self) -> dict[str, Any]:
        options = frozen_mapping(dbref=self.dbref, reverse_delete_rule=self.reverse_delete_rule)
        # A name (or "self") is resolved now: NotRegistered if it is not defined yet.
        return {**super()._describe(), "reference": self.document_type, "options": options}

    def _describe_stable(self) -> bool:
        return not isinstance(self._document_type, str)  # resolved on every use

    # PyMODM spells the rules as constants on the field class.
    DO_NOTHING = DO_NOTHING
    NULLIFY = NULLIFY
    CASCADE = CASCADE
    DENY = DENY
    PULL = PULL

    def bind(self, owner: type | None, name: str) -> None:
        super().bind(owner, name)
        if self._document_type == "self" and owner is not None:
            self._document_type = owner.__name__

    # -- what this field says about itself ----------------------------------------------------

    def references(self) -> References | None:
        """A reference to one target class."""
        return References(
            self, Container.NONE, False, (self.target_name,), self.reverse_delete_rule
        )

    @property
    def document_type(self) -> type[T]:
        target = self._document_type
        if isinstance(target, str):
            try:
                found = registry.get(target)
            except NotRegistered as exc:
                raise NotRegistered(
                    f"{self!r} refers to {target!r}, which is not defined (imported) yet"
                ) from exc
            return found
        return target

    @property
    def target_name(self) -> str:
        target = self._document_type
        return target if isinstance(target, str) else target.__name__

    @property
    def expected(self) -> str:  # type: ignore[override]
        return f"a saved {self.target_name} (a document, its pk or a DBRef)"

    def walk(self, part: str) -> PathStep:
        """A DBRef's ``$id``/``$ref``; nothing else of the target is stored here.

        Raises:
            NoPath: the path walks into the referenced document.
        """
        if self.dbref and part in ("$id", "$ref"):
            return PathStep(part, None, part, schemaless=True)
        raise NoPath(
            f"it walks into a reference ({self.name!r}), which stores only the referenced "
            f"document's id; name {self.name!r} itself"
        )

    def make_ref(self, pk: Any, document: Any = None) -> Ref[T]:
        return Ref(self.document_type, pk, document, null_ok=self.null, where=self._where())

    def raw_value(self, ref: Ref[Any]) -> Any:
        """What ``ref`` reads as inside ``no_auto_dereference``: its id, or a DBRef."""
        return ref.to_dbref() if self.dbref else ref.pk

    def coerce(self, value: Any) -> Any:
        if isinstance(value, Ref):
            return value
        if _is_document_class(type(value)):
            return Ref(type(value), value.pk, value, null_ok=self.null, where=self._where())
        if isinstance(value, DBRef):
            return self.make_ref(value.id)
        if isinstance(value, Mapping):
            return value  # validation reports it
        return self.make_ref(self._pk_value(value))

    def _pk_value(self, value: Any) -> Any:
        try:
            pk_field = self.document_type._schema.pk_field  # type: ignore[attr-defined]
        except NotRegistered:
            return value
        if pk_field is not None and pk_field.coerces:
            return pk_field.coerce(value)
        return value

    def to_python(self, value: Any) -> Any:
        if isinstance(value, DBRef):
            return self.make_ref(value.id)
        return self.make_ref(value)

    def to_mongo(self, value: Any) -> Any:
        if isinstance(value, Ref):
            pk = value.pk if value._document is None else value._document.pk
            model: type = value.model
        elif _is_document_class(type(value)):
            pk, model = value.pk, type(value)
        elif isinstance(value, DBRef):
            return value if self.dbref else value.id
        else:
            pk, model = value, self.document_type
        pk_field = model._schema.pk_field  # type: ignore[attr-defined]
        stored = pk_field.to_mongo(pk) if pk_field is not None and pk is not None else pk
        if self.dbref:
            return DBRef(collection_name_for(model), stored)
        return stored

    def check(self, value: Any) -> str | None:
        if _is_document_class(type(value)):  # put into a list or dict in place (``append``)
            value = self.coerce(value)
        if isinstance(value, Ref):
            pk = value.pk if value._document is None else value._document.pk
            if pk is None:
                return f"expected {self.expected}, found an unsaved {value.model.__name__} (save it first)"
            if not issubclass(value.model, self.document_type):
                return f"expected {self.expected}, found a {value.model.__name__}"
            return None
        return f"expected {self.expected}, found {describe(value)}"

    def prepare_query_value(self, op: str | None, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, (list, tuple, set, frozenset)):
            return [self.prepare_query_value(op, v) for v in value]
        if op in ("exists", "size", "type"):
            return value
        return self.to_mongo(self.coerce(value))


class GenericReferenceField(_ReadsAsReference, BaseField["Ref[Document]"]):
    """A reference to a document of any registered class (``choices`` limits which).

    Stored as ``{"_cls": "<class name>", "_ref": DBRef(collection, pk)}`` (MongoEngine's
    layout), so loading knows which class to build.

    Args:
        choices: The classes (or names) it may refer to; also the classes whose deletes a
            ``reverse_delete_rule`` watches (without ``choices``: every document class).
        reverse_delete_rule: As for ``ReferenceField``, matched by class name and id;
            ``on_delete`` is PyMODM's name for it.
    """

    coerces = True
    list_type: ClassVar[type] = RefList
    dict_type: ClassVar[type] = RefDict

    if TYPE_CHECKING:
        # ``doc.target`` is a ``Ref[Document]``: awaiting it gives the stored class's document.

        @overload
        def __get__(self, instance: None, owner: type) -> Self: ...

        @overload
        def __get__(self, instance: object, owner: type) -> Ref[Document] | None: ...

        def __get__(self, instance: object | None, owner: type) -> Self | Ref[Document] | None: ...

        def __set__(self, instance: object, value: Document | Ref[Any] | None) -> None: ...

    def __init__(
        self,
        *args: Any,
        choices: Iterable[type | str] | None = None,
        reverse_delete_rule: DeleteRule | int = DO_NOTHING,
        on_delete: DeleteRule | int | None = None,
        **kwargs: Any,
    ) -> None:
        self._allowed = tuple(choices) if choices is not None else None
        super().__init__(*args, **kwargs)
        rule = on_delete if on_delete is not None else reverse_delete_rule
        self.reverse_delete_rule = DeleteRule(int(rule))

    kind = "generic_reference"

    def _describe(self) -> dict[str, Any]:
        options = frozen_mapping(reverse_delete_rule=self.reverse_delete_rule)
        return {**super()._describe(), "classes": self._allowed_classes(), "options": options}

    def _describe_stable(self) -> bool:
        return not any(isinstance(c, str) for c in self._allowed or ())

    # -- what this field says about itself ----------------------------------------------------

    def references(self) -> References | None:
        """A generic reference: its ``choices``' classes, or ``"*"`` (every document class)."""
        return References(
            self, Container.NONE, True, self.target_names or ("*",), self.reverse_delete_rule
        )

    @property
    def target_names(self) -> tuple[str, ...] | None:
        """The names of the ``choices`` classes (whose deletes the rule watches), or None."""
        if self._allowed is None:
            return None
        return tuple(c if isinstance(c, str) else c.__name__ for c in self._allowed)

    def _allowed_classes(self) -> tuple[type, ...] | None:
        if self._allowed is None:
            return None
        return tuple(registry.get(c) if isinstance(c, str) else c for c in self._allowed)

    def raw_value(self, ref: Ref[Any]) -> Any:
        """What ``ref`` reads as inside ``no_auto_dereference``: the stored class and DBRef."""
        return self.to_mongo(ref)

    def coerce(self, value: Any) -> Any:
        if isinstance(value, Ref):
            return value
        if _is_document_class(type(value)):
            return Ref(type(value), value.pk, value, null_ok=self.null, where=self._where())
        return value

    def to_python(self, value: Any) -> Any:
        if isinstance(value, Mapping) and "_cls" in value:
            model = registry.find(value["_cls"])
            ref = value.get("_ref")
            pk = ref.id if isinstance(ref, DBRef) else value.get("_id", ref)
            if model is not None:
                return Ref(model, pk, null_ok=self.null, where=self._where())
        return value

    def to_mongo(self, value: Any) -> Any:
        if isinstance(value, Ref):
            model, pk = value.model, (value.pk if value._document is None else value._document.pk)
        elif _is_document_class(type(value)):
            model, pk = type(value), value.pk
        else:
            return value
        pk_field = model._schema.pk_field
        stored = pk_field.to_mongo(pk) if pk_field is not None and pk is not None else pk
        return {"_cls": model._schema.class_name, "_ref": DBRef(collection_name_for(model), stored)}

    def check(self, value: Any) -> str | None:
        if _is_document_class(type(value)):  # put into a list or dict in place (``append``)
            value = self.coerce(value)
        if not isinstance(value, Ref):
            return f"expected a saved document, found {describe(value)}"
        pk = value.pk if value._document is None else value._document.pk
        if pk is None:
            return f"expected a saved document, found an unsaved {value.model.__name__} (save it first)"
        allowed = self._allowed_classes()
        if allowed is not None and not issubclass(value.model, allowed):
            names = ", ".join(c.__name__ for c in allowed)
            return f"expected a document of {names}, found a {value.model.__name__}"
        return None

    def prepare_query_value(self, op: str | None, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, (list, tuple, set, frozenset)):
            return [self.prepare_query_value(op, v) for v in value]
        return self.to_mongo(self.coerce(value))
