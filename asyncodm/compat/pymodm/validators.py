"""PyMODM's validator helpers (``pymodm.validators``).

Stage: compat. Each returns a validator for a field's ``validators=[...]``: a callable that
raises ``ValidationError`` (asyncodm's, which PyMODM's name is bound to) to reject a value,
with PyMODM's messages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asyncodm.errors import ValidationError

__all__ = [
    "together",
    "validator_for_func",
    "validator_for_geojson_type",
    "validator_for_length",
    "validator_for_min_max",
    "validator_for_type",
]

Validator = Callable[[Any], Any]


def together(*funcs: Validator) -> Validator:
    """Run several validators on the same value, in order."""

    def validator(value: Any) -> None:
        for func in funcs:
            func(value)

    return validator


def validator_for_func(func: Callable[[Any], Any]) -> Validator:
    """Reject a value when ``func(value)`` raises (e.g. ``validator_for_func(int)``)."""

    def validator(value: Any) -> None:
        try:
            func(value)
        except Exception as exc:
            raise ValidationError(str(exc)) from exc

    return validator


def validator_for_type(types: type | tuple[type, ...], value_name: str | None = None) -> Validator:
    """Reject a value that is not an instance of ``types``."""

    def validator(value: Any) -> None:
        if not isinstance(value, types):
            if isinstance(types, tuple):
                err = f"must be one of {tuple(t.__name__ for t in types)!r}"
            else:
                err = f"must be a {types.__name__}"
            raise ValidationError(f"{value_name or 'Value'} {err}, not {value!r}")

    return validator


def validator_for_geojson_type(geojson_type: str) -> Validator:
    """Reject a GeoJSON dict whose ``type`` is not ``geojson_type``."""

    def validator(value: Any) -> None:
        if value.get("type") != geojson_type:
            raise ValidationError(
                f"GeoJSON type must be {geojson_type!r}, not {value.get('type')!r}"
            )

    return validator


def validator_for_min_max(min: Any, max: Any) -> Validator:
    """Reject a value below ``min`` or above ``max`` (None: unbounded)."""

    def validator(value: Any) -> None:
        if min is not None and value < min:
            raise ValidationError(f"{value} is less than minimum value of {min}.")
        if max is not None and value > max:
            raise ValidationError(f"{value} is greater than maximum value of {max}.")

    return validator


def validator_for_length(min: int | None, max: int | None) -> Validator:
    """Reject a value whose ``len()`` is below ``min`` or above ``max``."""

    def validator(value: Any) -> None:
        size = len(value)
        if min is not None and size < min:
            raise ValidationError(f"{value} is under the minimum length of {min}.")
        if max is not None and size > max:
            raise ValidationError(f"value exceeds the maximum length of {max}.")

    return validator
