"""The generated per-class constructor and dumper agree with the general implementations.

Each class gets straight-line ``__init__`` and ``to_mongo`` code (asyncodm._instance._compiled) that
handles the common case and defers everything else; these tests pin that the fast code gives
exactly what the general code gives, including the edge cases it must hand over.
"""

from __future__ import annotations

import copy
import datetime
import linecache
from typing import Any

import pytest
from bson import Int64, ObjectId

from asyncodm import (
    DateTimeField,
    DictField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    FieldDoesNotExist,
    FloatField,
    IntField,
    ListField,
    LongField,
    ObjectIdField,
    StringField,
    ValidationError,
)
from asyncodm._instance._codec import compute_delta, to_son


class Note(EmbeddedDocument):
    text = StringField(max_length=20)
    at = DateTimeField()


class Entry(Document):
    title = StringField(required=True, max_length=30)
    count = IntField(default=0)
    big = LongField()
    score = FloatField(null=True)
    owner = ObjectIdField()
    when = DateTimeField()
    tags = ListField(StringField(max_length=5))
    notes = ListField(EmbeddedDocumentField(Note))
    main = EmbeddedDocumentField(Note)
    extra = DictField()


class Kind(Document):
    name = StringField()
    meta = {"allow_inheritance": True}


class SubKind(Kind):
    size = IntField()


class Greeting(Document):
    text = StringField()
    meta = {"allow_inheritance": True}

    def __init__(self, text: str = "hello", **kwargs: Any) -> None:
        super().__init__(text=text.upper(), **kwargs)


class LoudGreeting(Greeting):
    volume = IntField(default=11)


MS = datetime.datetime(2024, 5, 6, 7, 8, 9, 123000)


def test_keyword_dict_is_not_shared_with_the_caller() -> None:
    data: dict[str, Any] = {"title": "t", "count": 2}
    entry = Entry(**data)
    data["title"] = "changed"
    entry.count = 5
    assert entry.title == "t" and data["count"] == 2


def test_defaults_and_coercions_match_the_general_constructor() -> None:
    fast = Entry(
        title="t", when="2024-05-06T07:08:09.123", notes=[{"text": "a"}], main={"text": "m"}
    )
    assert fast.count == 0 and fast.tags == [] and fast.when == MS
    assert type(fast.notes[0]) is Note and fast.notes[0].text == "a"
    assert type(fast.main) is Note and fast.main.text == "m"
    slow = Entry("t", when="2024-05-06T07:08:09.123", notes=[{"text": "a"}], main={"text": "m"})
    assert fast.to_mongo() == {k: v for k, v in slow.to_mongo().items() if k != "_id"}


def test_unknown_keyword_is_still_an_error() -> None:
    with pytest.raises(FieldDoesNotExist, match="no field 'nope'"):
        Entry(title="t", nope=1)


def test_pk_and_stored_names_reach_the_general_constructor() -> None:
    oid = ObjectId()
    assert Entry(title="t", pk=oid).id == oid
    assert Entry(title="t", _id=oid).id == oid


def test_classes_with_their_own_init_keep_it() -> None:
    assert Greeting().text == "HELLO"
    loud = LoudGreeting("hi")
    assert loud.text == "HI" and loud.volume == 11


def test_subclass_instances_are_built_for_their_own_class() -> None:
    sub = SubKind(name="n", size=3)
    assert sub.to_mongo() == {"_cls": "Kind.SubKind", "name": "n", "size": 3}


