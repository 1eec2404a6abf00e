"""The collection adapter shared by PyMongo's async API, Motor and mongomock-motor.

Stage: drivers. All three expose the same collection coroutines (``insert_one``, ``find_one``,
``update_many``...) and the same result objects; they differ in ``aggregate`` and
``list_indexes`` (coroutine or not) and, for mongomock, in ``with_options`` returning a
synchronous collection. Subclasses override only the *hook* methods. Every driver call runs
inside ``map_driver_errors``, and the operations an ODM call costs (find, insert, update,
delete, aggregate, count, distinct, findAndModify) are reported to an active
``asyncodm.testing`` capture first (``_capture``: one ContextVar read when none is active).

A method whose ``session`` is None uses the session ``asyncodm.transaction()`` bound for this
alias in the current task (``_context.current_session``), so code inside a transaction block
never passes it along.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, ClassVar

from pymongo import ReturnDocument

from asyncodm._context import current_session
from asyncodm._drivers._capture import capturing, report
from asyncodm._drivers._cursor import DriverCursor
from asyncodm._drivers._errors import is_driver_error, translate
from asyncodm._drivers._protocol import RawDoc, UpdateOutcome
from asyncodm._drivers._stream import DriverChangeStream
from asyncodm._drivers._tracing import operation_scope

__all__ = ["BaseCollection"]


def _outcome(result: Any) -> UpdateOutcome:
    return UpdateOutcome(result.matched_count, result.modified_count, result.upserted_id)


# The command documents a capture records, shaped like MongoDB's (built only while capturing).


def _find_doc(
    filter: Mapping[str, Any], projection: Mapping[str, Any] | None, options: Mapping[str, Any]
) -> dict[str, Any]:
    doc: dict[str, Any] = {"filter": filter}
    if projection is not None:
        doc["projection"] = projection
    return {**doc, **options}


def _update_doc(
    filter: Mapping[str, Any], update: Any, *, upsert: bool, multi: bool, **options: Any
) -> dict[str, Any]:
    return {"updates": [{"q": filter, "u": update, "upsert": upsert, "multi": multi, **options}]}


def _find_and_modify_doc(
    filter: Mapping[str, Any],
    projection: Mapping[str, Any] | None,
    sort: Sequence[tuple[str, int]] | None,
    **options: Any,
) -> dict[str, Any]:
    doc: dict[str, Any] = {"query": filter}
    if projection is not None:
        doc["fields"] = projection
    if sort:
        doc["sort"] = dict(sort)
    return {**doc, **options}


class BaseCollection:
    """``CollectionAdapter`` for any client with Motor's or PyMongo-async's collection API."""

    __slots__ = ("_alias", "_namespace", "_raw")

    cursor_class: ClassVar[type[DriverCursor]] = DriverCursor

    def __init__(self, raw: Any, alias: str) -> None:
        self._raw = raw
        self._alias = alias
        self._namespace = f"{raw.database.name}.{raw.name}"

    @property
    def name(self) -> str:
        return str(self._raw.name)

    @property
    def alias(self) -> str:
        return self._alias

    @property
    def raw(self) -> Any:
        return self._raw

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._namespace} alias={self._alias!r}>"

    def _errors(self, operation: str) -> AbstractContextManager[Any]:
        return operation_scope(self._alias, operation, self._namespace)

    def _session(self, session: Any) -> Any:
        return session if session is not None else current_session(self._alias)

    # -- hooks -----------------------------------------------------------------------------

    def _wrap_raw(self, raw: Any) -> Any:
        """*hook*: turn what ``with_options`` returned into an async driver collection."""
        return raw

    async def _aggregate_cursor(
        self, pipeline: list[Mapping[str, Any]], session: Any, kwargs: dict[str, Any]
    ) -> Any:
        """*hook*: the driver's aggregate cursor (PyMongo awaits, Motor does not)."""
        raise NotImplementedError

    async def _list_indexes_cursor(self) -> Any:
        """*hook*: the driver's ``list_indexes`` cursor."""
        raise NotImplementedError

    async def _open_change_stream(
        self, pipeline: list[Mapping[str, Any]], session: Any, kwargs: dict[str, Any]
    ) -> Any:
        """*hook*: the driver's change stream (PyMongo awaits ``watch()``, Motor does not)."""
        raise NotImplementedError

    def _make_cursor(self, operation: str, **kwargs: Any) -> DriverCursor:
        return self.cursor_class(
            alias=self._alias, operation=operation, namespace=self._namespace, **kwargs
        )

    # -- the protocol ------------------------------------------------------------------------

    def with_options(self, **options: Any) -> BaseCollection:
        with self._errors("with_options"):
            raw = self._wrap_raw(self._raw.with_options(**options))
        return type(self)(raw, self._alias)

    async def insert_one(self, document: Mapping[str, Any], *, session: Any = None) -> Any:
        if sinks := capturing():
            report(sinks, "insert", self.name, {"documents": [document]})
        # _errors() and _session() inline: this runs for every save of a new document.
        alias = self._alias
        if session is None:
            session = current_session(alias)
        with operation_scope(alias, "insert_one", self._namespace):
            result = await self._raw.insert_one(document, session=session)
        return result.inserted_id

    # -- the save lane's writes ---------------------------------------------------------------
    # What ``_io._save_lane`` sends when it has checked, for this call, that no capture is
    # recording, no transaction bound a session, and no tracer is installed: the same driver
    # call as ``insert_one`` / ``update_one`` with the same arguments, its errors translated
    # by the same ``translate`` as ``map_driver_errors``, without the scope object and the
    # three context reads those methods pay on every call.

    async def lane_insert_one(self, document: Mapping[str, Any]) -> None:
        """``insert_one(document)``, for the save lane (see above)."""
        try:
            await self._raw.insert_one(document, session=None)
        except BaseException as exc:
            if is_driver_error(exc):
                raise translate(exc, self._alias, "insert_one", self._namespace) from exc
            raise

    async def lane_update_one(self, filter: Mapping[str, Any], update: Mapping[str, Any]) -> int:
        """``update_one(filter, update)`` for the save lane (see above): only the matched
        count, the one result property a delta save reads."""
        try:
            result = await self._raw.update_one(filter, update, upsert=False, session=None)
        except BaseException as exc:
            if is_driver_error(exc):
                raise translate(exc, self._alias, "update_one", self._namespace) from exc
            raise
        return int(result.matched_count)

    async def insert_many(
        self, documents: Sequence[Mapping[str, Any]], *, ordered: bool = True, session: Any = None
    ) -> list[Any]:
        if sinks := capturing():
            report(sinks, "insert", self.name, {"documents": list(documents), "ordered": ordered})
        with self._errors("insert_many"):
            result = await self._raw.insert_many(
                documents, ordered=ordered, session=self._session(session)
            )
        return list(result.inserted_ids)

    async def find_one(
        self,
        filter: Mapping[str, Any],
        projection: Mapping[str, Any] | None = None,
        *,
        session: Any = None,
        **kwargs: Any,
    ) -> RawDoc | None:
        if sinks := capturing():
            report(sinks, "find", self.name, _find_doc(filter, projection, {**kwargs, "limit": 1}))
        with self._errors("find_one"):
            found: RawDoc | None = await self._raw.find_one(
                filter, projection, session=self._session(session), **kwargs
            )
        return found

    def find(
        self,
        filter: Mapping[str, Any],
        projection: Mapping[str, Any] | None = None,
        *,
        session: Any = None,
        **kwargs: Any,
    ) -> DriverCursor:
        if sinks := capturing():
            report(sinks, "find", self.name, _find_doc(filter, projection, kwargs))
        with self._errors("find"):
            raw = self._raw.find(filter, projection, session=self._session(session), **kwargs)
        return self._make_cursor("find", raw=raw, chunk=kwargs.get("batch_size"))

    async def update_one(
        self,
        filter: Mapping[str, Any],
        update: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        *,
        upsert: bool = False,
        session: Any = None,
        **kwargs: Any,
    ) -> UpdateOutcome:
        if sinks := capturing():
            report(
                sinks,
                "update",
                self.name,
                _update_doc(filter, update, upsert=upsert, multi=False, **kwargs),
            )
        # _errors() and _session() inline: this runs for every delta save.
        alias = self._alias
        if session is None:
            session = current_session(alias)
        with operation_scope(alias, "update_one", self._namespace):
            result = await self._raw.update_one(
                filter, update, upsert=upsert, session=session, **kwargs
            )
        return UpdateOutcome(result.matched_count, result.modified_count, result.upserted_id)

    async def update_many(
        self,
        filter: Mapping[str, Any],
        update: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        *,
        upsert: bool = False,
        session: Any = None,
        **kwargs: Any,
    ) -> UpdateOutcome:
        if sinks := capturing():
            report(
                sinks,
                "update",
                self.name,
                _update_doc(filter, update, upsert=upsert, multi=True, **kwargs),
            )
        with self._errors("update_many"):
            result = await self._raw.update_many(
                filter, update, upsert=upsert, session=self._session(session), **kwargs
            )
        return _outcome(result)

    async def replace_one(
        self,
        filter: Mapping[str, Any],
        replacement: Mapping[str, Any],
        *,
        upsert: bool = False,
        session: Any = None,
    ) -> UpdateOutcome:
        if sinks := capturing():
            report(
                sinks,
                "update",
                self.name,
                _update_doc(filter, replacement, upsert=upsert, multi=False),
            )
        with self._errors("replace_one"):
            result = await self._raw.replace_one(
                filter, replacement, upsert=upsert, session=self._session(session)
            )
        return _outcome(result)

    async def delete_one(self, filter: Mapping[str, Any], *, session: Any = None) -> int:
        if sinks := capturing():
            report(sinks, "delete", self.name, {"deletes": [{"q": filter, "limit": 1}]})
        with self._errors("delete_one"):
            result = await self._raw.delete_one(filter, session=self._session(session))
        return int(result.deleted_count)

    async def delete_many(self, filter: Mapping[str, Any], *, session: Any = None) -> int:
        if sinks := capturing():
            report(sinks, "delete", self.name, {"deletes": [{"q": filter, "limit": 0}]})
        with self._errors("delete_many"):
            result = await self._raw.delete_many(filter, session=self._session(session))
        return int(result.deleted_count)

    async def count_documents(
        self, filter: Mapping[str, Any], *, session: Any = None, **kwargs: Any
    ) -> int:
        if sinks := capturing():
            report(sinks, "count", self.name, {"query": filter, **kwargs})
        with self._errors("count_documents"):
            count = await self._raw.count_documents(
                filter, session=self._session(session), **kwargs
            )
        return int(count)

    async def estimated_document_count(self) -> int:
        """Metadata count: never in a session (MongoDB refuses it inside transactions)."""
        if sinks := capturing():
            report(sinks, "count", self.name, {})
        with self._errors("estimated_document_count"):
            count = await self._raw.estimated_document_count()
        return int(count)

    async def distinct(
        self, key: str, filter: Mapping[str, Any] | None = None, *, session: Any = None
    ) -> list[Any]:
        if sinks := capturing():
            report(sinks, "distinct", self.name, {"key": key, "query": filter or {}})
        with self._errors("distinct"):
            values = await self._raw.distinct(key, filter, session=self._session(session))
        return list(values)

    async def find_one_and_update(
        self,
        filter: Mapping[str, Any],
        update: Mapping[str, Any],
        *,
        projection: Mapping[str, Any] | None = None,
        sort: Sequence[tuple[str, int]] | None = None,
        upsert: bool = False,
        return_new: bool = False,
        session: Any = None,
    ) -> RawDoc | None:
        if sinks := capturing():
            report(
                sinks,
                "findAndModify",
                self.name,
                _find_and_modify_doc(
                    filter, projection, sort, update=update, upsert=upsert, new=return_new
                ),
            )
        with self._errors("find_one_and_update"):
            found: RawDoc | None = await self._raw.find_one_and_update(
                filter,
                update,
                projection=projection,
                sort=list(sort) if sort else None,
                upsert=upsert,
                return_document=ReturnDocument.AFTER if return_new else ReturnDocument.BEFORE,
                session=self._session(session),
            )
        return found

    async def find_one_and_delete(
        self,
        filter: Mapping[str, Any],
        *,
        projection: Mapping[str, Any] | None = None,
        sort: Sequence[tuple[str, int]] | None = None,
        session: Any = None,
    ) -> RawDoc | None:
        if sinks := capturing():
            report(
                sinks,
                "findAndModify",
                self.name,
                _find_and_modify_doc(filter, projection, sort, remove=True),
            )
        with self._errors("find_one_and_delete"):
            found: RawDoc | None = await self._raw.find_one_and_delete(
                filter,
                projection=projection,
                sort=list(sort) if sort else None,
                session=self._session(session),
            )
        return found

    def aggregate(
        self, pipeline: Sequence[Mapping[str, Any]], *, session: Any = None, **kwargs: Any
    ) -> DriverCursor:
        # Resolve the session now: the cursor may first be read after the transaction block.
        stages, bound = list(pipeline), self._session(session)
        if sinks := capturing():
            report(sinks, "aggregate", self.name, {"pipeline": stages, **kwargs})

        async def opener() -> Any:
            return await self._aggregate_cursor(stages, bound, kwargs)

        return self._make_cursor("aggregate", opener=opener, chunk=kwargs.get("batchSize"))

    async def create_indexes(self, indexes: Sequence[Any], *, session: Any = None) -> list[str]:
        with self._errors("create_indexes"):
            names = await self._raw.create_indexes(list(indexes), session=self._session(session))
        return list(names)

    async def index_information(self) -> dict[str, Any]:
        with self._errors("index_information"):
            info: dict[str, Any] = await self._raw.index_information()
        return info

    async def list_indexes(self) -> list[RawDoc]:
        with self._errors("list_indexes"):
            cursor = await self._list_indexes_cursor()
            indexes: list[RawDoc] = await cursor.to_list(None)
        return indexes

    async def drop_index(self, name: str) -> None:
        with self._errors("drop_index"):
            await self._raw.drop_index(name)

    async def drop(self) -> None:
        with self._errors("drop"):
            await self._raw.drop()

    async def options(self) -> dict[str, Any]:
        with self._errors("options"):
            opts: dict[str, Any] = await self._raw.options()
        return opts

    async def watch(
        self, pipeline: Sequence[Mapping[str, Any]] = (), *, session: Any = None, **kwargs: Any
    ) -> DriverChangeStream:
        """Open a change stream (``full_document``, ``resume_after``... pass through)."""
        with self._errors("watch"):
            raw = await self._open_change_stream(list(pipeline), self._session(session), kwargs)
        return DriverChangeStream(raw, alias=self._alias, namespace=self._namespace)
