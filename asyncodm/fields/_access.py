"""How a class attribute stands for a field: the field itself, or a ``PlainAccess``.

Stage: fields. A *plain* field is not the class attribute of its document class: the instance
dict answers for it (the fastest read CPython has), and ``PlainAccess`` stands in on the class
only for what the dict cannot answer. Whatever walks a class's attributes for its fields (the
class-record builder) sees through it with ``unwrap_field``.
"""

from __future__ import annotations

from typing import Any

from asyncodm.fields._base import BaseField

__all__ = ["PlainAccess", "unwrap_field"]


class PlainAccess:
    """Stands in, on the class, for a *plain* field: one whose stored value is its immutable
    Python value, stored under its own name.

    Such values live in the instance ``__dict__`` (for a loaded document, the ``__dict__`` is
    the stored document itself), so reading them is an ordinary attribute lookup at C speed.
    This object has no ``__set__``, so the instance dict wins; it is consulted only when the
    value is absent (then the default applies: ``_instance._state.read_missing``), and on the
    class it gives the field back.

    It lives with the fields, not with the state owner (``_instance._state``), because the
    class-record builder (``_schema``, a layer below ``_instance``) must see through it
    (``unwrap_field``) to collect the fields a class inherits."""

    __slots__ = ("field",)

    def __init__(self, field: BaseField[Any]) -> None:
        self.field = field

    def __get__(self, instance: Any, owner: type) -> Any:
        if instance is None:
            return self.field
        return instance._read_missing(self.field)

    def __repr__(self) -> str:
        return f"<plain {self.field!r}>"


def unwrap_field(value: Any) -> BaseField[Any] | None:
    """The field a class attribute stands for (a field, or a ``PlainAccess``), else None."""
    if isinstance(value, BaseField):
        return value
    if isinstance(value, PlainAccess):
        return value.field
    return None
