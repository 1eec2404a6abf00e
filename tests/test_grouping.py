"""Grouping and expressions on every backend: ``values().annotate()`` rows, ``aggregate_values``,
``F`` comparisons in filters and ``F`` in updates, each checked against the same pipeline or
filter sent through the raw driver and against the values worked out by hand.

The compiled documents themselves are pinned in ``tests/unit/test_grouping_compile.py``."""

from __future__ import annotations

import datetime
import decimal
from typing import Any

import pytest
from bson import ObjectId

from asyncodm import (
    Avg,
    Count,
    F,
    LookUpError,
    Max,
    Min,
    OperationError,
    Q,
    Sum,
    ValidationError,
)
from asyncodm.testing import assert_num_queries
from tests._backends import Backend, maybe_await
from tests.models.library import Ebook
from tests.models.sales import Customer, Ledger, Line, Shipping

JAN, FEB, MAR, DEC = (
    datetime.datetime(2024, 1, 1),
    datetime.datetime(2024, 2, 1),
    datetime.datetime(2024, 3, 1),
    datetime.datetime(2023, 12, 1),
)


#: nx-27017 groups by a document ``_id`` without evaluating it: every row's key comes back as
#: the literal path strings (``{"sku": "$s"}``), so every document is in one group.
NX_GROUP_KEYS = pytest.mark.xfail_backend(
    "nx",
    reason="a $group _id document is not evaluated: its values come back as the strings '$path'",
    raises=AssertionError,
)
#: nx-27017 returns datetimes from pipelines as JSON strings.
NX_PIPELINE_DATES = pytest.mark.xfail_backend(
    "nx", reason="datetimes come back from pipelines as JSON strings", raises=AssertionError
)
NX_NO_PIPELINE_UPDATE = pytest.mark.xfail_backend(
    "nx", reason="pipeline-style updates fail (WriteError code 8)", raises=OperationError
)


async def seed() -> tuple[Customer, Customer]:
    ann, bob = Customer(name="ann"), Customer(name="bob")
    await Customer.objects.bulk_create([ann, bob])
    await Line.objects.bulk_create(
        [
            Line(sku="a", status="paid", price=2.0, qty=3, likes=1, tags=["x"], sold=JAN,
                 shipping=Shipping(city="Paris", cost=5.0), customer=ann),
            Line(sku="b", status="paid", price=5.0, qty=1, likes=4, sold=FEB,
                 shipping=Shipping(city="Lyon", cost=2.0), customer=bob),
            Line(sku="a", status="draft", price=1.5, qty=4, likes=4, sold=MAR,
                 shipping=Shipping(city="Paris", cost=1.0), customer=ann),
            Line(sku="c", status="paid", qty=2, likes=0, sold=DEC),  # no price, no shipping
        ]
    )  # fmt: skip
    return ann, bob


