"""Pure tests of grouping and expressions: the exact ``$expr`` filters, ``$group`` pipelines
and pipeline updates, and the errors for bad input. No database, no event loop: MongoDB
semantics are pinned here (neither test backend runs pipeline updates)."""

from __future__ import annotations

import datetime
import decimal
import re
from typing import Any

import pytest
from bson import Decimal128

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
from asyncodm.queryset import GroupedQuerySet
from asyncodm.queryset._expressions import compile_expression, literal
from asyncodm.queryset._update import compile_pipeline_update, compile_update
from asyncodm.queryset._writes import _update_document, _with_cls
from tests.models.library import Ebook, Media
from tests.models.sales import Ledger, Line, Note


def f(*args: Any, **kwargs: Any) -> dict[str, Any]:
    return Line.objects(*args, **kwargs)._query


def pipe(**ops: Any) -> list[dict[str, Any]]:
    return compile_pipeline_update(Line, ops)


# --------------------------------------------------------------------------------------------
# F in filters: $expr


class TestExpressionFilters:
    @pytest.mark.parametrize(
        ("op", "mongo"),
        [
            ("exact", "$eq"),
            ("ne", "$ne"),
            ("lt", "$lt"),
            ("lte", "$lte"),
            ("gt", "$gt"),
            ("gte", "$gte"),
        ],
    )
    def test_comparisons(self, op: str, mongo: str) -> None:
        assert f(**{f"qty__{op}": F("likes")}) == {"$expr": {mongo: ["$q", "$likes"]}}

    def test_equality_without_operator(self) -> None:
        assert f(qty=F("likes")) == {"$expr": {"$eq": ["$q", "$likes"]}}

    def test_stored_names_and_embedded_paths(self) -> None:
        assert f(shipping__cost__gt=F("price")) == {"$expr": {"$gt": ["$shipping.cost", "$price"]}}
        assert f(sku=F("shipping__city")) == {"$expr": {"$eq": ["$s", "$shipping.c"]}}
        assert f(sku=F("shipping.city")) == {"$expr": {"$eq": ["$s", "$shipping.c"]}}
        assert f(customer=F("id")) == {"$expr": {"$eq": ["$customer", "$_id"]}}

    def test_arithmetic(self) -> None:
        assert f(total__gt=F("price") * F("qty")) == {
            "$expr": {"$gt": ["$total", {"$multiply": ["$price", "$q"]}]}
        }
        assert f(total__lt=F("price") * 2 + 1) == {
            "$expr": {"$lt": ["$total", {"$add": [{"$multiply": ["$price", 2]}, 1]}]}
        }
        assert f(total__lte=(F("price") - F("likes")) / 4) == {
            "$expr": {"$lte": ["$total", {"$divide": [{"$subtract": ["$price", "$likes"]}, 4]}]}
        }
        assert f(total=2 * F("price")) == {
            "$expr": {"$eq": ["$total", {"$multiply": [2, "$price"]}]}
        }
        assert f(total=10 - F("price")) == {
            "$expr": {"$eq": ["$total", {"$subtract": [10, "$price"]}]}
        }
        assert f(total=1 / F("price")) == {"$expr": {"$eq": ["$total", {"$divide": [1, "$price"]}]}}
        assert f(total=-F("price")) == {"$expr": {"$eq": ["$total", {"$multiply": [-1, "$price"]}]}}

    def test_associative_operators_flatten(self) -> None:
        assert compile_expression(Line, F("price") + F("qty") + F("likes") + 1) == {
            "$add": ["$price", "$q", "$likes", 1]
        }
        assert compile_expression(Line, F("price") * (F("qty") * F("likes"))) == {
            "$multiply": ["$price", "$q", "$likes"]
        }
        # subtraction and division do not associate: kept nested
        assert compile_expression(Line, F("price") - F("qty") - 1) == {
            "$subtract": [{"$subtract": ["$price", "$q"]}, 1]
        }

    def test_decimal_constant_is_decimal128(self) -> None:
        assert compile_expression(Line, F("price") * decimal.Decimal("1.5")) == {
            "$multiply": ["$price", Decimal128("1.5")]
        }

    def test_negated(self) -> None:
        assert f(qty__not__gt=F("likes")) == {"$expr": {"$not": [{"$gt": ["$q", "$likes"]}]}}

    def test_combined_with_other_conditions(self) -> None:
        assert f(status="paid", qty__gt=F("likes")) == {
            "status": "paid",
            "$expr": {"$gt": ["$q", "$likes"]},
        }

    def test_two_expressions_never_share_one_expr(self) -> None:
        """Two comparisons in one ``$expr`` document would be invalid: the second joins $and."""
        expected = {
            "$and": [
                {"$expr": {"$gt": ["$q", "$likes"]}},
                {"$expr": {"$lt": ["$price", "$total"]}},
            ]
        }
        assert f(qty__gt=F("likes"), price__lt=F("total")) == expected
        assert f(Q(qty__gt=F("likes")) & Q(price__lt=F("total"))) == expected
        assert f(Q(qty__gt=F("likes")) | Q(price__lt=F("total"))) == {
            "$or": [{"$expr": {"$gt": ["$q", "$likes"]}}, {"$expr": {"$lt": ["$price", "$total"]}}]
        }

    def test_subclass_filter_joins(self) -> None:
        assert Ebook.objects(name=F("name"))._query == {
            "_cls": {"$in": ["Media.Ebook"]},
            "$expr": {"$eq": ["$name", "$name"]},
        }
        assert Media.objects(name__ne=F("name"))._query == {"$expr": {"$ne": ["$name", "$name"]}}

    def test_dynamic_fields_are_taken_as_written(self) -> None:
        assert Note.objects(a__gt=F("b"))._query == {"$expr": {"$gt": ["$a", "$b"]}}

    def test_explain_filter_shows_it_without_io(self) -> None:
        spec = Line.objects(qty__gt=F("likes")).explain_filter()
        assert spec["filter"] == {"$expr": {"$gt": ["$q", "$likes"]}}


