"""The generated quick validity checks agree with the field checks they unroll, and with the
full validation.

``_instance._quick`` writes list loops and the checks of embedded documents into each class's
check instead of calling them; ``fields._schemaless.quick_dynamic`` remembers the key tuples of
dicts it found plain. These tests pin that neither changes an answer: each generated check is
compared with the table of per-field checks it was generated from, on documents in every
shape it must vouch for or hand over, and each False ends in a full validation naming the
dotted path.
"""

from __future__ import annotations

import datetime
import decimal
from typing import Any

import pytest
from bson import ObjectId

from asyncodm import (
    DateTimeField,
    DictField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    IntField,
    ListField,
    StringField,
    ValidationError,
)
from asyncodm._instance._quick import never_valid
from asyncodm._instance._validation import collect_errors
from asyncodm.fields import _schemaless
from asyncodm.fields._schemaless import dynamic_to_mongo, quick_dynamic, validate_dynamic

NOW = datetime.datetime(2024, 5, 6, 7, 8, 9, 123000)


class Leaf(EmbeddedDocument):
    name = StringField(required=True, max_length=5)
    size = IntField(min_value=0)


class Branch(EmbeddedDocument):
    label = StringField(max_length=5)
    leaves = ListField(EmbeddedDocumentField(Leaf), max_length=3)
    main = EmbeddedDocumentField(Leaf)


class Deep(EmbeddedDocument):
    """Three levels below the document: the innermost is called, not written out."""

    branches = ListField(EmbeddedDocumentField(Branch))


class Picky(EmbeddedDocument):
    """A ``clean`` of its own: its values cannot be vouched for, its check is never inlined."""

    text = StringField()

    def clean(self) -> None:
        if self.text == "no":
            raise ValidationError("no")


class Tree(Document):
    title = StringField(required=True, max_length=10)
    tags = ListField(StringField(max_length=3), min_length=1, max_length=4)
    when = DateTimeField()
    branches = ListField(EmbeddedDocumentField(Branch))
    top = EmbeddedDocumentField(Branch)
    deep = EmbeddedDocumentField(Deep)
    picky = ListField(EmbeddedDocumentField(Picky))
    leaf = EmbeddedDocumentField(Leaf, required=True)
    extra = DictField()
    meta = {"collection": "quick_trees"}


class SubLeaf(Leaf):
    meta = {"allow_inheritance": True}


def _reference(doc: Any) -> bool:
    """What the generated check computes, through the per-field checks it unrolls (each
    called, as the full validation calls them)."""
    if doc._son is not None:
        return False
    for name, field, quick, is_plain in type(doc)._schema.check_table:
        value = (doc.__dict__ if is_plain else doc._values).get(name)
        if value is None:
            if field.required:
                return False
            continue
        if quick is None or not quick(value):
            return False
    return True


def _tree(**values: Any) -> Tree:
    base: dict[str, Any] = {"title": "t", "leaf": Leaf(name="l"), "tags": ["a"]}
    base.update(values)
    return Tree(**base)


def _leaves(*names: str) -> list[Leaf]:
    return [Leaf(name=n) for n in names]


GOOD: list[dict[str, Any]] = [
    {},
    {"tags": ["a", "bb"], "when": NOW, "extra": {"k": [1, 2.0, "s"], "seo": {"slug": "x"}}},
    {"branches": [Branch(label="b", leaves=_leaves("x", "y"), main=Leaf(name="m", size=1))]},
    {"top": Branch(leaves=[]), "deep": Deep(branches=[Branch(leaves=_leaves("z"))])},
    {"picky": []},
    {"branches": [], "extra": {}},
]

BAD: list[tuple[dict[str, Any], str]] = [
    ({"title": "x" * 11}, "title"),
    ({"tags": []}, "tags"),  # below min_length
    ({"tags": ["a"] * 5}, "tags"),  # above max_length
    ({"tags": ["long"]}, "tags.0"),
    ({"branches": [Branch(label="toolong")]}, "branches.0.label"),
    ({"branches": [Branch(leaves=_leaves("ok", "toolong"))]}, "branches.0.leaves.1.name"),
    ({"branches": [Branch(leaves=_leaves("a", "b", "c", "d"))]}, "branches.0.leaves"),
    ({"branches": [Branch(main=Leaf(name="m", size=-1))]}, "branches.0.main.size"),
    ({"branches": [Branch(leaves=[Leaf()])]}, "branches.0.leaves.0.name"),  # required
    ({"top": Branch(main=Leaf(name="toolong"))}, "top.main.name"),
    ({"deep": Deep(branches=[Branch(leaves=_leaves("toolong"))])}, "deep.branches.0.leaves.0.name"),
    ({"leaf": Leaf(name="toolong")}, "leaf.name"),
    ({"leaf": Leaf()}, "leaf.name"),
    ({"picky": [Picky(text="no")]}, "picky.0.__all__"),
    ({"extra": {"$where": 1}}, "extra.$where"),
    ({"extra": {"a": [2**70]}}, "extra.a.0"),
]

