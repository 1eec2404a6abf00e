"""Fields that need work around saves and deletes announce themselves here.

Stage: fields. ``SequenceField`` takes its value from a counter when a document is first saved;
``FileField`` uploads pending content before the write and removes replaced or orphaned files
after it, and removes a deleted document's files. That work is registered with the persistence
layer (``_persistence.WRITE_HOOKS`` and the delete hooks) by ``asyncodm._io._field_hooks``, a layer
above the fields, which the fields may not import. So a field calls ``mark_needed(kind)`` when
it is declared, and the persistence layer passes a callback to ``on_needed(kind, ...)``.

Why not register the hooks unconditionally: every save would then pay for them, and non-empty
delete hooks make a queryset ``delete()`` fall back from one ``delete_many`` to a delete per
document. Until a model declares one of these fields, the hook lists stay empty (and a model
with only sequences adds no delete hooks).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

__all__ = ["Kind", "mark_needed", "on_needed"]

Kind = Literal["files", "sequences"]

_callbacks: dict[Kind, list[Callable[[], None]]] = {"files": [], "sequences": []}
_needed: set[Kind] = set()


def mark_needed(kind: Kind) -> None:
    """A field of ``kind`` was declared: make sure its hooks are registered."""
    if kind in _needed:
        return
    _needed.add(kind)
    for callback in _callbacks[kind]:
        callback()


def on_needed(kind: Kind, callback: Callable[[], None]) -> None:
    """Run ``callback`` once a field of ``kind`` exists (now, if one already does)."""
    _callbacks[kind].append(callback)
    if kind in _needed:
        callback()
