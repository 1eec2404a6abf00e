"""Pickling and copying documents, pinned without a database: what a round trip keeps (values,
the change-tracking baseline, pending changes, unknown stored keys, ``_version``, the sharing
inside a loaded document), what each copy shares with the original (nothing its change
tracking sees), references (by model and pk; a fetched target travels along), file values (by
field and id; pending content refused) and the errors.

The integration side (save after unpickling, on every backend) is tests/test_pickling.py;
the hypothesis round trip over every field is tests/property/test_pickle_roundtrip.py.
"""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from typing import Any

import pytest
from bson import ObjectId

from asyncodm import Document, FieldFile, OperationError, Ref, StringField, signals
from asyncodm._instance import _state
from asyncodm._instance._codec import compute_delta
from asyncodm.compat import mongokit
from asyncodm.files import FileInfo
from tests.models.pickles import (
    PkAlbum,
    PkCircle,
    PkDraft,
    PkLedger,
    PkNote,
    PkPicture,
    PkSection,
    PkShape,
    PkSummary,
    PkWriter,
)

Trip = Callable[[Any], Any]


def _pickled(protocol: int) -> Trip:
    def trip(doc: Any) -> Any:
        return pickle.loads(pickle.dumps(doc, protocol))

    trip.__name__ = f"pickle{protocol}"
    return trip


PICKLES = [_pickled(p) for p in range(pickle.HIGHEST_PROTOCOL + 1)]
#: Every way to get a second document: pickle on each protocol, copy, deepcopy.
TRIPS = [*PICKLES, copy.copy, copy.deepcopy]
ids = [t.__name__ for t in TRIPS]

AUTHOR = ObjectId("65a000000000000000000001")
FILE = ObjectId("65a0000000000000000000f1")


def stored() -> dict[str, Any]:
    return {
        "_id": ObjectId("65a000000000000000000010"),
        "title": "draft",
        "tags": ["a", "b"],
        "extra": {"k": {"deep": 1}},
        "summary": {"text": "s", "keywords": ["x"]},
        "sections": [{"heading": "one", "words": 1}, {"heading": "two", "words": 2}],
        "author": AUTHOR,
        "reviewers": [AUTHOR],
        "attachment": FILE,
        "legacy": {"kept": True},  # a key the class does not declare
    }


def loaded() -> PkDraft:
    return PkDraft.from_son(stored())


def update(doc: Any) -> dict[str, Any]:
    return compute_delta(doc).update_document()


# --------------------------------------------------------------------------------------------
# New documents


@pytest.mark.parametrize("trip", TRIPS, ids=ids)
def test_a_new_document_comes_back_new_with_its_values(trip: Trip) -> None:
    doc = PkDraft(title="t", tags=["x"], summary=PkSummary(text="s"), sections=[PkSection()])
    again = trip(doc)
    assert type(again) is PkDraft and again is not doc
    assert again._son is None and _state.is_unsaved(again)
    assert (
        again.to_mongo()
        == doc.to_mongo()
        == {
            "title": "t",
            "tags": ["x"],
            "extra": {},
            "summary": {"text": "s", "keywords": []},
            "sections": [{"words": 0}],
            "reviewers": [],
        }
    )


@pytest.mark.parametrize("trip", PICKLES, ids=[t.__name__ for t in PICKLES])
def test_pickling_is_by_class_reference(trip: Trip) -> None:
    data = pickle.dumps(PkCircle(name="c", radius=2), 2)
    assert b"tests.models.pickles" in data and b"PkCircle" in data
    again = trip(PkCircle(name="c", radius=2))
    assert type(again) is PkCircle
    assert again.to_mongo() == {"_cls": "PkShape.PkCircle", "name": "c", "radius": 2}
    loaded_circle = PkShape.from_son({"_id": 1, "_cls": "PkShape.PkCircle", "radius": 3})
    assert type(trip(loaded_circle)) is PkCircle


def test_unpickling_runs_no_init_and_sends_no_init_signals() -> None:
    seen: list[str] = []

    def pre(sender: Any, **kwargs: Any) -> None:
        seen.append("pre")

    def post(sender: Any, **kwargs: Any) -> None:
        seen.append("post")

    doc = PkDraft(title="t")
    signals.pre_init.connect(pre)
    signals.post_init.connect(post)
    try:
        again = pickle.loads(pickle.dumps(doc))
        copied = copy.deepcopy(doc)
    finally:
        signals.pre_init.disconnect(pre)
        signals.post_init.disconnect(post)
    assert seen == []
    assert again.title == copied.title == "t"


# --------------------------------------------------------------------------------------------
# Loaded documents: the baseline, pending changes, unknown keys


