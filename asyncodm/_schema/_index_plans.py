"""What indexes a model and a collection need, compiled once; capped settings; comparison.

Stage: compile (pure; no I/O). ``index_plans(model)`` is every index one class declares:
``meta["indexes"]`` (parents' included; ``_index_specs`` compiles each spec) then the fields'
own -- ``unique``/``unique_with`` and geo fields' automatic ones -- merged into a declared
index with the same keys, all over ``meta["index_options"]``. It is compiled when the class is
defined (``check_definition``, called by the class-record builder) and kept on the class
record, so an invalid spec raises ``InvalidDocumentError`` at the class statement.

A collection holds a whole inheritance hierarchy, so what it needs is the union of its
classes' indexes (``collection_plans``), plus a ``_cls`` index when documents store ``_cls``
and no index starts with it (subclass queries filter on it). ``indexes_match`` compares a
declared index with one a server lists by key pattern and meaningful options, never by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from pymongo import IndexModel
from pymongo.collation import Collation

from asyncodm._registry import registry
from asyncodm._schema._filters import shard_key_names, shard_key_path
from asyncodm._schema._index_specs import (
    Deferred,
    Direction,
    IndexPlan,
    Keys,
    compile_spec,
    field_plans,
    index_defaults,
)
from asyncodm._schema._record import Schema
from asyncodm.errors import InvalidDocumentError, LookUpError, NotRegistered

__all__ = [
    "DEFAULT_CAPPED_SIZE",
    "capped_options",
    "capped_settings",
    "check_definition",
    "collection_members",
    "collection_plans",
    "failed_definition",
    "index_models",
    "index_plans",
    "indexes_match",
    "normalise_index",
]

#: ``max_size`` when only ``max_documents`` is given (MongoEngine's default): 10 MiB.
DEFAULT_CAPPED_SIZE = 10 * 2**20


# --------------------------------------------------------------------------------------------
# Whole models


def failed_definition(model: type) -> bool:
    """Whether ``model``'s class statement raised because of its index settings (it is
    registered, but never existed for the user's code)."""
    schema: Schema = model._schema  # type: ignore[attr-defined]
    return schema.definition_error is not None


def index_plans(model: type) -> tuple[IndexPlan, ...]:
    """Every index ``model`` declares: ``meta["indexes"]`` (parents' included), then the
    fields' unique and geo indexes (merged into a declared index with the same keys).

    Raises:
        InvalidDocumentError: a spec is malformed, names an unknown field, or two specs
            with the same keys (or the same name) disagree.
    """
    schema: Schema = model._schema  # type: ignore[attr-defined]
    if schema.index_plans is not None:
        return schema.index_plans  # compiled when the class was defined
    try:
        return _compile(schema)  # it had to wait for a class named by a string
    except Deferred as exc:
        raise InvalidDocumentError(
            f"{model.__name__}: cannot compile its indexes yet: {exc}"
        ) from None


def _compile(schema: Schema) -> tuple[IndexPlan, ...]:
    defaults = index_defaults(schema)
    plans: list[IndexPlan] = []
    for spec in schema.indexes:
        _merge(schema, plans, compile_spec(schema, spec, defaults), merge_options=False)
    for auto in field_plans(schema, "", frozenset({schema.model}), in_list=False):
        options = {**defaults, **auto.options}
        _merge(
            schema,
            plans,
            IndexPlan(auto.keys, MappingProxyType(options), auto.source),
            merge_options=True,
        )
    _check_collection(schema.model.__name__, plans)
    return tuple(plans)


def _identity(plan: IndexPlan) -> tuple[Keys, str, str]:
    """What makes two indexes distinct to MongoDB: the key pattern, and the collation and
    partial filter (the same keys may be indexed again under another collation or filter).

    https://www.mongodb.com/docs/manual/reference/method/db.collection.createIndex/#behaviors
    """
    options = plan.options
    return (
        plan.keys,
        repr(options.get("collation")),
        repr(options.get("partialFilterExpression")),
    )


def _merge(schema: Schema, plans: list[IndexPlan], new: IndexPlan, *, merge_options: bool) -> None:
    for i, old in enumerate(plans):
        if _identity(old) != _identity(new):
            continue
        if old.options == new.options:
            return  # the same index declared twice (e.g. by a parent and a child)
        if merge_options:
            plans[i] = IndexPlan(
                old.keys, MappingProxyType({**old.options, **new.options}), old.source
            )
            return
        raise InvalidDocumentError(
            f"{schema.model.__name__}: index specs {old.source} and {new.source} have the same "
            f"keys {list(new.keys)} but different options ({dict(old.options)} vs "
            f"{dict(new.options)}); MongoDB keeps one index per key pattern (give one a "
            "different collation or partialFilterExpression, or merge them)"
        )
    plans.append(new)


