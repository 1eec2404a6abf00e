"""The document classes users subclass: ``Document``, ``DynamicDocument``, ``EmbeddedDocument``,
``DynamicEmbeddedDocument``.

Stage: document. The instance methods that touch the database are thin awaitable wrappers over
``_persistence`` (save/delete/reload) and the QuerySet (update/modify); class methods reach the
collection through ``_collection`` so every ``switch_*`` context applies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from bson import DBRef
from typing_extensions import dataclass_transform

from asyncodm._context import collection_name_for
from asyncodm._instance import _state
from asyncodm._instance._base import BaseDocument
from asyncodm._instance._dynamic import _DynamicMixin
from asyncodm._io import _indexes, _validators
from asyncodm._io._collection import collection_for
from asyncodm._io._delete_rules import delete_documents, register_delete_rule
from asyncodm._io._deref import cascade_save, fetch_documents
from asyncodm._io._persistence import reload_document, save_document
from asyncodm._io._save_lane import HANDOVER, save_lane
from asyncodm._schema._json_schema import json_schema
from asyncodm.errors import OperationError
from asyncodm.queryset import Manager, QuerySet, QuerySetManager

if TYPE_CHECKING:
    from dataclasses import KW_ONLY

    from typing_extensions import Self

    from asyncodm.queryset._manager import Unbound

__all__ = [
    "Document",
    "DynamicDocument",
    "DynamicEmbeddedDocument",
    "EmbeddedDocument",
    "TypedInit",
]


class Document(BaseDocument):
    """A top-level document stored in its own collection.

    Example:
        ```python
        class Page(Document):
            title = StringField(required=True, max_length=200)
            meta = {"collection": "pages", "ordering": ["-title"]}
        ```
    """

    __slots__ = ()
    _library_base = True

    #: ``Manager[Post]`` on ``Post`` for type checkers (``Self`` is each subclass); a subclass
    #: may declare its own, ``Manager()`` (bound to it when read) or a ``Manager[Post]``.
    objects: ClassVar[Manager[Self] | Manager[Unbound]] = QuerySetManager()

    # --- identity ---------------------------------------------------------------------------

    @property
    def pk(self) -> Any:
        """The primary key value (``_id``), whatever the pk field is called."""
        name = self._schema.pk_name
        return getattr(self, name) if name is not None else None

    @pk.setter
    def pk(self, value: Any) -> None:
        name = self._schema.pk_name
        if name is None:
            raise AttributeError(f"{type(self).__name__} has no primary key")
        setattr(self, name, value)

    if TYPE_CHECKING:
        #: The pk under the name ``id``, whatever the pk field is called (``PkAlias``).
        id: Any

    @property
    def _version(self) -> int | None:
        """The stored version of a ``meta = {"versioned": True}`` document, as loaded or last
        saved (``save()`` and ``delete()`` expect it to be the stored one: optimistic
        concurrency); None for a new document or a class that is not versioned. Read-only."""
        son = self._son
        if son is None or not self._schema.versioned:
            return None
        return son.get("_version")

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Document):
            return False
        if self._schema.collection != other._schema.collection:
            return False
        pk = self.pk
        return pk is not None and pk == other.pk

    def __hash__(self) -> int:
        pk = self.pk
        return hash(pk) if pk is not None else object.__hash__(self)

    def to_dbref(self) -> DBRef:
        """A DBRef naming this document's collection and pk."""
        if self.pk is None:
            raise OperationError(f"an unsaved {type(self).__name__} has no pk to refer to")
        return DBRef(collection_name_for(type(self)), self.pk)

    # --- persistence ------------------------------------------------------------------------

    async def save(
        self,
        validate: bool = True,
        force_insert: bool = False,
        cascade: bool | None = None,
        write_concern: Any = None,
        session: Any = None,
        clean: bool = True,
        signal_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Self:
        """Insert a new document, upsert one with a pk, or send only what changed."""
        if (
            validate
            and cascade is None
            and not force_insert
            and write_concern is None
            and session is None
            and signal_kwargs is None
            and not kwargs
        ):
            # The common call: the save lane, unless what it checks hands over (nothing done).
            saved = await save_lane(self, clean)
            if saved is not HANDOVER:
                return saved  # type: ignore[no-any-return]
        if kwargs.pop("full_clean", None) is False:  # PyMODM spelling
            validate = False
        if cascade is None:
            cascade = bool(self._schema.meta.get("cascade", False))
        if cascade:
            await cascade_save(self, write_concern=write_concern, session=session)
        return await save_document(  # type: ignore[no-any-return]
            self,
            validate=validate,
            clean=clean,
            force_insert=force_insert,
            write_concern=write_concern,
            session=session,
            signal_kwargs=signal_kwargs,
        )

    async def delete(
        self,
        session: Any = None,
        signal_kwargs: dict[str, Any] | None = None,
        write_concern: Any = None,
    ) -> None:
        """Delete the stored document, applying the delete rules of referring models."""
        await delete_documents(
            [self], session=session, signal_kwargs=signal_kwargs, write_concern=write_concern
        )

    @classmethod
    def register_delete_rule(cls, referrer: type, field_name: str, rule: Any) -> None:
        """Deleting a ``cls`` document applies ``rule`` to ``referrer.field_name``."""
        register_delete_rule(cls, referrer, field_name, rule)

    async def reload(self, *fields: str, session: Any = None) -> Self:
        """Refresh from the database (only ``fields`` if named); unsaved changes are lost."""
        return await reload_document(self, fields, session=session)  # type: ignore[no-any-return]

    async def refresh_from_db(self, fields: Any = None) -> Self:
        """PyMODM's name for ``reload``."""
        return await reload_document(self, tuple(fields or ()))  # type: ignore[no-any-return]

    async def update(self, **operations: Any) -> int:
        """Apply update operators to this stored document (``inc__views=1``); returns the
        number of documents modified. The instance is not refreshed: ``reload()`` for that."""
        if self.pk is None:
            raise OperationError(f"cannot update a {type(self).__name__} that was never saved")
        qs = type(self).objects._for_instance(self)
        return await qs.update_one(**operations)  # type: ignore[no-any-return]

    async def modify(self, query: dict[str, Any] | None = None, **operations: Any) -> bool:
        """Update atomically (``find_one_and_update``) and load the new values into this
        instance; ``query`` adds conditions. False if nothing matched."""
        if self.pk is None:
            raise OperationError(f"cannot modify a {type(self).__name__} that was never saved")
        qs = type(self).objects._for_instance(self)
        if query:
            qs = qs.filter(**query)
        updated = await qs.modify(new=True, **operations)
        if updated is None:
            return False
        _state.load_into(self, updated._son)  # type: ignore[arg-type]  # loaded: _son is set
        return True

    @classmethod
    async def _fetch_by_pks(cls, pks: list[Any], null_ok: bool, where: str) -> dict[Any, Any]:
        """``{pk: document}`` for reference handles (``_types.FetchesReferences``): ``Ref``
        asks its document class, so fetching needs no registration or import order."""
        return await fetch_documents(cls, pks, null_ok, where)

    # --- collection -------------------------------------------------------------------------

    @classmethod
    def get_collection(cls) -> Any:
        """The driver's own collection object, honouring the current ``switch_*`` contexts."""
        return collection_for(cls).raw

    @classmethod
    async def drop_collection(cls) -> None:
        await collection_for(cls).drop()

    @classmethod
    async def ensure_indexes(cls) -> list[str]:
        """Create the collection's declared indexes (and capped collection); see ``_indexes``."""
        return await _indexes.ensure_model_indexes(cls)

    @classmethod
    async def compare_indexes(cls) -> dict[str, list[dict[str, Any]]]:
        """``{"missing": [...], "extra": [...]}``: declared vs existing, by keys and options."""
        return await _indexes.compare_indexes(cls)

    @classmethod
    async def list_indexes(cls) -> list[dict[str, Any]]:
        """The indexes the server lists for the collection (nothing is created)."""
        return await _indexes.list_indexes(cls)

    @classmethod
    def watch(cls, **options: Any) -> Any:
        """A change stream of this model's collection (``QuerySet.watch``; API.md §13)."""
        return QuerySet(cls).watch(**options)

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The ``$jsonSchema`` of this model's stored documents (``_schema._json_schema``)."""
        return json_schema(cls)

    @classmethod
    async def sync_validator(cls, level: str = "strict", action: str = "error") -> dict[str, Any]:
        """Install ``json_schema()`` as the collection's validator (``_io._validators``)."""
        return await _validators.sync_validator(cls, level=level, action=action)


@dataclass_transform(eq_default=False)
class _DataclassLike:
    """For type checkers: its subclasses get a synthesized ``__init__`` (PEP 681)."""

    __slots__ = ()


class TypedInit(_DataclassLike):
    """A mixin that makes type checkers check constructor calls against the declared fields.

    Example:
        ```python
        class Post(Document, TypedInit):
            title: StringField = StringField(required=True)
            views: IntField = IntField()


        Post(title="x", views=3)  # fine; so are Post("x", 3), Post(**data) and Post()
        Post(titel="x")  # a type error: no field "titel"
        Post(views="3")  # a type error: views takes an int
        ```

    It changes nothing at run time (the class has no attributes). Type checkers build the
    ``__init__`` they check calls against from the fields *annotated* with their field class
    (``title: StringField = ...``): a field declared without an annotation is invisible to
    them, which is why this is a mixin to opt in to and not a property of every ``Document``
    (an unannotated model would get an ``__init__`` without parameters). Each field is a
    parameter of the type its ``__set__`` accepts (``IntField``: ``int | None``;
    ``EmbeddedDocumentField(Comment)``: ``Comment | Mapping | None``; ``ReferenceField(User)``:
    a ``User``, its ``Ref``, pk or DBRef), positional in declaration order (parents' fields
    first), with ``id`` and ``pk`` accepted as keywords.

    Every parameter is optional, ``required=True`` fields included: a document may be built
    empty and filled in later (``post = Post(); post.title = "x"``), and ``required`` is
    checked where asyncodm checks it at run time, by ``validate()`` when saving. So the checker
    catches misspelt fields and wrong types, and never rejects a construction that runs.
    Dynamic documents take undeclared keywords, so they are better left without this mixin.
    """

    __slots__ = ()

    if TYPE_CHECKING:
        _: KW_ONLY
        id: Any = None
        pk: Any = None


class DynamicDocument(_DynamicMixin, Document):
    """A document that stores undeclared attributes too (MongoEngine)."""

    __slots__ = ()
    _library_base = True

    def __getattr__(self, name: str) -> Any:
        try:
            return _DynamicMixin.__getattr__(self, name)
        except AttributeError:
            # ``doc.id`` is the pk even when the pk field has another name (MongoEngine habit;
            # other classes get ``_instance._base.PkAlias`` instead: a dynamic one keeps its
            # ``__getattr__`` anyway, and may store a dynamic attribute named ``id``).
            schema = type(self)._schema
            if name == "id" and schema.pk_name not in (None, "id"):
                return getattr(self, schema.pk_name)
            raise


class EmbeddedDocument(BaseDocument):
    """A document stored inside another one; it has no collection and no primary key."""

    __slots__ = ()
    _library_base = True
    _is_embedded: ClassVar[bool] = True


class DynamicEmbeddedDocument(_DynamicMixin, EmbeddedDocument):
    """An embedded document that also stores undeclared attributes."""

    __slots__ = ()
    _library_base = True
