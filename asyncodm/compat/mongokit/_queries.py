"""MongoKit's class-level queries: ``find``, ``find_one``, ``get_from_id``, ``one``,
``fetch``, ``fetch_one`` and ``find_and_modify``.

Stage: compat. Each runs through the class's asyncodm queryset (``Doc.objects``), whose
results are documents of the class; queries are raw PyMongo filters, as in MongoKit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, cast

from asyncodm.compat._shared import Cursor, find_arguments, id_filter
from asyncodm.compat.mongokit._types import MultipleResultsFound

__all__ = ["Queries"]


class Queries:
    """Mixed into ``Document``: the finders, awaited (``await Doc.find_one(...)``) or
    iterated (``async for doc in Doc.find(...)``)."""

    __slots__ = ()
    structure: ClassVar[dict[Any, Any]]
    objects: ClassVar[Any]

    @classmethod
    def _ready(cls) -> None:
        """Make the class's database reachable (``Document`` binds ``__database__``)."""

    @classmethod
    def find(
        cls, spec: Mapping[str, Any] | None = None, projection: Any = None, **kwargs: Any
    ) -> Cursor:
        """Documents matching a raw query: iterate with ``async for``, or ``await
        cursor.to_list()``; PyMongo's ``skip``, ``limit``, ``sort`` and ``projection``."""
        cls._ready()
        cursor = cast(Cursor, cls.objects.raw(id_filter(spec)))
        return find_arguments(cursor, kwargs.pop("fields", projection), **kwargs)

    @classmethod
    async def find_one(cls, spec_or_id: Any = None, projection: Any = None, **kwargs: Any) -> Any:
        """The first document matching a raw query (or an ``_id``), or None."""
        return await cls.find(id_filter(spec_or_id), projection, **kwargs).first()

    @classmethod
    async def get_from_id(cls, id: Any) -> Any:
        """The document whose ``_id`` is ``id``, or None."""
        return await cls.find_one({"_id": id})

    @classmethod
    async def one(cls, spec: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
        """The only match, None if nothing matches; ``MultipleResultsFound`` if several do."""
        found = await cls.find(spec, **kwargs).limit(2).to_list()
        if len(found) > 1:
            count = await cls.find(spec).count()
            raise MultipleResultsFound(f"{count} results found")
        return found[0] if found else None

    @classmethod
    def fetch(cls, spec: Mapping[str, Any] | None = None, **kwargs: Any) -> Cursor:
        """Like ``find``, for documents that hold every key of the structure."""
        query = dict(spec or {})
        for key in cls.structure:
            if isinstance(key, str) and key not in query:
                query[key] = {"$exists": True}
        return cls.find(query, **kwargs)

    @classmethod
    async def fetch_one(cls, spec: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
        """Like ``one``, for documents that hold every key of the structure."""
        found = await cls.fetch(spec, **kwargs).limit(2).to_list()
        if len(found) > 1:
            raise MultipleResultsFound(f"{len(found)} results found")
        return found[0] if found else None

    @classmethod
    async def find_and_modify(
        cls,
        query: Mapping[str, Any] | None = None,
        update: Mapping[str, Any] | None = None,
        *,
        sort: Any = None,
        remove: bool = False,
        new: bool = False,
        upsert: bool = False,
        fields: Any = None,
    ) -> Any:
        """Update (or ``remove``) the first match atomically and return it, as it was before
        or, with ``new=True``, after."""
        cursor = cls.find(query, fields, sort=sort)
        if remove:
            return await cursor.modify(remove=True)
        return await cursor.modify(update or {}, upsert=upsert, new=new)
