"""How a class attribute stands for a field: the field itself, or a ``PlainAccess``.

Stage: fields. A *plain* field is not the class attribute of its document class: the instance
dict answers for it (the fastest read CPython has), and ``PlainAccess`` stands in on the class
only for what the dict cannot answer. Whatever walks a class's attributes for its fields (the
class-record builder) sees through it with ``unwrap_field``. Containers of references read
through their items (``reading_through_items``), and their declared defaults read as assigned
values do (``coerced_default``): how ``ListField`` and ``DictField`` stand on the class.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from asyncodm._types import MISSING
from asyncodm.fields._base import BaseField

__all__ = ["PlainAccess", "coerced_default", "reading_through_items", "unwrap_field"]


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


# --- how containers of references read (ListField / DictField use these) ----------------


class _ReadsThroughItems:
    """For containers of references: every read goes through the item field, which gives
    raw ids inside ``no_auto_dereference`` (never kept on the document). Only such containers
    get this ``__get__``, so other lists and dicts read without the extra call."""

    _read_view: Any

    def __get__(self, instance: Any, owner: type) -> Any:
        value = BaseField.__get__(self, instance, owner)  # type: ignore[call-overload]
        if instance is None or value is None:
            return value
        return self._read_view(value, owner)


_READING_CLASSES: dict[type, type] = {}


class _CoercedDefault:
    """A declared default of a container of references, made to read as an assigned value does.

    A list (dict) of references reads as an awaitable ``RefList`` (``RefDict``) once assigned or
    loaded, because ``coerce`` and ``to_python`` build one; what a declared default makes
    (``default=lambda: [bob]``, ``default=[]``) goes through the same ``coerce``, so
    ``await new_post.reviewers`` works before the first save too. Called like the default it
    stands for; ``declared`` is what ``describe()`` reports."""

    __slots__ = ("declared", "_coerce")

    def __init__(self, declared: Any, coerce: Callable[[Any], Any]) -> None:
        self.declared = declared
        self._coerce = coerce

    def __call__(self) -> Any:
        declared = self.declared
        # A constant is copied, as for any mutable default: instances never share one.
        value = declared() if callable(declared) else copy.deepcopy(declared)
        return None if value is None else self._coerce(value)

    def __repr__(self) -> str:
        return f"<{self.declared!r}, coerced>"


def coerced_default(default: Any, plain: type, wrapped: type, coerce: Callable[[Any], Any]) -> Any:
    """The default a container field really uses: ``default`` itself unless the container
    wraps its items (``wrapped``: a ``RefList``/``RefDict``), then one that makes the wrapper.

    The usual spelling (``default=list`` / ``dict``) becomes the wrapper class itself, which is
    as cheap to call; anything else is coerced on each use (``_CoercedDefault``)."""
    if wrapped is plain or default is MISSING or default is None or default is wrapped:
        return default
    if default is plain:
        return wrapped
    if callable(default) or isinstance(default, (list, tuple, Mapping)):
        return _CoercedDefault(default, coerce)
    return default


def reading_through_items(cls: type, field: Any) -> type:
    """``cls``, or its variant that reads through ``field`` when ``field`` holds references."""
    if getattr(field, "read_container", None) is None or issubclass(cls, _ReadsThroughItems):
        return cls
    variant = _READING_CLASSES.get(cls)
    if variant is None:
        variant = type(cls.__name__, (_ReadsThroughItems, cls), {"__module__": cls.__module__})
        variant.__qualname__ = cls.__qualname__
        _READING_CLASSES[cls] = variant
    return variant
