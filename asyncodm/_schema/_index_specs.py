"""Index specs compiled, purely, into ``IndexPlan`` records: what each declared spec means.

Stage: compile (pure; no I/O). ``meta["indexes"]`` accepts every form MongoEngine, PyMODM and
Beanie users write, and the fields add their own indexes (``unique``/``unique_with``, geo
fields' automatic ones). Each becomes an ``IndexPlan`` -- stored key paths, MongoDB option names -- and from there a
``pymongo.IndexModel``. The compilation runs when a class is defined (``_index_plans``), so a
typo in an index spec fails where the class is written, not when ``ensure_indexes`` runs.

Spec forms (https://www.mongodb.com/docs/manual/indexes/):

* ``"title"``, ``"+title"``, ``"-title"``: ascending / descending single field;
  ``"$title"`` text, ``"#title"`` hashed, ``"*loc"`` 2d, ``"(loc"`` 2dsphere;
  ``"$**"`` a wildcard index, ``"$$**"`` a wildcard text index.
* a tuple or list of such strings and/or ``(field, direction)`` pairs: one compound index,
  e.g. ``("title", "-date")`` or ``[("location", "2dsphere"), ("datetime", 1)]``.
* a dict: ``fields`` (any of the above) plus options (``unique``, ``sparse``,
  ``expireAfterSeconds``, ``name``, ``partialFilterExpression``, ``collation``, ...) and
  ``cls`` (whether ``_cls`` leads the index under inheritance).
* a ``pymongo.IndexModel``: the exact index wanted; only field names are translated.

Whole models and collections (caching, merging the fields' indexes, the ``_cls`` index, capped
settings, comparison with a server's listing) are ``_index_plans``' business.

Field names become stored names (``db_field``), dotted paths walk into embedded documents, and
``pk``/``id`` mean ``_id``. Under inheritance ``_cls`` leads declared indexes (so a subclass
query can use them) unless ``cls=False`` or ``meta["index_cls"] = False``; it never leads text,
geo, hashed, wildcard, sparse or TTL indexes, which MongoDB would reject or which would stop
doing their job with a prefix.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from pymongo import IndexModel
from pymongo.collation import Collation

from asyncodm._schema._paths import STORED, WILDCARD, resolve
from asyncodm._schema._record import Schema
from asyncodm.errors import InvalidDocumentError, LookUpError, NotRegistered
from asyncodm.fields._base import BaseField, Container

__all__ = [
    "INDEX_OPTIONS",
    "Deferred",
    "Direction",
    "IndexPlan",
    "Keys",
    "compile_spec",
    "field_plans",
    "index_defaults",
    "stored_path",
]

Direction = int | str
Keys = tuple[tuple[str, Direction], ...]

_PREFIXES: Mapping[str, Direction] = {
    "+": 1,
    "-": -1,
    "$": "text",
    "#": "hashed",
    "*": "2d",
    "(": "2dsphere",
}
_DIRECTIONS = frozenset({"text", "hashed", "2d", "2dsphere"})
#: Index types a ``_cls`` prefix would break or that MongoDB refuses to compound that way.
_NO_CLS_PREFIX = _DIRECTIONS
_WILDCARD = WILDCARD

#: Options of a dict spec (and of ``index_options``) passed to ``createIndexes`` as they are.
#: https://www.mongodb.com/docs/manual/reference/command/createIndexes/#std-label-createIndexes-options
INDEX_OPTIONS = frozenset(
    {
        "unique",
        "sparse",
        "expireAfterSeconds",
        "name",
        "partialFilterExpression",
        "collation",
        "background",
        "hidden",
        "storageEngine",
        "weights",
        "default_language",
        "language_override",
        "textIndexVersion",
        "2dsphereIndexVersion",
        "bits",
        "min",
        "max",
        "wildcardProjection",
    }
)
_SPEC_KEYS = INDEX_OPTIONS | {"fields", "cls"}


class Deferred(Exception):
    """An embedded document class named by a string is not defined yet: compile later."""


@dataclass(frozen=True, slots=True)
class IndexPlan:
    """One index to create: stored key paths in order, and ``createIndexes`` options."""

    keys: Keys
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    source: str = ""
    """Where it comes from, for messages: the declared spec, or ``"Model.field unique"``."""

    def to_model(self) -> IndexModel:
        """A fresh ``IndexModel`` (they are mutable, so never share one)."""
        return IndexModel(list(self.keys), **dict(self.options))

    @property
    def document(self) -> dict[str, Any]:
        """``{"key": {...}, "name": ..., options}``: the shape ``list_indexes`` reports."""
        doc = dict(self.to_model().document)
        return {"key": dict(doc.pop("key")), **doc}


# --------------------------------------------------------------------------------------------
# Field names -> stored paths


def stored_path(schema: Schema, path: str) -> str:
    """The stored (``db_field``) dotted path for a field path such as ``"author.name"``
    (``_paths.resolve`` with the rules of stored keys).

    Raises:
        InvalidDocumentError: a part names no field of a non-dynamic (embedded) document.
        Deferred: an embedded document class on the way is named by a string and not
            defined yet.
    """
    try:
        return resolve(schema, path.split("."), written=path, sep=".", rules=STORED).path
    except LookUpError as exc:
        raise InvalidDocumentError(str(exc)) from None
    except NotRegistered as exc:
        raise Deferred(str(exc)) from exc


def _embedded_model(fld: BaseField[Any] | None) -> type | None:
    """The embedded document class ``fld`` holds (None: it holds none)."""
    try:
        return None if fld is None else fld.embedded_model
    except NotRegistered as exc:
        raise Deferred(str(exc)) from exc


# --------------------------------------------------------------------------------------------
# Declared specs -> plans


def _spec_error(schema: Schema, spec: Any, problem: str) -> InvalidDocumentError:
    return InvalidDocumentError(f"{schema.model.__name__}: index spec {spec!r}: {problem}")


def _parse_key(schema: Schema, item: Any, spec: Any) -> tuple[str, Direction]:
    """One key of a spec: ``"-title"`` or ``("title", -1)`` -> (stored path, direction)."""
    direction: Direction
    if isinstance(item, str):
        name, direction = item, 1
        if item == "$$**":
            name, direction = _WILDCARD, "text"
        elif item[:1] in _PREFIXES and item != _WILDCARD:
            name, direction = item[1:], _PREFIXES[item[0]]
        if item[:1] == ")":
            raise _spec_error(
                schema,
                spec,
                "')' (geoHaystack) indexes were removed in MongoDB 5.0; use '(' (2dsphere)",
            )
        if not name:
            raise _spec_error(schema, spec, f"{item!r} names no field")
    elif isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[0], str):
        name, direction = item[0], _direction(schema, spec, item[1])
    else:
        raise _spec_error(
            schema, spec, f"expected a field name or a (field, direction) pair, found {item!r}"
        )
    try:
        return stored_path(schema, name), direction
    except InvalidDocumentError as exc:
        hint = ""
        if isinstance(item, str) and item in _DIRECTIONS:
            hint = f" (for a {item} index write [(field, {item!r})], as a list of pairs)"
        raise _spec_error(schema, spec, f"{exc}{hint}") from None


def _direction(schema: Schema, spec: Any, value: Any) -> Direction:
    if isinstance(value, bool):
        raise _spec_error(schema, spec, f"invalid index direction {value!r}")
    if isinstance(value, (int, float)) and value in (1, -1):
        return int(value)
    if isinstance(value, str) and value in _DIRECTIONS:
        return value
    if value == "geoHaystack":
        raise _spec_error(schema, spec, "geoHaystack indexes were removed in MongoDB 5.0")
    raise _spec_error(
        schema,
        spec,
        f"invalid index direction {value!r}; expected 1, -1, 'text', 'hashed', '2d' or '2dsphere'",
    )


def _key_items(schema: Schema, fields: Any, spec: Any) -> list[Any]:
    """The key items of a sequence spec; a bare ``("title", -1)`` is one pair, not two keys."""
    if isinstance(fields, str):
        return [fields]
    if not isinstance(fields, (tuple, list)):
        raise _spec_error(schema, spec, f"'fields' must be a list, found {type(fields).__name__}")
    items = list(fields)
    if (
        len(items) == 2
        and isinstance(items[0], str)
        and isinstance(items[1], int)
        and not isinstance(items[1], bool)
    ):
        return [tuple(items)]
    return items


def _check_options(schema: Schema, spec: Any, options: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(options)
    for key in ("unique", "sparse", "background", "hidden"):
        if key in out and not isinstance(out[key], bool):
            raise _spec_error(schema, spec, f"{key!r} must be True or False, found {out[key]!r}")
    ttl = out.get("expireAfterSeconds")
    if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 0):
        raise _spec_error(
            schema,
            spec,
            f"'expireAfterSeconds' must be a whole number of seconds >= 0, found {ttl!r}",
        )
    name = out.get("name")
    if name is not None and (not isinstance(name, str) or not name):
        raise _spec_error(schema, spec, f"'name' must be a non-empty string, found {name!r}")
    pfe = out.get("partialFilterExpression")
    if pfe is not None and not isinstance(pfe, Mapping):
        raise _spec_error(schema, spec, "'partialFilterExpression' must be a filter document")
    collation = out.get("collation")
    if isinstance(collation, Collation):
        out["collation"] = dict(collation.document)
    elif collation is not None and not isinstance(collation, Mapping):
        raise _spec_error(schema, spec, "'collation' must be a dict or a pymongo Collation")
    elif collation is not None:
        if "locale" not in collation:
            raise _spec_error(schema, spec, "'collation' needs a 'locale'")
        out["collation"] = dict(collation)
    return out


def compile_spec(schema: Schema, spec: Any, defaults: Mapping[str, Any]) -> IndexPlan:
    """Compile one entry of ``meta["indexes"]`` against ``schema``, over ``defaults``
    (``index_defaults``).

    Raises:
        InvalidDocumentError: naming the model and the spec.
    """
    source = repr(spec)
    if isinstance(spec, IndexModel):
        doc = dict(spec.document)
        raw_keys = list(doc.pop("key").items())
        keys = [_parse_key(schema, (k, d), spec) for k, d in raw_keys]
        generated = IndexModel(raw_keys).document["name"]
        if doc.get("name") == generated:  # pymongo named it from the unmapped field names
            del doc["name"]
        options = _check_options(schema, spec, doc)
        return _finish(schema, spec, keys, {**defaults, **options}, source, with_cls=False)
    if isinstance(spec, Mapping):
        unknown = sorted(set(spec) - _SPEC_KEYS)
        if unknown:
            raise _spec_error(
                schema, spec, f"unknown option(s) {unknown}; allowed: {sorted(_SPEC_KEYS)}"
            )
        if "fields" not in spec:
            raise _spec_error(schema, spec, "a dict spec needs 'fields'")
        cls_opt = spec.get("cls")
        if cls_opt is not None and not isinstance(cls_opt, bool):
            raise _spec_error(schema, spec, f"'cls' must be True or False, found {cls_opt!r}")
        items = _key_items(schema, spec["fields"], spec)
        options = _check_options(
            schema, spec, {k: v for k, v in spec.items() if k not in ("fields", "cls")}
        )
    elif isinstance(spec, (str, tuple, list)):
        cls_opt = None
        items = _key_items(schema, spec, spec)
        options = {}
    else:
        raise _spec_error(
            schema,
            spec,
            "expected a field name, a tuple or list of them, a dict with 'fields', or a "
            f"pymongo.IndexModel; found {type(spec).__name__}",
        )
    if not items:
        raise _spec_error(schema, spec, "names no fields")
    keys = [_parse_key(schema, item, spec) for item in items]
    merged = {**defaults, **options}
    include_cls = _wants_cls(schema, cls_opt, keys, merged)
    if cls_opt is True and any(d == "2d" for _, d in keys):
        raise _spec_error(schema, spec, "cls=True: a 2d index must have its location field first")
    return _finish(schema, spec, keys, merged, source, with_cls=include_cls)


def _wants_cls(
    schema: Schema,
    cls_opt: bool | None,
    keys: list[tuple[str, Direction]],
    options: Mapping[str, Any],
) -> bool:
    if not schema.stores_cls or any(k == "_cls" for k, _ in keys):
        return False
    if cls_opt is not None:
        return cls_opt
    if not schema.meta.get("index_cls", True):
        return False
    return not (
        options.get("sparse")
        or options.get("expireAfterSeconds") is not None
        or any(d in _NO_CLS_PREFIX or k.endswith(_WILDCARD) for k, d in keys)
    )


def _finish(
    schema: Schema,
    spec: Any,
    keys: list[tuple[str, Direction]],
    options: dict[str, Any],
    source: str,
    *,
    with_cls: bool,
) -> IndexPlan:
    if with_cls:
        keys = [("_cls", 1), *keys]
    seen: set[str] = set()
    for k, _ in keys:
        if k in seen:
            raise _spec_error(schema, spec, f"field {k!r} appears twice")
        seen.add(k)
    types = [d for _, d in keys if isinstance(d, str)]
    if "2d" in types and (keys[0][1] != "2d" or types.count("2d") > 1):
        raise _spec_error(schema, spec, "a 2d index must have its (only) location field first")
    if "hashed" in types and options.get("unique"):
        raise _spec_error(schema, spec, "MongoDB cannot make a hashed index unique")
    if types.count("hashed") > 1:
        raise _spec_error(schema, spec, "a compound index can hold only one hashed field")
    if options.get("expireAfterSeconds") is not None and len(keys) != 1:
        raise _spec_error(
            schema,
            spec,
            f"a TTL index (expireAfterSeconds) has exactly one field, found {len(keys)}",
        )
    return IndexPlan(tuple(keys), MappingProxyType(options), source)


def index_defaults(schema: Schema) -> dict[str, Any]:
    """Options every index of ``schema`` gets: ``meta["index_options"]`` (MongoEngine's
    ``index_opts`` too) and ``background`` from ``meta["index_background"]``."""
    raw = schema.meta.get("index_options") or schema.meta.get("index_opts") or {}
    if not isinstance(raw, Mapping):
        raise InvalidDocumentError(
            f"{schema.model.__name__}: meta['index_options'] must be a dict, found {raw!r}"
        )
    unknown = sorted(set(raw) - (INDEX_OPTIONS - {"name"}))
    if unknown:
        raise InvalidDocumentError(
            f"{schema.model.__name__}: meta['index_options'] has unknown option(s) {unknown}"
        )
    defaults = _check_options(schema, "index_options", raw)
    if schema.meta.get("index_background"):
        defaults.setdefault("background", True)
    return defaults


# --------------------------------------------------------------------------------------------
# Indexes the fields ask for


def field_plans(
    schema: Schema, prefix: str, seen: frozenset[type], *, in_list: bool
) -> Iterator[IndexPlan]:
    """Unique (``unique``/``unique_with``) and automatic geo indexes of ``schema``'s fields,
    recursing into embedded documents (unique ones only outside lists, as MongoEngine does:
    a unique index on a list of subdocuments is collection-wide, not per array)."""
    model = schema.model
    for name, fld in schema.fields.items():
        path = f"{prefix}{fld.db_field}"
        if fld.unique and not in_list and fld.db_field != "_id":
            keys: list[tuple[str, Direction]] = [(path, 1)]
            for other in fld.unique_with:
                try:
                    keys.append((prefix + stored_path(schema, other), 1))
                except InvalidDocumentError as exc:
                    raise InvalidDocumentError(
                        f"{model.__name__}.{name}: unique_with {other!r}: {exc}"
                    ) from None
            options: dict[str, Any] = {"unique": True}
            if fld.metadata.get("sparse"):
                options["sparse"] = True
            yield IndexPlan(
                tuple(keys), MappingProxyType(options), f"{model.__name__}.{name} unique"
            )
        index_type = getattr(fld, "index_type", None)
        if isinstance(index_type, str) and getattr(fld, "auto_index", False):
            yield IndexPlan(
                ((path, index_type),), MappingProxyType({}), f"{model.__name__}.{name} geo"
            )
        inner: BaseField[Any] | None = fld
        listed = in_list
        if fld.container is Container.LIST:
            inner, listed = fld.item_field, True
        model_inside = _embedded_model(inner)
        if model_inside is not None:
            embedded: Schema = model_inside._schema  # type: ignore[attr-defined]
            if embedded.model not in seen:
                yield from field_plans(
                    embedded, f"{path}.", seen | {embedded.model}, in_list=listed
                )
