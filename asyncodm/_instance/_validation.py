"""Validation: run every field's checks and collect all errors by dotted path.

Stage: validation (pure, synchronous). Nothing is raised until every field has been seen, so a
caller learns about all problems at once: ``ValidationError.errors`` maps paths such as
``comments.1.content`` to what was expected and what was found.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from asyncodm._types import MISSING
from asyncodm.errors import ValidationError
from asyncodm.fields._compound import check_key, dynamic_to_mongo, validate_dynamic
from asyncodm.fields._snapshots import key as _snapshot_key

#: The first character of the ``_orig`` keys that hold snapshots, not field names.
_SNAPSHOT_PREFIX = _snapshot_key("x")[0]

if TYPE_CHECKING:
    from asyncodm._schema._compile import Schema

__all__ = [
    "ValidationMixin",
    "clean_errors",
    "collect_errors",
    "raise_if_invalid",
    "raise_if_touched_invalid",
    "touched_checks",
]


def collect_errors(
    doc: Any,
    prefix: str,
    errors: dict[str, str],
    *,
    touched_only: bool = False,
    exclude: frozenset[str] = frozenset(),
) -> None:
    """Add the errors of ``doc`` (paths under ``prefix``) to ``errors``.

    Args:
        doc: The document (or embedded document) to check.
        prefix: The dotted path of ``doc`` inside its top-level document ("" at the top).
        errors: Where each problem is recorded, by dotted path.
        touched_only: Check only values read or assigned since loading: what a delta save
            writes. Stored values are trusted as stored.
        exclude: Field names to skip (``full_clean(exclude=...)``).
    """
    schema: Schema = doc._schema
    values: dict[str, Any] = doc._values
    son: dict[str, Any] | None = doc._son
    plain: dict[str, Any] = doc.__dict__
    orig = doc._orig
    for name, field, quick, is_plain in schema.check_table:
        if exclude and name in exclude:
            continue
        if is_plain:
            if touched_only and (orig is None or name not in orig):
                continue
            value = plain.get(name)
        else:
            value = values.get(name, MISSING)
        if value is MISSING:
            if touched_only:
                continue
            if son is not None and field.db_field in son:
                value = getattr(doc, name)
            else:
                value = None
        if quick is not None and value is not None and quick(value):
            continue
        field._collect_errors(value, f"{prefix}.{name}" if prefix else name, errors)
    if schema.dynamic:
        for name, value in values.items():
            if name in schema.fields or name in exclude:
                continue
            if son is not None and name in son and dynamic_to_mongo(value) == son[name]:
                # Stored data read back as it is: a database may hold names no new value can
                # take ('a.b', '$x' inside), and they must load and save back untouched.
                continue
            path = f"{prefix}.{name}" if prefix else name
            problem = check_key(name)
            if problem is None and name.startswith("_"):
                problem = f"expected a dynamic field name not starting with '_', found {name!r}"
            if problem is not None:
                errors[path] = problem
                continue
            validate_dynamic(value, path, errors)


def clean_errors(exc: ValidationError, prefix: str = "") -> dict[str, str]:
    """The errors a ``clean()`` raised, by dotted path under ``prefix``: a message without
    paths is filed under ``"__all__"`` (Django's name for errors of the whole document)."""
    found = exc.errors or {"__all__": exc.message}
    if not prefix:
        return dict(found)
    return {f"{prefix}.{path}": message for path, message in found.items()}


def raise_if_invalid(
    doc: Any, *, touched_only: bool = False, exclude: frozenset[str] = frozenset()
) -> None:
    errors: dict[str, str] = {}
    collect_errors(doc, "", errors, touched_only=touched_only, exclude=exclude)
    if errors:
        raise ValidationError(errors=errors, model=type(doc).__name__, instance=doc)


def touched_checks(schema: Schema) -> dict[str, Any]:
    """Field name -> its inline quick check (None: none), for ``raise_if_touched_invalid``;
    built once per class (``_finish_class``). Empty for a dynamic class: its undeclared values
    always take the full path."""
    if schema.dynamic:
        return {}
    return {name: quick for name, _field, quick, _plain in schema.check_table}


def raise_if_touched_invalid(doc: Any) -> None:
    """``raise_if_invalid(doc, touched_only=True)``, what a delta save checks, with a fast
    path: when each touched value passes its field's quick check (the test the full check
    runs first anyway), nothing else can fail. Anything else (a value without a quick check,
    None, a dynamic class) takes the full path, which names every error."""
    orig = doc._orig
    values = doc._values
    if orig or values:
        checks: dict[str, Any] = type(doc)._touched_checks
        plain = doc.__dict__
        try:
            if orig:
                for name in orig:
                    if name[:1] == _SNAPSHOT_PREFIX:
                        continue  # a stored container's baseline, not a field name
                    quick = checks[name]
                    value = plain[name]
                    if value is None or not quick(value):
                        raise _Unsure
            for name, value in values.items():
                quick = checks[name]
                if value is None or not quick(value):
                    raise _Unsure
        except (_Unsure, KeyError, TypeError):
            raise_if_invalid(doc, touched_only=True)
    # Nothing read or assigned since loading: nothing the full path would check either.


class _Unsure(Exception):
    """The quick checks cannot vouch for a touched value: run the full check."""


class ValidationMixin:
    """The validation API of documents (MongoEngine's ``validate``, PyMODM's ``full_clean``):
    each entry point tries the class's compiled quick check first and runs the full checks,
    which name every problem, only when that cannot vouch for the values."""

    __slots__ = ()
    _check_quick: ClassVar[Any]
    _check_quick_fields: ClassVar[Any]

    def clean(self) -> None:
        """Hook for checks across fields; raise ``ValidationError`` to reject the document."""

    def _validate_into(self, prefix: str, errors: dict[str, str]) -> None:
        collect_errors(self, prefix, errors)
        try:
            self.clean()
        except ValidationError as exc:
            errors.update(clean_errors(exc, prefix))

    def clean_fields(self, exclude: Any = None) -> None:
        """Validate every field (except ``exclude``) and raise once with all errors."""
        if exclude or not type(self)._check_quick_fields(self):
            raise_if_invalid(self, exclude=frozenset(exclude or ()))

    def full_clean(self, exclude: Any = None) -> None:
        """``clean_fields`` then ``clean``; all errors are raised together (PyMODM)."""
        if exclude or not type(self)._check_quick(self):
            self._check_all(frozenset(exclude or ()))

    def validate(self, clean: bool = True) -> None:
        """Check every value and raise one ``ValidationError`` listing every problem."""
        # full_clean / clean_fields without their ``exclude`` handling: this runs for every
        # document saved or bulk-inserted.
        if clean:
            if not type(self)._check_quick(self):
                self._check_all(frozenset())
        elif not type(self)._check_quick_fields(self):
            raise_if_invalid(self)

    def _check_all(self, exclude: frozenset[str]) -> None:
        errors: dict[str, str] = {}
        collect_errors(self, "", errors, exclude=exclude)
        try:
            self.clean()
        except ValidationError as exc:
            errors.update(clean_errors(exc))
        if errors:
            raise ValidationError(errors=errors, model=type(self).__name__, instance=self)

    def is_valid(self) -> bool:
        try:
            self.full_clean()
        except ValidationError:
            return False
        return True
