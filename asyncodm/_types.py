"""Shared aliases, the MISSING sentinel and the Protocols lower layers use to reach higher ones.

Stage: foundation. Imports nothing internal.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, Final, Literal, Protocol, TypeAlias

__all__ = [
    "MISSING",
    "SON",
    "DeleteRule",
    "FetchesReferences",
    "Filter",
    "Missing",
    "Update",
    "WriteContext",
]

SON: TypeAlias = dict[str, Any]
"""A BSON-ready document: what the driver sends and returns."""

Filter: TypeAlias = Mapping[str, Any]
Update: TypeAlias = Mapping[str, Any]


class Missing(enum.Enum):
    """``MISSING`` keeps "absent" (the default applies, nothing is stored) apart from ``None``."""

    MISSING = enum.auto()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> Literal[False]:
        return False


MISSING: Final = Missing.MISSING


class DeleteRule(enum.IntEnum):
    """What deleting a referenced document does to the documents that refer to it.

    Defined here, at the root, because both the fields that declare rules and the registry's
    rule graph (a lower layer) name them."""

    DO_NOTHING = 0
    NULLIFY = 1
    CASCADE = 2
    DENY = 3
    PULL = 4


class WriteContext(Protocol):
    """What a field's save-time work (``before_write`` / ``after_write`` / ``before_delete`` /
    ``after_delete``) gets from the persistence layer, which builds one per save or delete:
    the fields sit below ``_io`` and may not import it.

    ``force_insert`` may be set by ``before_write`` (a sequence that generated the primary key
    asks for an insert, never an upsert that could overwrite another document)."""

    session: Any
    is_new: bool
    """The document was never saved (a save inserts or upserts it)."""
    force_insert: bool

    async def stored(self, doc: Any) -> Mapping[str, Any] | None:
        """The stored document of ``doc`` with at least the keys the save-time fields of its
        class store (one projected read, shared by those fields, when the loaded document
        may not show them all); None when it is not stored."""
        ...


class FetchesReferences(Protocol):
    """A document class as a reference handle sees it: it fetches its own documents by pk
    (``Document._fetch_by_pks``, which calls the awaiting layer). So ``Ref.fetch`` needs no
    registration and works whatever was imported."""

    __name__: str

    async def _fetch_by_pks(self, pks: list[Any], null_ok: bool, where: str) -> dict[Any, Any]: ...