class TestExpressionErrors:
    def test_unknown_field_names_the_path(self) -> None:
        with pytest.raises(LookUpError, match=r"Line has no field 'nope' in lookup 'nope'"):
            f(qty__gt=F("nope"))
        with pytest.raises(LookUpError, match=r"'shipping__nope'"):
            f(qty__gt=F("shipping__nope") + 1)

    @pytest.mark.parametrize("name", ["$where", "a.$b", "$$ROOT", "price__", "shipping..city"])
    def test_operator_or_malformed_names_are_refused(self, name: str) -> None:
        with pytest.raises(LookUpError, match="invalid field name"):
            f(qty__gt=F(name))
        with pytest.raises(LookUpError, match="invalid field name"):
            assert Note.objects(a=F(name))._query  # not even on a dynamic document

    def test_f_needs_a_name(self) -> None:
        with pytest.raises(TypeError, match="F\\(\\) takes a field name"):
            F("")
        with pytest.raises(TypeError, match="F\\(\\) takes a field name"):
            F(3)  # type: ignore[arg-type]

    @pytest.mark.parametrize("lookup", ["qty__in", "qty__nin", "sku__contains", "tags__size"])
    def test_other_lookups_refuse_an_expression(self, lookup: str) -> None:
        with pytest.raises(LookUpError, match=f"lookup '{lookup}' cannot compare with an F"):
            f(**{lookup: F("likes")})

    def test_list_positions_are_refused(self) -> None:
        with pytest.raises(LookUpError, match="list index or positional"):
            f(tags__0=F("sku"))
        with pytest.raises(LookUpError, match="list index or positional"):
            f(sku=F("tags__0"))

    def test_arithmetic_over_a_non_numeric_field(self) -> None:
        with pytest.raises(LookUpError, match=r"Line field 'sku' in F\(\) arithmetic \('\*'\)"):
            f(total__gt=F("sku") * 2)
        with pytest.raises(LookUpError, match=r"'shipping\.city'.*found a StringField"):
            f(total__gt=F("price") + F("shipping__city"))
        with pytest.raises(LookUpError, match=r"'tags'.*ListField"):
            f(total__gt=F("tags") * 2)

    def test_dates_take_addition_and_subtraction(self) -> None:
        assert f(sold__lt=F("sold") + 1000) == {
            "$expr": {"$lt": ["$sold", {"$add": ["$sold", 1000]}]}
        }
        with pytest.raises(LookUpError, match="'sold'"):
            f(sold__lt=F("sold") * 2)

    @pytest.mark.parametrize(
        "other", ["$secret", {"$ne": None}, [1], None, True, datetime.date(2024, 1, 1)]
    )
    def test_arithmetic_takes_numbers_only(self, other: Any) -> None:
        with pytest.raises(
            TypeError, match="F\\(\\) arithmetic takes numbers or F\\(\\) expressions"
        ):
            F("price") + other
        with pytest.raises(TypeError, match="F\\(\\) arithmetic takes numbers"):
            other * F("price")

    @pytest.mark.parametrize("zero", [0, 0.0, -0.0, decimal.Decimal(0)])
    def test_dividing_by_a_constant_zero_fails_as_in_python(self, zero: Any) -> None:
        with pytest.raises(ZeroDivisionError, match=r"F\('price'\) / .* divides by zero"):
            F("price") / zero
        assert compile_expression(Line, F("price") / 2) == {"$divide": ["$price", 2]}