def _new_entry(**values: Any) -> Entry:
    return Entry(title="t", **values)


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"when": MS, "owner": ObjectId(), "count": 7, "big": 3, "score": 1.5},
        {"when": MS.replace(microsecond=123456)},  # truncated to the millisecond
        {
            "when": datetime.datetime(
                2024, 1, 1, 12, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
            )
        },
        {"score": None, "big": None},
        {"count": True, "score": 2},  # bool stays bool for ints; an int becomes a float
        {
            "notes": [Note(text="x", at=MS.replace(microsecond=999999))],
            "extra": {"a": {"b": [1, {"c": 2}]}},
        },
        # The shapes the dumper unrolls (a real list / dict) and those it hands to the field.
        {"tags": ["a", "b"], "notes": [Note(text="y"), Note(text="z", at=MS)]},
        {"tags": ("a", "b"), "notes": (Note(text="y"),), "extra": {"n": None, "t": (1, 2)}},
        {"notes": [Note(text="y"), {"text": "as a dict"}], "extra": {}},
    ],
)
def test_dumper_equals_the_general_dump(values: dict[str, Any]) -> None:
    entry = _new_entry(**values)
    assert entry.to_mongo() == to_son(entry)
    assert list(entry.to_mongo()) == list(to_son(entry))


def test_dumper_converts_what_needs_converting() -> None:
    aware = datetime.datetime(2024, 1, 1, 12, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    son = _new_entry(when=aware, big=5, score=2).to_mongo()
    assert son["when"] == datetime.datetime(2024, 1, 1, 10, tzinfo=datetime.timezone.utc)
    assert type(son["big"]) is Int64 and type(son["score"]) is float
    assert _new_entry(when=MS.replace(microsecond=123456)).to_mongo()["when"] == MS


def test_dumped_containers_are_copies() -> None:
    extra = {"seo": {"slug": "a"}, "flags": ["x"]}
    tags = ["a"]
    entry = _new_entry(extra=extra, tags=tags, notes=[Note(text="x")])
    son = entry.to_mongo()
    son["extra"]["seo"]["slug"] = "b"
    son["extra"]["flags"].append("y")
    son["tags"].append("b")
    son["notes"].append({"text": "y"})
    assert extra == {"seo": {"slug": "a"}, "flags": ["x"]}
    assert tags == ["a"] and len(entry.notes) == 1


def test_a_delta_save_checks_exactly_the_touched_values() -> None:
    from asyncodm._instance._validation import raise_if_invalid, raise_if_touched_invalid

    raw = {"_id": ObjectId(), "title": "t", "count": 1, "tags": ["a"], "extra": {"k": 1}}
    for change, bad in [
        ({"count": 2}, False),
        ({"title": "x" * 31}, True),  # too long: the quick check fails, the full one names it
        ({"title": None}, True),  # required
        ({"tags": ["toolong"]}, True),
        ({"tags": ["ok"]}, False),
        ({"extra": {"$bad": 1}}, True),
        ({}, False),
    ]:
        doc = Entry._from_son(copy.deepcopy(raw))
        for name, value in change.items():
            setattr(doc, name, value)
        errors = []
        for check in (raise_if_touched_invalid, lambda d: raise_if_invalid(d, touched_only=True)):
            try:
                check(doc)
            except ValidationError as exc:
                errors.append(exc.errors)
            else:
                errors.append(None)
        assert errors[0] == errors[1], change
        assert (errors[0] is not None) is bad, change


def test_null_fields_store_none_only_when_set() -> None:
    assert "score" not in _new_entry().to_mongo()
    assert _new_entry(score=None).to_mongo()["score"] is None


def test_quick_validation_agrees_with_full_validation() -> None:
    ok = _new_entry(tags=["a", "bb"], notes=[Note(text="x")], extra={"k": [1, 2.0, "s"]})
    assert type(ok)._check_quick(ok)
    ok.validate()
    for bad in (
        {"tags": ["toolong"]},
        {"notes": [Note(text="x" * 21)]},
        {"count": 2**70},
        {"extra": {"$where": 1}},
        {"extra": {"a.b": 1}},
    ):
        entry = _new_entry(**bad)
        assert not type(entry)._check_quick(entry)
        with pytest.raises(ValidationError):
            entry.validate()


def _stored_entry() -> dict[str, Any]:
    return {
        "_id": ObjectId(),
        "title": "t",
        "notes": [{"text": "a", "at": MS}, {"text": "b"}],
        "main": {"text": "m"},
    }


def test_loaded_embedded_documents_share_the_stored_dicts_until_changed() -> None:
    stored = _stored_entry()
    entry = Entry._from_son(stored)
    first = entry.notes[0]
    assert first.__dict__ is stored["notes"][0]  # loading copied nothing
    first.text = "changed"
    entry.main.text = "m2"
    assert stored["notes"][0]["text"] == "a" and stored["main"]["text"] == "m"  # baseline kept
    assert compute_delta(entry).update_document() == {
        "$set": {"notes.0.text": "changed", "main.text": "m2"}
    }


def test_reading_embedded_documents_is_not_a_change() -> None:
    entry = Entry._from_son(_stored_entry())
    _ = [(n.text, n.at) for n in entry.notes], entry.main.text
    assert not compute_delta(entry)


# --- the dumper of loaded documents, and stored names in the instance dict -------------------


class Renamed(Document):
    """Stored names that are not attribute names: one unknown to the class (``owner_id``),
    one that is a class attribute of every document (``meta``), one a method (``save``)."""

    title = StringField()
    owner = ObjectIdField(db_field="owner_id")
    extra = DictField(db_field="meta")
    stamp = DateTimeField(db_field="save", null=True)
    count = IntField(null=True)
    meta = {"collection": "renamed_entries"}


class Crossed(Document):
    """A stored name that is another plain field's name: it may not enter the instance dict."""

    first = StringField(db_field="second")
    second = StringField(db_field="third")


def _stored_renamed() -> dict[str, Any]:
    return {
        "_id": ObjectId(),
        "title": "t",
        "owner_id": ObjectId(),
        "meta": {"k": [1]},
        "save": MS,
        "count": None,
        "legacy": {"kept": True},
    }


def _loaded_states() -> list[Any]:
    """Loaded documents in every state the dumper distinguishes, for each class."""
    out: list[Any] = []
    for cls, stored in (
        (Entry, {**_stored_entry(), "count": 3, "tags": ["a"], "extra": {"x": 1}, "zz": 1}),
        (Renamed, _stored_renamed()),
        (SubKind, {"_id": ObjectId(), "_cls": "Kind.SubKind", "name": "n", "size": 2}),
        (Kind, {"_cls": "Kind", "name": "no pk"}),
    ):
        untouched = cls._from_son(copy.deepcopy(stored))
        read = cls._from_son(copy.deepcopy(stored))
        _ = [getattr(read, name) for name in cls._schema.fields]
        changed = cls._from_son(copy.deepcopy(stored))
        for name, field in cls._schema.fields.items():
            if isinstance(field, StringField):
                setattr(changed, name, "changed")
            elif isinstance(field, (IntField, DateTimeField)) and field.null:
                setattr(changed, name, None)
        out += [untouched, read, changed]
    return out


@pytest.mark.parametrize("doc", _loaded_states(), ids=lambda d: type(d).__name__)
def test_loaded_dumper_equals_the_general_dump(doc: Any) -> None:
    assert doc.to_mongo() == to_son(doc)
    assert list(doc.to_mongo()) == list(to_son(doc))


def test_an_untouched_loaded_document_dumps_its_stored_values_and_unknown_keys() -> None:
    stored = _stored_renamed()
    doc = Renamed._from_son(stored)
    son = doc.to_mongo()
    assert son == stored and list(son) == list(stored)  # "count": None kept (null=True)
    assert son is not stored and son["meta"] is stored["meta"]  # as to_son: values as stored


def test_renamed_stored_keys_keep_the_no_copy_load() -> None:
    stored = _stored_renamed()
    del stored["legacy"]  # an undeclared key still takes the copying load (checked below)
    doc = Renamed._from_son(stored)
    assert doc.__dict__ is stored  # the stored dict is the instance dict
    assert doc.meta == {"collection": "renamed_entries"} and Renamed.meta is doc.meta
    assert doc.extra == {"k": [1]} and doc.stamp == MS and doc.owner == stored["owner_id"]
    assert callable(doc.save) and doc.save.__self__ is doc  # the method, not the stored value
    with pytest.raises(AttributeError, match="owner_id"):
        _ = doc.owner_id
    assert not hasattr(doc, "owner_id") and not hasattr(Renamed, "owner_id")
    with pytest.raises(AttributeError, match="no field 'owner_id'"):
        doc.owner_id = ObjectId()
    with pytest.raises(AttributeError, match="extra"):
        doc.meta = {}  # a stored key: the field is where it is set
    doc.extra["k"].append(2)
    doc.stamp = None
    assert compute_delta(doc).update_document() == {
        "$set": {"meta.k": [1, 2], "save": None},
    }
    with_unknown = Renamed._from_son(_stored_renamed())
    assert with_unknown.__dict__ is not with_unknown._son and with_unknown.meta is Renamed.meta


def test_a_stored_key_named_like_a_plain_field_is_never_read_as_that_field() -> None:
    stored = {"_id": ObjectId(), "second": "first's value", "third": "second's value"}
    doc = Crossed._from_son(stored)
    assert (doc.first, doc.second) == ("first's value", "second's value")
    assert doc.to_mongo() == stored


def test_stored_names_are_shielded_in_subclasses_with_their_own_meta() -> None:
    class Base(Document):
        extra = DictField(db_field="meta")
        meta = {"allow_inheritance": True, "collection": "shielded_base"}

    class Child(Base):
        size = IntField()
        meta = {"indexes": ["size"]}

    stored = {"_id": ObjectId(), "_cls": "Base.Child", "meta": {"a": 1}, "size": 1}
    child = Base._from_son(stored)
    assert type(child) is Child and child.__dict__ is stored
    assert child.meta == {"indexes": ["size"]} and child.extra == {"a": 1}


def test_classes_of_plain_fields_share_one_empty_values_mapping() -> None:
    """An embedded class whose fields are all plain never keeps converted values: its
    instances, built or loaded, share one read-only empty mapping (64 bytes each saved);
    changing their fields still works and is tracked."""
    from asyncodm._instance._state import NO_VALUES

    class Plain(EmbeddedDocument):
        a = StringField()
        n = IntField(default=1)

    class Holder(Document):
        items = ListField(EmbeddedDocumentField(Plain))
        meta = {"collection": "plain_holders"}

    built = Plain(a="x")
    holder = Holder._from_son({"_id": ObjectId(), "items": [{"a": "y", "n": 2}]})
    loaded = holder.items[0]
    assert built._values is NO_VALUES and loaded._values is NO_VALUES
    assert Entry(title="t")._values is not NO_VALUES  # a class with other fields: its own
    loaded.a = "z"
    del loaded.n
    assert compute_delta(holder).update_document() == {
        "$set": {"items.0.a": "z"},
        "$unset": {"items.0.n": ""},
    }
    assert (built.to_mongo(), built.n) == ({"a": "x", "n": 1}, 1)
    with pytest.raises(TypeError, match="all plain"):
        NO_VALUES["a"] = 1
    assert not NO_VALUES


def test_the_dumper_binds_embedded_dumpers() -> None:
    """A list of embedded documents calls each item class's dumper, bound when the holding
    class is compiled; a class holding a list of itself (not defined yet) calls the field."""

    class Node(EmbeddedDocument):
        name = StringField()
        children = ListField(EmbeddedDocumentField("Node"))

    class Forest(Document):
        nodes = ListField(EmbeddedDocumentField(Node))
        meta = {"collection": "forests"}

    forest = Forest(nodes=[Node(name="a", children=[Node(name="b", children=[Node(name="c")])])])
    assert forest.to_mongo() == to_son(forest)
    assert forest.to_mongo()["nodes"][0]["children"][0]["children"] == [
        {"name": "c", "children": []}
    ]
    source = "".join(linecache.getlines(Forest._dump.__code__.co_filename))
    assert "Edump_1(c) if type(c) is E_1" in source
    assert "out['children'] = dump_1(v)" in "".join(
        linecache.getlines(Node._dump.__code__.co_filename)
    )


def test_the_constructor_keeps_a_list_of_exactly_the_embedded_class() -> None:
    notes = [Note(text="a"), Note(text="b")]
    assert _new_entry(notes=notes).notes is notes
    for given in ([Note(text="a"), {"text": "b"}], (Note(text="a"),), [{"text": "c"}]):
        fast = _new_entry(notes=given)
        slow = Entry("t", notes=given)  # positional: the general constructor
        assert [type(n) for n in fast.notes] == [Note] * len(given)
        assert fast.to_mongo() == {k: v for k, v in slow.to_mongo().items() if k != "_id"}


def test_new_embedded_items_written_out_by_the_dumper_equal_their_own_dump() -> None:
    """``Entry.notes`` holds a class of plain fields: the dumper builds each new item's dict
    itself; loaded items, subclasses and dicts take their calls, and so does every item of a
    class that stores ``_cls``."""

    class NullNote(EmbeddedDocument):
        text = StringField(null=True)
        at = DateTimeField()
        meta = {"allow_inheritance": True}

    class SubNote(NullNote):
        extra = IntField()

    class Holder(Document):
        notes = ListField(EmbeddedDocumentField(NullNote))
        meta = {"collection": "null_note_holders"}

    source = "".join(linecache.getlines(Holder._dump.__code__.co_filename))
    assert "d = {}" not in source and "d = {}" in "".join(
        linecache.getlines(Entry._dump.__code__.co_filename)
    )
    loaded = Entry._from_son(_stored_entry()).notes[0]
    for notes in (
        [Note(text="x", at=MS.replace(microsecond=5)), Note(), Note(at=MS)],
        [loaded, Note(text="new"), {"text": "as a dict"}],
    ):
        entry = _new_entry(notes=notes)
        assert entry.to_mongo() == to_son(entry)
        assert [list(n) for n in entry.to_mongo()["notes"]] == [
            list(n) for n in to_son(entry)["notes"]
        ]
    holder = Holder(notes=[NullNote(text=None), NullNote(), SubNote(text="s", extra=1)])
    assert holder.to_mongo() == to_son(holder)
    dumped = holder.to_mongo()["notes"]
    assert dumped[0]["text"] is None and "text" not in dumped[1] and dumped[2]["extra"] == 1

    class Open(EmbeddedDocument):
        text = StringField(null=True)
        n = LongField()

    class OpenHolder(Document):
        items = ListField(EmbeddedDocumentField(Open), null=True)
        meta = {"collection": "open_holders"}

    assert "d = {}" in "".join(linecache.getlines(OpenHolder._dump.__code__.co_filename))
    opened = OpenHolder(items=[Open(text=None), Open(), Open(n=2**40)])
    assert opened.to_mongo() == to_son(opened)
    assert opened.to_mongo()["items"][:2] == [{"text": None}, {}]
    assert type(opened.to_mongo()["items"][2]["n"]) is Int64
    for items in (None, ()):
        holder_of = OpenHolder(items=items)
        assert holder_of.to_mongo() == to_son(holder_of)


def test_a_new_document_missing_a_required_value_takes_the_general_dump() -> None:
    """The dumper reads required values by subscript; a missing one (an invalid document,
    which ``to_mongo`` still dumps) hands the whole document to ``to_son``."""

    class Req(EmbeddedDocument):
        name = StringField(required=True)
        n = IntField()

    class ReqHolder(Document):
        title = StringField(required=True)
        items = ListField(EmbeddedDocumentField(Req))
        meta = {"collection": "req_holders"}

    source = "".join(linecache.getlines(ReqHolder._dump.__code__.co_filename))
    assert "plain['title']" in source and "p['name']" in source
    for doc in (
        ReqHolder(title="t", items=[Req(name="a", n=1)]),
        ReqHolder(items=[Req(name="a")]),
        ReqHolder(title="t", items=[Req(n=1), Req(name="b")]),
        ReqHolder(),
    ):
        assert doc.to_mongo() == to_son(doc)
        assert list(doc.to_mongo()) == list(to_son(doc))
    assert ReqHolder(title="t", items=[Req(n=1)]).to_mongo()["items"] == [{"n": 1}]