#: Values the check cannot vouch for although they may be valid: it hands them over.
UNSURE: list[dict[str, Any]] = [
    {"tags": ("a", "b")},  # a tuple, not a list
    {"branches": [SubLeaf(name="s")]},  # not exactly the declared class
    {"picky": [Picky(text="yes")]},  # a class with its own clean
    {"extra": {"a.b": 1}},
]


@pytest.mark.parametrize("values", GOOD + [bad for bad, _ in BAD] + UNSURE)
def test_the_generated_check_equals_the_per_field_checks(values: dict[str, Any]) -> None:
    tree = _tree(**values)
    assert Tree._check_quick_fields(tree) is _reference(tree)
    for branch in (*tree.branches, tree.top):
        if branch is not None:
            assert Branch._check_quick(branch) is _reference(branch)


@pytest.mark.parametrize("values", GOOD)
def test_what_it_vouches_for_is_valid(values: dict[str, Any]) -> None:
    tree = _tree(**values)
    assert Tree._check_quick(tree)
    errors: dict[str, str] = {}
    for name, field, _quick, _plain in Tree._schema.check_table:
        field._collect_errors(getattr(tree, name), name, errors)  # the full checks, no quick
    assert errors == {}
    tree.validate()


@pytest.mark.parametrize(("values", "path"), BAD)
def test_what_it_refuses_the_full_validation_names(values: dict[str, Any], path: str) -> None:
    tree = _tree(**values)
    assert not Tree._check_quick(tree)
    with pytest.raises(ValidationError) as caught:
        tree.validate()
    assert path in caught.value.errors


@pytest.mark.parametrize("values", UNSURE)
def test_what_it_cannot_vouch_for_takes_the_full_validation(values: dict[str, Any]) -> None:
    tree = _tree(**values)
    assert not Tree._check_quick(tree)
    errors: dict[str, str] = {}
    collect_errors(tree, "", errors)
    raised: dict[str, str] = {}
    try:
        tree.validate()
    except ValidationError as exc:
        raised = dict(exc.errors)
    assert raised == errors


def test_a_missing_required_value_ends_the_check() -> None:
    for tree in (Tree(leaf=Leaf(name="l"), tags=["a"]), Tree(title="t", tags=["a"])):
        assert not Tree._check_quick(tree) and not _reference(tree)
        with pytest.raises(ValidationError) as caught:
            tree.validate()
        assert set(caught.value.errors) <= {"title", "leaf"} and caught.value.errors
    missing_inside = _tree(branches=[Branch(main=Leaf(size=1))])
    assert not Tree._check_quick(missing_inside)
    del missing_inside.leaf
    assert not Tree._check_quick(missing_inside)


def test_changes_after_construction_are_seen() -> None:
    tree = _tree(branches=[Branch(leaves=_leaves("a"))], tags=["a"], extra={"k": {"n": 1}})
    assert Tree._check_quick(tree)
    tree.branches[0].leaves[0].name = "toolong"  # assigned
    assert not Tree._check_quick(tree)
    tree.branches[0].leaves[0].name = "ok"
    tree.branches[0].leaves.append(Leaf(name="x" * 9))  # an in-place edit of a list
    assert not Tree._check_quick(tree)
    tree.branches[0].leaves.pop()
    tree.tags.append("long")
    assert not Tree._check_quick(tree)
    tree.tags.pop()
    tree.extra["k"]["$bad"] = 1  # an in-place edit of a nested dict
    assert not Tree._check_quick(tree)
    with pytest.raises(ValidationError) as caught:
        tree.validate()
    assert "extra.k.$bad" in caught.value.errors


def test_loaded_embedded_documents_are_handed_over() -> None:
    stored = {
        "_id": ObjectId(),
        "title": "t",
        "tags": ["a"],
        "leaf": {"name": "l"},
        "branches": [{"label": "b"}],
    }
    tree = Tree._from_son(stored)
    _ = tree.branches
    assert not Tree._check_quick(tree)
    new = _tree(branches=[tree.branches[0]])  # a loaded embedded document in a new one
    assert not Tree._check_quick(new) and not _reference(new)
    new.validate()