class TestLiterals:
    """A constant inside an expression can never read as a path, a variable or an operator."""

    @pytest.mark.parametrize(
        ("value", "sent"),
        [
            ("$secret", {"$literal": "$secret"}),
            ("$$ROOT", {"$literal": "$$ROOT"}),
            ("plain", {"$literal": "plain"}),
            ({"$ne": None}, {"$literal": {"$ne": None}}),
            (["$a"], {"$literal": ["$a"]}),
            (("$a", 1), {"$literal": ["$a", 1]}),
            (3, 3),
            (2.5, 2.5),
            (None, None),
            (True, True),
            (decimal.Decimal("2.50"), Decimal128("2.50")),
        ],
    )
    def test_literal(self, value: Any, sent: Any) -> None:
        assert literal(value) == sent


# --------------------------------------------------------------------------------------------
# values().annotate(): the $group pipeline


def grouped(*keys: str, **aggregates: Any) -> GroupedQuerySet:
    return Line.objects.values(*keys).annotate(**aggregates)


class TestGrouping:
    def test_the_api_example(self) -> None:
        qs = grouped("status", n=Count(), total=Sum("qty")).order_by("-total")
        assert qs.pipeline() == [
            {"$group": {"_id": {"status": "$status"}, "n": {"$sum": 1}, "total": {"$sum": "$q"}}},
            {"$project": {"_id": 0, "status": "$_id.status", "n": 1, "total": 1}},
            {"$sort": {"total": -1}},
        ]

    def test_several_keys_stored_names_and_embedded(self) -> None:
        qs = grouped("sku", "shipping__city", "shipping.cost", n=Count())
        assert qs.pipeline() == [
            {
                "$group": {
                    "_id": {
                        "sku": "$s",
                        "shipping__city": "$shipping.c",
                        "shipping__cost": "$shipping.cost",
                    },
                    "n": {"$sum": 1},
                }
            },
            {
                "$project": {
                    "_id": 0,
                    "sku": "$_id.sku",
                    "shipping__city": "$_id.shipping__city",
                    "shipping__cost": "$_id.shipping__cost",
                    "n": 1,
                }
            },
        ]

    def test_every_aggregate(self) -> None:
        qs = grouped(
            "status",
            rows=Count(),
            priced=Count("price"),
            skus=Count("sku", distinct=True),
            qty=Sum("qty"),
            avg=Avg("price"),
            low=Min("sold"),
            high=Max("sku"),
            revenue=Sum(F("price") * F("qty")),
        )
        [group, project] = qs.pipeline()
        assert group == {
            "$group": {
                "_id": {"status": "$status"},
                "rows": {"$sum": 1},
                "priced": {
                    "$sum": {"$cond": [{"$eq": [{"$ifNull": ["$price", None]}, None]}, 0, 1]}
                },
                "skus": {"$addToSet": "$s"},
                "qty": {"$sum": "$q"},
                "avg": {"$avg": "$price"},
                "low": {"$min": "$sold"},
                "high": {"$max": "$s"},
                "revenue": {"$sum": {"$multiply": ["$price", "$q"]}},
            }
        }
        assert project == {
            "$project": {
                "_id": 0,
                "status": "$_id.status",
                "rows": 1,
                "priced": 1,
                "skus": {
                    "$size": {
                        "$filter": {"input": "$skus", "as": "v", "cond": {"$ne": ["$$v", None]}}
                    }
                },
                "qty": 1,
                "avg": 1,
                "low": 1,
                "high": 1,
                "revenue": 1,
            }
        }

    def test_filter_before_annotate_is_the_first_match(self) -> None:
        qs = Line.objects(status__ne="void", qty__gt=F("likes")).values("sku").annotate(n=Count())
        assert qs.pipeline()[0] == {
            "$match": {"status": {"$ne": "void"}, "$expr": {"$gt": ["$q", "$likes"]}}
        }

    def test_subclass_match(self) -> None:
        qs = Ebook.objects.values("name").annotate(n=Count())
        assert qs.pipeline()[0] == {"$match": {"_cls": {"$in": ["Media.Ebook"]}}}

    def test_a_window_before_annotate_is_sorted_first(self) -> None:
        qs = Line.objects.order_by("-sold").limit(10).skip(2).values("sku").annotate(n=Count())
        assert qs.pipeline()[:3] == [{"$sort": {"sold": -1}}, {"$skip": 2}, {"$limit": 10}]
        # no window: no sort (the order of documents does not change the groups)
        assert Line.objects.order_by("-sold").values("sku").annotate(n=Count()).pipeline()[0] == {
            "$group": {"_id": {"sku": "$s"}, "n": {"$sum": 1}}
        }

    def test_having_order_and_window_after_the_group(self) -> None:
        qs = (
            grouped("status", n=Count(), total=Sum("price"))
            .filter(n__gte=2)
            .filter(total__lt=100.5, status__in=["a", "b"])
            .order_by("-n", "status")
            .skip(1)
            .limit(3)
        )
        assert qs.pipeline()[2:] == [
            {"$match": {"n": {"$gte": 2}, "total": {"$lt": 100.5}, "status": {"$in": ["a", "b"]}}},
            {"$sort": {"n": -1, "status": 1}},
            {"$skip": 1},
            {"$limit": 3},
        ]

    @pytest.mark.parametrize(
        ("lookup", "value", "match"),
        [
            ("n", 2, {"n": 2}),
            ("n__exact", 2, {"n": 2}),
            ("n__ne", 2, {"n": {"$ne": 2}}),
            ("n__lt", 2, {"n": {"$lt": 2}}),
            ("n__lte", 2, {"n": {"$lte": 2}}),
            ("n__gt", 2, {"n": {"$gt": 2}}),
            ("n__gte", 2, {"n": {"$gte": 2}}),
            ("n__in", (1, 2), {"n": {"$in": [1, 2]}}),
            ("n__nin", [1], {"n": {"$nin": [1]}}),
        ],
    )
    def test_having_lookups(self, lookup: str, value: Any, match: dict[str, Any]) -> None:
        assert grouped("status", n=Count()).filter(**{lookup: value}).pipeline()[2] == {
            "$match": match
        }

    def test_having_with_q_trees(self) -> None:
        qs = grouped("status", n=Count(), total=Sum("price")).filter(
            Q(n__gt=5) | ~Q(status="draft")
        )
        assert qs.pipeline()[2] == {
            "$match": {"$or": [{"n": {"$gt": 5}}, {"$nor": [{"status": "draft"}]}]}
        }
        raw = grouped("status", n=Count()).filter({"n": {"$mod": [2, 0]}})
        assert raw.pipeline()[2] == {"$match": {"n": {"$mod": [2, 0]}}}

    def test_having_values_are_converted_by_their_field(self) -> None:
        day = datetime.date(2024, 1, 2)
        qs = grouped("status", last=Max("sold")).filter(last__gte=day)
        assert qs.pipeline()[2] == {"$match": {"last": {"$gte": datetime.datetime(2024, 1, 2)}}}
        qs = (
            Ledger.objects.values("account")
            .annotate(s=Sum("amount"))
            .filter(s__gt=decimal.Decimal("1.5"))
        )
        assert qs.pipeline()[2] == {"$match": {"s": {"$gt": Decimal128("1.5")}}}

    def test_having_keeps_user_data_inert(self) -> None:
        qs = grouped("status", n=Count()).filter(status={"$ne": None})
        assert qs.pipeline()[2] == {"$match": {"status": {"$eq": {"$ne": None}}}}
        qs = grouped("status", n=Count()).filter(status__in=[{"$gt": ""}])
        assert qs.pipeline()[2] == {"$match": {"status": {"$in": [{"$gt": ""}]}}}

    def test_order_by_a_group_key_written_with_a_dot(self) -> None:
        qs = grouped("shipping.city", n=Count()).order_by("shipping.city", "+n")
        assert qs.pipeline()[-1] == {"$sort": {"shipping__city": 1, "n": 1}}

    def test_annotate_twice_adds_aggregates(self) -> None:
        qs = grouped("status", n=Count()).annotate(total=Sum("price"))
        assert list(qs.pipeline()[0]["$group"]) == ["_id", "n", "total"]

    def test_aggregate_values_is_one_group(self) -> None:
        qs = GroupedQuerySet(
            Line.objects(status="paid"), (), (("avg", Avg("price")), ("top", Max("qty")))
        )
        assert qs.pipeline() == [
            {"$match": {"status": "paid"}},
            {"$group": {"_id": None, "avg": {"$avg": "$price"}, "top": {"$max": "$q"}}},
            {"$project": {"_id": 0, "avg": 1, "top": 1}},
        ]

    def test_dynamic_fields(self) -> None:
        qs = Note.objects.values("kind").annotate(s=Sum("size"), m=Min("meta.when"))
        assert qs.pipeline()[0] == {
            "$group": {
                "_id": {"kind": "$kind"},
                "s": {"$sum": "$size"},
                "m": {"$min": "$meta.when"},
            }
        }

    def test_repr_shows_the_pipeline_or_why_not(self) -> None:
        assert "$group" in repr(grouped("status", n=Count()))
        assert "does not compile" in repr(grouped("status", n=Count()).order_by("nope"))

    def test_aggregates_repr(self) -> None:
        assert repr(Count()) == "Count()"
        assert repr(Count("sku", distinct=True)) == "Count('sku', distinct=True)"
        assert repr(Sum(F("price") * 2)) == "Sum((F('price') * 2))"


