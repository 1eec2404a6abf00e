"""The patterns of string lookups have one source (``fields._text.string_pattern``): the
``$regex`` a filter sends and the compiled pattern ``StringField.prepare_query_value`` gives
(MongoEngine's API) are the same for any text, and either matches the text only as itself."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asyncodm import ListField, StringField
from asyncodm.fields._text import PATTERN_TEMPLATES, string_pattern
from asyncodm.queryset._operators import string_condition

PATTERN_LOOKUPS = [
    "contains", "icontains", "startswith", "istartswith", "endswith", "iendswith", "iexact",
    "wholeword", "iwholeword",
]  # fmt: skip
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=10)


@pytest.mark.parametrize("lookup", PATTERN_LOOKUPS)
@settings(max_examples=100)
@given(text=ANY_TEXT)
def test_the_field_and_the_filter_build_the_same_pattern(lookup: str, text: str) -> None:
    condition = string_condition(lookup, text)
    insensitive = lookup.startswith("i")
    assert condition == {
        "$regex": condition["$regex"],
        **({"$options": "i"} if insensitive else {}),
    }
    for field in (StringField(), ListField(StringField())):
        compiled = field.prepare_query_value(lookup, text)
        assert isinstance(compiled, re.Pattern)
        assert compiled.pattern == condition["$regex"]
        assert bool(compiled.flags & re.IGNORECASE) == insensitive


@settings(max_examples=100)
# Every text ends with "", and text + "\n" does end with a text made of newlines only.
@given(text=ANY_TEXT.filter(lambda t: t.strip("\n") != ""))
def test_an_end_anchored_pattern_never_matches_before_a_final_newline(text: str) -> None:
    for lookup in ("endswith", "iexact"):
        compiled = StringField().prepare_query_value(lookup, text)
        assert compiled.search(text) is not None
        assert compiled.search(text + "\n") is None


def test_the_templates() -> None:
    assert PATTERN_TEMPLATES == {
        "contains": "%s",
        "startswith": "^%s",
        "endswith": r"%s(?![\s\S])",
        "exact": r"^%s(?![\s\S])",
        "wholeword": r"\b%s\b",
    }
    assert string_pattern("istartswith", "a.b") == (r"^a\.b", True)
    assert string_pattern("regex", "a.b") == ("a.b", False)  # the pattern is the input
    assert string_pattern("iregex", "a.b") == ("a.b", True)
    assert string_pattern("in", "x") is None and string_pattern("gte", "x") is None


def test_exact_and_other_operators_stay_values() -> None:
    field = StringField()
    assert field.prepare_query_value("exact", "a.b") == "a.b"  # equality: can use an index
    assert field.prepare_query_value("ne", "a.b") == "a.b"
    assert field.prepare_query_value("in", "a.b") == "a.b"
    assert field.prepare_query_value("regex", "a.b").pattern == "a.b"
    assert field.prepare_query_value("iregex", "a.b").flags & re.IGNORECASE
