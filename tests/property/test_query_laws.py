"""Laws of query compilation, checked on the compiled filter documents (pure: no database).

* ``Q(a) & Q(b)``, ``Q(a) | Q(b)`` and ``~Q(a)`` compile to filters that mean "both", "either"
  and "not": a small evaluator of MongoDB's filter semantics (for the operators compiled here)
  decides, document by document, that they match exactly what the parts say; the shapes are
  the documented ones (merged keys or ``$and``, ``$or``, ``$nor``).
* Every string lookup escapes the user's text: for any text, the compiled ``$regex`` (run with
  Python's ``re``, whose syntax agrees with PCRE for what escaping produces) matches exactly the
  haystacks the lookup means, and never acts as a pattern.
* A user value shaped like an operator (``{"$ne": None}``, ``"$where"``) stays a value.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from bson import Regex
from hypothesis import example, given, settings
from hypothesis import strategies as st

from asyncodm import LookUpError, Q
from tests.models.library import Book, Memo

MISSING = object()


# --------------------------------------------------------------------------------------------
# A small evaluator of MongoDB filter semantics (single-valued fields, one type per field)


def _get(doc: Mapping[str, Any], path: str) -> Any:
    return doc.get(path, MISSING)


def _regex_of(spec: Any) -> re.Pattern[str]:
    if isinstance(spec, re.Pattern):
        return spec
    if isinstance(spec, Regex):
        return re.compile(spec.pattern, spec.flags)
    flags = re.IGNORECASE if "i" in spec.get("$options", "") else 0
    return re.compile(spec["$regex"], flags)


def _comparable(a: Any, b: Any) -> bool:
    numbers = (int, float)
    return (isinstance(a, numbers) and isinstance(b, numbers)) or type(a) is type(b)


def _op(value: Any, op: str, arg: Any) -> bool:
    """One operator against a field value (MISSING: the field is absent)."""
    if op == "$eq":
        return value is not MISSING and value == arg
    if op == "$ne":
        return not _op(value, "$eq", arg)
    if op in ("$gt", "$gte", "$lt", "$lte"):
        if value is MISSING or not _comparable(value, arg):
            return False  # type bracketing: no cross-type comparisons
        return {"$gt": value > arg, "$gte": value >= arg, "$lt": value < arg, "$lte": value <= arg}[op]  # fmt: skip
    if op == "$in":
        return any(_op(value, "$eq", item) for item in arg)
    if op == "$nin":
        return not _op(value, "$in", arg)
    if op == "$exists":
        return (value is not MISSING) == bool(arg)
    if op == "$not":
        return not _condition(value, arg)
    raise AssertionError(f"the evaluator does not know {op}")


def _condition(value: Any, cond: Any) -> bool:
    if isinstance(cond, (re.Pattern, Regex)):
        return isinstance(value, str) and _regex_of(cond).search(value) is not None
    if isinstance(cond, dict) and cond and all(k.startswith("$") for k in cond):
        if "$regex" in cond:
            rest = {k: v for k, v in cond.items() if k not in ("$regex", "$options")}
            if not (isinstance(value, str) and _regex_of(cond).search(value)):
                return False
            return all(_op(value, k, v) for k, v in rest.items())
        return all(_op(value, k, v) for k, v in cond.items())
    return _op(value, "$eq", cond)


def matches(flt: Mapping[str, Any], doc: Mapping[str, Any]) -> bool:
    for key, cond in flt.items():
        if key == "$and":
            ok = all(matches(f, doc) for f in cond)
        elif key == "$or":
            ok = any(matches(f, doc) for f in cond)
        elif key == "$nor":
            ok = not any(matches(f, doc) for f in cond)
        else:
            assert not key.startswith("$"), key
            ok = _condition(_get(doc, key), cond)
        if not ok:
            return False
    return True


# --------------------------------------------------------------------------------------------
# Strategies: lookups on Book's title (stored as "t"), pages and price, and documents

SHORT = st.text(alphabet="abcAB.*$^", max_size=3)
PAGES = st.integers(-3, 3)
PRICES = st.floats(-2, 2, allow_nan=False).map(lambda f: round(f, 1))


def _atoms() -> st.SearchStrategy[dict[str, Any]]:
    comparison = st.sampled_from(["", "__ne", "__gt", "__gte", "__lt", "__lte"])
    return st.one_of(
        st.builds(lambda op, v: {f"pages{op}": v}, comparison, PAGES),
        st.builds(lambda op, v: {f"price{op}": v}, comparison, PRICES),
        st.builds(lambda v: {"pages__in": v}, st.lists(PAGES, max_size=3)),
        st.builds(lambda v: {"pages__nin": v}, st.lists(PAGES, max_size=3)),
        st.builds(lambda v: {"price__exists": v}, st.booleans()),
        st.builds(lambda op, v: {f"title{op}": v}, comparison, SHORT),
        st.builds(
            lambda op, v: {f"title__{op}": v},
            st.sampled_from(["contains", "icontains", "startswith", "iendswith", "iexact"]),
            SHORT,
        ),
        st.builds(lambda op, v: {f"pages__not__{op}": v}, st.sampled_from(["gt", "lte"]), PAGES),
    )


def _q_trees() -> st.SearchStrategy[Q]:
    leaves = _atoms().map(lambda kw: Q(**kw))
    return st.recursive(
        leaves,
        lambda sub: st.one_of(
            st.builds(lambda a, b: a & b, sub, sub),
            st.builds(lambda a, b: a | b, sub, sub),
            sub.map(lambda a: ~a),
        ),
        max_leaves=6,
    )


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.just(MISSING), strategy)


DOCS = st.lists(
    st.builds(
        lambda t, p, pr: {
            k: v for k, v in (("t", t), ("pages", p), ("price", pr)) if v is not MISSING
        },
        _maybe(SHORT),
        _maybe(PAGES),
        _maybe(PRICES),
    ),
    min_size=8,
    max_size=8,
)


def compiled(q: Q) -> dict[str, Any]:
    return Book.objects(q)._query  # type: ignore[no-any-return]


def _selected(q: Q, docs: list[dict[str, Any]]) -> list[bool]:
    flt = compiled(q)
    return [matches(flt, d) for d in docs]


# --------------------------------------------------------------------------------------------
# Combination laws


@settings(max_examples=200)
@given(a=_q_trees(), b=_q_trees(), docs=DOCS)
def test_and_means_both(a: Q, b: Q, docs: list[dict[str, Any]]) -> None:
    both = compiled(a & b)
    fa, fb = compiled(a), compiled(b)
    if fa and fb:
        # merged keys when they do not collide, else an $and (flattened): every key of
        # either side is still there, or the parts went into the $and
        assert "$and" in both or set(both) >= set(fa) | set(fb)
    assert _selected(a & b, docs) == [x and y for x, y in zip(_selected(a, docs), _selected(b, docs), strict=True)]  # fmt: skip


@settings(max_examples=200)
@given(a=_q_trees(), b=_q_trees(), docs=DOCS)
def test_or_means_either(a: Q, b: Q, docs: list[dict[str, Any]]) -> None:
    either = compiled(a | b)
    fa, fb = compiled(a), compiled(b)
    if fa and fb:
        assert set(either) == {"$or"}
        # nested $or are flattened into one list holding both sides' alternatives
        alternatives = either["$or"]
        for side in (fa, fb):
            assert side in alternatives or set(side) == {"$or"}
    assert _selected(a | b, docs) == [x or y for x, y in zip(_selected(a, docs), _selected(b, docs), strict=True)]  # fmt: skip


@settings(max_examples=200)
@given(a=_q_trees(), docs=DOCS)
def test_not_means_not(a: Q, docs: list[dict[str, Any]]) -> None:
    if compiled(a):
        assert _selected(~a, docs) == [not x for x in _selected(a, docs)]
    assert compiled(~~a) == compiled(a)


@settings(max_examples=200)
@given(kwargs=st.lists(_atoms(), min_size=1, max_size=4), docs=DOCS)
def test_keyword_filters_and_chained_filters_mean_all_of_them(
    kwargs: list[dict[str, Any]], docs: list[dict[str, Any]]
) -> None:
    chained = Book.objects
    for kw in kwargs:
        chained = chained.filter(**kw)
    flt = chained._query
    for doc in docs:
        assert matches(flt, doc) == all(matches(compiled(Q(**kw)), doc) for kw in kwargs)


# --------------------------------------------------------------------------------------------
# Escaping of user text in string lookups

MEANINGS: dict[str, Callable[[str, str], bool]] = {
    "contains": lambda needle, hay: needle in hay,
    "startswith": lambda needle, hay: hay.startswith(needle),
    "endswith": lambda needle, hay: hay.endswith(needle),
    "exact": lambda needle, hay: hay == needle,
}

#: Any text for the case-sensitive lookups; for the i-variants, ASCII (where "ignoring case"
#: means one thing: Python's and PCRE's Unicode case folding rules differ).
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
ASCII_TEXT = st.text(string.printable, max_size=12)


def _haystacks(needle: str, text: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        text,
        st.builds(lambda a, b: a + needle + b, text, text),
        st.builds(lambda a: a + needle, text),
        st.builds(lambda b: needle + b, text),
        st.just(needle + "\n"),
        st.just("\n" + needle),
        st.just(needle.swapcase()),
        st.just(needle[1:]),
        st.just(needle[:-1]),
    )


def _pattern_and_flags(cond: Any) -> tuple[str, int]:
    pattern = _regex_of(cond)
    return pattern.pattern, pattern.flags


@pytest.mark.parametrize(
    "lookup",
    [*MEANINGS, *(f"i{m}" for m in MEANINGS)],
)
@settings(max_examples=200)
@given(data=st.data())
def test_a_string_lookup_matches_exactly_what_it_means(lookup: str, data: st.DataObject) -> None:
    ignore_case = lookup.startswith("i")
    base = lookup[1:] if ignore_case else lookup
    text = ASCII_TEXT if ignore_case else ANY_TEXT
    needle = data.draw(text, label="needle")
    cond = Book.objects(**{f"title__{lookup}": needle})._query["t"]
    if lookup == "exact":
        assert cond == needle  # plain equality: a literal value, no pattern at all
        return
    pattern, flags = _pattern_and_flags(cond)
    assert bool(flags & re.IGNORECASE) == ignore_case
    for _ in range(4):
        hay = data.draw(_haystacks(needle, text), label="haystack")
        found = re.search(pattern, hay, flags) is not None
        expected = MEANINGS[base](needle.lower(), hay.lower()) if ignore_case else MEANINGS[base](needle, hay)  # fmt: skip
        assert found == expected, (lookup, needle, hay, pattern)


@settings(max_examples=200)
@given(needle=ANY_TEXT)
def test_negated_string_lookups_escape_too(needle: str) -> None:
    cond = Book.objects(title__not__contains=needle)._query["t"]
    assert set(cond) == {"$not"}
    pattern, flags = _pattern_and_flags(cond["$not"])
    assert re.search(pattern, f"x{needle}y", flags) and (
        needle == "" or not re.search(pattern, needle[:-1], flags)
    )


# --------------------------------------------------------------------------------------------
# Operator-shaped user values stay values

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=4),
    lambda sub: st.lists(sub, max_size=2) | st.dictionaries(st.text(max_size=4), sub, max_size=2),
    max_leaves=4,
)
OPERATOR_DICTS = st.dictionaries(
    st.sampled_from(["$ne", "$gt", "$where", "$regex", "$exists", "$expr", "$in"])
    | st.text(max_size=3).map(lambda s: "$" + s),
    JSONISH,
    min_size=1,
    max_size=3,
)
DOLLAR_STRINGS = st.text(max_size=6).map(lambda s: "$" + s)


@settings(max_examples=200)
@given(value=OPERATOR_DICTS, field=st.sampled_from([("title", "t"), ("extra", "extra")]))
def test_an_operator_dict_from_the_user_is_a_literal_value(
    value: dict[str, Any], field: tuple[str, str]
) -> None:
    name, db = field
    assert Book.objects(**{name: value})._query == {db: {"$eq": value}}
    assert Book.objects(**{f"{name}__ne": value})._query == {db: {"$ne": value}}
    assert Book.objects(**{f"{name}__in": [value]})._query == {db: {"$in": [value]}}
    assert Book.objects(**{f"{name}__nin": [value, value]})._query == {db: {"$nin": [value, value]}}  # fmt: skip
    # and it means the literal: only a document storing exactly that value matches
    assert matches({db: {"$eq": value}}, {db: value})
    assert not matches({db: {"$eq": value}}, {db: "other"})


@settings(max_examples=200)
@given(value=DOLLAR_STRINGS)
def test_a_dollar_string_from_the_user_is_a_literal_value(value: str) -> None:
    assert Book.objects(title=value)._query == {"t": value}
    assert Book.objects(title__ne=value)._query == {"t": {"$ne": value}}
    assert Book.objects(title__in=[value])._query == {"t": {"$in": [value]}}
    assert Book.objects(tags=value)._query == {"tags": value}
    assert Memo.objects(mood=value)._query == {"mood": value}
    cond = Book.objects(title__startswith=value)._query["t"]
    pattern, flags = _pattern_and_flags(cond)
    assert re.search(pattern, value + "tail", flags) and not re.search(pattern, "x" + value, flags)


#: The positional update paths ($, $[], $[id]) are accepted as parts of a name (they are
#: paths, not operators, and only mean something in updates); any other '$' name is refused.
OPERATOR_NAMES = DOLLAR_STRINGS.filter(lambda s: re.fullmatch(r"\$(\[\w*\])?", s) is None)


@settings(max_examples=200)
# '$_' then '__gt' reads as the parts '$' and '_gt': a positional operator in a filter path,
# which once compiled to {"$._gt": 1}, an operator name on the server.
@example(head=[], name="$_", op="__gt")
@example(head=["mood"], name="$_", op="__ne")
@given(
    head=st.lists(st.sampled_from(["mood", "a", "b"]), max_size=2),
    name=OPERATOR_NAMES,
    op=st.sampled_from(["", "__gt", "__ne"]),
)
def test_an_operator_as_a_field_name_is_refused(head: list[str], name: str, op: str) -> None:
    keyword = "__".join([*head, name]) + op
    with pytest.raises(LookUpError):
        Memo.objects(**{keyword: 1}).explain_filter()
