"""Documents to BSON-ready SON and back, and the delta between what was loaded and what is now.

Stage: codec (pure, synchronous; the hot path). A loaded document keeps the raw document the
driver returned (``_son``) as its baseline and only the values that were read or assigned
(``_values``). ``to_son`` therefore copies untouched raw values as they are and converts only
touched ones; ``delta`` compares touched values with the baseline, recursing into embedded
documents and equal-length lists, and yields the ``$set`` / ``$unset`` paths that changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from asyncodm._types import MISSING
from asyncodm.fields import _snapshots as snapshots
from asyncodm.fields._compound import dynamic_to_mongo
from asyncodm.fields._scalar import RECHECKED_TYPES, same_stored

if TYPE_CHECKING:
    from asyncodm._schema._compile import Schema
    from asyncodm.fields._base import BaseField

__all__ = ["Delta", "compute_delta", "diff_into", "to_son"]


def to_son(doc: Any) -> dict[str, Any]:
    """The BSON-ready document: ``_id`` first, ``_cls``, declared fields in order (stored
    names), dynamic attributes, then stored keys the class does not declare (kept untouched)."""
    schema: Schema = doc._schema
    values: dict[str, Any] = doc._values
    son: dict[str, Any] | None = doc._son
    out: dict[str, Any] = {}
    fields = schema.fields
    stores_cls = schema.stores_cls
    if stores_cls and schema.pk_name is None:
        out["_cls"] = schema.class_name
        stores_cls = False
    plain = doc.__dict__
    for name, db, field, dump, is_plain in schema.dump_table:
        if is_plain:
            value = plain.get(name, MISSING)
        else:
            value = values.get(name, MISSING)
        if value is MISSING:
            if son is not None and not is_plain:
                raw = son.get(db, MISSING)
                if raw is not MISSING:
                    out[db] = raw
        elif value is None:
            if field.null:
                out[db] = None
        elif dump is None:
            out[db] = value
        else:
            out[db] = dump(value)
        if stores_cls:
            stores_cls = False
            out["_cls"] = schema.class_name
    if son is not None and len(son) > len(out):
        db_fields = schema.db_fields
        for key, raw in son.items():
            if key not in db_fields and key != "_cls" and key not in values and key not in out:
                out[key] = raw
    if schema.dynamic and len(values) > 0:
        for name, value in values.items():
            if name not in fields and value is not None:
                out[name] = dynamic_to_mongo(value)
    return out


class Delta:
    """What a save of a loaded document must send, and the baseline values after it succeeds."""

    __slots__ = ("sets", "unsets", "new_values")

    def __init__(self) -> None:
        self.sets: dict[str, Any] = {}
        self.unsets: dict[str, Any] = {}
        self.new_values: dict[str, Any] = {}
        """Stored key -> new BSON value (MISSING: removed) to apply to the baseline."""

    def __bool__(self) -> bool:
        return bool(self.sets or self.unsets)

    def update_document(self) -> dict[str, Any]:
        update: dict[str, Any] = {}
        if self.sets:
            update["$set"] = self.sets
        if self.unsets:
            update["$unset"] = self.unsets
        return update


def compute_delta(doc: Any) -> Delta:
    """Compare each touched value of a loaded document with its baseline."""
    schema: Schema = doc._schema
    son: dict[str, Any] = doc._son
    delta = Delta()
    fields = schema.fields
    orig = doc._orig
    if orig:
        plain = doc.__dict__
        for name, old in orig.items():
            if snapshots.is_key(name):
                continue  # a stored container's snapshot: compared below
            field = fields[name]
            value = plain.get(name, MISSING)
            if value is MISSING or value is None:
                new = None if (value is None and field.null) else MISSING
            else:
                new = field.to_mongo(value)
            diff_into(name, old, new, delta.sets, delta.unsets)
            delta.new_values[name] = new
    for name, value in doc._values.items():
        declared: BaseField[Any] | None = fields.get(name)
        if declared is not None:
            field = declared
            db = field.db_field
            if value is None:
                new = None if field.null else MISSING
            else:
                new = field.to_mongo(value)
        else:
            db = name
            new = MISSING if value is None else dynamic_to_mongo(value)
        data = orig.get(snapshots.key(name)) if orig else None
        old = son.get(db, MISSING) if data is None else snapshots.restore(data)
        diff_into(db, old, new, delta.sets, delta.unsets)
        delta.new_values[db] = new
    return delta


def diff_into(path: str, old: Any, new: Any, sets: dict[str, Any], unsets: dict[str, Any]) -> None:
    """Record the smallest ``$set``/``$unset`` paths that turn ``old`` into ``new``."""
    if new is MISSING:
        if old is not MISSING:
            unsets[path] = ""
        return
    if old is MISSING:
        sets[path] = new
        return
    old_type = type(old)
    if old_type is not type(new):
        # An int64 read back as Int64 equals the int written; bool is never an int here.
        if not (
            isinstance(old, int)
            and isinstance(new, int)
            and old_type is not bool
            and type(new) is not bool
            and old == new
        ) and not same_stored(old, new):
            sets[path] = new
        return
    if old_type is dict:
        if old.get("_cls") != new.get("_cls"):
            sets[path] = new
            return
        if not new and old:
            sets[path] = new
            return
        for key, value in new.items():
            diff_into(f"{path}.{key}", old.get(key, MISSING), value, sets, unsets)
        for key in old:
            if key not in new:
                if "." in key or key[:1] == "$":
                    # A stored key a dotted path would misread ('a.b', '$x'): validation
                    # refuses such keys in values that change, but one can be dropped.
                    _set_whole(path, new, sets, unsets)
                    return
                unsets[f"{path}.{key}"] = ""
        return
    if old_type is list:
        if len(old) != len(new):
            sets[path] = new
            return
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            diff_into(f"{path}.{i}", a, b, sets, unsets)
        return
    if old != new and (old_type not in RECHECKED_TYPES or not same_stored(old, new)):
        sets[path] = new


def _set_whole(path: str, new: Any, sets: dict[str, Any], unsets: dict[str, Any]) -> None:
    """Set ``path`` whole instead of the paths inside it recorded so far (a stored key that
    was removed cannot be unset by a dotted path)."""
    inside = f"{path}."
    for recorded in (sets, unsets):
        for key in [k for k in recorded if k.startswith(inside)]:
            del recorded[key]
    sets[path] = new
