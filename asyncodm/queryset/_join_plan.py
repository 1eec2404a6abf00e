"""Lookups through references, compiled: the pending semi-join marker and the ``$lookup`` plan.

Stage: compile (pure, synchronous, no I/O). ``Post.objects(author__name="Ann")`` filters on
documents of another collection. The pure compiler cannot ask that collection which authors are
called Ann, so it compiles the lookup to a filter holding a ``Join`` marker in place of the
condition on the stored reference: ``{"author": Join(Author, {"name": "Ann"}, ...)}``. Just
before the query is sent, the awaited layer (``_joins``) resolves every marker in one of two
ways, both built here as plain dicts so they are tested as dicts:

* a semi-join: the target query's ids, then ``{"author": {"$in": ids}}`` (``substitute``);
* one aggregation: ``$lookup`` of the targets into a temporary field, ``$match`` with
  ``{"<tmp>": {"$elemMatch": target filter}}``, the temporary field projected away
  (``lookup_stages``).

Both say "some referenced document matches the target filter": a document whose reference is
missing, null or dangling never matches, and ``~Q(author__name="Ann")`` (``$nor``) matches
exactly the documents the positive form does not, including those without an author.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "JOIN_PREFIX",
    "Join",
    "contains_join",
    "dbref_key",
    "iter_joins",
    "lookup_stages",
    "merge_joins",
    "substitute",
]

#: The temporary field a ``$lookup`` stage fills (``_asyncodm_join0``...), projected away after.
JOIN_PREFIX = "_asyncodm_join"

#: The logical operators whose lists hold whole filters (a marker may sit in any of them).
_LOGICAL = ("$and", "$or", "$nor")


@dataclass(frozen=True, slots=True, eq=False)
class Join:
    """A condition on a stored reference that needs the referenced collection first.

    It stands where the condition on ``local`` goes in a compiled filter; ``_joins`` replaces
    it before the filter is sent.
    """

    target: type
    """The referenced document class (its collection, contexts and lookup rules apply)."""
    query: dict[str, Any]
    """The target-side filter, compiled against ``target`` with its ``_cls`` condition; it may
    hold markers of its own (two references in a row)."""
    local: str
    """The stored path of the reference here (``author``, ``meta.owner``, ``editors``)."""
    dbref: bool
    """The reference is stored as a DBRef (matched by comparing DBRefs)."""
    single: bool = False
    """The path holds one reference per document (no list on the way): two conditions
    ANDed through it concern the same referenced document, so ``merge_joins`` may make them one
    target query. Through a list each may be met by another item, so they stay two."""

    def __repr__(self) -> str:
        return f"Join({self.target.__name__}, {self.query!r}, local={self.local!r})"


def merge_joins(
    first: Join, second: Join, merge: Callable[[list[Any]], dict[str, Any]]
) -> Join | None:
    """One marker for two ANDed on the same single reference (one target query instead of
    two: ``publisher__name`` and ``publisher__founded__lt`` ask about one publisher); None
    when they cannot be merged (a list of references, or two different references).

    ``merge`` ANDs the two target filters (``_compile.merge_and``); the conditions the second
    repeats word for word (the target's ``_cls`` condition) are dropped, A and A being A.
    """
    if not (
        first.single
        and second.single
        and first.target is second.target
        and first.local == second.local
        and first.dbref == second.dbref
    ):
        return None
    kept = first.query
    extra = {k: v for k, v in second.query.items() if not (k in kept and kept[k] == v)}
    return Join(
        target=first.target,
        query=merge([kept, extra]),
        local=first.local,
        dbref=first.dbref,
        single=True,
    )


def iter_joins(query: Mapping[str, Any]) -> Iterator[Join]:
    """Every marker in a compiled filter, outermost first (not those inside markers)."""
    for value in query.values():
        yield from _joins_in(value)


def _joins_in(value: Any) -> Iterator[Join]:
    if isinstance(value, Join):
        yield value
    elif isinstance(value, Mapping):
        yield from iter_joins(value)
    elif isinstance(value, list):
        for item in value:
            yield from _joins_in(item)


def contains_join(query: Mapping[str, Any]) -> bool:
    """Whether a compiled filter still needs the awaited layer before it is sent (asked of
    every filter a terminal sends: a plain loop, no generators)."""
    for value in query.values():  # noqa: SIM110 (any() over a generator is slower here)
        if _holds_join(value):
            return True
    return False


def _holds_join(value: Any) -> bool:
    if isinstance(value, Join):
        return True
    if isinstance(value, dict):
        return contains_join(value)
    if isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list, Join)) and _holds_join(item):
                return True
    return False


def substitute(query: Any, resolve: Callable[[Join], Any]) -> Any:
    """A copy of ``query`` with each marker replaced by ``resolve(marker)`` (a condition such
    as ``{"$in": ids}``); everything else is copied as it is."""
    if isinstance(query, Join):
        return resolve(query)
    if isinstance(query, dict):
        return {key: substitute(value, resolve) for key, value in query.items()}
    if isinstance(query, list):
        return [substitute(item, resolve) for item in query]
    return query


def dbref_key(local: str) -> dict[str, Any]:
    """The ids a DBRef-stored reference holds, as an aggregation expression.

    ``$lookup`` cannot name ``author.$id`` (a field path part may not start with ``$``), so the
    ids are read with ``$getField`` (MongoDB 5.0): of each DBRef when the stored value is a
    list of them, else of the one DBRef.
    https://www.mongodb.com/docs/manual/reference/operator/aggregation/getField/
    """
    field = {"$literal": "$id"}
    return {
        "$cond": [
            {"$isArray": f"${local}"},
            {
                "$map": {
                    "input": f"${local}",
                    "in": {"$getField": {"field": field, "input": "$$this"}},
                }
            },
            {"$getField": {"field": field, "input": f"${local}"}},
        ]
    }


def lookup_stages(
    query: dict[str, Any],
    chosen: Callable[[Join], str | None],
    resolve: Callable[[Join], Any],
) -> list[dict[str, Any]]:
    """The stages that filter by ``query`` with ``$lookup`` for each marker ``chosen`` names
    a collection for (the ``from``); every other marker is replaced by ``resolve`` (a
    semi-join condition).

    ``$lookup`` stages go where a marker is reachable from the top of the filter through
    ``$and``/``$or``/``$nor``; a marker inside an operator (``$elemMatch``) is always resolved.
    The top-level conditions without markers are matched first, so only the documents they
    keep are joined::

        [
            {"$match": {"views": {"$gte": 10}}},
            {
                "$lookup": {
                    "from": "author",
                    "localField": "author",
                    "foreignField": "_id",
                    "as": "_asyncodm_join0",
                }
            },
            {"$match": {"_asyncodm_join0": {"$elemMatch": {"name": "Ann"}}}},
            {"$project": {"_asyncodm_join0": 0}},
        ]
    """
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key, value in query.items():
        (after if contains_join({key: value}) else before)[key] = value
    lookups: list[dict[str, Any]] = []
    temporary: list[str] = []

    def joined(join: Join) -> dict[str, Any] | None:
        """The condition on the joined documents, after adding the stages that join them;
        None: this marker is resolved as a semi-join."""
        source = chosen(join)
        if source is None:
            return None
        name = f"{JOIN_PREFIX}{len(temporary)}"
        temporary.append(name)
        local = join.local
        if join.dbref:
            local = f"{name}_ids"
            temporary.append(local)
            lookups.append({"$addFields": {local: dbref_key(join.local)}})
        lookups.append(
            {"$lookup": {"from": source, "localField": local, "foreignField": "_id", "as": name}}
        )
        return {name: {"$elemMatch": substitute(join.query, resolve)}}

    matched = _place(after, joined, resolve)
    stages: list[dict[str, Any]] = []
    if before:
        stages.append({"$match": before})
    stages.extend(lookups)
    if matched:
        stages.append({"$match": matched})
    if temporary:
        stages.append({"$project": dict.fromkeys(temporary, 0)})
    return stages


def _place(
    query: dict[str, Any],
    joined: Callable[[Join], dict[str, Any] | None],
    resolve: Callable[[Join], Any],
) -> dict[str, Any]:
    """``query`` with its top-level markers turned into conditions on the joined documents."""
    out: dict[str, Any] = {}
    moved: list[dict[str, Any]] = []
    for key, value in query.items():
        if key in _LOGICAL and isinstance(value, list):
            out[key] = [_place(part, joined, resolve) for part in value]
            continue
        condition = joined(value) if isinstance(value, Join) else None
        if condition is not None:
            moved.append(condition)  # from the reference's path to the joined documents
        else:
            out[key] = substitute(value, resolve)
    if not moved:
        return out
    parts = [out, *moved] if out else moved
    return parts[0] if len(parts) == 1 else {"$and": parts}
