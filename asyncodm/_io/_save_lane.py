"""The save lane: ``Document.save()`` of the common cases in as few steps as they need.

Stage: persistence (awaits). Most saves are one of two things: a new document inserted with a
generated ``_id``, or a loaded one whose changes are plain fields (``doc.views += 1``). The
general path (``_persistence._save``) decides a dozen things for every save -- signals, the
tracer's span, field save-time work, versioning, switches, sessions, per-call options, a
capture, the shard key, the delta of containers -- and pays a call for most of them. This
lane decides them at once: what depends only on the class is read from a ``_Lane`` built on
its first save; what depends on the call is a few truth tests, each a C call. Whenever one of
them says "not the common case", the lane hands over (``HANDOVER``) *before* anything
happened, and the general path does the whole save as it always has.

What the lane covers, and why each step is the general path's:

* **Per class** (``_Lane.of``): a top-level, non-dynamic, non-versioned class with no field
  that has save-time work (sequences, files), no shard key, no ``cascade`` in meta and a
  collection that needs no preparation (capped, ``auto_create_index``). Other classes never
  take it.
* **Per call**: ``save()`` with its default arguments (the caller checks), no pre/post save
  receiver connected, no tracer installed, no ``switch_*`` / ``collection_options`` block in
  force, no session bound by ``transaction()``, no capture recording (so
  ``assert_num_queries`` always sees the general path's report), and the cached collection
  adapter of the running loop's connection already built (``collection_for`` builds it on
  the first general save).
* **A new document** is validated exactly as ``validate(clean=...)`` does, dumped by the
  class's compiled dumper, given its ``ObjectId`` and inserted; a document that has a primary
  key already (an upsert) or cannot generate one takes ``_persistence.insert_new``, which is
  the general path's own insert, after the same validation.
* **A loaded document** whose touched values are all plain fields (nothing in ``_values``, no
  container snapshot, not marked unsaved) and whose class does not override ``clean()``: the
  class's generated ``plain_set`` runs each touched field's quick check (what
  ``raise_if_touched_invalid`` runs first) and its dump guard (``to_mongo`` would return the
  value itself), and compares with the baseline value of the same type, building the
  ``$set`` in the order the fields were changed (``compute_delta``'s order). A value none of
  that can vouch for (None, another type than stored, a failing check) hands over, and the
  general path names the error. Nothing changed: nothing is sent. Matched nothing: the
  document was deleted meanwhile and is written whole (``_persistence.rewrite``).

Errors: the lane's adapter methods translate driver errors with the seam's ``translate``; a
``NotUniqueError`` names the document, as the general path's does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bson import ObjectId

from asyncodm import signals
from asyncodm._codegen import compile_function
from asyncodm._context import active_switches, bound_sessions
from asyncodm._drivers import _tracing
from asyncodm._drivers._capture import capturing
from asyncodm._instance._base import BaseDocument
from asyncodm._instance._state import set_orig, set_son
from asyncodm._io._collection import needs_preparation
from asyncodm._io._persistence import insert_new, rewrite
from asyncodm._schema._filters import shard_key_paths
from asyncodm._types import MISSING
from asyncodm.connection import current_database
from asyncodm.errors import NotUniqueError
from asyncodm.fields._checks import InlineCheck
from asyncodm.fields._scalar import RECHECKED_TYPES

__all__ = ["HANDOVER", "lane_of", "plain_set_source", "save_lane"]

#: What ``save_lane`` returns when the general path must do the save (nothing happened yet).
HANDOVER: Any = object()

#: Types ``diff_into`` compares by more than ``!=`` (containers recursively, Binary and
#: Decimal128 by their stored form): a touched plain value of one of them hands over.
_DEFERRED = frozenset({dict, list, *RECHECKED_TYPES})

_NO_CLEAN = BaseDocument.clean
_NO_EXCLUDE: frozenset[str] = frozenset()
_PRE_SAVE = signals.pre_save._receivers
_POST_SAVE = signals.post_save._receivers


class _Lane:
    """What the save lane needs to know about one class, read once, on its first save."""

    __slots__ = ("alias", "generates_id", "open", "pk_name", "plain_set", "runs_clean")

    def __init__(self, cls: type) -> None:
        schema: Any = cls._schema  # type: ignore[attr-defined]
        meta = schema.meta
        self.open: bool = bool(
            schema.is_document
            and not schema.dynamic
            and not schema.versioned
            and not schema.save_work
            and not shard_key_paths(schema)
            and not meta.get("cascade", False)
            and not needs_preparation(meta)
        )
        self.alias: str = meta.get("db_alias") or "default"
        pk_field = schema.pk_field
        self.generates_id: bool = pk_field is not None and pk_field.generates_id
        self.pk_name: str | None = schema.pk_name
        self.runs_clean: bool = cls.clean is not _NO_CLEAN  # type: ignore[attr-defined]
        self.plain_set: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any] | None] = (
            compile_function(*plain_set_source(schema)) if self.open else _never
        )


def _never(orig: dict[str, Any], plain: dict[str, Any]) -> dict[str, Any] | None:
    return None


#: The lane of each class that was saved (a class is compiled once and never changes).
_lanes: dict[type, _Lane] = {}


def lane_of(cls: type) -> _Lane:
    """The class's lane facts, built on first use."""
    lane = _lanes.get(cls)
    if lane is None:
        lane = _lanes[cls] = _Lane(cls)
    return lane


