"""Dynamic documents: undeclared attributes stored and read back like fields.

Stage: document. Mixed into ``DynamicDocument`` and ``DynamicEmbeddedDocument``: attributes a
class does not declare live in ``_values`` once read or assigned, and are read from the stored
document (converted like ``DynamicField`` data) until then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from asyncodm._instance._state import set_value
from asyncodm.errors import FieldDoesNotExist
from asyncodm.fields._base import BaseField
from asyncodm.fields._compound import DynamicField

if TYPE_CHECKING:
    from asyncodm._schema._compile import Schema

__all__ = ["_DynamicMixin"]

_dynamic_field = DynamicField()


class _DynamicMixin:
    """Undeclared attributes are stored and read back (names may not start with ``_``)."""

    __slots__ = ()
    _is_dynamic: ClassVar[bool] = True
    _values: dict[str, Any]
    _son: dict[str, Any] | None
    _schema: ClassVar[Schema]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            values = object.__getattribute__(self, "_values")
        except AttributeError:
            raise AttributeError(name) from None
        if name in values:
            return values[name]
        son = object.__getattribute__(self, "_son")
        if son is not None and name in son and name not in type(self)._schema.db_fields:
            value = _dynamic_field.to_python(son[name])
            if value is not None:  # caching a stored null would mark it deleted: a save unset it
                set_value(self, name, value)
            return value
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _field_for_key(self, name: str) -> BaseField[Any] | None:
        field: BaseField[Any] | None = super()._field_for_key(name)  # type: ignore[misc]
        if field is None and name != "_cls":
            _check_name(type(self), name)
        return field

    def _set_dynamic(self, name: str, value: Any) -> None:
        """``__setattr__`` of a name that is no field (``_state.set_attribute``)."""
        _check_name(type(self), name)
        self._values[name] = value

    def _dynamic_names(self) -> list[str]:
        fields = self._schema.fields
        names = [n for n, v in self._values.items() if n not in fields and v is not None]
        son = self._son
        if son is not None:
            db_fields = self._schema.db_fields
            seen = set(names)
            names.extend(
                key
                for key in son
                if key not in db_fields
                and key != "_cls"
                and key not in seen
                and key not in self._values
            )
        return names


def _check_name(model: type, name: str) -> None:
    """Refuse a new dynamic attribute whose name MongoDB would not read as a plain key."""
    if name[:1] == "$":
        expected = "not starting with '$' (MongoDB would read it as an operator)"
    elif "." in name:
        expected = "without '.' (MongoDB would read it as a dotted path)"
    elif "\x00" in name:
        expected = "without NUL characters (a BSON key ends at one)"
    else:
        return
    raise FieldDoesNotExist(
        f"{model.__name__}: {name!r} cannot be a dynamic attribute: expected a name {expected}, "
        f"found {name!r}",
        field=name,
    )
