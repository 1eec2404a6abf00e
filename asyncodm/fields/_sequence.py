"""``SequenceField``: 1, 2, 3, ... from an atomic counter, assigned at a document's first save.

Stage: fields. The counters live in one collection per database (default
``"asyncodm.counters"``), one document per sequence, MongoEngine's layout::

    {"_id": "<collection or sequence_name>.<field name>", "next": <last value issued>}

A value is taken with one ``find_one_and_update(..., {"$inc": {"next": 1}}, upsert=True)``,
which the server applies atomically: any number of concurrent saves, in any number of
processes, get distinct values, and values are gap-free as long as the saves succeed. As with
database sequences elsewhere (PostgreSQL's), a counter is never rolled back: its update runs
outside any transaction, so concurrent transactions never conflict on the counter document,
and a failed or aborted save leaves a gap (retrying the same document reuses its value).

``set_next_value(n)`` stores ``n`` as the last value issued, as MongoEngine does: the next
document gets ``n + 1``, which is also what ``get_next_value()`` returns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asyncodm import connection
from asyncodm._context import bound_session
from asyncodm._drivers._collection import BaseCollection
from asyncodm._gridfs._storage import model_alias
from asyncodm._types import WriteContext
from asyncodm.errors import InvalidDocumentError, NotUniqueError
from asyncodm.fields._base import BaseField
from asyncodm.fields._spec import frozen_mapping

__all__ = ["COUNTERS_COLLECTION", "SequenceField"]

#: Where counters live unless a field names another collection.
COUNTERS_COLLECTION = "asyncodm.counters"


class SequenceField(BaseField[Any]):
    """An auto-incrementing value: ``number = SequenceField()`` (or ``primary_key=True`` for
    an auto-increment id, Djongo style).

    Args:
        collection_name: The counters collection.
        sequence_name: Share one counter among fields or models (the counter is
            ``"<sequence_name>.<field name>"``); default: the model's collection name.
        value_decorator: Turns the counter's int into the stored value
            (``lambda n: f"INV-{n:05d}"``).
        db_alias: The connection holding the counters; default: the model's.

    Class access gives the field, for ``await Doc.number.set_next_value(100)``.
    """

    identity_load = True
    expected = "a sequence value"
    #: The first save takes the value (``before_write``): the class record lists this field.
    has_save_work = True
    save_order = 0  # before uploads

    def __init__(
        self,
        collection_name: str = COUNTERS_COLLECTION,
        sequence_name: str | None = None,
        value_decorator: Callable[[int], Any] | None = None,
        *,
        db_alias: str | None = None,
        **kwargs: Any,
    ) -> None:
        if not collection_name or not isinstance(collection_name, str):
            raise InvalidDocumentError(f"invalid counters collection name {collection_name!r}")
        if value_decorator is not None and not callable(value_decorator):
            raise InvalidDocumentError("value_decorator must be callable (int -> stored value)")
        self.collection_name = collection_name
        self.sequence_name = sequence_name
        self.value_decorator = value_decorator
        self.db_alias = db_alias
        super().__init__(**kwargs)

    def __set_name__(self, owner: type, name: str) -> None:
        super().__set_name__(owner, name)
        if getattr(owner, "_is_embedded", False):
            raise InvalidDocumentError(
                f"{owner.__name__}.{name}: a SequenceField takes its value when a Document is "
                "first saved, so it must be a field of a Document, not of an embedded document"
            )

    kind = "sequence"

    def _describe(self) -> dict[str, Any]:
        options = frozen_mapping(
            collection_name=self.collection_name,
            sequence_name=self.sequence_name,
            value_decorator=self.value_decorator,
        )
        # An int unless a value_decorator makes something else of it.
        python_type = int if self.value_decorator is None else object
        return {**super()._describe(), "python_type": python_type, "auto": True, "options": options}

    def _builtin_checks(self, value: Any, path: str, errors: dict[str, str]) -> None:
        if value is None:
            return  # assigned by the first save, after validation
        super()._builtin_checks(value, path, errors)

    # -- save-time work ----------------------------------------------------------------------

    async def before_write(self, doc: Any, context: WriteContext) -> None:
        """A new document without a value takes the next one; when that is the primary key,
        the write must be an insert (never an upsert that could overwrite a document holding
        the same number). A failed save keeps the value: a retry reuses it (no gap)."""
        if not context.is_new or getattr(doc, self.name) is not None:
            return
        # setattr: a sequence may be a plain field (kept in the instance dict).
        setattr(doc, self.name, await self.next_value(type(doc)))
        if self.primary_key:
            context.force_insert = True

    # -- the counter -------------------------------------------------------------------------

    def _model(self, model: type | None) -> type:
        model = model or self.owner
        schema = getattr(model, "_schema", None)
        if model is None or schema is None or not schema.is_document:
            where = model.__name__ if model is not None else "no class"
            raise InvalidDocumentError(
                f"SequenceField {self.name!r}: {where} has no collection (abstract?); pass the "
                "concrete document class: await Base.field.set_next_value(n, model=Concrete)"
            )
        return model

    def counter_id(self, model: type | None = None) -> str:
        """The counter document's ``_id``: ``"<sequence name>.<field name>"``."""
        model = self._model(model)
        return f"{self.sequence_name or model._schema.collection}.{self.name}"  # type: ignore[attr-defined]

    def counters(self, model: type | None = None) -> BaseCollection:
        """The counters collection adapter for ``model`` on the running loop."""
        model = self._model(model)
        database = connection.get_database(self.db_alias or model_alias(model))
        return database.collection(self.collection_name)

    def _decorate(self, value: int) -> Any:
        return self.value_decorator(value) if self.value_decorator is not None else value

    async def next_value(self, model: type | None = None) -> Any:
        """Take the next value (what a first save does)."""
        counters = self.counters(model)
        key = self.counter_id(model)
        with bound_session(counters.alias, None):  # never inside a transaction (see module)
            try:
                found = await self._increment(counters, key)
            except NotUniqueError:
                # Two first-ever increments raced to insert the counter; the loser retries and
                # now finds it (MongoDB's documented way to retry an upsert).
                found = await self._increment(counters, key)
        return self._decorate(int(found["next"]))

    @staticmethod
    async def _increment(counters: BaseCollection, key: str) -> dict[str, Any]:
        found = await counters.find_one_and_update(
            {"_id": key}, {"$inc": {"next": 1}}, upsert=True, return_new=True
        )
        assert found is not None  # upsert with return_new always returns the document
        return found

    generate = next_value  # MongoEngine's name

    async def set_next_value(self, value: int, model: type | None = None) -> Any:
        """Make ``value`` the last value issued: the next save gets ``value + 1``."""
        counters = self.counters(model)
        with bound_session(counters.alias, None):
            await counters.find_one_and_update(
                {"_id": self.counter_id(model)}, {"$set": {"next": value}}, upsert=True
            )
        return self._decorate(value)

    async def get_next_value(self, model: type | None = None) -> Any:
        """The value the next save would get (a preview: a concurrent save may take it)."""
        counters = self.counters(model)
        with bound_session(counters.alias, None):
            found = await counters.find_one({"_id": self.counter_id(model)})
        return self._decorate(int(found["next"]) + 1 if found else 1)
