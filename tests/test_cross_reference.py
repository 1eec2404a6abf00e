"""Lookups through references on every backend: semi-join and ``$lookup`` against the raw data.

Every expectation is computed in Python from the documents as the driver reads them back
(``backend.db``), never by the query engine under test. The semi-join (a ``find`` on the target
for its ids, then ``$in``) runs everywhere; the ``$lookup`` form needs a backend whose
``$lookup`` is right (``needs("lookup")``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from bson import DBRef

from asyncodm import LookUpError, Q, switch_collection
from asyncodm.queryset import _joins
from asyncodm.testing import assert_num_queries, capture_commands
from tests._backends import Backend
from tests.models.crossref import (
    Brief,
    Byline,
    Chief,
    Cutting,
    Folio,
    Locale,
    Nation,
    Piece,
    Pin,
    Remark,
    Scribe,
)

RawDoc = dict[str, Any]

#: "$in with ObjectIds": count_documents matches nothing on nx (tests/_backends.py)
NX_COUNT = pytest.mark.xfail_backend(
    "nx",
    reason="count_documents with {'f': {'$in': [ObjectId]}} returns 0",
    raises=AssertionError,
)


async def seed() -> dict[str, Any]:
    """Three nations, four scribes (one a Chief, one with no nation), five pieces."""
    fr = await Nation(name="France", code="FR").save()
    de = await Nation(name="Germany", code="DE").save()
    await Nation(name="Italy", code="IT").save()
    ann = await Scribe(
        name="Ann", email="ann@x.org", age=30, nation=fr, home=Locale(city="Paris", nation=fr)
    ).save()
    bob = await Scribe(name="Bob", email="bob@y.com", age=40, nation=de).save()
    cy = await Chief(
        name="Cy", email="cy@x.ORG", age=25, home=Locale(city="Lyon", nation=de)
    ).save()
    dee = await Scribe(name="Dee", email="dee@z.net", age=50, nation=fr).save()
    pieces = [
        await Piece(title="p1", views=5, author=ann, editors=[bob], folio=Folio(owner=bob)).save(),
        await Piece(
            title="p2",
            views=15,
            author=bob,
            editors=[ann, cy],
            bylines=[Byline(role="lead", by=cy)],
        ).save(),
        await Piece(title="p3", views=25, author=cy, editors=[], folio=Folio(owner=ann)).save(),
        await Piece(title="p4", views=35).save(),  # no author
        await Piece(title="p5", views=45, author=dee, bylines=[Byline(role="copy", by=ann)]).save(),
    ]
    return {"fr": fr, "de": de, "ann": ann, "bob": bob, "cy": cy, "dee": dee, "pieces": pieces}


async def raw(backend: Backend, collection: str) -> list[RawDoc]:
    return [doc async for doc in backend.db[collection].find({})]


async def expected_titles(
    backend: Backend, local: Callable[[RawDoc], list[Any]], wanted: Callable[[RawDoc], bool]
) -> list[str]:
    """The titles of the stored pieces that refer (``local``: the ids a piece holds) to a
    stored scribe satisfying ``wanted``, computed from the raw documents."""
    scribes = {s["_id"] for s in await raw(backend, "scribe") if wanted(s)}
    return sorted(p["title"] for p in await raw(backend, "piece") if set(local(p)) & scribes)


def author(p: RawDoc) -> list[Any]:
    return [p["author"]] if p.get("author") is not None else []


def editors(p: RawDoc) -> list[Any]:
    return list(p.get("editors") or [])


def folio_owner(p: RawDoc) -> list[Any]:
    owner = (p.get("folio") or {}).get("o")
    return [] if owner is None else [owner]


def byline_scribes(p: RawDoc) -> list[Any]:
    return [b["by"] for b in p.get("bylines") or [] if b.get("by") is not None]


#: nx-27017 0.8.1 (measured through the raw driver): {"editors": {"$in": [ObjectId]}} matches
#: nothing when ``editors`` is an array of ObjectIds
NX_ARRAY_IN = pytest.mark.xfail_backend(
    "nx",
    reason="$in with ObjectIds matches nothing on an array of ObjectIds",
    raises=AssertionError,
)


def array_form(*args: Any, marks: tuple[Any, ...] = ()) -> Any:
    return pytest.param(*args, marks=(NX_ARRAY_IN, *marks), id=next(iter(args[0])))


#: mongomock 4.3.0: $lookup does not look through an array of subdocuments for localField
#: ("bylines.by"), which MongoDB does
MOCK_LOOKUP_ARRAY_PATH = pytest.mark.xfail_backend(
    "mongomock",
    reason="$lookup localField does not reach into an array of subdocuments",
    raises=AssertionError,
)


FORMS: list[Any] = [
    ({"author__name": "Ann"}, author, lambda s: s["name"] == "Ann"),
    ({"author__name__istartswith": "b"}, author, lambda s: s["name"].lower().startswith("b")),
    ({"author__age__gte": 30}, author, lambda s: s["age"] >= 30),
    ({"author__name__in": ["Cy", "Dee"]}, author, lambda s: s["name"] in ("Cy", "Dee")),
    array_form(
        {"editors__email__iendswith": ".org"},
        editors,
        lambda s: s["email"].lower().endswith(".org"),
    ),
    ({"folio__owner__name": "Ann"}, folio_owner, lambda s: s["name"] == "Ann"),
    array_form({"bylines__by__age__lt": 30}, byline_scribes, lambda s: s["age"] < 30),
    (
        {"author__home__city": "Paris"},
        author,
        lambda s: (s.get("home") or {}).get("ci") == "Paris",
    ),
]
LOOKUP_FORMS: list[Any] = [
    *FORMS[:6],
    array_form(
        {"bylines__by__age__lt": 30},
        byline_scribes,
        lambda s: s["age"] < 30,
        marks=(MOCK_LOOKUP_ARRAY_PATH,),
    ),
    *FORMS[7:],
]
FORM_IDS = [None if not isinstance(f, tuple) else next(iter(f[0])) for f in FORMS]


@pytest.mark.parametrize(("lookups", "local", "wanted"), FORMS, ids=FORM_IDS)
async def test_semi_join_matches_what_is_stored(
    backend: Backend,
    lookups: dict[str, Any],
    local: Callable[[RawDoc], list[Any]],
    wanted: Callable[[RawDoc], bool],
) -> None:
    await seed()
    expected = await expected_titles(backend, local, wanted)
    assert expected  # every form matches something in the seed
    async with assert_num_queries(2) as log:
        found = await Piece.objects(**lookups).order_by("title").to_list()
    assert [p.title for p in found] == expected
    assert [c.name for c in log.commands] == ["find", "find"]
    assert [c.collection for c in log.commands] == ["scribe", "piece"]


@pytest.mark.needs("lookup")
@pytest.mark.parametrize(("lookups", "local", "wanted"), LOOKUP_FORMS, ids=FORM_IDS)
async def test_lookup_matches_what_is_stored(
    backend: Backend,
    lookups: dict[str, Any],
    local: Callable[[RawDoc], list[Any]],
    wanted: Callable[[RawDoc], bool],
) -> None:
    await seed()
    expected = await expected_titles(backend, local, wanted)
    async with assert_num_queries(1) as log:
        found = await Piece.objects(**lookups).using_lookup().order_by("title").to_list()
    assert [p.title for p in found] == expected
    assert log.commands[0].name == "aggregate"


async def test_negation_matches_the_pieces_without_such_an_author_too(backend: Backend) -> None:
    await seed()
    anns = set(await expected_titles(backend, author, lambda s: s["name"] == "Ann"))
    every = {p["title"] for p in await raw(backend, "piece")}
    found = await Piece.objects(~Q(author__name="Ann")).order_by("title").to_list()
    assert {p.title for p in found} == every - anns
    assert "p4" in {p.title for p in found}  # no author at all: "not by an Ann"


@pytest.mark.needs("lookup")
async def test_negation_with_lookup_gives_the_same(backend: Backend) -> None:
    await seed()
    semi = await Piece.objects(~Q(author__name="Ann")).order_by("title").to_list()
    joined = await Piece.objects(~Q(author__name="Ann")).using_lookup().order_by("title").to_list()
    assert [p.title for p in joined] == [p.title for p in semi]


async def test_q_combinations(backend: Backend) -> None:
    await seed()
    found = await Piece.objects(Q(author__name="Ann") | Q(title="p4")).order_by("title").to_list()
    assert [p.title for p in found] == ["p1", "p4"]
    both = await Piece.objects(Q(author__age__gte=30) & Q(views__gte=10)).order_by("title")
    assert [p.title for p in both] == ["p2", "p5"]


async def test_two_conditions_through_one_reference_are_one_target_query(
    backend: Backend,
) -> None:
    await seed()

    def wanted(s: RawDoc) -> bool:
        return s["name"] != "Dee" and s["age"] >= 30 and (s.get("home") or {}).get("ci") != "Lyon"

    expected = await expected_titles(backend, author, wanted)
    assert expected == ["p1", "p2"]
    async with assert_num_queries(2) as log:
        found = await Piece.objects(
            author__name__ne="Dee", author__age__gte=30, author__home__city__ne="Lyon"
        ).order_by("title")
    assert [p.title for p in found] == expected
    assert [c.collection for c in log.commands] == ["scribe", "piece"]
    async with assert_num_queries(2):  # two Q, ANDed, and a filter() after: still one
        chained = await Piece.objects(Q(author__name__ne="Dee") & Q(author__age__gte=30)).filter(
            author__home__city__ne="Lyon"
        )
    assert sorted(p.title for p in chained) == expected


async def test_two_conditions_through_a_list_of_references_stay_two(backend: Backend) -> None:
    await seed()
    # p2's editors are Ann (30) and Cy (a Chief, 25): one is Ann, one is under 30, but no
    # editor is both, so merging would lose p2
    anns = set(await expected_titles(backend, editors, lambda s: s["name"] == "Ann"))
    young = set(await expected_titles(backend, editors, lambda s: s["age"] < 30))
    both = await expected_titles(backend, editors, lambda s: s["name"] == "Ann" and s["age"] < 30)
    assert sorted(anns & young) == ["p2"] and both == []
    async with assert_num_queries(3) as log:
        found = await Piece.objects(editors__name="Ann", editors__age__lt=30).to_list()
    assert [p.title for p in found] == ["p2"]
    assert [c.collection for c in log.commands] == ["scribe", "scribe", "piece"]


async def test_two_references_in_a_row_merge_at_the_first(backend: Backend) -> None:
    data = await seed()
    await Remark(piece=data["pieces"][0], text="a").save()
    await Remark(piece=data["pieces"][4], text="b").save()
    fr = {n["_id"] for n in await raw(backend, "nation") if n["c"] == "FR"}
    scribes = {s["_id"] for s in await raw(backend, "scribe") if s.get("nation") in fr}
    pieces = {
        p["_id"]
        for p in await raw(backend, "piece")
        if p.get("author") in scribes and p["views"] > 10
    }
    expected = sorted(r["text"] for r in await raw(backend, "remark") if r["piece"] in pieces)
    assert expected == ["b"]
    async with assert_num_queries(4) as log:  # one query per collection
        found = await Remark.objects(piece__author__nation__code="FR", piece__views__gt=10)
    assert [r.text for r in found] == expected
    assert [c.collection for c in log.commands] == ["nation", "scribe", "piece", "remark"]


async def test_two_references_in_a_row(backend: Backend) -> None:
    await seed()
    nations = {n["_id"] for n in await raw(backend, "nation") if n["c"] == "FR"}
    scribes = {s["_id"] for s in await raw(backend, "scribe") if s.get("nation") in nations}
    expected = sorted(p["title"] for p in await raw(backend, "piece") if p.get("author") in scribes)
    async with assert_num_queries(3) as log:
        found = await Piece.objects(author__nation__code="FR").order_by("title").to_list()
    assert [p.title for p in found] == expected == ["p1", "p5"]
    assert [c.collection for c in log.commands] == ["nation", "scribe", "piece"]
    # through an embedded document on the far side
    homes = await Piece.objects(author__home__nation__name="Germany").to_list()
    assert [p.title for p in homes] == ["p3"]


@pytest.mark.needs("lookup")
async def test_two_references_in_a_row_with_lookup(backend: Backend) -> None:
    await seed()
    async with assert_num_queries(2) as log:
        found = await Piece.objects(author__nation__code="FR").using_lookup().order_by("title")
    assert [p.title for p in found] == ["p1", "p5"]
    assert [c.name for c in log.commands] == ["find", "aggregate"]  # the inner one: a semi-join


async def test_a_reference_to_a_subclass_matches_only_that_class(backend: Backend) -> None:
    data = await seed()
    await Brief(chief=data["cy"], topic="a").save()
    await Brief(chief=data["ann"].pk, topic="b").save()  # not a Chief: never matched
    found = await Brief.objects(chief__age__lt=100).to_list()
    assert [b.topic for b in found] == ["a"]


@NX_COUNT
async def test_count_exists_and_first(backend: Backend) -> None:
    await seed()
    qs = Piece.objects(author__name__istartswith="a", views__gte=1)
    async with assert_num_queries(2):
        assert await qs.count() == 1
    async with assert_num_queries(2):
        assert await qs.exists()
    assert not await Piece.objects(author__name="Nobody").exists()
    first = await Piece.objects(author__age__lt=45).order_by("-views").first()
    assert first is not None and first.title == "p3"


async def test_exists_and_first(backend: Backend) -> None:
    await seed()
    async with assert_num_queries(2):
        assert await Piece.objects(author__name__istartswith="a").exists()
    assert not await Piece.objects(author__name="Nobody").exists()
    first = await Piece.objects(author__age__lt=45).order_by("-views").first()
    assert first is not None and first.title == "p3"
    assert (await Piece.objects.get(author__name="Bob")).title == "p2"


@pytest.mark.needs("lookup")
async def test_count_exists_and_pagination_with_lookup(backend: Backend) -> None:
    await seed()
    qs = Piece.objects(author__age__gte=25).using_lookup()
    assert await qs.count() == 4
    assert await qs.count(with_limit_and_skip=True) == 4
    assert await qs.skip(1).limit(2).count(with_limit_and_skip=True) == 2
    assert await qs.exists()
    page = await qs.order_by("-views").skip(1).limit(2).to_list()
    assert [p.title for p in page] == ["p3", "p2"]
    assert [p.title async for p in qs.order_by("views")] == ["p1", "p2", "p3", "p5"]


async def test_pagination_only_values_and_select_related(backend: Backend) -> None:
    data = await seed()
    qs = Piece.objects(author__age__gte=25).order_by("views")
    page = await qs.skip(1).limit(2).to_list()
    assert [p.title for p in page] == ["p2", "p3"]
    assert [p.title for p in await qs[1:3]] == ["p2", "p3"]
    slim = await qs.only("title").to_list()
    assert [(p.title, p.views) for p in slim] == [("p1", 0), ("p2", 0), ("p3", 0), ("p5", 0)]
    assert await qs.values_list("title", flat=True).to_list() == ["p1", "p2", "p3", "p5"]
    async with assert_num_queries(3):  # the ids, the pieces, their authors in one query
        loaded = await qs.select_related("author").to_list()
    assert [p.author.name for p in loaded] == ["Ann", "Bob", "Cy", "Dee"]
    assert loaded[0].author.pk == data["ann"].pk


@pytest.mark.needs("lookup")
async def test_only_values_and_select_related_with_lookup(backend: Backend) -> None:
    await seed()
    qs = Piece.objects(author__age__gte=25).order_by("views").using_lookup()
    slim = await qs.only("title").to_list()
    assert [(p.title, p.views) for p in slim] == [("p1", 0), ("p2", 0), ("p3", 0), ("p5", 0)]
    stored = await qs.as_pymongo().to_list()
    assert all(not any(k.startswith("_asyncodm") for k in doc) for doc in stored)
    async with assert_num_queries(2):  # the aggregation, then the authors in one query
        loaded = await qs.select_related("author").to_list()
    assert [p.author.name for p in loaded] == ["Ann", "Bob", "Cy", "Dee"]


async def test_update_through_a_reference(backend: Backend) -> None:
    await seed()
    async with assert_num_queries(2):
        assert await Piece.objects(author__name="Bob").update(inc__views=100) == 1
    stored = {p["title"]: p["views"] for p in await raw(backend, "piece")}
    assert stored == {"p1": 5, "p2": 115, "p3": 25, "p4": 35, "p5": 45}
    assert await Piece.objects(author__name="Nobody").update(inc__views=1) == 0


async def test_delete_through_a_reference_applies_delete_rules(backend: Backend) -> None:
    data = await seed()
    p1, p2 = data["pieces"][:2]
    await Remark(piece=p1, text="on p1").save()
    await Remark(piece=p2, text="on p2").save()
    assert await Piece.objects(author__name="Ann").delete() == 1
    assert sorted(p["title"] for p in await raw(backend, "piece")) == ["p2", "p3", "p4", "p5"]
    assert [r["text"] for r in await raw(backend, "remark")] == ["on p2"]  # cascaded


@pytest.mark.needs("lookup")
async def test_writes_with_lookup_act_on_the_matching_ids_in_chunks(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = await seed()
    await Remark(piece=data["pieces"][1], text="on p2").save()
    monkeypatch.setattr(_joins, "LOOKUP_ABOVE", 1)
    qs = Piece.objects(author__age__gte=30).using_lookup()  # p1, p2, p5
    async with capture_commands() as log:
        assert await qs.update(set__views=0) == 3
    assert log.names == ["aggregate", "update", "update", "update"]
    assert sorted(p["title"] for p in await raw(backend, "piece") if p["views"] == 0) == [
        "p1",
        "p2",
        "p5",
    ]
    assert await qs.delete() == 3
    assert sorted(p["title"] for p in await raw(backend, "piece")) == ["p3", "p4"]
    assert await raw(backend, "remark") == []  # the delete rule still cascaded


@pytest.mark.needs("lookup")
async def test_above_the_threshold_the_semi_join_becomes_a_lookup(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed()
    monkeypatch.setattr(_joins, "LOOKUP_ABOVE", 2)
    async with capture_commands() as log:
        found = await Piece.objects(author__age__gte=30).order_by("title").to_list()  # 3 scribes
    assert [p.title for p in found] == ["p1", "p2", "p5"]
    assert log.names == ["find", "aggregate"]
    assert log.commands[0].command["limit"] == 3
    async with capture_commands() as log:
        few = await Piece.objects(author__age__gte=45).to_list()  # 1 scribe: a semi-join
    assert [p.title for p in few] == ["p5"]
    assert log.names == ["find", "find"]


@pytest.mark.xfail_backend(
    "nx", reason="distinct ignores a {'$in': [ObjectId]} filter", raises=AssertionError
)
async def test_distinct(backend: Backend) -> None:
    await seed()
    assert sorted(await Piece.objects(author__age__gte=30).distinct("title")) == [
        "p1",
        "p2",
        "p5",
    ]


@pytest.mark.xfail_backend(
    "nx", reason="$match with {'$in': [ObjectId]} matches nothing", raises=AssertionError
)
async def test_aggregate_and_sum(backend: Backend) -> None:
    await seed()
    rows = (
        await Piece.objects(author__age__gte=30).aggregate([{"$project": {"title": 1}}]).to_list()
    )
    assert sorted(r["title"] for r in rows) == ["p1", "p2", "p5"]
    assert await Piece.objects(author__age__gte=30).sum("views") == 65


async def test_the_target_collection_follows_switch_collection(backend: Backend) -> None:
    await seed()
    with switch_collection(Scribe, "scribe_archive"):
        old = await Scribe(name="Old", age=99).save()
    await Piece(title="archived", author=old).save()
    assert await Piece.objects(author__name="Old").to_list() == []  # not in "scribe"
    with switch_collection(Scribe, "scribe_archive"):
        async with assert_num_queries(2) as log:
            found = await Piece.objects(author__name="Old").to_list()
    assert [p.title for p in found] == ["archived"]
    assert log.commands[0].collection == "scribe_archive"


@pytest.mark.needs("exact_subdoc_match")  # {"$eq": {...}}: nx cannot compare with a dict
async def test_an_operator_shaped_value_stays_data(backend: Backend) -> None:
    await seed()
    async with assert_num_queries(2) as log:
        assert await Piece.objects(author__name={"$ne": None}).to_list() == []
    assert log.commands[0].command["filter"] == {"name": {"$eq": {"$ne": None}}}
    assert await Piece.objects(author__name__in=[{"$exists": True}]).to_list() == []
    assert await Piece.objects(author__name__istartswith=".*").to_list() == []


@pytest.mark.needs("lookup", "exact_subdoc_match")
async def test_an_operator_shaped_value_stays_data_with_lookup(backend: Backend) -> None:
    await seed()
    assert await Piece.objects(author__name={"$ne": None}).using_lookup().to_list() == []
    assert await Piece.objects(author__name__istartswith=".*").using_lookup().to_list() == []


@pytest.mark.needs("dbref")
async def test_a_dbref_reference(backend: Backend) -> None:
    data = await seed()
    p1, p2 = data["pieces"][:2]
    await Cutting(piece=p1, note="one").save()
    await Cutting(piece=p2, note="two").save()
    stored = await raw(backend, "cutting")
    assert stored[0]["piece"] == DBRef("piece", p1.pk)
    found = await Cutting.objects(piece__views__gte=10).to_list()
    assert [c.note for c in found] == ["two"]


async def test_bad_lookups_raise_before_any_query(backend: Backend) -> None:
    async with assert_num_queries(0):
        with pytest.raises(LookUpError, match="'target' is a generic reference"):
            await Pin.objects(target__name="x").to_list()
        with pytest.raises(LookUpError, match="crosses the reference 'author' into Scribe"):
            await Piece.objects(author__nmae="x").count()
        with pytest.raises(LookUpError, match="Piece has no field 'auther'"):
            await Piece.objects(auther__name="x").exists()


async def test_modify_and_in_bulk_through_a_reference(backend: Backend) -> None:
    await seed()
    before = await Piece.objects(author__name="Cy").modify(set__views=7)
    assert before is not None and before.title == "p3" and before.views == 25
    stored = [p for p in await raw(backend, "piece") if p["title"] == "p3"]
    assert stored[0]["views"] == 7
    ids = [p["_id"] for p in await raw(backend, "piece")]
    found = await Piece.objects(author__name="Cy").in_bulk(ids)
    assert [p.title for p in found.values()] == ["p3"]


async def test_a_target_in_another_database_is_always_a_semi_join(backend: Backend) -> None:
    import asyncodm
    from asyncodm import switch_db

    other = backend.db_name + "_x"
    asyncodm.connect(client=backend.client, db=other, alias="xref_other")
    try:
        with switch_db(Scribe, "xref_other"):
            far = await Scribe(name="Far", age=1).save()
        await Piece(title="far", author=far).save()
        with switch_db(Scribe, "xref_other"):
            async with capture_commands() as log:
                found = await Piece.objects(author__name="Far").using_lookup().to_list()
        assert [p.title for p in found] == ["far"]
        assert log.names == ["find", "find"]  # $lookup cannot reach another database
    finally:
        await backend.client.drop_database(other)
        await asyncodm.disconnect("xref_other")


@pytest.mark.needs("lookup", "dbref_query")  # $getField on a DBRef's $id: a real MongoDB
async def test_a_dbref_reference_with_lookup(backend: Backend) -> None:
    data = await seed()
    await Cutting(piece=data["pieces"][0], note="one").save()
    await Cutting(piece=data["pieces"][1], note="two").save()
    found = await Cutting.objects(piece__views__gte=10).using_lookup().to_list()
    assert [c.note for c in found] == ["two"]


def test_a_change_stream_cannot_filter_through_a_reference() -> None:
    with pytest.raises(LookUpError, match="change stream of Piece cannot filter through"):
        Piece.objects(author__name="Ann").watch()


async def test_a_plain_delete_through_a_reference(backend: Backend) -> None:
    # Scribe has no delete rules: one delete_many with the semi-join's filter
    await seed()
    async with assert_num_queries(2) as log:
        assert await Scribe.objects(nation__code="DE").delete() == 1
    assert log.names == ["find", "delete"]
    assert sorted(s["name"] for s in await raw(backend, "scribe")) == ["Ann", "Cy", "Dee"]


@pytest.mark.needs("lookup")
async def test_a_plain_delete_with_lookup_deletes_the_matching_ids_in_chunks(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed()
    monkeypatch.setattr(_joins, "LOOKUP_ABOVE", 1)
    async with capture_commands() as log:
        assert await Scribe.objects(nation__code="FR").using_lookup().delete() == 2
    assert log.names == ["aggregate", "delete", "delete"]
    assert sorted(s["name"] for s in await raw(backend, "scribe")) == ["Bob", "Cy"]
    async with capture_commands() as log:
        assert await Scribe.objects(nation__code="IT").using_lookup().delete() == 0
    assert log.names == ["aggregate", "delete"]


@pytest.mark.xfail_backend(
    "nx", reason="$match with {'$in': [ObjectId]} matches nothing", raises=AssertionError
)
async def test_grouping_through_a_reference(backend: Backend) -> None:
    from asyncodm import Count, Sum

    data = await seed()
    await Piece(title="p6", views=1, author=data["ann"]).save()
    rows = await Piece.objects(author__name="Ann").values("author").annotate(n=Count()).to_list()
    assert [(r["author"].pk, r["n"]) for r in rows] == [(data["ann"].pk, 2)]
    totals = await Piece.objects(author__age__gte=30).aggregate_values(total=Sum("views"))
    assert totals == {"total": 5 + 15 + 45 + 1}


@pytest.mark.needs("lookup")
async def test_grouping_through_a_reference_with_lookup(backend: Backend) -> None:
    from asyncodm import Sum

    await seed()
    qs = Piece.objects(author__age__gte=30).using_lookup()
    async with assert_num_queries(1):
        assert await qs.aggregate_values(total=Sum("views")) == {"total": 65}


def test_an_f_expression_cannot_cross_a_reference() -> None:
    from asyncodm import F

    with pytest.raises(LookUpError, match="crosses the reference 'author': an F expression"):
        Piece.objects(author__name=F("title")).explain_filter()