def test_what_is_written_out_and_what_is_called() -> None:
    names = Tree._check_quick_fields.__code__.co_names
    assert Picky._check_quick is never_valid
    assert "valid_7_item" in names  # a class with its own clean: its check is called
    called = {n for n in names if n.startswith("valid_")}
    # Three levels down (Deep > Branch > Leaf): called; everything else is written out.
    assert called == {"valid_7_item", "valid_ee6_0_1_item", "valid_ee6_0_2"}
    assert Tree._check_quick_fields(_tree(picky=[])) and not _reference(_tree(picky=[Picky()]))


# --- schemaless data: quick_dynamic and its remembered key tuples -------------------------


SCHEMALESS = [
    {"a": 1, "b": [1, "x", None, {"c": 2.5}], "d": {"e": {"f": [[1], []]}}},
    {"n": 2**63},
    {"n": [-(2**63) - 1]},
    {"t": (1, 2)},
    {"d": decimal.Decimal("1.5")},
    {1: "int key"},
    {"$x": 1},
    {"a.b": 1},
    {"a\x00": 1},
    {"x$": 1},  # valid, but '$' anywhere is left to the full check
    {"1st": 1, "ok": {"": 1}},
    {"oid": ObjectId(), "when": NOW, "flag": True, "none": None},
    [1, [2, [3, {"k": 2**64}]]],
    [],
    {},
    "plain",
    2**64,
    object(),
]


@pytest.mark.parametrize("value", SCHEMALESS, ids=repr)
def test_quick_dynamic_vouches_only_for_storable_data(value: Any) -> None:
    for _ in range(2):  # the second time, a plain key tuple is remembered
        if quick_dynamic(value):
            errors: dict[str, str] = {}
            validate_dynamic(value, "x", errors)
            assert errors == {}


def test_quick_dynamic_answers() -> None:
    assert quick_dynamic(SCHEMALESS[0]) and quick_dynamic(SCHEMALESS[11])
    for refused in ({"n": 2**63}, {"n": [-(2**63) - 1]}, {1: "x"}, {"$x": 1}, {"a.b": 1}):
        assert not quick_dynamic(refused) and not quick_dynamic(refused)


def test_remembered_key_tuples_are_only_plain_ones_and_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kept: set[tuple[str, ...]] = set()
    monkeypatch.setattr(_schemaless, "_plain_key_tuples", kept)
    monkeypatch.setattr(_schemaless, "_KEY_TUPLES_KEPT", 3)
    assert quick_dynamic({"a": 1, "b": {"c": 1}})
    assert kept == {("a", "b"), ("c",)}
    assert not quick_dynamic({"a": 1, "b": {"c.d": 1}})  # the outer keys are known, not these
    assert not quick_dynamic({"$a": 1}) and ("$a",) not in kept
    assert quick_dynamic({"x": 1}) and quick_dynamic({"y": 1})
    assert len(kept) == 3 and ("y",) not in kept  # full: checked each time, still answered
    assert quick_dynamic({"y": 2}) and not quick_dynamic({"y": 2**64})
    many = {f"k{i}": i for i in range(40)}
    monkeypatch.setattr(_schemaless, "_KEY_TUPLES_KEPT", 100)
    assert quick_dynamic(many) and tuple(many) not in kept  # too long to keep


def test_schemaless_dump_makes_new_containers_and_converts() -> None:
    value = {"a": [1, (2, 3), {"b": decimal.Decimal("1.5")}], "c": {"d": [[]]}, "e": (4,)}
    out = dynamic_to_mongo(value)
    assert out == {"a": [1, [2, 3], {"b": out["a"][2]["b"]}], "c": {"d": [[]]}, "e": [4]}
    assert str(out["a"][2]["b"]) == "1.5" and type(out["a"][2]["b"]).__name__ == "Decimal128"
    assert out is not value and out["a"] is not value["a"] and out["c"]["d"] is not value["c"]["d"]
    assert out["c"]["d"][0] is not value["c"]["d"][0]


# --- construction: a list of embedded documents is kept when every item is one -------------


def test_a_list_of_embedded_documents_is_coerced_only_when_needed() -> None:
    leaves = _leaves("a", "b")
    kept = Branch(leaves=leaves)
    assert kept.leaves is leaves
    mixed = Branch(leaves=[Leaf(name="a"), {"name": "b"}])
    assert [type(x) for x in mixed.leaves] == [Leaf, Leaf] and mixed.leaves[1].name == "b"
    from_tuple = Branch(leaves=(Leaf(name="a"),))
    assert type(from_tuple.leaves) is list and from_tuple.leaves[0].name == "a"
    empty: list[Leaf] = []
    assert Branch(leaves=empty).leaves is empty
    general = Branch("x", [{"name": "c"}])  # positional: the general constructor
    assert general.to_mongo() == Branch(label="x", leaves=[{"name": "c"}]).to_mongo()
