"""Which driver collection a model uses right now.

Stage: persistence. Combines the model's Schema (collection name, ``db_alias``, read/write
options from meta) with the task-local ``switch_db`` / ``switch_collection`` /
``collection_options`` contexts, and asks the connection for the adapter. Every operation of
every model goes through ``collection_for``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bson.codec_options import CodecOptions
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from asyncodm import connection
from asyncodm._context import switch_for
from asyncodm.errors import InvalidDocumentError

if TYPE_CHECKING:
    from asyncodm._drivers._protocol import CollectionAdapter
    from asyncodm._schema import Schema

__all__ = ["alias_for", "collection_for", "collection_name_for", "normalise_options"]

_OPTION_KEYS = ("read_preference", "read_concern", "write_concern", "codec_options")


def normalise_options(options: dict[str, Any]) -> dict[str, Any]:
    """Accept dicts where the driver wants option objects (``{"w": "majority"}``...)."""
    out = dict(options)
    wc = out.get("write_concern")
    if isinstance(wc, dict):
        out["write_concern"] = WriteConcern(**wc)
    rc = out.get("read_concern")
    if isinstance(rc, dict):
        out["read_concern"] = ReadConcern(**rc)
    elif isinstance(rc, str):
        out["read_concern"] = ReadConcern(rc)
    co = out.get("codec_options")
    if isinstance(co, dict):
        out["codec_options"] = CodecOptions(**co)
    return {k: v for k, v in out.items() if v is not None}


def _schema_of(model: type) -> Schema:
    schema: Schema = model._schema  # type: ignore[attr-defined]
    if not schema.is_document:
        kind = "abstract" if schema.abstract else "embedded"
        raise InvalidDocumentError(f"{model.__name__} is {kind} and has no collection")
    return schema


def alias_for(model: type) -> str:
    switch = switch_for(model)
    if switch is not None and switch.alias is not None:
        return switch.alias
    alias: str = _schema_of(model).meta.get("db_alias") or "default"
    return alias


def collection_name_for(model: type) -> str:
    switch = switch_for(model)
    if switch is not None and switch.collection is not None:
        return switch.collection
    name = _schema_of(model).collection
    assert name is not None
    return name


def collection_for(model: type, **extra: Any) -> CollectionAdapter:
    """The adapter for ``model``'s collection under the current task's switches."""
    schema = _schema_of(model)
    switch = switch_for(model)
    alias = (switch.alias if switch is not None else None) or schema.meta.get("db_alias") or "default"
    name = (switch.collection if switch is not None else None) or schema.collection
    assert name is not None
    options: dict[str, Any] = {}
    meta = schema.meta
    for key in _OPTION_KEYS:
        if meta.get(key) is not None:
            options[key] = meta[key]
    if switch is not None and switch.options:
        options.update(switch.options)
    options.update({k: v for k, v in extra.items() if v is not None})
    database = connection.get_database(alias)
    if options:
        return database.collection(name, **normalise_options(options))
    return database.collection(name)
