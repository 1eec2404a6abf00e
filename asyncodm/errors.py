"""The asyncodm error tree: every error the library raises on purpose.

Stage: foundation. This module imports nothing internal, so every layer may raise from it.

    ODMError
    ├── ValidationError            one or more field errors, keyed by dotted path
    ├── FieldDoesNotExist          an unknown keyword given to a document constructor
    ├── DoesNotExist               a query or dereference found nothing (per model subclass)
    ├── MultipleObjectsReturned    ``get()`` matched more than one document (per model subclass)
    ├── OperationError             the database refused an operation, or a delete rule denied it
    │   ├── NotUniqueError         a duplicate key on insert/update (names index and value)
    │   ├── DeleteDenied           a DENY delete rule refused a delete (names the referrer)
    │   └── ConcurrencyError       a versioned document changed since it was loaded
    ├── LookUpError                a query names a field the model does not have
    ├── InvalidDocumentError       a class definition is wrong (alias ``InvalidModel``)
    ├── ConfigurationError         missing or wrong connection settings
    ├── NotRegistered              a model name is not in the registry (alias ``ModelDoesNotExist``)
    ├── MigrationError             a stored document lacks fields that ``enforce_schema`` requires
    ├── LazyLoadError              a dereference would query inside ``no_lazy_loading()``
    └── ConnectionFailure          the server is unreachable, or the network failed or timed out

Errors translated from the driver keep the driver's exception as ``__cause__``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "ConcurrencyError",
    "ConfigurationError",
    "ConnectionFailure",
    "DeleteDenied",
    "DoesNotExist",
    "FieldDoesNotExist",
    "InvalidDocumentError",
    "InvalidModel",
    "LazyLoadError",
    "LookUpError",
    "MigrationError",
    "ModelDoesNotExist",
    "MultipleObjectsReturned",
    "NotRegistered",
    "NotUniqueError",
    "ODMError",
    "OperationError",
    "ValidationError",
]


class ODMError(Exception):
    """Root of every error asyncodm raises on purpose."""

    def has_error_label(self, label: str) -> bool:
        """Whether the driver error behind this one carries the server's error ``label``.

        MongoDB labels errors that decide how to retry (``TransientTransactionError``: rerun
        the whole transaction; ``UnknownTransactionCommitResult``: retry the commit). The
        label lives on the driver's exception, kept as ``__cause__``; an error asyncodm raised
        on its own has no labels. Duck-typed, so this module still imports no driver.
        """
        ask = getattr(self.__cause__, "has_error_label", None)
        return bool(ask(label)) if callable(ask) else False


class ValidationError(ODMError, ValueError):
    """Bad values: ``errors`` maps each dotted field path to what was expected and found.

    Collecting every error before raising lets a form or an API report all problems at once
    instead of one per round trip.
    """

    def __init__(
        self,
        message: str | None = None,
        errors: Mapping[str, str] | None = None,
        *,
        model: str | None = None,
        instance: Any = None,
    ) -> None:
        self.errors: dict[str, str] = dict(errors or {})
        self.model = model
        self.instance = instance
        if message is None:
            message = self._describe()
        self.message = message
        super().__init__(message)

    def _describe(self) -> str:
        head = f"{self.model} is not valid" if self.model else "validation failed"
        if not self.errors:
            return head
        lines = "; ".join(f"{path}: {msg}" for path, msg in self.errors.items())
        return f"{head}: {lines}"

    def to_dict(self) -> dict[str, str]:
        """The errors as a plain dict (MongoEngine's name for it)."""
        return dict(self.errors)

    @property
    def message_dict(self) -> dict[str, list[str]]:
        """The errors as Django/PyMODM shape them: path -> list of messages."""
        return {path: [msg] for path, msg in self.errors.items()}


class FieldDoesNotExist(ODMError, AttributeError):
    """A constructor got a keyword that names no field of a non-dynamic document.

    ``field`` is that keyword (None when not known), so an API can point at it."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class DoesNotExist(ODMError, LookupError):
    """Nothing matched; each model has its own subclass ``Model.DoesNotExist``."""


class MultipleObjectsReturned(ODMError, LookupError):
    """``get()`` matched more than one document; per model as ``Model.MultipleObjectsReturned``."""


class OperationError(ODMError):
    """The database refused an operation, or a delete rule (DENY) forbade it."""


class DeleteDenied(OperationError):
    """A ``reverse_delete_rule=DENY`` refused a delete; nothing was deleted.

    ``referrer`` and ``field`` name the rule (``"Post"``, ``"author"``): the documents of that
    class that still refer to the ones being deleted, so an API can answer with them."""

    def __init__(self, message: str, *, referrer: str, field: str) -> None:
        super().__init__(message)
        self.referrer = referrer
        self.field = field


class NotUniqueError(OperationError):
    """A write broke a unique index; ``index`` and ``value`` say which and with what.

    ``instance`` is the document being saved when there is one (``doc.save()``), so a handler
    can report on the object it holds; None for queryset writes and bulk inserts, where no
    single document is at fault.
    """

    def __init__(
        self, message: str, *, index: str | None = None, value: Any = None, instance: Any = None
    ) -> None:
        super().__init__(message)
        self.index = index
        self.value = value
        self.instance = instance


class ConcurrencyError(OperationError):
    """The stored document changed between load and write; nothing was written.

    Raised by ``save()`` and ``delete()`` of a ``meta = {"versioned": True}`` document whose
    stored ``_version`` is no longer the one it was loaded with (optimistic concurrency: the
    write is a compare-and-set, so of two writers of one version exactly one wins).
    ``model``, ``pk`` and ``expected`` (the version the instance holds) name the document;
    ``found`` is the version stored now, None when the document was deleted meanwhile
    (``deleted``). ``instance`` is the stale document. A handler reloads it, applies its
    change again and saves, or answers 409.
    """

    def __init__(
        self,
        message: str,
        *,
        model: str | None = None,
        pk: Any = None,
        expected: Any = None,
        found: Any = None,
        deleted: bool = False,
        instance: Any = None,
    ) -> None:
        super().__init__(message)
        self.model = model
        self.pk = pk
        self.expected = expected
        self.found = found
        self.deleted = deleted
        self.instance = instance


class LookUpError(ODMError, KeyError):
    """A query path names a field the model does not declare."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class InvalidDocumentError(ODMError, TypeError):
    """A document class is defined wrongly (bad meta, bad index spec, two primary keys...)."""


InvalidModel = InvalidDocumentError


class ConfigurationError(ODMError):
    """Connection settings are missing or contradictory."""


class NotRegistered(ODMError, LookupError):
    """A model name was looked up in the registry and is not there."""


ModelDoesNotExist = NotRegistered


class MigrationError(ODMError):
    """A stored document lacks fields that ``enforce_schema=True`` requires."""

    def __init__(self, message: str, *, missing: list[str] | None = None) -> None:
        super().__init__(message)
        self.missing = list(missing or [])


class LazyLoadError(ODMError):
    """Awaiting a reference would send a query inside ``no_lazy_loading()`` (the N+1 guard).

    ``owner`` and ``field`` name the reference (``"Post"``, ``"editor"``; None for
    ``fetch_dbref``), ``model`` the class it would have queried and ``pks`` the ids, so a test
    failure points at the ``select_related`` path to add."""

    def __init__(
        self,
        message: str,
        *,
        owner: str | None = None,
        field: str | None = None,
        model: str | None = None,
        pks: list[Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.owner = owner
        self.field = field
        self.model = model
        self.pks = list(pks or [])


class ConnectionFailure(ODMError, ConnectionError):
    """The server could not be reached, or the network failed or timed out."""

    def __init__(
        self, message: str, *, alias: str | None = None, operation: str | None = None
    ) -> None:
        super().__init__(message)
        self.alias = alias
        self.operation = operation
