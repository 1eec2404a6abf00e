"""The spec tasks' model shapes and the contract each system's spec adapter fulfils.

Kinds: ``small`` (7 strings + 6 ints), ``fk_target`` (a name), ``small_fk`` (small + the
target's id, as a hex string, in ``field_fk``), ``large`` (125 strings + 125 ints) and ``nested`` (5 embedded
string documents, an array of 2 of them, 7 embedded int documents). Documents arrive as the
stored dicts (``_id`` when the task chose one); each adapter builds its own objects from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

__all__ = ["KINDS", "SHAPES", "UPDATED_PATH", "SpecSystem", "fields"]


def fields(first: int, last: int) -> list[str]:
    return [f"field{i}" for i in range(first, last + 1)]


SHAPES: dict[str, list[str]] = {
    "small_str": fields(1, 7),
    "small_int": fields(8, 13),
    "large_str": fields(1, 125),
    "large_int": fields(126, 250),
    "emb_str": fields(1, 15),  # plus "unique_field"
    "emb_int": fields(1, 15),
    "nested_str": [f"embedded_str_doc_{i}" for i in range(1, 6)],
    "nested_int": [f"embedded_int_doc_{i}" for i in range(8, 15)],
}

KINDS = ("small", "fk_target", "small_fk", "large", "nested")

#: The field each kind's update task changes (a dotted path into an embedded document).
UPDATED_PATH = {"small": "field1", "large": "field1", "nested": "embedded_str_doc_1.field1"}


class SpecSystem:
    notes: ClassVar[tuple[str, ...]] = (
        "find by foreign key: field_fk holds the target's id as a hex string in every system, "
        "matched with a plain filter (no join); nx-27017 cannot match ObjectIds outside _id",
    )

    async def connect(self, uri: str, db: str) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    async def drop(self, kind: str) -> None:
        raise NotImplementedError

    async def drop_database(self) -> None:
        raise NotImplementedError

    async def create_each(self, kind: str, docs: Sequence[dict[str, Any]]) -> None:
        """Timed: build each model object from its dict and save it, one at a time."""
        raise NotImplementedError

    async def insert_all(self, kind: str, docs: Sequence[dict[str, Any]]) -> None:
        """Setup, not timed: store ``docs`` (with their ``_id``) the fastest way available."""
        raise NotImplementedError

    async def load_all(self, kind: str) -> list[Any]:
        raise NotImplementedError

    async def create_index(self, kind: str, key: str) -> None:
        """Setup, not timed: an ascending index on ``key`` (nothing for ``_id``)."""
        if key != "_id":
            await self.collection(kind).create_index(key)

    def collection(self, kind: str) -> Any:
        """The async driver collection of ``kind`` (for setup only)."""
        raise NotImplementedError

    async def update_each(self, kind: str, objs: Sequence[Any], value: str) -> None:
        """Timed: set ``UPDATED_PATH[kind]`` to ``value`` on each object and save it."""
        raise NotImplementedError

    async def find_each(self, kind: str, key: str, values: Sequence[Any]) -> int:
        """Timed: one filter query per value (``key`` is a stored, maybe dotted, path),
        materialising the results; the number of documents found."""
        raise NotImplementedError
