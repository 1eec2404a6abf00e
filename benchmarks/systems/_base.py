"""The adapter contract: what each measured system must do, one method per workload.

A worker process loads exactly one adapter, so a system's imports (pydantic, mongoengine...)
never weigh on another system's numbers. Each method does a whole workload, looping inside,
so the harness adds nothing per document. Synchronous systems (MongoEngine) implement the
async methods with blocking calls: the loop never runs anything else meanwhile.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from benchmarks._data import PostData

__all__ = ["System", "Unsupported"]


class Unsupported(Exception):
    """This system cannot express the workload; the message says why (shown in the notes)."""


class System:
    """One ODM (or raw driver) bound to one driver, measured on the ``Post`` workloads."""

    #: Registry name (``asyncodm_pymongo``); label and baseline live in the registry.
    name: ClassVar[str]
    #: Raw drivers do no CPU work of their own: their W1-W3 are the baselines.
    has_cpu_workloads: ClassVar[bool] = True
    #: Notes to print under the table (how this system does a workload, if not obvious).
    notes: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        #: Facts learnt at run time (e.g. an API not yet available, so a fallback was used).
        self.runtime_notes: list[str] = []

    async def connect(self, uri: str, db: str) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    async def reset(self) -> None:
        """Drop the collections the workloads write to."""
        raise NotImplementedError

    # --- CPU only (W1-W3) -------------------------------------------------------------------

    def construct(self, posts: Sequence[PostData]) -> list[Any]:
        """W1: build documents from keyword arguments and validate them as save() would."""
        raise NotImplementedError

    def load(self, raws: Sequence[dict[str, Any]]) -> list[Any]:
        """W2: build documents from raw driver dicts, reading every field once."""
        raise NotImplementedError

    def load_renamed(self, raws: Sequence[dict[str, Any]]) -> list[Any]:
        """W2_renamed: W2 with a schema that stores ``author`` as ``author_id`` and ``extra``
        as ``meta`` (``_data.RENAMED``); ``raws`` use those stored names."""
        raise Unsupported("no renamed-field schema")

    def load_public(self, raws: Sequence[dict[str, Any]]) -> list[Any]:
        """W2_from_son: W2 through the ODM's public "document from a raw dict" API, where the
        query path's loader (W2) is an internal one."""
        raise Unsupported("no public API to build a document from a raw dict")

    def to_mongo(self, docs: Sequence[Any]) -> list[Any]:
        """W3: the BSON-ready documents an insert of ``docs`` would send."""
        raise NotImplementedError

    def load_untouched(self, raws: Sequence[dict[str, Any]]) -> list[Any]:
        """W3_loaded (not timed): documents as a query returns them, before any read; an ODM
        with no cheaper path than ``load`` (which reads every field) uses that."""
        return self.load(raws)

    # --- end to end (W4-W6) -----------------------------------------------------------------

    async def insert_each(self, posts: Sequence[PostData]) -> None:
        """W4 single: construct and insert one document at a time."""
        raise NotImplementedError

    async def insert_bulk(self, posts: Sequence[PostData]) -> None:
        """W4 bulk: construct all documents, then insert them with the bulk API."""
        raise NotImplementedError

    async def find_all(self) -> list[Any]:
        """W5: every stored post, as documents."""
        raise NotImplementedError

    async def find_some(self, n: int) -> list[Any]:
        """The first ``n`` stored posts as documents (W6 setup, not timed)."""
        raise NotImplementedError

    async def update_each(self, docs: Sequence[Any]) -> None:
        """W6: change one field (``views``) of each loaded document and save it."""
        raise NotImplementedError
