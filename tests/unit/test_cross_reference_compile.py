"""Lookups through references, compiled (pure): the pending semi-join markers, the semi-join
filter and the ``$lookup`` pipeline pinned as dicts for every form, and the errors."""

from __future__ import annotations

import re
from typing import Any

import pytest
from bson import DBRef, Regex

from asyncodm import LookUpError, Q
from asyncodm.queryset._compile import compile_filter
from asyncodm.queryset._join_plan import Join, contains_join, dbref_key, lookup_stages, substitute
from asyncodm.queryset._joins import condition, top_joins
from tests.models.crossref import Brief, Cutting, Piece, Pin, Remark, Scribe


def plain(query: Any) -> Any:
    """A compiled filter with each marker shown as a dict (markers compare by identity)."""

    def shown(join: Join) -> dict[str, Any]:
        return {
            "JOIN": join.target.__name__,
            "query": plain(join.query),
            "local": join.local,
            "dbref": join.dbref,
        }

    return substitute(query, shown)


def join(target: str, query: Any, local: str, dbref: bool = False) -> dict[str, Any]:
    return {"JOIN": target, "query": query, "local": local, "dbref": dbref}


def compiled(model: type, *queries: Q, **lookups: Any) -> Any:
    node = Q(**lookups)
    for q in queries:
        node = node & q
    return plain(compile_filter(model, node))


def iendswith(text: str) -> dict[str, Any]:
    return {"$regex": re.escape(text) + r"(?![\s\S])", "$options": "i"}


# --------------------------------------------------------------------------------------------
# The compiled form of every kind of path


