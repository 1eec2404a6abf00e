"""The change stream's ``$match``, compiled purely from a queryset's filter (no database)."""

from __future__ import annotations

import pytest

from asyncodm import OperationError
from asyncodm.queryset import Q, QuerySet
from asyncodm.queryset._watch import change_stream_match, watch_pipeline
from tests.models.feeds import Event, Purchase, Story


def test_field_paths_gain_the_full_document_prefix() -> None:
    assert change_stream_match({"t": "a", "byline.name": {"$in": ["x"]}}) == {
        "fullDocument.t": "a",
        "fullDocument.byline.name": {"$in": ["x"]},
    }


def test_logical_operators_are_rewritten_at_every_depth() -> None:
    query = {"$or": [{"a": 1}, {"$and": [{"b": 2}, {"$nor": [{"c": 3}]}]}]}
    assert change_stream_match(query) == {
        "$or": [
            {"fullDocument.a": 1},
            {"$and": [{"fullDocument.b": 2}, {"$nor": [{"fullDocument.c": 3}]}]},
        ]
    }


def test_expr_field_references_are_prefixed_but_variables_and_literals_kept() -> None:
    query = {
        "$expr": {
            "$and": [
                {"$gt": ["$views", "$likes.n"]},
                {"$eq": ["$$ROOT.x", {"$literal": "$notapath"}]},
            ]
        },
        "$comment": "why",
    }
    assert change_stream_match(query) == {
        "$expr": {
            "$and": [
                {"$gt": ["$fullDocument.views", "$fullDocument.likes.n"]},
                {"$eq": ["$$ROOT.x", {"$literal": "$notapath"}]},
            ]
        },
        "$comment": "why",
    }


@pytest.mark.parametrize("op", ["$text", "$where"])
def test_operators_a_stream_cannot_run_are_refused(op: str) -> None:
    with pytest.raises(OperationError, match=r"cannot be used in a change stream"):
        change_stream_match({op: {"$search": "x"}})


def test_the_queryset_compiler_supplies_stored_names_and_escaping() -> None:
    qs = QuerySet(Story)(Q(title__startswith="a.b") | Q(views__gte=2))
    assert watch_pipeline(qs._query) == [
        {
            "$match": {
                "$or": [
                    {"fullDocument.t": {"$regex": "^a\\.b"}},
                    {"fullDocument.views": {"$gte": 2}},
                ]
            }
        }
    ]


def test_a_subclass_filters_on_its_cls_names() -> None:
    assert watch_pipeline(QuerySet(Purchase)._query) == [
        {"$match": {"fullDocument._cls": {"$in": ["Event.Purchase"]}}}
    ]
    assert watch_pipeline(QuerySet(Event)._query) == []


def test_operation_types_join_the_filter() -> None:
    assert watch_pipeline({"t": "x"}, ["insert", "replace"]) == [
        {"$match": {"operationType": {"$in": ["insert", "replace"]}, "fullDocument.t": "x"}}
    ]
    # A document field named like an event field cannot collide: it is under fullDocument.
    assert watch_pipeline({"operationType": 1}, ["insert"]) == [
        {"$match": {"operationType": {"$in": ["insert"]}, "fullDocument.operationType": 1}}
    ]
