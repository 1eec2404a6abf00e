"""The two kinds of snapshot a loaded document keeps for a stored container it hands out.

A list whose items are all immutable scalars of exact known types is kept as a tuple of its
items (``asyncodm.fields._snapshots.of_list``); anything else is pickled. These tests pin that
the tuple form restores the stored items exactly (type included: ``1`` is not ``True`` nor
``1.0``, ``bytes`` is not ``Binary``), that anything that could change in place is pickled,
that the tuple costs the collector nothing once collected, and that the inline first reads of
``ListField`` / ``DictField`` give what the general conversion gives.
"""

from __future__ import annotations

import gc
import pickle
from typing import Any

import pytest
from bson import Binary, Code, Decimal128, Int64, ObjectId

from asyncodm import (
    BooleanField,
    DictField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    FloatField,
    IntField,
    ListField,
    StringField,
)
from asyncodm._instance._codec import compute_delta
from asyncodm.fields import _snapshots as snapshots


class Note(EmbeddedDocument):
    text = StringField()


class Bag(Document):
    ints = ListField(IntField())
    floats = ListField(FloatField())
    flags = ListField(BooleanField())
    words = ListField(StringField())
    notes = ListField(EmbeddedDocumentField(Note))
    extra = DictField()


def load(**stored: Any) -> Bag:
    return Bag._from_son({"_id": ObjectId(), **stored})


def snapshot(doc: Bag, name: str) -> Any:
    assert doc._orig is not None
    return doc._orig[snapshots.key(name)]


def sets(doc: Bag) -> dict[str, Any]:
    return compute_delta(doc).update_document().get("$set", {})


def test_a_list_of_strings_is_kept_as_a_tuple_of_its_items() -> None:
    words = ["a", "b"]
    bag = load(words=words)
    assert bag.words is words
    kept = snapshot(bag, "words")
    assert type(kept) is tuple and kept == ("a", "b")
    assert not compute_delta(bag)  # a read is not a change
    bag.words.append("c")
    assert sets(bag) == {"words": ["a", "b", "c"]}


@pytest.mark.parametrize(
    ("name", "stored", "replaced"),
    [
        ("ints", [1], [True]),
        ("flags", [True], [1]),
        # Stored data a field does not convert (a list of strings holding other scalars):
        # only the snapshot's own items tell these apart from what replaced them.
        ("words", [1.0], [1]),
        ("words", [1], [1.0]),
        ("words", [1], [True]),
        ("words", [Binary(b"x", 5)], [Binary(b"x", 6)]),
    ],
)
def test_an_equal_item_of_another_type_is_a_change(
    name: str, stored: list[Any], replaced: list[Any]
) -> None:
    bag = load(**{name: list(stored)})
    items = getattr(bag, name)
    assert type(snapshot(bag, name)) is tuple
    items[0] = replaced[0]  # in place: only the snapshot knows what was stored
    assert sets(bag) == {f"{name}.0": replaced[0]}


@pytest.mark.parametrize(
    ("stored", "replaced"),
    [
        ([1], [True]),
        ([1.0], [1]),
        ([b"x"], [Binary(b"x", 5)]),
        ([Binary(b"x", 5)], [b"x"]),
        ([Binary(b"x", 0)], [b"x"]),
        ([Decimal128("1.10")], [Decimal128("1.1")]),
        ([Int64(1)], [1]),
        (["a", "b"], ["a", "b", "c"]),
    ],
)
def test_the_tuple_saves_what_a_pickled_snapshot_saves(
    stored: list[Any], replaced: list[Any]
) -> None:
    """The same in-place change, compared once with the tuple and once with the pickled
    snapshot of the same stored list: the two representations send the same update."""
    deltas = []
    for kind in (tuple, bytes):
        bag = load(words=list(stored))
        items = bag.words
        assert type(snapshot(bag, "words")) is tuple
        if kind is bytes:
            assert bag._orig is not None
            bag._orig[snapshots.key("words")] = snapshots.take(list(stored))
        items[:] = replaced
        deltas.append(compute_delta(bag).update_document())
    assert deltas[0] == deltas[1]


def test_a_field_that_converts_on_save_compares_the_converted_item() -> None:
    bag = load(floats=[1.0], ints=[1])
    bag.floats[0] = 1  # FloatField stores 1 as 1.0, IntField 1.0 as 1: nothing changed
    bag.ints[0] = 1.0  # type: ignore[call-overload]
    assert not compute_delta(bag)


def test_an_int64_read_back_is_not_a_change() -> None:
    bag = load(ints=[Int64(5)])
    bag.ints[0] = 5  # what an application writes back for the same value
    assert not compute_delta(bag)