@pytest.mark.parametrize(
    ("lookups", "expected"),
    [
        ({"author__name": "Ann"}, {"author": join("Scribe", {"name": "Ann"}, "author")}),
        (
            {"author__name__istartswith": "a.", "views__gte": 10},
            {
                "author": join("Scribe", {"name": {"$regex": r"^a\.", "$options": "i"}}, "author"),
                "views": {"$gte": 10},
            },
        ),
        (  # a list of references: any of them
            {"editors__email__iendswith": ".org"},
            {"editors": join("Scribe", {"email": iendswith(".org")}, "editors")},
        ),
        (  # one item of the list
            {"editors__0__name": "Ann"},
            {"editors.0": join("Scribe", {"name": "Ann"}, "editors.0")},
        ),
        (  # an embedded document on this side (db_field names)
            {"folio__owner__name": "Ann"},
            {"folio.o": join("Scribe", {"name": "Ann"}, "folio.o")},
        ),
        (  # a list of embedded documents on this side
            {"bylines__by__age__lt": 30},
            {"bylines.by": join("Scribe", {"age": {"$lt": 30}}, "bylines.by")},
        ),
        (  # an embedded document on the far side
            {"author__home__city": "Paris"},
            {"author": join("Scribe", {"home.ci": "Paris"}, "author")},
        ),
        (  # the far side's own negation and operators
            {"author__name__not__startswith": "A"},
            {"author": join("Scribe", {"name": {"$not": Regex("^A", 0)}}, "author")},
        ),
        (  # two references in a row: a marker inside the marker
            {"author__nation__code": "FR"},
            {"author": join("Scribe", {"nation": join("Nation", {"c": "FR"}, "nation")}, "author")},
        ),
        (  # ... through an embedded document on the far side
            {"author__home__nation__name": "France"},
            {
                "author": join(
                    "Scribe",
                    {"home.nation": join("Nation", {"name": "France"}, "home.nation")},
                    "author",
                )
            },
        ),
    ],
)
def test_a_lookup_through_a_reference_compiles_to_a_pending_semi_join(
    lookups: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert compiled(Piece, **lookups) == expected


def test_two_lookups_through_one_reference_stay_two_conditions() -> None:
    # as MongoDB reads ``{"editors.name": .., "editors.age": ..}``: each may be met by another
    # editor, so they are two semi-joins, ANDed (also when written as two Q)
    assert compiled(Piece, Q(editors__name="Ann") & Q(editors__age=30)) == compiled(
        Piece, editors__name="Ann", editors__age=30
    )
    assert not next(top_joins(compile_filter(Piece, Q(editors__name="Ann")))).single
    assert compiled(Piece, editors__name="Ann", editors__age=30) == {
        "$and": [
            {"editors": join("Scribe", {"name": "Ann"}, "editors")},
            {"editors": join("Scribe", {"age": 30}, "editors")},
        ]
    }


@pytest.mark.parametrize(
    "node",
    [
        Q(author__name="Ann", author__age__lt=40),  # one Q
        Q(author__name="Ann") & Q(author__age__lt=40),  # & of two
    ],
    ids=["keywords", "and"],
)
def test_two_lookups_through_one_single_reference_are_one_target_query(node: Q) -> None:
    # one author per piece: both conditions concern the same referenced document
    query = compile_filter(Piece, node)
    assert plain(query) == {"author": join("Scribe", {"name": "Ann", "age": {"$lt": 40}}, "author")}
    (marker,) = top_joins(query)
    assert marker.single


def test_merged_lookups_keep_their_conditions_on_one_field_apart() -> None:
    assert compiled(Piece, Q(author__name="Ann") & Q(author__name__startswith="A")) == {
        "author": join("Scribe", {"$and": [{"name": "Ann"}, {"name": {"$regex": "^A"}}]}, "author")
    }


def test_lookups_merge_through_the_far_sides_embedded_documents_and_references() -> None:
    assert compiled(Piece, author__home__city="Paris", author__name="Ann") == {
        "author": join("Scribe", {"home.ci": "Paris", "name": "Ann"}, "author")
    }
    # two references in a row: merged at each reference, the inner one too
    assert compiled(Remark, piece__author__name="Ann", piece__author__age=30, piece__title="t") == {
        "piece": join(
            "Piece",
            {"author": join("Scribe", {"name": "Ann", "age": 30}, "author"), "title": "t"},
            "piece",
        )
    }
    # one item of a list picked by its index is one reference
    assert compiled(Piece, editors__0__name="Ann", editors__0__age=30) == {
        "editors.0": join("Scribe", {"name": "Ann", "age": 30}, "editors.0")
    }


def test_merged_lookups_to_a_subclass_filter_its_class_once() -> None:
    assert compiled(Brief, chief__name="Ann", chief__age=3) == {
        "chief": join(
            "Chief", {"_cls": {"$in": ["Scribe.Chief"]}, "name": "Ann", "age": 3}, "chief"
        )
    }


def test_a_dbref_reference_merges_too() -> None:
    assert compiled(Cutting, piece__title="t", piece__views__gt=1) == {
        "piece": join("Piece", {"title": "t", "views": {"$gt": 1}}, "piece", dbref=True)
    }


def test_lookups_through_a_list_of_embedded_documents_are_not_merged() -> None:
    # two bylines may each meet one condition (as MongoDB reads "bylines.by.x")
    query = compile_filter(Piece, Q(bylines__by__name="Ann", bylines__by__age=30))
    assert plain(query) == {
        "$and": [
            {"bylines.by": join("Scribe", {"name": "Ann"}, "bylines.by")},
            {"bylines.by": join("Scribe", {"age": 30}, "bylines.by")},
        ]
    }
    assert not any(j.single for j in top_joins(query))
    # ...but inside $elemMatch one byline is meant, and its one reference merges
    assert compiled(Piece, bylines__match={"by__name": "Ann", "by__age": 30}) == {
        "bylines": {"$elemMatch": {"by": join("Scribe", {"name": "Ann", "age": 30}, "by")}}
    }


def test_lookups_in_two_branches_of_or_or_under_not_are_not_merged() -> None:
    ann = join("Scribe", {"name": "Ann"}, "author")
    young = join("Scribe", {"age": {"$lt": 40}}, "author")
    assert compiled(Piece, Q(author__name="Ann") | Q(author__age__lt=40)) == {
        "$or": [{"author": ann}, {"author": young}]
    }
    assert compiled(Piece, Q(author__name="Ann") & ~Q(author__age__lt=40)) == {
        "author": ann,
        "$nor": [{"author": young}],
    }


def test_a_reference_to_a_subclass_filters_the_targets_class() -> None:
    assert compiled(Brief, chief__name="Ann") == {
        "chief": join("Chief", {"_cls": {"$in": ["Scribe.Chief"]}, "name": "Ann"}, "chief")
    }


def test_a_dbref_reference_is_marked_as_such() -> None:
    assert compiled(Cutting, piece__title="t") == {
        "piece": join("Piece", {"title": "t"}, "piece", dbref=True)
    }


def test_q_combinations_and_negation() -> None:
    ann = join("Scribe", {"name": "Ann"}, "author")
    assert compiled(Piece, Q(author__name="Ann") | Q(title="x")) == {
        "$or": [{"author": ann}, {"title": "x"}]
    }
    # not "the author is called Ann": the author is not among the Anns, which includes the
    # pieces with no author at all (the $lookup form says the same)
    assert compiled(Piece, ~Q(author__name="Ann")) == {"$nor": [{"author": ann}]}


def test_a_lookup_inside_match_is_compiled_against_the_embedded_class() -> None:
    assert compiled(Piece, bylines__match={"role": "lead", "by__name": "Ann"}) == {
        "bylines": {"$elemMatch": {"role": "lead", "by": join("Scribe", {"name": "Ann"}, "by")}}
    }


def test_a_value_shaped_like_an_operator_stays_data_on_the_far_side() -> None:
    assert compiled(Piece, author__name={"$ne": None}) == {
        "author": join("Scribe", {"name": {"$eq": {"$ne": None}}}, "author")
    }
    assert compiled(Piece, author__name__in=[{"$gt": ""}]) == {
        "author": join("Scribe", {"name": {"$in": [{"$gt": ""}]}}, "author")
    }


def test_a_lookup_on_the_reference_itself_is_unchanged() -> None:
    query = compile_filter(Piece, Q(author__exists=True, editors__size=2))
    assert query == {"author": {"$exists": True}, "editors": {"$size": 2}}
    assert not contains_join(query)


# --------------------------------------------------------------------------------------------
# Bad input


def test_a_generic_reference_cannot_be_crossed() -> None:
    with pytest.raises(LookUpError) as info:
        compile_filter(Pin, Q(target__name="Ann"))
    message = str(info.value)
    assert "Pin has no field 'target__name' in lookup 'target__name'" in message
    assert "'target' is a generic reference, which cannot be crossed" in message


def test_an_unknown_field_on_the_far_side_names_the_whole_lookup() -> None:
    with pytest.raises(LookUpError) as info:
        compile_filter(Piece, Q(author__nmae__istartswith="a"))
    message = str(info.value)
    assert message.startswith(
        "Piece lookup 'author__nmae__istartswith' crosses the reference 'author' into Scribe: "
        "Scribe has no field 'nmae'"
    )
    with pytest.raises(
        LookUpError,
        match=r"crosses the reference 'author' into Scribe: .*"
        r"crosses the reference 'nation' into Nation: Nation has no field 'cc'",
    ):
        compile_filter(Piece, Q(author__nation__cc="FR"))


def test_an_unknown_field_on_this_side_is_the_usual_error() -> None:
    with pytest.raises(LookUpError, match="Piece has no field 'auther'"):
        compile_filter(Piece, Q(auther__name="Ann"))


# --------------------------------------------------------------------------------------------
# Resolution, pure: the semi-join condition and the $lookup pipeline


def test_the_semi_join_condition_is_in_on_the_stored_reference() -> None:
    query = compile_filter(Piece, Q(author__name="Ann") & Q(views__gte=1))
    (marker,) = top_joins(query)
    assert substitute(query, lambda j: condition(j, [1, 2])) == {
        "author": {"$in": [1, 2]},
        "views": {"$gte": 1},
    }
    dbref = next(top_joins(compile_filter(Cutting, Q(piece__title="t"))))
    assert condition(dbref, [7]) == {"$in": [DBRef("piece", 7)]}
    assert marker.target is Scribe


def _stages(query: dict[str, Any], *, semi: Any = None) -> list[dict[str, Any]]:
    """The $lookup plan joining every top-level marker (inner ones: ``{"$in": semi}``)."""
    return lookup_stages(query, lambda j: j.target._schema.collection, lambda j: {"$in": semi})


def test_the_lookup_pipeline_matches_plain_conditions_first() -> None:
    query = compile_filter(Piece, Q(author__name="Ann", views__gte=10))
    assert _stages(query) == [
        {"$match": {"views": {"$gte": 10}}},
        {
            "$lookup": {
                "from": "scribe",
                "localField": "author",
                "foreignField": "_id",
                "as": "_asyncodm_join0",
            }
        },
        {"$match": {"_asyncodm_join0": {"$elemMatch": {"name": "Ann"}}}},
        {"$project": {"_asyncodm_join0": 0}},
    ]


def test_the_lookup_pipeline_under_or_and_nor() -> None:
    query = compile_filter(Piece, (~Q(author__name="Ann")) | Q(editors__age__gt=3, title="t"))
    lookups = [
        {"$lookup": {"from": "scribe", "localField": local, "foreignField": "_id", "as": name}}
        for local, name in (("author", "_asyncodm_join0"), ("editors", "_asyncodm_join1"))
    ]
    assert _stages(query) == [
        *lookups,
        {
            "$match": {
                "$or": [
                    {"$nor": [{"_asyncodm_join0": {"$elemMatch": {"name": "Ann"}}}]},
                    {
                        "$and": [
                            {"title": "t"},
                            {"_asyncodm_join1": {"$elemMatch": {"age": {"$gt": 3}}}},
                        ]
                    },
                ]
            }
        },
        {"$project": {"_asyncodm_join0": 0, "_asyncodm_join1": 0}},
    ]


def test_the_lookup_pipeline_resolves_inner_references_as_semi_joins() -> None:
    query = compile_filter(Piece, Q(author__nation__code="FR"))
    assert _stages(query, semi=["n1"]) == [
        {
            "$lookup": {
                "from": "scribe",
                "localField": "author",
                "foreignField": "_id",
                "as": "_asyncodm_join0",
            }
        },
        {"$match": {"_asyncodm_join0": {"$elemMatch": {"nation": {"$in": ["n1"]}}}}},
        {"$project": {"_asyncodm_join0": 0}},
    ]


def test_the_lookup_pipeline_reads_the_ids_of_dbrefs() -> None:
    query = compile_filter(Cutting, Q(piece__title="t"))
    assert _stages(query) == [
        {"$addFields": {"_asyncodm_join0_ids": dbref_key("piece")}},
        {
            "$lookup": {
                "from": "piece",
                "localField": "_asyncodm_join0_ids",
                "foreignField": "_id",
                "as": "_asyncodm_join0",
            }
        },
        {"$match": {"_asyncodm_join0": {"$elemMatch": {"title": "t"}}}},
        {"$project": {"_asyncodm_join0": 0, "_asyncodm_join0_ids": 0}},
    ]
    assert dbref_key("piece") == {
        "$cond": [
            {"$isArray": "$piece"},
            {
                "$map": {
                    "input": "$piece",
                    "in": {"$getField": {"field": {"$literal": "$id"}, "input": "$$this"}},
                }
            },
            {"$getField": {"field": {"$literal": "$id"}, "input": "$piece"}},
        ]
    }


def test_a_marker_inside_an_operator_is_always_a_semi_join() -> None:
    query = compile_filter(Piece, Q(bylines__match={"by__name": "Ann"}))
    assert _stages(query, semi=[1]) == [
        {"$match": {"bylines": {"$elemMatch": {"by": {"$in": [1]}}}}},
    ]
