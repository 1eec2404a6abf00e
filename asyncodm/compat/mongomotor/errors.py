"""MongoEngine's error names (``mongoengine.errors``), which MongoMotor code imports.

Stage: compat. These are asyncodm's own classes under MongoEngine's names, so ``except``
clauses work both ways. ``GridFSError`` is MongoMotor's ``put()`` refusing to overwrite a
stored file (``mongoengine.fields.GridFSError``); ``BulkWriteError`` is asyncodm's
``OperationError``, which a failed ``insert()`` raises.
"""

from __future__ import annotations

from asyncodm.errors import (
    ConfigurationError,
    DoesNotExist,
    FieldDoesNotExist,
    InvalidDocumentError,
    LookUpError,
    MultipleObjectsReturned,
    NotRegistered,
    NotUniqueError,
    OperationError,
    ValidationError,
)

__all__ = [
    "BulkWriteError",
    "ConnectionFailure",
    "DoesNotExist",
    "FieldDoesNotExist",
    "GridFSError",
    "InvalidDocumentError",
    "InvalidQueryError",
    "LookUpError",
    "MultipleObjectsReturned",
    "NotRegistered",
    "NotUniqueError",
    "OperationError",
    "ValidationError",
]

#: MongoEngine's ``ConnectionFailure`` is a bad connection *setting* (asyncodm's
#: ``ConfigurationError``); an unreachable server is asyncodm's ``ConnectionFailure``.
ConnectionFailure = ConfigurationError
#: MongoEngine raises it for a malformed query; asyncodm raises ``LookUpError`` for an unknown
#: field and ``OperationError`` for what the server refuses.
InvalidQueryError = LookUpError
BulkWriteError = OperationError


class GridFSError(OperationError):
    """A file operation MongoMotor refuses: ``put()`` on a field that already holds a file
    (``replace()`` it, or ``delete()`` it first)."""