def plain_set_source(schema: Any) -> tuple[str, str, dict[str, Any]]:
    """``(source, filename hint, namespace)`` of the class's ``plain_set(orig, plain)``: the
    ``$set`` of the touched plain fields (``orig``'s names), None when one of them, or a key
    of ``orig`` that is not a plain field, needs the general path.

    One pass over ``orig`` (usually one or two names), in the order the fields changed, which
    is the order ``compute_delta`` sets them in; one branch per plain field. There the current
    value must pass the field's quick check and its dump guard (inlined when they are
    ``InlineCheck`` expressions, called otherwise; a field with neither check hands over) and
    have the stored value's type; it is set when it differs from that value."""
    ns: dict[str, Any] = {"M": MISSING, "DEFER": _DEFERRED}
    guards = {name: (field, dump) for name, _db, field, dump, plain in schema.dump_table if plain}
    lines = ["    for name, o in orig.items():"]
    keyword = "if"
    for i, (name, field, quick, plain) in enumerate(schema.check_table):
        if not plain:
            continue
        _field, dump = guards[name]
        guard = None if dump is None else field.dump_guard()
        if quick is None or (dump is not None and guard is None):
            continue  # no branch: a change of this field hands over
        tests: list[str] = []
        if isinstance(quick, InlineCheck):
            tests.append(quick.inline(f"q{i}", ns))
        else:
            ns[f"quick_{i}"] = quick
            tests.append(f"quick_{i}(v)")
        if guard is not None:
            tests.append(guard.inline(f"g{i}", ns))
        lines += [
            f"        {keyword} name == {name!r}:",
            f"            v = plain[{name!r}]",
            "            if v is None or type(v) is not type(o) or type(v) in DEFER:",
            "                return None",
            f"            if not ({' and '.join(tests)}):",
            "                return None",
        ]
        keyword = "elif"
    if keyword == "if":  # no plain field the lane can vouch for
        lines += ["        return None"]
    else:
        lines += [
            "        else:",  # not a plain field: a snapshot, the unsaved mark
            "            return None",
        ]
    lines += [
        "        if o != v:",
        "            sets[name] = v",
    ]
    source = [
        "def plain_set(orig, plain):",
        "    sets = {}",
        "    try:",
        *("    " + line for line in lines),
        "    except KeyError:",  # a field deleted since: the general path
        "        return None",
        "    return sets",
    ]
    return "\n".join(source), f"plain_set {schema.class_name}", ns


async def save_lane(doc: Any, clean: bool) -> Any:
    """Save ``doc`` (``save()`` called with default arguments but ``clean``) by the lane, or
    return ``HANDOVER`` having done nothing (see the module docstring)."""
    cls = type(doc)
    lane = _lanes.get(cls)
    if lane is None:
        lane = lane_of(cls)
    if (
        not lane.open
        or _PRE_SAVE
        or _POST_SAVE
        or _tracing._tracer is not None
        or active_switches()
        or bound_sessions()
        or capturing()
    ):
        return HANDOVER
    database = current_database(lane.alias)
    if database is None:
        return HANDOVER
    adapter = database.model_adapters.get(cls)
    if adapter is None:  # built by the first general save (``collection_for``)
        return HANDOVER
    son = doc._son
    if son is None:  # a new document
        # ``doc.validate(clean=clean)``, the general path's check of a new document.
        if clean:
            if not cls._check_quick(doc):
                doc._check_all(_NO_EXCLUDE)
        else:
            doc.validate(clean=False)
        out = cls._dump(doc)
        try:
            if "_id" in out or not lane.generates_id:
                await insert_new(doc, cls._schema, adapter, False, None, out)
                return doc
            new_id = ObjectId()
            out = {"_id": new_id, **out}
            await adapter.lane_insert_one(out)
        except NotUniqueError as exc:
            exc.instance = doc
            raise
        doc._values[lane.pk_name] = new_id  # only once stored: a retry inserts again
        set_son(doc, out)
        set_orig(doc, None)
        return doc
    if doc._values or (clean and lane.runs_clean):
        return HANDOVER
    orig = doc._orig
    if orig is None:
        return doc  # nothing read or assigned since loading: nothing to check or send
    sets = lane.plain_set(orig, doc.__dict__)
    if sets is None:
        return HANDOVER
    if not sets:
        return doc  # touched, unchanged: the general path sends nothing either
    pk = son.get("_id", MISSING)
    if pk is MISSING:
        return HANDOVER
    try:
        if await adapter.lane_update_one({"_id": pk}, {"$set": sets}) == 0:
            await rewrite(doc, adapter, None)  # deleted meanwhile: saving stores it again
            return doc
    except NotUniqueError as exc:
        exc.instance = doc
        raise
    son.update(sets)  # the stored values become the baseline's
    set_orig(doc, None)
    return doc