@pytest.mark.parametrize("trip", TRIPS, ids=ids)
def test_an_unchanged_loaded_document_stays_loaded_and_unchanged(trip: Trip) -> None:
    doc = loaded()
    again = trip(doc)
    assert again._son == stored() and not _state.is_unsaved(again)
    assert again.pk == doc.pk
    assert update(again) == {}
    assert again.to_mongo() == doc.to_mongo()
    assert again.to_mongo()["legacy"] == {"kept": True}  # unknown stored keys survive


@pytest.mark.parametrize("trip", TRIPS, ids=ids)
def test_a_change_after_the_round_trip_sends_only_its_path(trip: Trip) -> None:
    again = trip(loaded())
    again.title = "renamed"
    assert update(again) == {"$set": {"title": "renamed"}}
    again = trip(loaded())
    again.sections[1].words = 20
    assert update(again) == {"$set": {"sections.1.words": 20}}
    again = trip(loaded())
    again.tags.append("c")  # a stored list handed out without a copy: its snapshot came along
    again.extra["k"]["deep"] = 2
    assert update(again) == {"$set": {"tags": ["a", "b", "c"], "extra.k.deep": 2}}


@pytest.mark.parametrize("trip", TRIPS, ids=ids)
def test_pending_changes_survive_the_round_trip(trip: Trip) -> None:
    doc = loaded()
    doc.title = "renamed"  # a plain field: its baseline value is in _orig
    doc.tags.append("c")  # in place, on the stored list
    doc.summary.keywords.append("y")  # inside an embedded document
    doc.sections[0].heading = "ONE"
    del doc.extra["k"]
    expected = {
        "$set": {
            "title": "renamed",
            "tags": ["a", "b", "c"],
            "summary.keywords": ["x", "y"],
            "sections.0.heading": "ONE",
            "extra": {},
        }
    }
    assert update(doc) == expected
    again = trip(doc)
    assert update(again) == expected
    assert again.to_mongo() == doc.to_mongo()


@pytest.mark.parametrize("trip", PICKLES, ids=[t.__name__ for t in PICKLES])
def test_the_sharing_inside_a_loaded_document_is_kept(trip: Trip) -> None:
    son = stored()
    del son["legacy"]  # a key the class does not declare makes the load copy plain values
    doc = PkDraft.from_son(son)
    assert doc.__dict__ is doc._son  # the stored document is the instance dict
    assert doc.tags is son["tags"]  # handed out: the stored list itself, with a snapshot
    assert doc.sections[1].__dict__ is son["sections"][1]  # reading its part of the stored one
    again = trip(doc)
    assert again.__dict__ is again._son
    assert again.tags is again._son["tags"]
    assert again.sections[1].__dict__ is again._son["sections"][1]


@pytest.mark.parametrize("trip", TRIPS, ids=ids)
def test_a_document_built_from_document_still_saves_whole(trip: Trip) -> None:
    doc = PkDraft.from_document({"_id": 5, "title": "imported"})
    assert _state.is_unsaved(doc)
    again = trip(doc)
    assert _state.is_unsaved(again) and again.pk == 5


@pytest.mark.parametrize("trip", TRIPS, ids=ids)
def test_a_versioned_document_keeps_its_version(trip: Trip) -> None:
    doc = PkLedger.from_son({"_id": 1, "owner": "ann", "balance": 3, "_version": 7})
    doc.balance = 4
    again = trip(doc)
    assert again._version == 7
    assert update(again) == {"$set": {"balance": 4}}


# --------------------------------------------------------------------------------------------
# Copies share nothing the original's change tracking sees


@pytest.mark.parametrize("make", [copy.copy, copy.deepcopy], ids=["copy", "deepcopy"])
def test_editing_a_copy_never_leaks_into_the_original(make: Trip) -> None:
    doc = loaded()
    # read first: the values the original hands out are what a shallow copy would share
    assert doc.tags and doc.summary and doc.sections
    fork = make(doc)
    fork.title = "fork"
    fork.tags.append("c")
    fork.extra["k"]["deep"] = 2
    fork.summary.keywords.append("y")
    fork.sections[0].words = 10
    fork.sections.append(PkSection(heading="three"))
    assert update(doc) == {}
    assert doc.to_mongo() == PkDraft.from_son(stored()).to_mongo()
    assert doc._son == stored()
    assert update(fork) == {
        "$set": {
            "title": "fork",
            "tags": ["a", "b", "c"],
            "extra.k.deep": 2,
            "summary.keywords": ["x", "y"],
            "sections": [
                {"heading": "one", "words": 10},
                {"heading": "two", "words": 2},
                {"heading": "three", "words": 0},
            ],
        }
    }
    # and the other way round
    doc.tags.append("z")
    assert fork.tags == ["a", "b", "c"]


