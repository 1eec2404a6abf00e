"""HTTP answers for asyncodm errors, shared by the FastAPI and aiohttp integrations.

Stage: integration, framework-free. Both web modules translate the same errors the same way
(API.md §12), so the table lives once, here, and each framework only wraps its result in its
own response class:

    DoesNotExist          404  {"detail": "<message>"}
    NotUniqueError        409  {"detail": {"msg", "field", "index", "value"}}
    a DENY delete rule    409  {"detail": {"msg", "model", "field"}}   (the referring model)
    ConcurrencyError      409  {"detail": "<message>"}
    ValidationError       422  {"detail": [{"loc": ["body", "comments", 1, "content"],
                                            "msg", "type"}]}         (FastAPI's own shape)
    FieldDoesNotExist     422  {"detail": [{"loc": ["body", "<name>"], "msg", "type":
                                            "extra_forbidden"}]}     (a body's unknown key)
    ConnectionFailure     503  {"detail": "database unavailable ..."}

Any other error is not ours to answer: the framework's 500 handling sees it unchanged.
"""

from __future__ import annotations

import datetime
import decimal
import re
import uuid
from collections.abc import Mapping
from typing import Any, NamedTuple

from bson import Decimal128, ObjectId

from asyncodm import Document, Ref, describe
from asyncodm.errors import (
    ConcurrencyError,
    ConnectionFailure,
    DeleteDenied,
    DoesNotExist,
    FieldDoesNotExist,
    NotUniqueError,
    ValidationError,
)

__all__ = ["ErrorAnswer", "answer_for", "jsonable", "validation_detail"]


class ErrorAnswer(NamedTuple):
    status: int
    body: dict[str, Any]


def answer_for(exc: BaseException) -> ErrorAnswer | None:
    """The status and JSON body for ``exc``, or None when it is not an error we answer."""
    if isinstance(exc, DoesNotExist):
        return ErrorAnswer(404, {"detail": str(exc)})
    if isinstance(exc, NotUniqueError):
        return ErrorAnswer(409, {"detail": _not_unique(exc)})
    if isinstance(exc, ConcurrencyError):
        return ErrorAnswer(409, {"detail": str(exc)})
    if isinstance(exc, DeleteDenied):
        detail = {"msg": str(exc), "model": exc.referrer, "field": exc.field}
        return ErrorAnswer(409, {"detail": detail})
    if isinstance(exc, ValidationError):
        return ErrorAnswer(422, {"detail": validation_detail(exc)})
    if isinstance(exc, FieldDoesNotExist):
        loc: list[Any] = ["body", exc.field] if exc.field else ["body"]
        return ErrorAnswer(
            422, {"detail": [{"loc": loc, "msg": str(exc), "type": "extra_forbidden"}]}
        )
    if isinstance(exc, ConnectionFailure):
        alias = f" (connection {exc.alias!r})" if exc.alias else ""
        return ErrorAnswer(503, {"detail": f"database unavailable{alias}"})
    return None


def validation_detail(exc: ValidationError, where: str = "body") -> list[dict[str, Any]]:
    """FastAPI's 422 items for a document's ``ValidationError``: each dotted path split into
    ``loc`` (list indexes as ints), so clients handle both kinds of 422 alike."""
    if not exc.errors:
        return [{"loc": [where], "msg": exc.message, "type": "value_error"}]
    return [
        {"loc": [where, *_split(path)], "msg": msg, "type": "value_error"}
        for path, msg in exc.errors.items()
    ]


def _split(path: str) -> list[str | int]:
    return [int(part) if part.isdigit() else part for part in path.split(".")]


def _not_unique(exc: NotUniqueError) -> dict[str, Any]:
    """Which field (or index) and which value: from the error, the fields named by the
    index's key, and the document being saved when there is one."""
    fields = _index_fields(exc)
    value = exc.value
    if value is None and len(fields) == 1 and exc.instance is not None:
        value = getattr(exc.instance, fields[0], None)
    detail: dict[str, Any] = {"msg": _message(fields, exc), "index": exc.index}
    detail["field"] = fields[0] if len(fields) == 1 else (fields or None)
    detail["value"] = jsonable(value)
    return detail


def _message(fields: list[str], exc: NotUniqueError) -> str:
    if fields:
        shown = f" {jsonable(exc.value)!r}" if exc.value is not None else ""
        return f"{', '.join(fields)}{shown} is already used"
    return str(exc)


def _index_fields(exc: NotUniqueError) -> list[str]:
    """The Python field names an index covers: from a compound value's keys, else from the
    default index name (``email_1``, ``a_1_b_-1``), matched against the saved document's
    fields by stored name."""
    stored: list[str] = []
    if isinstance(exc.value, Mapping):
        stored = [str(k) for k in exc.value]
    elif exc.index:
        stored = re.findall(r"([^\s]+?)_(?:-?1|2dsphere|text|hashed)(?:_|$)", exc.index)
    if not stored:
        return []
    by_db: dict[str, str] = {}
    if exc.instance is not None:
        by_db = {fs.db_field: name for name, fs in describe(exc.instance).fields.items()}
        by_db["_id"] = describe(exc.instance).pk or "id"
    return [by_db.get(s, s) for s in stored]


def jsonable(value: Any) -> Any:
    """A value in JSON terms: BSON values (ObjectIds, decimals) as strings, references as
    their ids, documents as their ``to_dict()``, datetimes in ISO 8601."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, Ref):
        return jsonable(value.pk)
    if isinstance(value, Document):
        return jsonable(value.to_dict())
    if isinstance(value, (ObjectId, Decimal128, decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
