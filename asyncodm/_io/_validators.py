"""``await Model.sync_validator()``: install the model's ``$jsonSchema`` on its collection.

Stage: indexes and collections (awaits). The schema itself is compiled purely by
``_schema._json_schema``; this module only decides the command: ``collMod`` when the
collection exists, ``create`` with the validator when it does not (MongoDB's two ways to set
one: https://www.mongodb.com/docs/manual/core/schema-validation/specify-json-schema/). Like
index builds, it honours ``switch_db``/``switch_collection`` and never runs inside the
caller's transaction. The level and action are checked before any I/O, so a typo changes
nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from asyncodm import connection
from asyncodm._io._collection import PreparingCollection, collection_for
from asyncodm._io._indexes import _isolated
from asyncodm._schema._json_schema import json_schema
from asyncodm.errors import InvalidDocumentError

__all__ = ["ACTIONS", "LEVELS", "current_validator", "sync_validator", "validator_command"]

#: https://www.mongodb.com/docs/manual/core/schema-validation/specify-validation-level/
LEVELS = ("off", "strict", "moderate")
#: https://www.mongodb.com/docs/manual/core/schema-validation/handle-invalid-documents/
ACTIONS = ("error", "warn")


def validator_command(
    name: str, validator: Mapping[str, Any], *, exists: bool, level: str, action: str
) -> dict[str, Any]:
    """The ``collMod`` (or ``create``) document that installs ``validator`` on ``name``.

    Raises:
        ValueError: ``level`` or ``action`` is not one MongoDB knows.
    """
    if level not in LEVELS:
        raise ValueError(f"validation level must be one of {', '.join(LEVELS)}, not {level!r}")
    if action not in ACTIONS:
        raise ValueError(f"validation action must be one of {', '.join(ACTIONS)}, not {action!r}")
    return {
        "collMod" if exists else "create": name,
        "validator": dict(validator),
        "validationLevel": level,
        "validationAction": action,
    }


def _target(model: type) -> tuple[Any, str]:
    schema = getattr(model, "_schema", None)
    if schema is None or not schema.is_document:
        raise InvalidDocumentError(f"{model.__name__} has no collection to validate")
    adapter = collection_for(model)
    if isinstance(adapter, PreparingCollection):
        adapter = adapter.inner
    return connection.get_database(adapter.alias), adapter.name


def collection_root(model: type) -> type:
    """The topmost class stored in ``model``'s collection: a collection has one validator, so
    it must accept every class of the hierarchy, not only ``model``'s."""
    root = model
    collection = model._schema.collection  # type: ignore[attr-defined]
    for base in model.__mro__[1:]:
        schema = base.__dict__.get("_schema")
        if schema is not None and schema.is_document and schema.collection == collection:
            root = base
    return root


async def current_validator(model: type) -> dict[str, Any] | None:
    """The validator the server reports for the model's collection (None: none, or no
    collection)."""
    database, name = _target(model)
    reply = await database.command({"listCollections": 1, "filter": {"name": name}})
    for info in reply.get("cursor", {}).get("firstBatch", []):
        validator = (info.get("options") or {}).get("validator")
        return dict(validator) if validator else None
    return None


async def sync_validator(
    model: type, *, level: str = "strict", action: str = "error"
) -> dict[str, Any]:
    """Install the ``$jsonSchema`` of the collection's root class (``collection_root``);
    returns the command sent.

    Raises:
        ValueError: an unknown ``level`` or ``action`` (nothing is sent).
        OperationError: the server refused the command.
    """
    validator = {"$jsonSchema": json_schema(collection_root(model))}
    validator_command("-", validator, exists=True, level=level, action=action)
    database, name = _target(model)
    exists = name in await database.list_collection_names()
    command = validator_command(name, validator, exists=exists, level=level, action=action)
    await _isolated(database.command(command))
    return command
