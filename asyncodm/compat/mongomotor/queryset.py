"""MongoMotor's ``QuerySet``: asyncodm's, with MongoEngine's ``insert`` checks and arguments.

Stage: compat. Everything MongoMotor's functional tests use is asyncodm's QuerySet as it is
(``await qs.count()``, ``await qs.get()``, ``await qs[0]``, slices, ``to_list()``,
``item_frequencies``, ``sum``, ``average``, ``distinct``, ``aggregate`` awaited for a cursor,
``modify``, ``update`` with bare ``field=value`` keywords meaning ``set__field``). What differs
is ``insert``: MongoEngine's takes one document or any iterable of them, a ``write_concern``
dict, and refuses documents of another class; ``with_id`` and ``no_cache`` are added.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pymongo.write_concern import WriteConcern
from typing_extensions import Self

import asyncodm
from asyncodm.errors import OperationError
from asyncodm.queryset import Q
from asyncodm.queryset import QuerySet as _QuerySet

__all__ = ["Q", "QuerySet"]


class QuerySet(_QuerySet):
    """asyncodm's QuerySet with MongoEngine's ``insert``."""

    __slots__ = ()

    async def insert(  # type: ignore[override]
        self,
        doc_or_docs: Any,
        load_bulk: bool = True,
        write_concern: Mapping[str, Any] | WriteConcern | None = None,
    ) -> Any:
        """Insert new documents in one ``insert_many`` (MongoEngine's ``QuerySet.insert``).

        Args:
            doc_or_docs: A document (the result is then one document or id) or an iterable.
            load_bulk: Return the documents (now saved); False returns their ids.
            write_concern: MongoEngine's dict (``{"w": 2}``) or a ``WriteConcern``.

        Raises:
            OperationError: A document is not of this queryset's class, or was saved before
                (``save()`` it instead), or the server refused the insert
                (``NotUniqueError`` for a duplicate key).
        """
        single = isinstance(doc_or_docs, asyncodm.Document)
        docs = [doc_or_docs] if single else list(_iterable(doc_or_docs))
        strangers = [d for d in docs if not isinstance(d, self.model)]
        if strangers:
            raise OperationError(
                f"Some documents inserted aren't instances of {self.model.__name__}: "
                f"{strangers[0]!r}"
            )
        if isinstance(write_concern, Mapping):
            write_concern = WriteConcern(**write_concern) if write_concern else None
        inserted = await super().insert(docs, load_bulk, write_concern=write_concern)
        return inserted[0] if single else inserted

    async def with_id(self, object_id: Any) -> Any:
        """The document whose primary key is ``object_id``, or None (MongoEngine)."""
        return await self.filter(pk=object_id).first()

    def no_cache(self) -> Self:
        """MongoEngine's switch from a caching queryset: asyncodm's never cache results."""
        return self


def _iterable(value: Any) -> Iterable[Any]:
    if isinstance(value, Iterable) and not isinstance(value, (str, bytes, Mapping)):
        return value
    raise OperationError(f"insert() takes a document or documents, not {type(value).__name__}")