async def raw_pipeline(backend: Backend, pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same pipeline through the raw driver."""
    cursor = await maybe_await(backend.db["sales_lines"].aggregate(pipeline))
    return list(await cursor.to_list(None))


@NX_GROUP_KEYS
async def test_the_api_example_matches_the_raw_driver(backend: Backend) -> None:
    await seed()
    qs = Line.objects.values("status").annotate(n=Count(), total=Sum("qty")).order_by("-total")
    rows = await qs.to_list()
    assert rows == [
        {"status": "paid", "n": 3, "total": 6},
        {"status": "draft", "n": 1, "total": 4},
    ]
    assert rows == await raw_pipeline(backend, qs.pipeline())
    assert [row async for row in qs] == rows
    assert await qs == rows
    assert await qs.first() == rows[0]
    assert await qs.count() == 2


@NX_GROUP_KEYS
async def test_every_aggregate(backend: Backend) -> None:
    await seed()
    qs = (
        Line.objects.values("status")
        .annotate(
            rows=Count(),
            priced=Count("price"),
            skus=Count("sku", distinct=True),
            qty=Sum("qty"),
            avg=Avg("price"),
            first=Min("sold"),
            last=Max("sku"),
            revenue=Sum(F("price") * F("qty")),
        )
        .order_by("status")
    )
    rows = await qs.to_list()
    assert rows == [
        {"status": "draft", "rows": 1, "priced": 1, "skus": 1, "qty": 4, "avg": 1.5,
         "first": MAR, "last": "a", "revenue": 6.0},
        {"status": "paid", "rows": 3, "priced": 2, "skus": 3, "qty": 6, "avg": 3.5,
         "first": DEC, "last": "c", "revenue": 11.0},
    ]  # fmt: skip
    assert rows == await raw_pipeline(backend, qs.pipeline())


@NX_GROUP_KEYS
async def test_several_keys_stored_names_and_embedded(backend: Backend) -> None:
    await seed()
    qs = Line.objects.values("sku", "shipping__city").annotate(n=Count()).order_by("sku", "-n")
    rows = await qs.to_list()
    assert rows == [
        {"sku": "a", "shipping__city": "Paris", "n": 2},
        {"sku": "b", "shipping__city": "Lyon", "n": 1},
        {"sku": "c", "shipping__city": None, "n": 1},
    ]
    # the raw rows carry the same values; a group key that is missing is absent there
    raw = await raw_pipeline(backend, qs.pipeline())
    assert [{"shipping__city": None, **r} for r in raw] == rows


@NX_GROUP_KEYS
async def test_group_keys_are_converted_by_their_field(backend: Backend) -> None:
    ann, bob = await seed()
    rows = await Line.objects.values("customer").annotate(n=Count()).order_by("-n").to_list()
    assert [(None if r["customer"] is None else r["customer"].pk, r["n"]) for r in rows] in (
        [(ann.pk, 2), (bob.pk, 1), (None, 1)],
        [(ann.pk, 2), (None, 1), (bob.pk, 1)],
    )
    loaded = {r["customer"].pk: r["n"] for r in rows if r["customer"] is not None}
    assert isinstance(next(iter(loaded)), ObjectId)
    assert (await rows[0]["customer"]).name == "ann"  # a reference handle, as on documents
    by_day = (
        await Line.objects(status="paid")
        .values("sold")
        .annotate(q=Sum("qty"))
        .order_by("sold")
        .to_list()
    )
    assert by_day == [{"sold": DEC, "q": 2}, {"sold": JAN, "q": 3}, {"sold": FEB, "q": 1}]


@NX_GROUP_KEYS
async def test_filter_before_and_after_annotate(backend: Backend) -> None:
    await seed()
    base = Line.objects(qty__gte=2).values("sku").annotate(n=Count(), q=Sum("qty"))
    assert await base.order_by("sku").to_list() == [
        {"sku": "a", "n": 2, "q": 7},
        {"sku": "c", "n": 1, "q": 2},
    ]
    having = base.filter(n__gte=2)
    assert await having.to_list() == [{"sku": "a", "n": 2, "q": 7}]
    assert await having.to_list() == await raw_pipeline(backend, having.pipeline())
    either = base.filter(Q(q__lt=3) | Q(sku="a")).order_by("-q")
    assert [r["sku"] for r in await either.to_list()] == ["a", "c"]
    assert [r["sku"] for r in await base.filter(sku__in=["c", "z"]).to_list()] == ["c"]
    assert await base.filter(n__gt=5).to_list() == []
    assert await base.filter(n__gt=5).first() is None
    assert await base.filter(n__gt=5).count() == 0


@NX_GROUP_KEYS
async def test_order_and_window_after_annotate(backend: Backend) -> None:
    await seed()
    qs = Line.objects.values("sku").annotate(q=Sum("qty")).order_by("-q")
    assert [r["sku"] for r in await qs.to_list()] == ["a", "c", "b"]
    assert [r["sku"] for r in await qs.skip(1).limit(1).to_list()] == ["c"]
    assert [r["sku"] for r in await qs.order_by("sku").to_list()] == ["a", "b", "c"]
    # a window taken before annotate picks documents (in the queryset's order), then groups
    firsts = Line.objects.order_by("sold").limit(2).values("sku").annotate(n=Count())
    assert sorted((r["sku"], r["n"]) for r in await firsts.to_list()) == [("a", 1), ("c", 1)]


@NX_GROUP_KEYS
async def test_having_keeps_user_data_inert(backend: Backend) -> None:
    await seed()
    qs = Line.objects.values("status").annotate(n=Count())
    assert await qs.filter(status={"$ne": None}).to_list() == []
    assert await qs.filter(status__in=[{"$gt": ""}]).to_list() == []
    assert len(await qs.to_list()) == 2


async def test_aggregate_values(backend: Backend) -> None:
    await seed()
    got = await Line.objects.aggregate_values(
        n=Count(), avg=Avg("price"), top=Max("qty"), low=Min("likes"), total=Sum("qty")
    )
    # nx averages in SQLite, a few digits short of a double
    assert got == {"n": 4, "avg": pytest.approx(8.5 / 3), "top": 4, "low": 0, "total": 10}
    assert await Line.objects(status="draft").aggregate_values(q=Sum("qty")) == {"q": 4}
    raw = await raw_pipeline(
        backend, [{"$group": {"_id": None, "avg": {"$avg": "$price"}, "top": {"$max": "$q"}}}]
    )
    assert await Line.objects.aggregate_values(avg=Avg("price"), top=Max("qty")) == {
        k: v for k, v in raw[0].items() if k != "_id"
    }


@NX_PIPELINE_DATES
async def test_aggregate_values_of_dates(backend: Backend) -> None:
    await seed()
    got = await Line.objects(status="paid").aggregate_values(low=Min("sold"), high=Max("sold"))
    assert got == {"low": DEC, "high": FEB}


@pytest.mark.xfail_backend(
    "mongomock",
    reason="$group with _id null over no documents returns a row ($sum 0) instead of none",
    raises=AssertionError,
)
async def test_aggregate_values_when_nothing_matches(backend: Backend) -> None:
    await seed()
    assert await Line.objects(sku="zzz").aggregate_values(
        n=Count(), s=Sum("qty"), avg=Avg("price"), top=Max("sold")
    ) == {"n": 0, "s": None, "avg": None, "top": None}


async def test_none_sends_nothing(backend: Backend) -> None:
    await seed()
    async with assert_num_queries(0):
        assert await Line.objects.none().aggregate_values(n=Count()) == {"n": 0}
        assert await Line.objects.none().values("sku").annotate(n=Count()).to_list() == []


async def test_bad_input_is_refused_before_anything_is_sent(backend: Backend) -> None:
    await seed()
    async with assert_num_queries(0):
        with pytest.raises(LookUpError, match="'sku' in Sum\\(\\): expected a numeric field"):
            await Line.objects.aggregate_values(s=Sum("sku"))
        with pytest.raises(LookUpError, match="Line has no field 'nope'"):
            await Line.objects.values("nope").annotate(n=Count()).to_list()
        with pytest.raises(LookUpError, match="Line has no field 'nope'"):
            await Line.objects(qty__gt=F("nope")).count()
        with pytest.raises(TypeError, match="aggregate_values\\(\\) needs at least one"):
            await Line.objects.aggregate_values()


@pytest.mark.needs("decimal128_compare")
async def test_decimal_sums_come_back_as_decimals(backend: Backend) -> None:
    await Ledger.objects.bulk_create(
        [
            Ledger(account="a", amount=decimal.Decimal("1.25")),
            Ledger(account="a", amount=decimal.Decimal("2.50")),
            Ledger(account="b", amount=decimal.Decimal("0.10")),
        ]
    )
    rows = await Ledger.objects.values("account").annotate(s=Sum("amount")).order_by("account")
    assert rows == [
        {"account": "a", "s": decimal.Decimal("3.75")},
        {"account": "b", "s": decimal.Decimal("0.10")},
    ]
    having = (
        Ledger.objects.values("account")
        .annotate(s=Sum("amount"))
        .filter(s__gt=decimal.Decimal("1"))
    )
    assert [r["account"] for r in await having.to_list()] == ["a"]


# --------------------------------------------------------------------------------------------
# F in filters


async def test_field_to_field_comparisons_match_the_raw_driver(backend: Backend) -> None:
    await seed()
    cases = {
        "gt": (Line.objects(qty__gt=F("likes")), {"a", "c"}),  # 3 > 1, 2 > 0
        "eq": (Line.objects(qty=F("likes")), {"a"}),  # the draft line: 4 == 4
        "ne": (Line.objects(qty__ne=F("likes")), {"a", "b", "c"}),
        "lte": (Line.objects(qty__lte=F("likes")), {"a", "b"}),
        "arith": (Line.objects(likes__gte=F("qty") * 2 - 2), {"b"}),  # 4 >= 0; 4 >= 6 no
        "and": (Line.objects(qty__gt=F("likes"), likes__gt=0), {"a"}),
        "two": (Line.objects(qty__gt=F("likes"), qty__lt=F("likes") + 3), {"a", "c"}),
    }
    for name, (qs, skus) in cases.items():
        found = {line.sku for line in await qs.to_list()}
        raw = await backend.db["sales_lines"].find(qs._query).to_list(None)
        assert found == skus == {doc["s"] for doc in raw}, name
    assert await Line.objects(qty__gt=F("likes")).count() == 2


@pytest.mark.xfail_backend(
    "mongomock", reason="$expr over a missing embedded path raises KeyError", raises=KeyError
)
async def test_comparison_through_embedded_fields(backend: Backend) -> None:
    await seed()
    qs = Line.objects(shipping__cost__gt=F("price"))  # 5 > 2 only; a missing cost compares low
    assert [line.sku for line in await qs.to_list()] == ["a"]


@NX_GROUP_KEYS
async def test_f_comparisons_in_a_grouped_query(backend: Backend) -> None:
    await seed()
    rows = await Line.objects(qty__gt=F("likes")).values("status").annotate(n=Count()).to_list()
    assert rows == [{"status": "paid", "n": 2}]


# --------------------------------------------------------------------------------------------
# F in update(): pipeline updates


@NX_NO_PIPELINE_UPDATE
async def test_pipeline_update(backend: Backend) -> None:
    await seed()
    matched = await Line.objects(sku="a").update(set__total=F("price") * F("qty"), inc__likes=1)
    assert matched == 2
    raw = {
        (d["status"], d["total"], d["likes"])
        for d in await backend.db["sales_lines"].find({"s": "a"}).to_list(None)
    }
    assert raw == {("paid", 6.0, 2), ("draft", 6.0, 5)}
    # inc starts from 0 where the field is missing, as $inc does
    await Line.objects(sku="c").update_one(inc__total=F("qty") * 2)
    assert (await backend.db["sales_lines"].find_one({"s": "c"}))["total"] == 4


async def test_an_expression_that_does_not_fit_its_field_writes_nothing(
    backend: Backend,
) -> None:
    await seed()
    before = await backend.db["sales_lines"].find({}).sort("_id", 1).to_list(None)
    async with assert_num_queries(0):  # refused before anything is sent (so also on nx)
        with pytest.raises(ValidationError, match="sku: expected text for 'set'"):
            await Line.objects(sku="a").update(set__sku=F("qty"))
        with pytest.raises(ValidationError, match="status: expected a numeric field for 'inc'"):
            await Line.objects(sku="b").update_one(inc__status=F("qty"), set__total=F("price"))
        with pytest.raises(ValidationError, match="total: expected a number for 'set'"):
            await Line.objects(sku="c").modify(set__total=F("sold") + 1)
    after = await backend.db["sales_lines"].find({}).sort("_id", 1).to_list(None)
    assert after == before
    assert all(isinstance(d["s"], str) for d in after)


@NX_NO_PIPELINE_UPDATE
async def test_pipeline_update_keeps_plain_values_as_data(backend: Backend) -> None:
    await seed()
    await Line.objects(sku="b").update_one(
        set__total=F("price") + 1, set__status="$sku", set__extra={"k": "$price"}
    )
    doc = await backend.db["sales_lines"].find_one({"s": "b"})
    assert doc["total"] == 6.0
    assert doc["status"] == "$sku" and doc["extra"] == {"k": "$price"}


@NX_NO_PIPELINE_UPDATE
@pytest.mark.xfail_backend(
    "mongomock", reason="$$REMOVE in a $set stage is not honoured", raises=AssertionError
)
async def test_pipeline_update_unsets(backend: Backend) -> None:
    await seed()
    await Line.objects(sku="b").update_one(set__total=F("price"), unset__tags=1, set__likes=None)
    doc = await backend.db["sales_lines"].find_one({"s": "b"})
    assert doc["total"] == 5.0
    assert "likes" not in doc and "tags" not in doc


@NX_NO_PIPELINE_UPDATE
async def test_modify_with_an_expression(backend: Backend) -> None:
    await seed()
    line = await Line.objects(sku="b").modify(set__total=F("price") * F("qty"), new=True)
    assert line is not None and line.total == 5.0


@NX_NO_PIPELINE_UPDATE
async def test_pipeline_upsert_in_a_hierarchy_stores_the_class(backend: Backend) -> None:
    await Ebook(name="old", year=2000).save()
    assert await Ebook.objects(name="new").update(set__year=F("year") + 1, upsert=True) == 1
    assert await Ebook.objects(name="old").update(set__year=F("year") + 1) == 1
    stored = {d["name"]: d for d in await backend.db["media"].find({}).to_list(None)}
    assert stored["new"]["_cls"] == "Media.Ebook"
    assert stored["old"]["_cls"] == "Media.Ebook" and stored["old"]["year"] == 2001
    assert [m.name for m in await Ebook.objects.order_by("name").to_list()] == ["new", "old"]
