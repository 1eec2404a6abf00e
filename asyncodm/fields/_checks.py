"""Checks every field shares: naming a found value, inline quick checks, user validators.

Stage: fields. ``describe`` words what a message says was found; ``InlineCheck`` is a quick
predicate that the generated validity check of a document inlines as source; ``run_validators``
runs the ``validation=``/``validators=`` callables of a field in MongoEngine's, Django's and
PyMODM's styles.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from asyncodm._codegen import compile_function, constant_name
from asyncodm.errors import InvalidDocumentError, ValidationError

__all__ = [
    "InlineCheck",
    "TypeIs",
    "Validator",
    "check_db_name",
    "describe",
    "file_error",
    "run_validators",
]

Validator = Callable[[Any], Any]


def describe(value: Any, limit: int = 40) -> str:
    """Name a found value for an error message: its type and a short repr."""
    text = repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    kind = type(value).__name__
    if value is None:
        return "None"
    return f"{kind} {text}"


class InlineCheck:
    """A quick predicate that is also a Python expression over ``v``, so the compiled
    validity check of a document can inline it instead of calling it.

    ``expr`` names its constants as format fields (``"type(v) is {T}"``); ``env`` binds them."""

    __slots__ = ("env", "expr", "_fn")

    def __init__(self, expr: str, **env: Any) -> None:
        self.expr = expr
        self.env = env
        self._fn: Callable[[Any], bool] = compile_function(
            f"def check(v):\n    return {expr.format(**{k: k for k in env})}",
            f"check {expr}",
            dict(env),
        )

    def __call__(self, value: Any) -> bool:
        return self._fn(value)

    def inline(self, suffix: str, namespace: dict[str, Any]) -> str:
        """The expression with its constants bound in ``namespace`` under ``constant_name``."""
        names = {k: constant_name(k, suffix) for k in self.env}
        namespace.update({names[k]: v for k, v in self.env.items()})
        return "(" + self.expr.format(**names) + ")"


class TypeIs(InlineCheck):
    """The quick check of fields whose values need nothing but their exact type."""

    __slots__ = ()

    def __init__(self, kind: type) -> None:
        super().__init__("type(v) is {T}", T=kind)


def run_validators(validators: Iterable[Validator], value: Any) -> str | None:
    """Run user validators; the first failure's message, or None.

    A validator may raise ``ValidationError``/``ValueError``/``TypeError`` (Django, PyMODM
    style) or return ``False`` (MongoEngine's ``validation=`` style)."""
    for check in validators:
        try:
            result = check(value)
        except ValidationError as exc:
            if exc.errors:
                return "; ".join(exc.errors.values())
            return exc.message
        except (ValueError, TypeError) as exc:
            return str(exc) or f"failed {getattr(check, '__name__', 'validator')}"
        if result is False:
            return f"expected a value accepted by {getattr(check, '__name__', 'validator')}, found {describe(value)}"
    return None


def file_error(exc: ValidationError, root: str, path: str, errors: dict[str, str]) -> None:
    """File what a field's ``validate`` raised under ``path``, its dotted place in a document.

    Keys of ``exc.errors`` are the field's name (``root``, what ``self.error`` uses) or start
    with it (``items.2``, nested errors of ``super().validate``): they are moved under
    ``path``. Any other key names a place inside the value (``{"start": ...}``) and goes below
    ``path``. An error without keys is filed at ``path`` itself."""
    if not exc.errors:
        errors[path] = exc.message
        return
    head = root + "."
    for key, message in exc.errors.items():
        if key == root or not key:
            errors[path] = message
        elif root and key.startswith(head):
            errors[path + key[len(root) :]] = message
        else:
            errors[f"{path}.{key}" if path else key] = message


def check_db_name(name: str) -> None:
    """Refuse a ``db_field`` MongoDB cannot store as a key, when the field is declared."""
    if not name or name.startswith("$") or "." in name or "\x00" in name:
        raise InvalidDocumentError(
            f"db_field {name!r} is not a valid MongoDB key: it must be non-empty, "
            "must not start with '$' and must not contain '.' or NUL"
        )