class TestGroupingErrors:
    def test_unknown_group_field(self) -> None:
        with pytest.raises(LookUpError, match=r"Line has no field 'nope' in lookup 'nope'"):
            grouped("nope", n=Count())

    def test_unknown_aggregate_field(self) -> None:
        with pytest.raises(LookUpError, match=r"Line has no field 'shipping__nope'"):
            grouped("status", n=Sum("shipping__nope"))

    @pytest.mark.parametrize(
        ("aggregate", "message"),
        [
            (
                Sum("sku"),
                r"Line field 'sku' in Sum\(\): expected a numeric field, found a StringField",
            ),
            (Avg("shipping__city"), r"'shipping\.city' in Avg\(\): expected a numeric field"),
            (Sum("sold"), r"'sold' in Sum\(\): expected a numeric field, found a DateTimeField"),
            (Avg("tags"), r"'tags' in Avg\(\): expected a numeric field, found a ListField"),
            (
                Min("tags"),
                r"'tags' in Min\(\): expected a field of scalar values, found a ListField",
            ),
            (Max("shipping"), r"'shipping' in Max\(\): expected a field of scalar values"),
            (Max("extra"), r"'extra' in Max\(\).*DictField"),
            (Sum(F("sku") * 2), r"'sku' in F\(\) arithmetic"),
        ],
    )
    def test_aggregate_over_a_field_it_cannot_compute(self, aggregate: Any, message: str) -> None:
        with pytest.raises(LookUpError, match=message):
            grouped("status", x=aggregate)

    def test_min_max_take_strings_and_dates(self) -> None:
        qs = grouped("status", a=Min("sku"), b=Max("sold"), c=Min("customer"))
        assert qs.pipeline()[0]["$group"]["c"] == {"$min": "$customer"}

    @pytest.mark.parametrize("name", ["$where", "a.$b", "shipping__$x", "$$ROOT"])
    def test_operator_names_are_refused(self, name: str) -> None:
        with pytest.raises(LookUpError, match="invalid field name"):
            grouped(name, n=Count())
        with pytest.raises(LookUpError, match="invalid field name"):
            grouped("status", n=Count(name))
        with pytest.raises(LookUpError, match="invalid field name"):
            Note.objects.values("x").annotate(n=Max(name))

    @pytest.mark.parametrize("name", ["_id", "$where", "a.b", "1x"])
    def test_annotation_names(self, name: str) -> None:
        with pytest.raises(LookUpError, match=re.escape(f"invalid annotation name '{name}'")):
            grouped("status", **{name: Count()})

    def test_annotation_repeating_a_key(self) -> None:
        with pytest.raises(LookUpError, match="annotation 'status' on Line repeats"):
            grouped("status", status=Count())
        with pytest.raises(LookUpError, match="values\\(\\) names 'status' twice"):
            grouped("status", "status", n=Count())

    def test_annotation_must_be_an_aggregate(self) -> None:
        with pytest.raises(TypeError, match="expected Count, Sum, Avg, Min or Max"):
            grouped("status", n=3)
        with pytest.raises(TypeError, match="takes a field name or an F"):
            Sum(3)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="Count\\(distinct=True\\) needs a field"):
            Count(distinct=True)
        with pytest.raises(TypeError, match="distinct"):
            Sum("qty", distinct=True)  # type: ignore[call-arg]

    def test_annotate_needs_values_fields(self) -> None:
        with pytest.raises(TypeError, match="annotate\\(\\) groups by the fields of values"):
            Line.objects.annotate(n=Count())
        with pytest.raises(TypeError, match="aggregate_values"):
            Line.objects.values().annotate(n=Count())
        with pytest.raises(TypeError, match="groups by the fields of values"):
            Line.objects.values_list("sku").annotate(n=Count())

    def test_having_unknown_name(self) -> None:
        qs = grouped("status", n=Count()).filter(total__gt=1)
        with pytest.raises(
            LookUpError,
            match=r"filter 'total__gt' after annotate\(\) names no grouped field or annotation; the rows have: status, n",
        ):
            qs.pipeline()
        with pytest.raises(LookUpError, match="'n__startswith'"):
            grouped("status", n=Count()).filter(n__startswith="x").pipeline()
        with pytest.raises(LookUpError, match=r"'\$where'"):
            grouped("status", n=Count()).filter(**{"$where": "1"}).pipeline()

    def test_having_refuses_f_and_bad_values(self) -> None:
        with pytest.raises(LookUpError, match="cannot take an F"):
            grouped("status", n=Count()).filter(n__gt=F("x")).pipeline()
        with pytest.raises(ValidationError, match="expected a number for 'n'") as info:
            grouped("status", n=Count()).filter(n__gt="3").pipeline()
        assert list(info.value.errors) == ["n__gt"]
        with pytest.raises(ValidationError, match="expected a list of values for 'in'"):
            grouped("status", n=Count()).filter(n__in=3).pipeline()

    def test_order_by_pairs(self) -> None:
        qs = grouped("status", n=Count()).order_by(("n", -1), ("status", 1))
        assert qs.pipeline()[-1] == {"$sort": {"n": -1, "status": 1}}
        with pytest.raises(LookUpError, match="expected a sort direction 1 or -1, found 2"):
            grouped("status", n=Count()).order_by(("n", 2)).pipeline()

    def test_order_by_unknown_name(self) -> None:
        with pytest.raises(LookUpError, match=r"order_by '-views' after annotate\(\) names no"):
            grouped("status", n=Count()).order_by("-views").pipeline()