@pytest.mark.parametrize("make", [copy.copy, copy.deepcopy], ids=["copy", "deepcopy"])
def test_copying_a_new_document_copies_its_containers(make: Trip) -> None:
    doc = PkDraft(title="t", tags=["x"], summary=PkSummary(keywords=["k"]))
    fork = make(doc)
    fork.tags.append("y")
    fork.summary.keywords.append("l")
    assert doc.tags == ["x"] and doc.summary.keywords == ["k"]


def test_an_embedded_document_alone_copies_away_from_its_parent() -> None:
    doc = loaded()
    section = doc.sections[0]
    for fork in (copy.copy(section), copy.deepcopy(section), pickle.loads(pickle.dumps(section))):
        fork.words = 99
        assert doc.sections[0].words == 1 and doc._son["sections"][0]["words"] == 1
        assert update(doc) == {}
        assert fork.to_mongo() == {"heading": "one", "words": 99}


@pytest.mark.parametrize("trip", TRIPS, ids=ids)
def test_all_plain_embedded_documents_share_the_empty_values_again(trip: Trip) -> None:
    section = PkSection(heading="h")
    assert section._values is _state.NO_VALUES
    assert trip(section)._values is _state.NO_VALUES
    assert trip(PkDraft.from_son(stored()).sections[0])._values is _state.NO_VALUES


# --------------------------------------------------------------------------------------------
# Dynamic documents


@pytest.mark.parametrize("trip", TRIPS, ids=ids)
def test_dynamic_attributes_survive(trip: Trip) -> None:
    doc = PkNote.from_son({"_id": 1, "title": "n", "stored_extra": [1, 2], "other": "o"})
    doc.assigned = {"a": 1}
    doc.stored_extra.append(3)
    again = trip(doc)
    assert again.assigned == {"a": 1} and again.other == "o"
    assert update(again) == {"$set": {"stored_extra": [1, 2, 3], "assigned": {"a": 1}}}
    again.other = "changed"
    assert update(again)["$set"]["other"] == "changed"
    new = trip(PkNote(title="t", free=1))
    assert new.free == 1 and new.to_mongo() == {"title": "t", "free": 1}


# --------------------------------------------------------------------------------------------
# References


@pytest.mark.parametrize("trip", TRIPS, ids=ids)
def test_an_unfetched_reference_travels_as_model_and_pk(trip: Trip) -> None:
    doc = loaded()
    assert not doc.author.fetched
    again = trip(doc)
    ref = again.author
    assert isinstance(ref, Ref) and ref.model is PkWriter and ref.pk == AUTHOR
    assert not ref.fetched
    assert [r.pk for r in again.reviewers] == [AUTHOR]
    assert type(again.reviewers).__name__ == "RefList"
    assert update(again) == {}


def test_an_unfetched_reference_pickles_without_any_document() -> None:
    doc = loaded()
    assert not doc.author.fetched  # the handle is cached in the document's values
    data = pickle.dumps(doc)
    assert b"PkWriter" in data  # the model, by class reference
    assert b"ann" not in data


@pytest.mark.parametrize("trip", TRIPS, ids=ids)
def test_a_fetched_reference_keeps_its_target(trip: Trip) -> None:
    writer = PkWriter.from_son({"_id": AUTHOR, "name": "ann"})
    doc = loaded()
    doc.author._fill(writer)  # what an await or select_related does
    again = trip(doc)
    assert again.author.fetched
    assert again.author.name == "ann" and again.author.document.pk == AUTHOR
    assert again.author.document is not writer  # copy.copy too: it is copy.deepcopy
    assert update(again) == {}


def test_deepcopy_copies_a_fetched_target_too() -> None:
    writer = PkWriter.from_son({"_id": AUTHOR, "name": "ann"})
    doc = PkDraft(title="t", author=writer)
    fork = copy.deepcopy(doc)
    assert fork.author.document is not writer
    fork.author.document.name = "bob"
    assert writer.name == "ann" and update(writer) == {}


@pytest.mark.parametrize("trip", TRIPS, ids=ids)
def test_documents_referring_to_each_other_round_trip(trip: Trip) -> None:
    writer = PkWriter(id=AUTHOR, name="ann")
    draft = PkDraft(id=ObjectId(), title="t", author=writer)
    writer.pinned = draft
    again = trip(draft)
    assert again.author.document.pinned.document is again


def test_a_reference_to_a_new_document_keeps_it() -> None:
    draft = PkDraft(title="t", author=PkWriter(name="new"))  # no pk yet: saved by cascade
    again = pickle.loads(pickle.dumps(draft))
    assert again.author.pk is None and again.author.document.name == "new"


