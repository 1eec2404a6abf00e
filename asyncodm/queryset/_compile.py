"""Compile queries to the dicts MongoDB receives: filter, sort and projection.

Stage: compile (pure, synchronous, no I/O). Everything here takes a ``Schema`` (or a model
class) and plain values and returns plain dicts, so it is tested as dicts with no database
(STYLE rule 5). The Q tree becomes a filter: the keywords of one ``Q`` and the ``&`` of several
merge into one document where their paths do not collide (so ``loc__near`` and
``loc__max_distance`` meet in one ``$near``), else ``$and``; ``|`` is ``$or``; ``~`` is ``$nor``
(https://www.mongodb.com/docs/manual/reference/operator/query/nor/). A query on a subclass of an
inheritance hierarchy also filters ``_cls`` on the names of that class and its subclasses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from asyncodm._registry import registry
from asyncodm._schema._filters import cls_filter as _schema_cls_filter
from asyncodm._schema._paths import LOOKUP, ResolvedPath, find_crossing, resolve
from asyncodm.errors import LookUpError
from asyncodm.fields._base import Container
from asyncodm.queryset._expressions import Expression, expression_condition
from asyncodm.queryset._join_plan import Join, merge_joins
from asyncodm.queryset._lookups import parse_lookup, split_lookup
from asyncodm.queryset._operators import compile_condition
from asyncodm.queryset._q import Q

__all__ = [
    "cls_filter",
    "compile_filter",
    "compile_join",
    "compile_lookups",
    "compile_projection",
    "compile_q",
    "compile_sort",
    "merge_and",
    "resolve_name",
    "schema_of",
    "split_sort_key",
    "stored_path",
]


def schema_of(model: Any) -> Any:
    """The compiled Schema of a model class (or the Schema itself)."""
    return getattr(model, "_schema", model)


def _is_operator_doc(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(str(k).startswith("$") for k in value)


def merge_and(parts: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """AND filters together: one document where keys do not collide, else ``$and``.

    Two operator documents on one path merge when they share no operator
    (``{"a": {"$gt": 1}}`` and ``{"a": {"$lt": 5}}`` give ``{"a": {"$gt": 1, "$lt": 5}}``).
    """
    merged: dict[str, Any] = {}
    rest: list[dict[str, Any]] = []
    for part in parts:
        if not part:
            continue
        for key, cond in part.items():
            if key not in merged:
                merged[key] = dict(cond) if _is_operator_doc(cond) else cond
                continue
            current = merged[key]
            if key == "$and" and isinstance(current, list) and isinstance(cond, list):
                merged[key] = [*current, *cond]
            elif isinstance(current, Join) and isinstance(cond, Join):
                one = merge_joins(current, cond, merge_and)
                if one is None:
                    rest.append({key: cond})
                else:
                    merged[key] = one
            elif (
                _is_operator_doc(current)
                and _is_operator_doc(cond)
                and not set(current) & set(cond)
                and "$eq" not in cond
                and "$eq" not in current
                and key != "$expr"  # one expression per $expr: a second one joins $and
            ):
                current.update(cond)
            else:
                rest.append({key: cond})
    for cond in merged.values():
        if isinstance(cond, dict):
            fold_geo(cond)
    if rest:
        return (
            {"$and": [merged, *rest]} if merged else (rest[0] if len(rest) == 1 else {"$and": rest})
        )
    return merged


def fold_geo(cond: dict[str, Any]) -> None:
    """Move ``$maxDistance``/``$minDistance`` into a GeoJSON ``$near``/``$nearSphere``.

    With ``$geometry`` MongoDB wants the distances inside the ``$near`` document; with legacy
    coordinate pairs they stay beside it.
    https://www.mongodb.com/docs/manual/reference/operator/query/near/
    """
    for near in ("$near", "$nearSphere"):
        target = cond.get(near)
        if isinstance(target, dict) and "$geometry" in target:
            for key in ("$maxDistance", "$minDistance"):
                if key in cond:
                    cond[near] = target = {**target, key: cond.pop(key)}


def compile_lookups(schema: Any, lookups: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Keyword lookups (ANDed) -> one filter document."""
    parts = []
    for key, value in lookups:
        try:
            lookup = parse_lookup(schema, key)
        except LookUpError:
            join = compile_join(schema, key, value)
            if join is None:
                raise
            parts.append({join.local: join})
            continue
        if isinstance(value, Expression):  # views__gt=F("likes"): a field-to-field $expr
            parts.append(expression_condition(schema, lookup, value))
            continue
        parts.append({lookup.path: compile_condition(lookup, value, _compile_sub)})
    return merge_and(parts)


def compile_join(schema: Any, key: str, value: Any) -> Join | None:
    """A lookup through a reference (``author__name="Ann"``) -> the pending semi-join that
    stands for it in the filter (``_join_plan``); None: the path crosses no reference.

    The rest of the lookup (``name``, with its operator) is compiled against the referenced
    class, with that class's own lookup rules, escaping and ``_cls`` condition; a second
    reference in it becomes a marker inside this one.

    Raises:
        LookUpError: a generic reference is crossed, or the rest names no field of the
            target (the message names the whole lookup).
    """
    parts = split_lookup(key)
    crossing = find_crossing(schema, parts, written=key)
    if crossing is None:
        return None
    local, held, rest = crossing
    target = registry.get(held.targets[0])
    model = schema.model.__name__
    if isinstance(value, Expression):
        raise LookUpError(
            f"{model} lookup {key!r} crosses the reference {local.label!r}: an F expression "
            "cannot compare the referenced document with this one (they are in two "
            "collections)"
        )
    try:
        query = merge_and(
            [cls_filter(target), compile_lookups(schema_of(target), [("__".join(rest), value)])]
        )
    except LookUpError as exc:
        raise LookUpError(
            f"{model} lookup {key!r} crosses the reference {local.label!r} into "
            f"{target.__name__}: {exc}"
        ) from None
    dbref = bool(getattr(held.field, "dbref", False))
    single = held.container is Container.NONE and _one_per_document(local)
    return Join(target=target, query=query, local=local.path, dbref=dbref, single=single)


