"""PyMODM's error names (``pymodm.errors``), bound to asyncodm's error classes.

Stage: compat. These are the *same* classes, not look-alikes, so ``except`` clauses work both
ways: ``except pymodm_errors.ValidationError`` catches what asyncodm raises and
``except asyncodm.DoesNotExist`` catches ``Model.DoesNotExist`` from a PyMODM-style model.

Differences worth knowing: ``ValidationError.message`` is a string; PyMODM's field -> messages
mapping is ``ValidationError.message_dict`` (``errors`` maps each dotted path to its message).
``ConnectionError`` is asyncodm's ``ConnectionFailure``.
"""

from __future__ import annotations

from asyncodm.errors import (
    ConfigurationError,
    ConnectionFailure,
    DoesNotExist,
    InvalidModel,
    ModelDoesNotExist,
    MultipleObjectsReturned,
    OperationError,
    ValidationError,
)

ConnectionError = ConnectionFailure

__all__ = [
    "ConfigurationError",
    "ConnectionError",
    "DoesNotExist",
    "InvalidModel",
    "ModelDoesNotExist",
    "MultipleObjectsReturned",
    "OperationError",
    "ValidationError",
]
