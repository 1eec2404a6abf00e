"""The shapes of the answers fields give about themselves: how a value holds items
(``Container``), what a path segment leads to (``PathStep``, ``NoPath``, ``is_position``),
how a field holds references (``References``) and what its loaded values need once per batch
of loaded documents (``BatchLoader``).

Stage: fields. The path resolver (``_schema/_paths.py``), the delete rules and the
dereferencing code ask fields these questions instead of checking their classes.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, TypeAlias

from asyncodm._types import DeleteRule

if TYPE_CHECKING:
    from asyncodm.fields._base import BaseField

__all__ = ["BatchLoader", "Container", "NoPath", "PathStep", "References", "is_position"]

#: What ``BaseField.batch_loader()`` answers: an async function that completes the loaded
#: values of ``fields`` (all of one class, all answering this same function) on one batch of
#: ``documents`` a queryset just loaded -- a file field fetches its files' details. Handing it
#: every such field of the class at once lets them share its queries.
BatchLoader: TypeAlias = Callable[[Sequence["BaseField[Any]"], Sequence[Any]], Awaitable[None]]


class Container(enum.Enum):
    """How a field holds items: not at all, as a list, or as a dict of values by key."""

    NONE = "none"
    LIST = "list"
    DICT = "dict"


_FILTERED_POSITION = re.compile(r"\$\[[A-Za-z_]\w*\]")


def is_position(part: str) -> bool:
    """Whether ``part`` addresses list items rather than names a field.

    A list index (``0``) or a positional update operator (``$``, ``$[]``, ``$[id]``):
    https://www.mongodb.com/docs/manual/reference/operator/update-array/
    """
    return (
        part.isdigit()
        or part == "$"
        or part == "$[]"
        or (part[:2] == "$[" and _FILTERED_POSITION.fullmatch(part) is not None)
    )


class NoPath(Exception):
    """``walk`` found nothing for a part; the message says why (the path resolver in
    ``_schema._paths`` adds the model and the whole path)."""


class PathStep(NamedTuple):
    """What one part of a path leads to from a field (or a document).

    A named tuple: the resolver makes one per part of every query keyword, so it must be
    cheap to build."""

    stored: str
    """The stored segment (a field's ``db_field``, a key or index as written)."""
    field: BaseField[Any] | None
    """The field whose values the part reaches; None: nothing declares them."""
    label: str
    """The Python name (or the part as written), for messages and validation paths."""
    position: bool = False
    """The part is a list index or a positional operator."""
    schemaless: bool = False
    """From here on nothing is declared: the rest of the path is taken as written."""
    opaque: str | None = None
    """Set when the field declares no inner structure at all (a string, a geometry): why a
    query may not walk on, though an index key may still name what is stored there."""


@dataclass(frozen=True, slots=True)
class References:
    """How a field holds references to other documents (``BaseField.references()``)."""

    field: BaseField[Any]
    """The reference field itself (the field, or the item field of a list or dict)."""
    container: Container
    generic: bool
    """A ``GenericReferenceField``: stored as ``{"_cls", "_ref"}``."""
    targets: tuple[str, ...]
    """The registry names of the classes it may refer to; ``("*",)``: any document class."""
    rule: DeleteRule
    """The ``reverse_delete_rule`` the reference field declares."""