# --------------------------------------------------------------------------------------------
# F in update(): pipeline updates


class TestPipelineUpdates:
    def test_the_api_example(self) -> None:
        assert pipe(set__total=F("price") * F("qty")) == [
            {"$set": {"total": {"$multiply": ["$price", "$q"]}}}
        ]

    def test_expression_operators(self) -> None:
        assert pipe(
            inc__qty=F("likes"),
            dec__likes=F("qty") * 2,
            mul__price=F("likes"),
            max__total=F("price"),
            min__shipping__cost=F("price") - 1,
        ) == [
            {
                "$set": {
                    "q": {"$add": [{"$ifNull": ["$q", 0]}, "$likes"]},
                    "likes": {"$subtract": [{"$ifNull": ["$likes", 0]}, {"$multiply": ["$q", 2]}]},
                    "price": {"$multiply": [{"$ifNull": ["$price", 0]}, "$likes"]},
                    "total": {"$max": ["$total", "$price"]},
                    "shipping.cost": {"$min": ["$shipping.cost", {"$subtract": ["$price", 1]}]},
                }
            }
        ]

    def test_plain_values_join_the_stage_validated_and_literal(self) -> None:
        when = datetime.datetime(2024, 5, 1)
        assert pipe(
            set__total=F("price"),
            set__sku="$secret",
            set__status=None,
            unset__likes=1,
            inc__qty=2,
            dec__price=1.5,
            mul__shipping__cost=3,
            max__sold=when,
            set__extra={"k": "$secret", "n": ["$$ROOT"]},
            set__tags=["$a", "b"],
            current_date__sold=True,
        ) == [
            {
                "$set": {
                    "total": "$price",
                    "s": {"$literal": "$secret"},
                    "status": "$$REMOVE",
                    "likes": "$$REMOVE",
                    "q": {"$add": [{"$ifNull": ["$q", 0]}, 2]},
                    "price": {"$add": [{"$ifNull": ["$price", 0]}, -1.5]},
                    "shipping.cost": {"$multiply": [{"$ifNull": ["$shipping.cost", 0]}, 3.0]},
                    "sold": "$$NOW",
                    "extra": {"$literal": {"k": "$secret", "n": ["$$ROOT"]}},
                    "tags": {"$literal": ["$a", "b"]},
                }
            }
        ]
        assert pipe(total=F("price"), max__sold=when)[0]["$set"]["sold"] == {
            "$max": ["$sold", when]
        }

    def test_the_plain_update_is_unchanged(self) -> None:
        assert compile_update(Line, {"set__total": 3, "inc__qty": 1}) == {
            "$set": {"total": 3.0},
            "$inc": {"q": 1},
        }

    def test_plain_values_are_validated(self) -> None:
        with pytest.raises(ValidationError) as info:
            pipe(set__total=F("price"), set__qty="many")
        assert list(info.value.errors) == ["qty"]
        with pytest.raises(ValidationError, match="expected a number for 'inc'"):
            pipe(set__total=F("price"), inc__qty="1")

    @pytest.mark.parametrize(
        "ops",
        [
            {"push__tags": F("sku")},
            {"set_on_insert__total": F("price")},
            {"add_to_set__tags": F("sku")},
        ],
    )
    def test_operators_without_a_pipeline_form_take_no_expression(
        self, ops: dict[str, Any]
    ) -> None:
        with pytest.raises(OperationError, match="F\\(\\) expressions work with set, inc"):
            pipe(**ops)

    @pytest.mark.parametrize(
        "ops",
        [
            {"push__tags": "x"},
            {"pull__tags": "x"},
            {"add_to_set__tags": "x"},
            {"pop__tags": 1},
            {"rename__sku": "code"},
            {"set_on_insert__status": "new"},
            {"current_date__sold": "timestamp"},
        ],
    )
    def test_operators_without_a_pipeline_form_cannot_join(self, ops: dict[str, Any]) -> None:
        with pytest.raises(OperationError, match="cannot join an update that uses F\\(\\)"):
            pipe(total=F("price"), **ops)

    def test_list_positions_are_refused(self) -> None:
        with pytest.raises(OperationError, match="cannot address list items"):
            pipe(set__tags__0=F("sku"))
        with pytest.raises(OperationError, match="cannot address list items"):
            pipe(total=F("price"), set__tags__S="x")

    def test_unknown_fields(self) -> None:
        with pytest.raises(LookUpError, match="Line has no field 'nope'"):
            pipe(set__nope=F("price"))
        with pytest.raises(LookUpError, match="Line has no field 'nope'"):
            pipe(set__total=F("nope"))

    def test_writes_send_a_pipeline(self) -> None:
        qs = Line.objects(sku="a")
        assert _update_document(qs, (), {"set__total": F("price") * F("qty")}) == [
            {"$set": {"total": {"$multiply": ["$price", "$q"]}}}
        ]
        assert _update_document(qs, (), {"set__total": 1}) == {"$set": {"total": 1.0}}
        with pytest.raises(OperationError, match="an update using F\\(\\) cannot be combined"):
            _update_document(qs, ({"$set": {"a": 1}},), {"set__total": F("price")})

    def test_an_upsert_in_a_hierarchy_stores_the_class_name(self) -> None:
        qs = Ebook.objects(name="x")
        document = _update_document(qs, (), {"set__name": F("name")})
        assert _with_cls(qs, document) == [
            {"$set": {"name": "$name"}},
            {"$set": {"_cls": {"$ifNull": ["$_cls", {"$literal": "Media.Ebook"}]}}},
        ]
        assert _with_cls(Line.objects, [{"$set": {"a": 1}}]) == [{"$set": {"a": 1}}]

    @pytest.mark.parametrize(
        ("ops", "path", "message"),
        [
            (  # a bare copy: the source's family must be the target's
                {"set__sku": F("qty")},
                "sku",
                "expected text for 'set' (StringField), found F('qty') (IntField: a number)",
            ),
            (
                {"max__sold": F("qty")},
                "sold",
                "expected a date for 'max' (DateTimeField), found F('qty') (IntField: a number)",
            ),
            (
                {"set__shipping__city": F("price")},
                "shipping.city",
                "expected text for 'set' (StringField), found F('price') (FloatField: a number)",
            ),
            (
                {"set__tags": F("sku")},
                "tags",
                "expected a ListField value for 'set' (ListField), found F('sku') "
                "(StringField: text)",
            ),
            (  # arithmetic gives a number
                {"set__sku": F("price") * 2},
                "sku",
                "expected text for 'set' (StringField), found (F('price') * 2), which gives a "
                "number",
            ),
            (  # ... a date plus a number is a date
                {"set__total": F("sold") + 1},
                "total",
                "expected a number for 'set' (FloatField), found (F('sold') + 1), which gives "
                "a date",
            ),
            (  # inc, dec and mul need a numeric field, and a number to add
                {"inc__sku": F("qty")},
                "sku",
                "expected a numeric field for 'inc', found StringField",
            ),
            ({"mul__sold": F("qty")}, "sold", "expected a numeric field for 'mul', found"),
            (
                {"dec__qty": F("sku")},
                "qty",
                "expected a number for 'dec' (IntField), found F('sku') (StringField: text)",
            ),
        ],
    )
    def test_expressions_must_fit_the_target_field(
        self, ops: dict[str, Any], path: str, message: str
    ) -> None:
        with pytest.raises(ValidationError) as info:
            pipe(**ops)
        assert list(info.value.errors) == [path]
        assert info.value.errors[path].startswith(message)
        assert f"{path}: {message}" in str(info.value)

    def test_expressions_that_fit_their_field(self) -> None:
        assert pipe(
            set__qty=F("price"),  # number to number (as $set of a float would)
            set__status=F("sku"),  # text to text
            set__sold=F("sold") + 86_400_000,  # a date plus milliseconds
            set__tags=F("tags"),  # the same field class
            inc__likes=F("qty") / 2,
        ) == [
            {
                "$set": {
                    "q": "$price",
                    "status": "$s",
                    "sold": {"$add": ["$sold", 86_400_000]},
                    "tags": "$tags",
                    "likes": {"$add": [{"$ifNull": ["$likes", 0]}, {"$divide": ["$q", 2]}]},
                }
            }
        ]

    def test_undeclared_fields_are_not_checked(self) -> None:
        assert compile_pipeline_update(Note, {"set__label": F("qty") * 2, "inc__n": F("x")}) == [
            {
                "$set": {
                    "label": {"$multiply": ["$qty", 2]},
                    "n": {"$add": [{"$ifNull": ["$n", 0]}, "$x"]},
                }
            }
        ]
        # a declared target with an undeclared source: the source is not known
        assert pipe(set__extra=F("extra__anything")) == [{"$set": {"extra": "$extra.anything"}}]

    def test_expressions_cannot_walk_into_references(self) -> None:
        with pytest.raises(LookUpError, match=r"'customer__name'.*walks into a reference"):
            pipe(set__sku=F("customer__name"))
        with pytest.raises(LookUpError, match=r"'customer__name'.*walks into a reference"):
            Line.objects.values("customer__name").annotate(n=Count())