# --------------------------------------------------------------------------------------------
# Files


INFO = FileInfo(file_id=FILE, filename="a.txt", length=3, chunk_size=255, upload_date=None)


@pytest.mark.parametrize("trip", TRIPS, ids=ids)
def test_a_stored_file_travels_as_its_field_id_and_details(trip: Trip) -> None:
    doc = loaded()
    doc.attachment._loaded(INFO)  # what a queryset's batch of file details does
    again = trip(doc)
    value = again.attachment
    assert isinstance(value, FieldFile)
    assert value.file_id == FILE and value.filename == "a.txt" and value.length == 3
    assert value.field is PkDraft._schema.fields["attachment"]
    assert value.instance is again
    assert value._reader is None and value.pending is None
    assert update(again) == {}


def test_an_open_reader_and_an_unsaved_upload_are_not_carried() -> None:
    doc = loaded()
    value = doc.attachment
    value._reader = object()  # type: ignore[assignment]  # stands for an open stream
    value._unsaved = INFO
    again = copy.deepcopy(doc)
    assert again.attachment._reader is None and again.attachment._unsaved is None
    assert again.attachment.file_id == FILE
    data = pickle.dumps(doc)
    assert pickle.loads(data).attachment._reader is None


@pytest.mark.parametrize("trip", TRIPS, ids=ids)
def test_pending_content_is_refused_naming_the_field(trip: Trip) -> None:
    doc = PkDraft(title="t", attachment=b"not uploaded")
    with pytest.raises(OperationError) as info:
        trip(doc)
    message = str(info.value)
    assert "PkDraft.attachment" in message
    assert "expected a stored file" in message and "content not uploaded yet" in message
    assert "save the document first" in message


def test_an_unfinished_upload_is_refused() -> None:
    doc = loaded()
    doc.attachment._writer = object()  # type: ignore[assignment]  # new_file() before close()
    with pytest.raises(OperationError, match="an unfinished upload"):
        pickle.dumps(doc)


def test_image_files_and_files_in_lists_find_their_fields_again() -> None:
    picture = pickle.loads(pickle.dumps(PkPicture.from_son({"_id": 1, "image": FILE})))
    assert type(picture.image).__name__ == "ImageFieldFile"
    assert picture.image.field is PkPicture._schema.fields["image"]
    album = PkAlbum.from_son({"_id": 1, "files": [FILE]})
    again = pickle.loads(pickle.dumps(album))
    item = again.files[0]
    assert isinstance(item, FieldFile) and item.file_id == FILE
    assert item.field is PkAlbum._schema.fields["files"].field  # type: ignore[attr-defined]
    assert update(again) == {}


def test_an_empty_file_value_round_trips() -> None:
    doc = PkDraft.from_son({"_id": 1})
    assert not doc.attachment
    again = pickle.loads(pickle.dumps(doc))
    assert not again.attachment and update(again) == {}


# --------------------------------------------------------------------------------------------
# Errors and other layouts


def test_a_class_pickle_cannot_find_by_name_is_refused_by_pickle() -> None:
    def make() -> Document:
        class LocalDraft(Document):
            title = StringField()

        return LocalDraft(title="t")

    doc = make()
    with pytest.raises(AttributeError, match="Can't pickle local object"):
        pickle.dumps(doc)
    assert copy.deepcopy(doc).title == "t"  # copying needs no class lookup


def test_a_state_no_document_made_is_refused() -> None:
    doc = PkDraft.__new__(PkDraft)
    with pytest.raises(TypeError, match=r"PkDraft: expected the state .* found \{'title'"):
        doc.__setstate__({"title": "t"})


class PkStructured(mongokit.Document):
    __collection__ = "pickle_structured"
    structure = {"title": str, "rank": int}
    default_values = {"rank": 0}


def test_slots_a_subclass_adds_travel_too() -> None:
    doc = PkStructured()
    doc["title"] = "t"
    for again in (pickle.loads(pickle.dumps(doc)), copy.deepcopy(doc)):
        assert again._mk_absent == doc._mk_absent and again._mk_errors == doc._mk_errors
        assert again.to_mongo() == doc.to_mongo() == {"title": "t", "rank": 0}


def test_a_class_built_with_type_names_its_callers_module() -> None:
    built = type("PkBuiltAtRunTime", (Document,), {"meta": {"collection": "pickle_built"}})
    assert built.__module__ == __name__  # not asyncodm's metaclass module: pickle finds it
    globals()["PkBuiltAtRunTime"] = built
    try:
        again = pickle.loads(pickle.dumps(built.from_son({"_id": 1})))
        assert type(again) is built and again.pk == 1
    finally:
        del globals()["PkBuiltAtRunTime"]
