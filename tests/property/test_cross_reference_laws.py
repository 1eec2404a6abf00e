"""Law: a lookup through a reference means the same whether it runs as a semi-join or as one
``$lookup`` aggregation, and both mean what the lookup says.

Random small datasets (scribes, and pieces whose author is one of them, none, or a dangling id,
with lists of editors) and random target-side filters (an operator on a field of the scribe,
through the single reference or the list, possibly negated with ``~Q``): the semi-join's ids,
the ``$lookup``'s ids and the ids a Python evaluation of the raw documents gives are one set.
Run on mongomock, whose ``$lookup`` with ``localField``/``foreignField`` is right (nx's is not).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from bson import ObjectId
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asyncodm import Q
from tests._backends import Backend
from tests.models.crossref import Piece

NAMES = ("ann", "Ann", "bob", "a.b", "")
#: (lookup operator, Python meaning on a stored value; None: the field is missing)
OPS: dict[str, Callable[[Any, Any], bool]] = {
    "": lambda v, x: v == x,
    "ne": lambda v, x: v != x,
    "gte": lambda v, x: v is not None and type(v) is type(x) and v >= x,
    "lt": lambda v, x: v is not None and type(v) is type(x) and v < x,
    "in": lambda v, x: v in x,
}
STRING_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "istartswith": lambda v, x: isinstance(v, str) and v.lower().startswith(x.lower()),
    "iexact": lambda v, x: isinstance(v, str) and v.lower() == x.lower(),
}


@st.composite
def datasets(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    scribes = [
        {"_id": ObjectId(), "_cls": "Scribe", "name": draw(st.sampled_from(NAMES)), "age": age}
        for age in draw(st.lists(st.integers(0, 3), max_size=5))
    ]
    ids = [s["_id"] for s in scribes] + [ObjectId()]  # the last one dangles
    pick = st.sampled_from(ids)
    pieces = []
    for i in range(draw(st.integers(0, 6))):
        piece: dict[str, Any] = {"_id": ObjectId(), "title": f"p{i}", "views": 0}
        author = draw(st.one_of(st.none(), pick))
        if author is not None:
            piece["author"] = author
        piece["editors"] = draw(st.lists(pick, max_size=3))
        pieces.append(piece)
    return scribes, pieces


@st.composite
def lookups(draw: st.DrawFn) -> tuple[str, str, str, Any, bool]:
    """(reference, field, operator, value, negated)."""
    reference = draw(st.sampled_from(["author", "editors"]))
    field = draw(st.sampled_from(["name", "age"]))
    ops = list(OPS) + (list(STRING_OPS) if field == "name" else [])
    op = draw(st.sampled_from(ops))
    one = st.sampled_from(NAMES) if field == "name" else st.integers(0, 3)
    value = draw(st.lists(one, max_size=2)) if op == "in" else draw(one)
    return reference, field, op, value, draw(st.booleans())


def expected_ids(
    scribes: list[dict[str, Any]],
    pieces: list[dict[str, Any]],
    spec: tuple[str, str, str, Any, bool],
) -> set[Any]:
    reference, field, op, value, negated = spec
    test = {**OPS, **STRING_OPS}[op]
    matching = {s["_id"] for s in scribes if test(s.get(field), value)}
    out = set()
    for piece in pieces:
        held = piece.get(reference)
        refs = held if isinstance(held, list) else ([] if held is None else [held])
        if bool(set(refs) & matching) != negated:
            out.add(piece["_id"])
    return out


def query(spec: tuple[str, str, str, Any, bool]) -> Q:
    reference, field, op, value, negated = spec
    key = f"{reference}__{field}" + (f"__{op}" if op else "")
    node = Q(**{key: value})
    return ~node if negated else node


@pytest.mark.backend_only("mongomock")
@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=datasets(), spec=lookups())
async def test_semi_join_and_lookup_match_the_same_documents(
    backend: Backend,
    data: tuple[list[dict[str, Any]], list[dict[str, Any]]],
    spec: tuple[str, str, str, Any, bool],
) -> None:
    scribes, pieces = data
    await backend.db["scribe"].delete_many({})
    await backend.db["piece"].delete_many({})
    if scribes:
        await backend.db["scribe"].insert_many(scribes)
    if pieces:
        await backend.db["piece"].insert_many(pieces)
    qs = Piece.objects(query(spec))
    semi = {raw["_id"] async for raw in qs.as_pymongo()}
    joined = {raw["_id"] async for raw in qs.using_lookup().as_pymongo()}
    assert semi == joined == expected_ids(scribes, pieces, spec)
    assert await qs.count() == await qs.using_lookup().count() == len(semi)


def matching(scribes: list[dict[str, Any]], spec: tuple[str, str, str, Any, bool]) -> set[Any]:
    _, field, op, value, _ = spec
    test = {**OPS, **STRING_OPS}[op]
    return {s["_id"] for s in scribes if test(s.get(field), value)}


@st.composite
def pairs(draw: st.DrawFn) -> tuple[tuple[str, str, str, Any, bool], ...]:
    """Two positive conditions through one reference (single or list)."""
    first, second = draw(lookups()), draw(lookups())
    return (first[0], *first[1:4], False), (first[0], *second[1:4], False)


@pytest.mark.backend_only("mongomock")
@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=datasets(), pair=pairs(), negated=st.booleans())
async def test_two_conditions_through_one_reference_mean_what_they_say(
    backend: Backend,
    data: tuple[list[dict[str, Any]], list[dict[str, Any]]],
    pair: tuple[tuple[str, str, str, Any, bool], ...],
    negated: bool,
) -> None:
    # the single reference: one author meets both (merged into one target query); the list:
    # each condition is met by some editor, maybe another one
    scribes, pieces = data
    await backend.db["scribe"].delete_many({})
    await backend.db["piece"].delete_many({})
    if scribes:
        await backend.db["scribe"].insert_many(scribes)
    if pieces:
        await backend.db["piece"].insert_many(pieces)
    first, second = pair
    reference = first[0]
    one, two = matching(scribes, first), matching(scribes, second)
    expected = set()
    for piece in pieces:
        held = piece.get(reference)
        refs = set(held if isinstance(held, list) else ([] if held is None else [held]))
        if reference == "author":
            hit = bool(refs & one & two)
        else:
            hit = bool(refs & one) and bool(refs & two)
        if hit != negated:
            expected.add(piece["_id"])
    node = query(first) & query(second)
    qs = Piece.objects(~node if negated else node)
    semi = {raw["_id"] async for raw in qs.as_pymongo()}
    joined = {raw["_id"] async for raw in qs.using_lookup().as_pymongo()}
    assert semi == joined == expected
