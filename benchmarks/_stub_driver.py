"""A driver collection that answers at once, for counting the ODM's own work per write.

Wall-clock ratios of W4/W6 against a server mix the ODM's microseconds with the round trip's
hundreds; under callgrind a round trip is millions of instructions of event loop and socket
code. ``benchmarks.instructions`` swaps the adapter's driver collection for this stub, so the
instructions it counts for a ``save()`` are asyncodm's (and the raw baseline's are the stub's
and the loop's): what the ODM adds per write, repeatably. The stub never suspends, so its
coroutines complete inside one ``send``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bson import ObjectId

__all__ = ["StubCollection"]


class _Inserted:
    __slots__ = ("inserted_id",)

    def __init__(self, inserted_id: Any) -> None:
        self.inserted_id = inserted_id


class _InsertedMany:
    __slots__ = ("inserted_ids",)

    def __init__(self, inserted_ids: list[Any]) -> None:
        self.inserted_ids = inserted_ids


class _Updated:
    __slots__ = ("matched_count", "modified_count", "upserted_id")

    def __init__(self) -> None:
        self.matched_count = 1
        self.modified_count = 1
        self.upserted_id = None


_UPDATED = _Updated()


class StubCollection:
    """What the benchmark's writes call on a PyMongo async collection, answered at once. Like
    the driver, an insert gives a document without ``_id`` one."""

    name = "bench_post"

    async def insert_one(self, document: Any, session: Any = None, **kw: Any) -> _Inserted:
        if "_id" not in document:
            document["_id"] = ObjectId()
        return _Inserted(document["_id"])

    async def insert_many(
        self, documents: Sequence[Any], ordered: bool = True, session: Any = None, **kw: Any
    ) -> _InsertedMany:
        ids = []
        for document in documents:
            if "_id" not in document:
                document["_id"] = ObjectId()
            ids.append(document["_id"])
        return _InsertedMany(ids)

    async def update_one(
        self, filter: Mapping[str, Any], update: Any, upsert: bool = False, **kw: Any
    ) -> _Updated:
        return _UPDATED

    async def replace_one(
        self, filter: Mapping[str, Any], replacement: Any, upsert: bool = False, **kw: Any
    ) -> _Updated:
        return _UPDATED