def _one_per_document(local: ResolvedPath) -> bool:
    """Whether the path to a reference holds one value per document: no list on the way
    (``bylines__by``: one per byline), unless an index picks one item (``editors__0``)."""
    steps = local.steps
    for i in range(len(steps) - 1):
        field = steps[i].field
        if field is not None and field.container is Container.LIST:
            after = steps[i + 1]
            if not (after.position and after.stored.isdigit()):
                return False
    return True


def _compile_sub(schema: Any, query: Any) -> dict[str, Any]:
    """A nested query in an embedded document's schema (``match`` lookups)."""
    if isinstance(query, Q):
        return compile_q(schema, query)
    if isinstance(query, Mapping):
        return compile_lookups(schema, query.items())
    raise LookUpError(f"expected a dict of lookups or a Q for a sub-query, found {query!r}")


def compile_q(schema: Any, node: Q) -> dict[str, Any]:
    """A Q tree -> filter document (no ``_cls`` condition; see ``compile_filter``)."""
    if node.op == "raw":
        out: dict[str, Any] = dict(node.raw or {})
    elif node.op == "leaf":
        out = compile_lookups(schema, node.lookups)
    else:
        children = [compile_q(schema, child) for child in node.children]
        if node.op == "and":
            out = merge_and([*children, compile_lookups(schema, node.lookups)])
        else:
            kept = [c for c in children if c]
            out = {} if len(kept) < len(children) else ({"$or": kept} if len(kept) > 1 else kept[0])
    if node.negated:
        return {"$nor": [out]}
    return out


def cls_filter(model: Any) -> dict[str, Any]:
    """``{"_cls": {"$in": [...]}}`` when ``model`` (a class or its Schema) is a subclass in an
    inheritance hierarchy (built by ``_schema._filters.cls_filter``)."""
    return _schema_cls_filter(schema_of(model))


def compile_filter(model: Any, node: Q) -> dict[str, Any]:
    """The full filter of a query on ``model``: ``_cls`` condition AND the Q tree."""
    schema = schema_of(model)
    return merge_and([cls_filter(schema), compile_q(schema, node)])


def split_sort_key(key: str | tuple[str, Any]) -> tuple[str, Any]:
    """``"-x"`` -> ``("x", -1)``, ``"+x"`` and ``"x"`` -> ``("x", 1)``; a ``(name, direction)``
    pair as given (its direction is the caller's to check)."""
    if isinstance(key, tuple):
        return key[0], key[1]
    if key.startswith("-"):
        return key[1:], -1
    if key.startswith("+"):
        return key[1:], 1
    return key, 1


def _direction(value: Any) -> int | str | dict[str, Any]:
    if value in (1, -1) or isinstance(value, (str, dict)):
        return value  # type: ignore[no-any-return]
    raise LookUpError(f"expected a sort direction 1 or -1, found {value!r}")


def compile_sort(model: Any, keys: Sequence[str | tuple[str, Any]]) -> list[tuple[str, Any]]:
    """``("-date", "+title", ("views", 1))`` -> ``[("date", -1), ("title", 1), ("views", 1)]``.

    Names are resolved to stored paths (``author__name`` -> ``author.name``).
    https://www.mongodb.com/docs/manual/reference/method/cursor.sort/
    """
    schema = schema_of(model)
    out: list[tuple[str, Any]] = []
    for key in keys:
        name, direction = split_sort_key(key)
        if isinstance(key, tuple):
            direction = _direction(direction)
        if name.startswith("$"):  # {"$meta": "textScore"} and friends
            out.append((name, direction))
            continue
        out.append((resolve_name(schema, name).path, direction))
    return out


def resolve_name(model: Any, name: str) -> ResolvedPath:
    """A field path written by a user (``author__name`` or ``author.name``), resolved."""
    return resolve(
        schema_of(model), name.replace(".", "__").split("__"), written=name, rules=LOOKUP
    )


def stored_path(model: Any, name: str) -> str:
    """The stored dotted path of a field path (``author__name`` or ``author.name``)."""
    return resolve_name(model, name).path


def compile_projection(
    model: Any, only: Iterable[str] | None, exclude: Iterable[str] = ()
) -> dict[str, int] | None:
    """``only``/``exclude`` field names -> a projection document (None: whole documents).

    ``_cls`` is always loaded with ``only`` so each document still becomes its own class,
    and a versioned document's ``_version`` so it can still be saved (``_schema._versioning``).
    https://www.mongodb.com/docs/manual/tutorial/project-fields-from-query-results/
    """
    schema = schema_of(model)
    excluded = {stored_path(schema, n) for n in exclude}
    if only is not None:
        wanted = [stored_path(schema, n) for n in only]
        projection = {p: 1 for p in wanted if p not in excluded}
        if schema.stores_cls:
            projection["_cls"] = 1
        if schema.versioned:
            projection["_version"] = 1
        if "_id" in excluded:
            projection["_id"] = 0
        return projection
    if excluded:
        return dict.fromkeys(sorted(excluded), 0)
    return None