def test_unchanged_items_of_every_immutable_kind_are_not_a_change() -> None:
    bag = load(ints=[1, Int64(2), None], words=["w", b"x", Binary(b"y", 4), 1.5, True])
    for name in ("ints", "words"):
        getattr(bag, name)
        assert type(snapshot(bag, name)) is tuple
    assert not compute_delta(bag)


@pytest.mark.parametrize(
    "item",
    [["nested"], {"k": "v"}, Code("x", {"a": 1}), Decimal128("1.5")],
    ids=["list", "dict", "str-subclass", "decimal128"],
)
def test_items_that_are_not_known_immutable_scalars_are_pickled(item: Any) -> None:
    bag = load(words=[item])
    assert bag.words[0] is item
    if isinstance(item, Decimal128):
        assert type(snapshot(bag, "words")) is tuple  # immutable, kept as it is
    else:
        assert type(snapshot(bag, "words")) is bytes
    assert not compute_delta(bag)


def test_an_in_place_change_inside_a_nested_item_is_seen() -> None:
    bag = load(words=[{"k": "v"}])
    bag.words[0]["k"] = "w"  # type: ignore[index]  # stored data that breaks the schema
    assert sets(bag) == {"words.0.k": "w"}


def test_a_code_scope_changed_in_place_is_seen() -> None:
    code = Code("x", {"a": 1})
    bag = load(words=[code])
    bag.words[0].scope["a"] = 2  # type: ignore[union-attr]
    assert sets(bag) == {"words.0": code}


def test_the_tuple_snapshot_is_not_tracked_after_a_collection() -> None:
    bag = load(words=["a", "b"], ints=[1, 2])
    bag.words, bag.ints  # noqa: B018
    gc.collect()
    assert not gc.is_tracked(snapshot(bag, "words"))
    assert not gc.is_tracked(snapshot(bag, "ints"))


def test_the_second_container_read_adds_to_the_same_baseline() -> None:
    bag = load(words=["a"], extra={"k": [1]})
    bag.words, bag.extra  # noqa: B018
    assert type(snapshot(bag, "words")) is tuple and type(snapshot(bag, "extra")) is bytes
    bag.words.append("b")
    bag.extra["k"].append(2)
    assert sets(bag) == {"words": ["a", "b"], "extra.k": [1, 2]}


def test_snapshots_survive_pickling() -> None:
    bag = load(words=["a"], extra={"k": 1})
    bag.words, bag.extra  # noqa: B018
    copy = pickle.loads(pickle.dumps(bag))
    copy.words[0] = "b"
    copy.extra["k"] = 1.0
    assert sets(copy) == {"words.0": "b", "extra.k": 1.0}


def test_restore_gives_a_new_list_of_the_same_items() -> None:
    items = ["a", 1, True]
    data = snapshots.of_list(items)
    assert type(data) is tuple
    back = snapshots.restore(data)
    assert (
        back == items
        and back is not items
        and all(a is b for a, b in zip(back, items, strict=True))
    )
    assert snapshots.restore(snapshots.of_list([[1]]) or b"") == [[1]]


def test_a_dict_that_reads_differently_is_converted_once() -> None:
    stored = {"price": Decimal128("1.5"), "nested": {"_cls": "Nothing"}}
    bag = load(extra=stored)
    assert bag.extra is not stored and bag.extra is bag.extra
    assert bag._orig is None or snapshots.key("extra") not in bag._orig


def test_embedded_items_load_as_the_general_conversion_does() -> None:
    stored = [{"text": "a"}, None, {"text": "b"}]
    bag = load(notes=stored)
    general = Bag.notes.to_python(stored)
    assert [type(n) for n in bag.notes] == [type(n) for n in general] == [Note, type(None), Note]
    assert [n.text for n in bag.notes if n] == ["a", "b"]
    assert bag.notes[0].__dict__ is stored[0]  # shares its part of the stored document
    bag.notes[0].text = "c"
    assert sets(bag) == {"notes.0.text": "c"} and stored[0] == {"text": "a"}


def test_a_list_field_that_converts_its_own_way_keeps_its_to_python() -> None:
    class Shouting(ListField[Any]):
        def to_python(self, value: Any) -> Any:
            return [str(v).upper() for v in value]

    class Loud(Document):
        notes = Shouting(EmbeddedDocumentField(Note))

    loud = Loud._from_son({"_id": ObjectId(), "notes": [{"text": "a"}]})
    assert loud.notes == ["{'TEXT': 'A'}"]


def test_field_metadata_reads_as_attributes_without_a_getattr() -> None:
    field = StringField(widget="textarea")
    assert field.widget == "textarea"  # type: ignore[attr-defined]
    assert field.metadata == {"widget": "textarea"}
    assert "__getattr__" not in vars(type(field).__mro__[-2])  # BaseField
    with pytest.raises(AttributeError):
        field.nothing  # type: ignore[attr-defined]  # noqa: B018
