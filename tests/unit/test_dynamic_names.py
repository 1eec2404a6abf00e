"""Pure pins of how names that are no plain keys are handled (no database): which path parts
may start with '$' (positional operators, DBRef keys, the wildcard index key) and which are
refused; dynamic attributes refused by name; what a delta save writes for stored dicts with
such keys; what validation trusts as stored."""

from __future__ import annotations

from typing import Any

import pytest
from bson import ObjectId

from asyncodm import FieldDoesNotExist, LookUpError
from asyncodm._instance._codec import compute_delta, diff_into
from asyncodm._schema._paths import LOOKUP, STORED, resolve
from asyncodm.queryset._compile import compile_projection
from asyncodm.queryset._update import compile_update
from tests.models.library import Book, Memo
from tests.models.survey import FieldNote, Survey


class TestPathParts:
    @pytest.mark.parametrize(
        "parts",
        [["$where"], ["mood", "$gt"], ["mood", "deep", "$x"], ["extra", "$where"], ["$**", "a"]],
    )
    def test_a_dollar_part_is_refused_even_where_names_are_free(self, parts: list[str]) -> None:
        schema = Book._schema if parts[0] == "extra" else Memo._schema
        with pytest.raises(
            LookUpError, match=r"starts with '\$', which MongoDB reads as an operator"
        ):
            resolve(schema, parts, rules=LOOKUP)

    @pytest.mark.parametrize(
        ("update", "expected"),
        [
            ({"set__scores__S": 1}, {"$set": {"scores.$": 1}}),
            ({"set__scores__$": 1}, {"$set": {"scores.$": 1}}),
            ({"set__scores__$[]": 1}, {"$set": {"scores.$[]": 1}}),
            ({"set__scores__$[hit]": 1}, {"$set": {"scores.$[hit]": 1}}),
        ],
    )
    def test_positional_update_operators_are_paths(
        self, update: dict[str, Any], expected: dict[str, Any]
    ) -> None:
        assert compile_update(Memo, update) == expected

    def test_dbref_keys_and_the_wildcard_index_key_are_paths(self) -> None:
        assert resolve(Survey._schema, ["backup", "$id"], rules=LOOKUP).path == "bk.$id"
        assert resolve(Memo._schema, ["ref", "$id"], rules=LOOKUP).path == "ref.$id"
        assert resolve(Memo._schema, ["$**"], rules=STORED).path == "$**"
        assert resolve(Memo._schema, ["attrs", "$**"], rules=STORED).path == "attrs.$**"

    def test_the_error_names_the_model_the_part_and_the_whole_path(self) -> None:
        with pytest.raises(LookUpError) as info:
            compile_projection(Memo, ["mood.$where"])
        assert str(info.value) == (
            "Memo has no field 'mood__$where' in lookup 'mood.$where': '$where' starts with "
            "'$', which MongoDB reads as an operator, not a name"
        )


class TestDynamicAttributes:
    def test_plain_names_and_stored_names_still_work(self) -> None:
        memo = Memo(title="t", mood="ok", **{"with space": 1, "ünï": 2, "a$b": 3})
        memo.later = [1]
        assert memo.to_mongo() == {
            "title": "t", "mood": "ok", "with space": 1, "ünï": 2, "a$b": 3, "later": [1]
        }  # fmt: skip
        loaded = Memo._from_son({"_id": ObjectId(), "a.b": 1, "$odd": 2})
        assert getattr(loaded, "a.b") == 1 and getattr(loaded, "$odd") == 2

    def test_an_underscore_name_keeps_its_own_message(self) -> None:
        with pytest.raises(FieldDoesNotExist, match="may not start with '_'"):
            Memo(_private=1)

    def test_embedded_dynamic_documents_refuse_them_from_a_dict_too(self) -> None:
        with pytest.raises(FieldDoesNotExist, match=r"FieldNote: 'a\.b' cannot be"):
            Survey(note={"t": "x", "a.b": 1})
        with pytest.raises(FieldDoesNotExist):
            setattr(FieldNote(), "$inc", 1)


class TestDeltaOfStoredDicts:
    def test_a_dropped_odd_key_sets_the_dict_whole(self) -> None:
        sets: dict[str, Any] = {}
        unsets: dict[str, Any] = {}
        diff_into("n", {"k": 1, "x.y": 3, "$z": 4}, {"k": 2}, sets, unsets)
        assert (sets, unsets) == ({"n": {"k": 2}}, {})

    def test_nested_dicts_set_only_the_one_holding_the_key(self) -> None:
        sets: dict[str, Any] = {}
        unsets: dict[str, Any] = {}
        old = {"a": 1, "deep": {"$z": 1, "q": 2}, "gone": 0}
        diff_into("n", old, {"a": 2, "deep": {"q": 3}}, sets, unsets)
        assert sets == {"n.a": 2, "n.deep": {"q": 3}} and unsets == {"n.gone": ""}

    def test_plain_keys_keep_the_smallest_paths(self) -> None:
        sets: dict[str, Any] = {}
        unsets: dict[str, Any] = {}
        diff_into("n", {"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 5}, sets, unsets)
        assert (sets, unsets) == ({"n.b": 5}, {"n.c": ""})

    def test_reading_odd_stored_names_is_no_change_and_no_error(self) -> None:
        memo = Memo._from_son({"_id": ObjectId(), "a.b": [1], "n": {"$z": 1}})
        assert getattr(memo, "a.b") == [1] and memo.n == {"$z": 1}
        memo.validate()
        assert not compute_delta(memo)
