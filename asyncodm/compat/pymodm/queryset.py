"""PyMODM's QuerySet (``pymodm.queryset``) over asyncodm's.

Stage: compat. It *is* an asyncodm ``QuerySet`` (a subclass), so every native method stays
available; where the two libraries disagree, PyMODM's meaning wins here:

* ``first()`` raises ``Model.DoesNotExist`` when nothing matches (asyncodm returns None);
* ``count()`` honours ``skip()`` and ``limit()``;
* ``update(update_document, **kwargs)`` takes a raw update document and returns the number
  of documents *modified*; an upsert into a non-final model records ``_cls``;
* ``qs[3]`` is ``qs.skip(3).first()`` (await it): ``DoesNotExist`` past the end;
* ``exclude()`` never excludes the primary key;
* ``values()`` yields the raw stored dicts; ``get(raw_query)``, ``raw()``, ``only()``,
  ``order_by([(name, direction)])``, ``bulk_create(retrieve=, full_clean=)``,
  ``select_related()``, ``aggregate(*stages)``, ``collation()`` and ``delete()`` (delete
  rules applied, number deleted returned) mean what they mean in both.

Results are awaited: ``await qs.first()``, ``await qs.count()``, ``async for doc in qs``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import TYPE_CHECKING, Any, overload

from typing_extensions import Self, TypeVar

from asyncodm import queryset as _qs
from asyncodm.errors import OperationError

if TYPE_CHECKING:
    from asyncodm import Document

__all__ = ["QuerySet"]

D = TypeVar("D", bound="Document", default=Any)
R = TypeVar("R", default=D)


class QuerySet(_qs.QuerySet[D, R]):
    """The default QuerySet of ``MongoModel`` classes; subclass it for custom query methods
    and hook it up with ``Manager.from_queryset``."""

    __slots__ = ()

    async def first(self) -> R:
        """The first match in this queryset's order; ``Model.DoesNotExist`` if none."""
        found = await super().first()
        if found is None:
            raise self.model.DoesNotExist(
                f"{self.model.__name__} matching query does not exist (filter {self._query!r})"
            )
        return found

    async def count(self, with_limit_and_skip: bool = True) -> int:
        """The number of matches, within ``skip()`` and ``limit()`` (PyMODM counts them)."""
        return await super().count(with_limit_and_skip)

    async def update(self, *raw: Any, upsert: bool = False, **kwargs: Any) -> int:
        """Apply a raw update document to every match; the number of documents modified.

        ``kwargs`` are PyMongo's ``update_many`` options (``array_filters``, ``collation``,
        ``hint``); asyncodm's ``op__field=value`` keywords are accepted too.
        """
        if not raw and not kwargs:
            raise OperationError("update() needs an update document, e.g. {'$set': {...}}")
        outcome = await super().update(*raw, upsert=upsert, full_result=True, **kwargs)
        return int(outcome.modified)

    def exclude(self, *fields: str) -> Self:
        """Leave these fields (stored names) out of the results; the primary key stays."""
        pk = getattr(self.model, "_pymodm_pk", None)
        return super().exclude(*[f for f in fields if f not in ("_id", "pk", "id", pk)])

    @overload
    def __getitem__(self, key: int) -> Awaitable[R]: ...

    @overload
    def __getitem__(self, key: slice) -> Self: ...

    def __getitem__(self, key: int | slice) -> Awaitable[R] | Self:
        """``await qs[3]`` is ``await qs.skip(3).first()``; a slice is a windowed queryset."""
        if isinstance(key, slice):
            return super().__getitem__(key)
        if isinstance(key, bool) or key < 0:
            raise IndexError(f"QuerySet indices must be non-negative integers, not {key!r}")
        return self.skip((self._skip or 0) + key).first()

    def raw(self, raw_query: Mapping[str, Any]) -> Self:
        """AND a raw MongoDB query (``{"published": True}``) into this queryset."""
        return super().raw(raw_query)