def _check_collection(owner: str, plans: Sequence[IndexPlan]) -> None:
    """What MongoDB would refuse for one collection: two text indexes, or one name twice."""
    texts = [p for p in plans if any(d == "text" for _, d in p.keys)]
    if len(texts) > 1:
        raise InvalidDocumentError(
            f"{owner}: a collection can have only one text index, found "
            f"{', '.join(p.source for p in texts)}; put the fields in one text index"
        )
    names: dict[str, IndexPlan] = {}
    for p in plans:
        name = str(p.to_model().document["name"])
        other = names.get(name)
        if other is not None and other.keys != p.keys:
            raise InvalidDocumentError(
                f"{owner}: index specs {other.source} and {p.source} are both named {name!r}"
            )
        names[name] = p


def capped_options(model: type) -> dict[str, Any] | None:
    """``create_collection`` options for a capped collection, or None if not capped.

    ``max_size`` (bytes) defaults to 10 MiB when only ``max_documents`` is given and is rounded
    up to a multiple of 256, as MongoDB stores it.
    https://www.mongodb.com/docs/manual/core/capped-collections/
    """
    schema: Schema = model._schema  # type: ignore[attr-defined]
    return None if schema.capped is None else dict(schema.capped)


def capped_settings(schema: Schema) -> dict[str, Any] | None:
    """``capped_options`` computed from the settings (when the class record is built)."""
    model = schema.model
    max_documents = schema.meta.get("max_documents")
    max_size = schema.meta.get("max_size")
    if max_documents is None and max_size is None:
        return None
    for key, value in (("max_documents", max_documents), ("max_size", max_size)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            raise InvalidDocumentError(
                f"{model.__name__}: meta[{key!r}] must be a positive whole number, found {value!r}"
            )
    size: int = max_size or DEFAULT_CAPPED_SIZE
    if size % 256:
        size += 256 - size % 256
    options: dict[str, Any] = {"capped": True, "size": size}
    if max_documents is not None:
        options["max"] = max_documents
    return options


def check_definition(
    schema: Schema,
) -> tuple[tuple[IndexPlan, ...] | None, dict[str, Any] | None, InvalidDocumentError | None]:
    """The index plans and capped settings of a new document class, or why they are invalid:
    ``(plans or None, capped options or None, error or None)``.

    The error is returned, not raised: the class is registered first and then its class
    statement raises it (collection-wide operations skip it, see ``failed_definition``). An
    embedded document class named by a string that is not defined yet postpones the plans to
    first use (None), so two modules can still refer to each other.
    """
    if schema.is_embedded:
        return None, None, None
    plans: tuple[IndexPlan, ...] | None = None
    try:
        try:
            plans = _compile(schema)
        except Deferred:
            plans = None
        capped = capped_settings(schema)
        _check_shard_key(schema)
    except InvalidDocumentError as exc:
        return None, None, exc
    return (None if schema.abstract else plans), capped, None


def _check_shard_key(schema: Schema) -> None:
    """``meta["shard_key"]`` names fields whose stored paths every update and delete of a
    document adds to its filter; a wrong name would silently match nothing.

    https://www.mongodb.com/docs/manual/core/sharding-shard-key/
    """
    for name in shard_key_names(schema):
        try:
            shard_key_path(schema, name)
        except NotRegistered:
            pass  # an embedded class named by a string, not defined yet: checked on first use
        except LookUpError as exc:
            raise InvalidDocumentError(
                f"{schema.model.__name__}: meta['shard_key'] {name!r}: {exc}"
            ) from None


# --------------------------------------------------------------------------------------------
# Collections shared by a hierarchy


def collection_members(model: type) -> list[type]:
    """``model``, the parents it shares a collection with, and their registered subclasses:
    every class whose documents live in that collection."""
    schema: Schema = model._schema  # type: ignore[attr-defined]
    root = model
    for klass in model.__mro__[1:]:
        parent = klass.__dict__.get("_schema")
        if (
            isinstance(parent, Schema)
            and parent.is_document
            and parent.collection == schema.collection
        ):
            root = klass
    members = [root]
    if root._schema.allow_inheritance or root._schema.stores_cls:  # type: ignore[attr-defined]
        for name in registry.class_names_under(root):
            found = registry.by_class_name(name)
            if (
                found is not None
                and found not in members
                and not failed_definition(found)
                and found._schema.collection == schema.collection  # type: ignore[attr-defined]
            ):
                members.append(found)
    if model not in members:
        members.append(model)
    return members


def collection_plans(models: Iterable[type]) -> list[IndexPlan]:
    """The union of the indexes of models sharing one collection, plus a ``_cls`` index when
    documents store ``_cls`` and no index starts with it (subclass queries filter on it)."""
    members = list(models)
    plans: list[IndexPlan] = []
    owners: list[str] = []
    want_cls = False
    for model in members:
        schema: Schema = model._schema  # type: ignore[attr-defined]
        owners.append(model.__name__)
        for plan in index_plans(model):
            if all(p.keys != plan.keys or p.options != plan.options for p in plans):
                plans.append(plan)
        if schema.stores_cls and schema.meta.get("index_cls", True):
            want_cls = True
    if want_cls and not any(p.keys[0][0] == "_cls" for p in plans):
        first: Schema = members[0]._schema  # type: ignore[attr-defined]
        defaults = index_defaults(first)
        plans.append(IndexPlan((("_cls", 1),), MappingProxyType(defaults), "_cls (inheritance)"))
    _check_collection(" / ".join(dict.fromkeys(owners)), plans)
    return plans


def index_models(model: type) -> list[IndexModel]:
    """Fresh ``IndexModel`` objects for the collection ``model`` lives in."""
    return [p.to_model() for p in collection_plans(collection_members(model))]


# --------------------------------------------------------------------------------------------
# Comparing declared indexes with what a server lists


#: Options that change what an index does, with the value MongoDB assumes when absent.
#: Everything else (name, v, ns, background, textIndexVersion...) is bookkeeping.
_SIGNIFICANT: Mapping[str, Any] = {
    "unique": False,
    "sparse": False,
    "hidden": False,
    "expireAfterSeconds": None,
    "partialFilterExpression": None,
    "collation": None,
    "weights": None,
    "default_language": "english",
    "language_override": "language",
    "bits": 26,
    "min": -180.0,
    "max": 180.0,
    "wildcardProjection": None,
}


def normalise_index(doc: Mapping[str, Any]) -> tuple[Keys, dict[str, Any]]:
    """(key pattern, significant options) of an index document, in one canonical form.

    Text keys are written the way MongoDB lists them (``_fts``/``_ftsx`` plus ``weights``),
    whichever form ``doc`` uses, so a declared ``"$title"`` matches the server's listing.
    """
    raw = doc.get("key") or {}
    items = list(raw.items()) if isinstance(raw, Mapping) else [tuple(kv) for kv in raw]
    keys: list[tuple[str, Direction]] = []
    weights: dict[str, Any] = dict(doc.get("weights") or {})
    text_done = False
    for name, direction in items:
        direction = _plain_direction(direction)
        if direction == "text" or name in ("_fts", "_ftsx"):
            if direction == "text" and name != "_fts":
                weights.setdefault(name, 1)
            if not text_done:
                keys += [("_fts", "text"), ("_ftsx", 1)]
                text_done = True
            continue
        keys.append((name, direction))
    options: dict[str, Any] = {}
    for key, default in _SIGNIFICANT.items():
        value = doc.get(key, default)
        if key == "weights":
            value = {k: _plain_direction(v) for k, v in weights.items()} or None
        elif (key in ("bits", "min", "max") and not any(d == "2d" for _, d in keys)) or (
            key in ("default_language", "language_override") and not text_done
        ):
            value = default
        if isinstance(value, Collation):
            value = dict(value.document)
        if value != default:
            options[key] = _plain(value)
    return tuple(keys), options


def indexes_match(declared: Mapping[str, Any], listed: Mapping[str, Any]) -> bool:
    """Whether the server's ``listed`` index is the ``declared`` one: same key pattern and
    same significant options; a declared collation matches a listed one that agrees on every
    key declared (servers list the whole collation with its defaults filled in)."""
    dk, do = normalise_index(declared)
    lk, lo = normalise_index(listed)
    if dk != lk:
        return False
    dc, lc = do.pop("collation", None), lo.pop("collation", None)
    if (dc is None) != (lc is None):
        return False
    if dc is not None and any(lc.get(k) != v for k, v in dc.items()):
        return False
    return do == lo


def _plain_direction(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return _plain_direction(value)
