"""Stored lists and dicts handed out without a copy still save exactly what changed.

A loaded top-level document returns the very list or dict the driver decoded for a
``ListField`` of plain items or an untyped ``DictField`` and keeps a pickled snapshot as the
baseline (asyncodm.fields._snapshots); these tests pin that change tracking sees every kind of change
through that shared value, and that everything else still gets its own copy.
"""

from __future__ import annotations

import decimal
from typing import Any

from bson import Decimal128, ObjectId

from asyncodm import (
    DictField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    ListField,
    StringField,
)
from asyncodm._instance import _state
from asyncodm._instance._codec import compute_delta


class Box(EmbeddedDocument):
    labels = ListField(StringField())


class Shelf(Document):
    name = StringField()
    tags = ListField(StringField())
    extra = DictField()
    box = EmbeddedDocumentField(Box)


def stored() -> dict[str, Any]:
    return {
        "_id": ObjectId(),
        "name": "s",
        "tags": ["a", "b"],
        "extra": {"seo": {"slug": "x", "index": True}, "flags": ["f"], "n": 1},
        "box": {"labels": ["l1"]},
    }


def test_reads_hand_out_the_stored_containers() -> None:
    son = stored()
    shelf = Shelf._from_son(son)
    assert shelf.tags is son["tags"] and shelf.extra is son["extra"]
    assert not compute_delta(shelf)  # reading is not a change


def test_in_place_changes_are_saved_as_the_smallest_paths() -> None:
    shelf = Shelf._from_son(stored())
    shelf.tags.append("c")
    shelf.extra["seo"]["slug"] = "y"
    del shelf.extra["n"]
    shelf.extra["flags"].append("g")
    assert compute_delta(shelf).update_document() == {
        "$set": {"tags": ["a", "b", "c"], "extra.seo.slug": "y", "extra.flags": ["f", "g"]},
        "$unset": {"extra.n": ""},
    }


def test_changes_after_a_save_are_tracked_against_what_was_saved() -> None:
    shelf = Shelf._from_son(stored())
    shelf.tags.append("c")
    delta = compute_delta(shelf)
    son = shelf._son
    assert son is not None
    _state.apply_delta(son, delta.new_values)
    _state.mark_saved(shelf, son)  # what save() does once the update succeeded
    assert son["tags"] is not shelf.tags  # the new baseline is the sent copy
    shelf.tags.append("d")
    assert compute_delta(shelf).update_document() == {"$set": {"tags": ["a", "b", "c", "d"]}}


def test_assigning_replaces_and_is_compared_with_the_stored_value() -> None:
    shelf = Shelf._from_son(stored())
    kept = shelf.tags
    kept.append("changed through the old list")
    shelf.tags = ["a", "b"]
    assert not compute_delta(shelf)  # equal to what is stored, whatever happened to `kept`


def test_embedded_documents_still_copy_their_lists() -> None:
    son = stored()
    shelf = Shelf._from_son(son)
    assert shelf.box.labels is not son["box"]["labels"]
    shelf.box.labels.append("l2")
    assert son["box"]["labels"] == ["l1"]
    assert compute_delta(shelf).update_document() == {"$set": {"box.labels": ["l1", "l2"]}}


def test_data_that_reads_differently_from_how_it_is_stored_is_converted() -> None:
    son = stored()
    son["extra"] = {"price": Decimal128("1.50")}
    shelf = Shelf._from_son(son)
    assert shelf.extra == {"price": decimal.Decimal("1.50")} and shelf.extra is not son["extra"]


def test_values_pickle_cannot_snapshot_are_copied() -> None:
    class Local:  # defined in a function: pickle cannot find it by name
        pass

    son = stored()
    marker = Local()
    son["extra"] = {"obj": marker}
    shelf = Shelf._from_son(son)
    assert shelf.extra is not son["extra"] and shelf.extra["obj"] is marker


def test_from_son_adopts_the_document_as_a_query_does() -> None:
    """``from_son`` costs what the query path's loader costs: a dict is adopted, not copied
    (API: the caller hands it over), so it *is* the document's state, as a decoded dict is
    for a query; the delta stays exact. A mapping of another type is copied into a dict."""
    mine = stored()
    shelf = Shelf.from_son(mine)
    assert shelf.__dict__ is mine and shelf._son is mine  # adopted: nothing copied
    assert shelf.tags is mine["tags"] and shelf.extra is mine["extra"]
    shelf.name = "renamed"
    shelf.tags.append("c")
    shelf.extra["seo"]["slug"] = "y"
    assert mine["name"] == "renamed" and mine["tags"] == ["a", "b", "c"]  # its state
    assert compute_delta(shelf).update_document() == {
        "$set": {"name": "renamed", "tags": ["a", "b", "c"], "extra.seo.slug": "y"}
    }
