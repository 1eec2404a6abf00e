"""Optimistic concurrency: the stored ``_version`` of ``meta = {"versioned": True}`` documents.

Stage: schema (pure). A versioned document stores ``"_version": 1`` when it is inserted and
every write of it moves the number on, so a write can be a compare-and-set: a save or delete of
an instance loaded at version ``n`` filters on ``{"_version": n}`` (and a save adds
``{"$inc": {"_version": 1}}``); when that matches nothing, another writer got there first and
``ConcurrencyError`` is raised with nothing written. Queryset updates, upserts and the
NULLIFY / PULL of delete rules bump it too, so a copy loaded before any of them is stale.

``_version`` is a stored key, not a declared field: it is not in ``describe()``'s fields nor
in generated pydantic models, it is kept in the loaded document (the instance's baseline,
``_son``) and read through ``doc._version``. Which classes are versioned is decided once, by
``versioned_setting`` at class definition, so a class that is not versioned pays nothing.

Everything here builds documents; the awaiting callers are ``_io._persistence`` (save,
delete), ``_io._delete_rules`` and ``queryset._writes``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from asyncodm.errors import ConcurrencyError, InvalidDocumentError

__all__ = [
    "VERSION_KEY",
    "bump",
    "expect",
    "next_version",
    "stale_error",
    "versioned_setting",
]

#: The stored key that holds a versioned document's version.
VERSION_KEY: Final = "_version"

#: The stage a pipeline update ends with: missing (a document stored before the class was
#: versioned) counts as 0, as ``$inc`` counts it.
_PIPELINE_BUMP: Final = {"$set": {VERSION_KEY: {"$add": [{"$ifNull": ["$" + VERSION_KEY, 0]}, 1]}}}


def versioned_setting(
    name: str, meta: Mapping[str, Any], *, is_embedded: bool, parent: Any, field_keys: Any
) -> bool:
    """Whether the class is versioned (``meta["versioned"]``, inherited), checked.

    Args:
        name: The class name, for messages.
        meta: The merged meta (the parent's inherited settings overlaid with the class's own).
        is_embedded: An embedded document has no stored version of its own.
        parent: The parent's ``ClassRecord`` (or None): a hierarchy that shares a collection
            is versioned as a whole.
        field_keys: The names and stored keys of the declared fields: none may be
            ``_version``.

    Raises:
        InvalidDocumentError: A value that is not a bool, a versioned embedded document, a
            subclass that differs from the parent whose collection it shares, or a field
            named or stored ``_version``.
    """
    value = meta.get("versioned", False)
    if not isinstance(value, bool):
        raise InvalidDocumentError(
            f"{name}.meta['versioned']: expected True or False, found "
            f"{value!r} ({type(value).__name__})"
        )
    if value and is_embedded:
        raise InvalidDocumentError(
            f"{name}.meta['versioned']: an embedded document is stored inside its parent and "
            "has no version of its own; make the top-level document versioned"
        )
    if (
        parent is not None
        and parent.is_document
        and parent.allow_inheritance
        and parent.versioned != value
    ):
        raise InvalidDocumentError(
            f"{name}.meta['versioned']: expected {parent.versioned} as in "
            f"{parent.model.__name__}, whose collection it shares, found {value}"
        )
    if value and VERSION_KEY in field_keys:
        raise InvalidDocumentError(
            f"{name}: a field is named or stored {VERSION_KEY!r}, which a versioned document "
            "keeps its version in; rename the field or give it another db_field"
        )
    return value


def expect(version: Any) -> dict[str, Any]:
    """The filter part of a compare-and-set: the stored version is still ``version``.

    None (a document stored before its class was versioned) expects no version at all."""
    if version is None:
        return {VERSION_KEY: {"$exists": False}}
    return {VERSION_KEY: version}


def next_version(version: Any) -> int:
    """The version a successful write leaves (``$inc`` counts a missing one as 0)."""
    return (version or 0) + 1


def bump(update: Any) -> Any:
    """``update`` (an update document or an update pipeline) that also moves the version on.

    An update document gets ``{"$inc": {"_version": 1}}`` (which also sets 1 on the document
    an upsert inserts); a pipeline gets a final ``$set`` stage. An update that writes
    ``_version`` itself is sent as given. The caller's documents are never changed."""
    if isinstance(update, list):
        if any(isinstance(stage, Mapping) and _writes_version(stage) for stage in update):
            return update
        return [*update, _PIPELINE_BUMP]
    if _writes_version(update):
        return update
    inc = update.get("$inc")
    return {**update, "$inc": {**inc, VERSION_KEY: 1} if inc else {VERSION_KEY: 1}}


def _writes_version(update: Mapping[str, Any]) -> bool:
    """Whether an update document (or pipeline stage) names ``_version`` under an operator."""
    for value in update.values():
        if isinstance(value, Mapping) and VERSION_KEY in value:
            return True
        if value == VERSION_KEY or (isinstance(value, (list, tuple)) and VERSION_KEY in value):
            return True  # a pipeline's {"$unset": "_version"} or {"$unset": ["_version"]}
    return False


def stale_error(
    model: str, pk: Any, expected: Any, *, action: str, stored: bool, found: Any, instance: Any
) -> ConcurrencyError:
    """The ``ConcurrencyError`` of a compare-and-set that matched nothing.

    Args:
        model: The class name.
        pk: The document's primary key.
        expected: The version the instance was loaded with.
        action: ``"save"`` or ``"delete"``.
        stored: Whether the document is still stored (False: deleted meanwhile).
        found: Its stored version now.
        instance: The stale document.
    """
    if stored:
        what = f"the stored document is at version {found!r}"
    else:
        what = "the stored document was deleted meanwhile"
    message = (
        f"{model} {pk!r} is stale: {action}() expected version {expected!r}, but {what}; "
        f"nothing was written (reload it and apply the change again)"
    )
    return ConcurrencyError(
        message,
        model=model,
        pk=pk,
        expected=expected,
        found=found if stored else None,
        deleted=not stored,
        instance=instance,
    )
