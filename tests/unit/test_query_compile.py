"""Pure tests of query compilation: the exact filter, update, sort and projection documents.

No database and no event loop (STYLE rule 5): MongoDB semantics are pinned here, because no
local backend is a faithful oracle for them.
"""

from __future__ import annotations

import datetime
import decimal
import re
import uuid
from typing import Any

import pytest
from bson import Binary, Decimal128, ObjectId, Regex

from asyncodm import LookUpError, OperationError, Q, QuerySet, ValidationError
from asyncodm.queryset._compile import compile_projection, compile_sort, merge_and
from asyncodm.queryset._update import compile_update
from tests.models.catalog import Item, Status
from tests.models.library import Audiobook, Book, Ebook, Media, Memo, Podcast, Review, Writer
from tests.models.places import Place


def f(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """The filter ``Book.objects(...)`` sends."""
    return Book.objects(*args, **kwargs)._query


def u(**ops: Any) -> dict[str, Any]:
    return compile_update(Book, ops)


# --------------------------------------------------------------------------------------------
# Filter operators


class TestComparison:
    def test_equality_uses_stored_names(self) -> None:
        assert f(title="Dune") == {"t": "Dune"}
        assert f(pages=10) == {"pages": 10}

    @pytest.mark.parametrize(
        ("op", "mongo"),
        [("ne", "$ne"), ("lt", "$lt"), ("lte", "$lte"), ("gt", "$gt"), ("gte", "$gte")],
    )
    def test_comparison_operators(self, op: str, mongo: str) -> None:
        assert f(**{f"pages__{op}": 100}) == {"pages": {mongo: 100}}

    def test_range_on_one_field_merges(self) -> None:
        assert f(pages__gt=10, pages__lte=20) == {"pages": {"$gt": 10, "$lte": 20}}

    def test_in_nin_all_convert_each_item(self) -> None:
        assert f(pages__in=[1, "2"]) == {"pages": {"$in": [1, 2]}}
        assert f(title__nin=("a", "b")) == {"t": {"$nin": ["a", "b"]}}
        assert f(tags__all=["x", "y"]) == {"tags": {"$all": ["x", "y"]}}
        assert f(pages__in={3}) == {"pages": {"$in": [3]}}

    def test_in_rejects_a_string(self) -> None:
        with pytest.raises(ValidationError) as info:
            f(title__in="abc")
        assert "title__in" in info.value.errors

    def test_mod_size_exists_type(self) -> None:
        assert f(pages__mod=[5, 1]) == {"pages": {"$mod": [5, 1]}}
        assert f(tags__size=2) == {"tags": {"$size": 2}}
        assert f(price__exists=True) == {"price": {"$exists": True}}
        assert f(price__exists=0) == {"price": {"$exists": False}}
        assert f(price__type="double") == {"price": {"$type": "double"}}

    def test_not(self) -> None:
        assert f(pages__not__gt=5) == {"pages": {"$not": {"$gt": 5}}}
        assert f(tags__not__size=0) == {"tags": {"$not": {"$size": 0}}}
        assert f(title__not="x") == {"t": {"$ne": "x"}}
        assert f(title__not__istartswith="a") == {"t": {"$not": Regex("^a", "i")}}

    def test_elem_match_on_embedded_items_resolves_their_fields(self) -> None:
        assert f(reviews__match={"author": "ann", "stars__gte": 4}) == {
            "reviews": {"$elemMatch": {"author": "ann", "stars": {"$gte": 4}}}
        }
        assert f(reviews__elemMatch=Q(author="bob") | Q(stars=5)) == {
            "reviews": {"$elemMatch": {"$or": [{"author": "bob"}, {"stars": 5}]}}
        }

    def test_elem_match_with_operators_on_scalars(self) -> None:
        assert f(tags__match={"$gte": "m"}) == {"tags": {"$elemMatch": {"$gte": "m"}}}

    def test_pk_and_id_mean_underscore_id(self) -> None:
        oid = ObjectId()
        assert f(pk=oid) == {"_id": oid}
        assert f(id=str(oid)) == {"_id": oid}
        assert f(id__in=[str(oid)]) == {"_id": {"$in": [oid]}}


class TestStringLookups:
    @pytest.mark.parametrize(
        ("op", "expected"),
        [
            ("exact", "a.b*"),
            ("iexact", {"$regex": r"^a\.b\*(?![\s\S])", "$options": "i"}),
            ("contains", {"$regex": r"a\.b\*"}),
            ("icontains", {"$regex": r"a\.b\*", "$options": "i"}),
            ("startswith", {"$regex": r"^a\.b\*"}),
            ("istartswith", {"$regex": r"^a\.b\*", "$options": "i"}),
            ("endswith", {"$regex": r"a\.b\*(?![\s\S])"}),
            ("iendswith", {"$regex": r"a\.b\*(?![\s\S])", "$options": "i"}),
            ("regex", {"$regex": "a.b*"}),
            ("iregex", {"$regex": "a.b*", "$options": "i"}),
        ],
    )
    def test_every_string_lookup(self, op: str, expected: Any) -> None:
        assert f(**{f"title__{op}": "a.b*"}) == {"t": expected}

    def test_user_text_is_escaped(self) -> None:
        assert f(title__startswith="a.b*") == {"t": {"$regex": "^a\\.b\\*"}}
        evil = ".*)|(?=x"
        pattern = f(title__contains=evil)["t"]["$regex"]
        assert re.fullmatch(pattern, evil) and not re.search(pattern, "anything else")

    @pytest.mark.parametrize("op", ["endswith", "iendswith", "iexact"])
    def test_the_end_of_the_text_is_the_end_not_a_final_newline(self, op: str) -> None:
        # Regression: "%s$" matched "x\n" too ($ also matches before a final newline, in PCRE
        # as in Python), so title__endswith="x" found "x\n" and title__iexact="x" found "X\n".
        cond = f(**{f"title__{op}": "x"})["t"]
        flags = re.IGNORECASE if "$options" in cond else 0
        assert re.search(cond["$regex"], "x", flags)
        assert not re.search(cond["$regex"], "x\n", flags)
        assert not re.search(cond["$regex"], "X\n", re.IGNORECASE)

    def test_regex_takes_the_pattern_as_given(self) -> None:
        assert f(title__regex="^D.*e$") == {"t": {"$regex": "^D.*e$"}}
        assert f(title__regex=re.compile("^d", re.I)) == {"t": {"$regex": "^d", "$options": "i"}}

    def test_string_lookup_on_list_items(self) -> None:
        assert f(tags__istartswith="sci") == {"tags": {"$regex": "^sci", "$options": "i"}}

    def test_compiled_pattern_as_value_is_a_regex_query(self) -> None:
        assert f(title=re.compile("^A")) == {"t": {"$regex": "^A"}}
        assert f(title=Regex("^A", "i")) == {"t": {"$regex": "^A", "$options": "i"}}

    def test_non_string_value_is_rejected(self) -> None:
        with pytest.raises(ValidationError):
            f(title__contains=5)


class TestInjection:
    """User data (a JSON body) reaching a lookup must stay a value."""

    def test_operator_dict_is_compared_as_a_value(self) -> None:
        assert f(title={"$ne": None}) == {"t": {"$eq": {"$ne": None}}}
        assert f(title={"$gt": ""}) == {"t": {"$eq": {"$gt": ""}}}

    def test_operator_dict_in_comparisons_is_a_literal_operand(self) -> None:
        assert f(title__ne={"$gt": ""}) == {"t": {"$ne": {"$gt": ""}}}

    def test_dict_values_on_dict_fields_are_values_too(self) -> None:
        assert f(extra={"$where": "1"}) == {"extra": {"$eq": {"$where": "1"}}}

    def test_operator_keys_in_keywords_are_rejected(self) -> None:
        with pytest.raises(LookUpError):
            f(**{"$where": "sleep(1000)"})
        with pytest.raises(LookUpError):
            Memo.objects(**{"$where": "sleep(1000)"}).explain_filter()  # dynamic documents too
        with pytest.raises(LookUpError):
            Memo.objects(**{"a__$gt": 1}).explain_filter()
        with pytest.raises(LookUpError):
            compile_update(Memo, {"set__$inc": 1})

    @pytest.mark.parametrize("value", [{"$ne": None}, {"$gt": 0}, True, -1, "2", 2.5, None, [1]])
    def test_size_takes_a_count_only(self, value: Any) -> None:
        with pytest.raises(ValidationError) as info:
            f(tags__size=value)
        assert list(info.value.errors) == ["tags__size"]
        assert "expected a count (an integer >= 0) for 'size'" in info.value.errors["tags__size"]
        with pytest.raises(ValidationError):
            f(tags__not__size=value)
        assert f(tags__size=0) == {"tags": {"$size": 0}}

    @pytest.mark.parametrize("value", [{"$ne": None}, None, 1.5, True, [], ["int", {"$gt": 1}]])
    def test_type_takes_type_numbers_or_aliases_only(self, value: Any) -> None:
        with pytest.raises(ValidationError) as info:
            f(price__type=value)
        assert list(info.value.errors) == ["price__type"]
        assert "BSON type number or alias" in info.value.errors["price__type"]
        assert f(price__type=[1, "int"]) == {"price": {"$type": [1, "int"]}}

    def test_repr_never_raises(self) -> None:
        assert "does not compile" in repr(Book.objects(nope=1))
        assert "{'t': 'x'}" in repr(Book.objects(title="x"))


class TestPaths:
    def test_embedded_document_path(self) -> None:
        assert f(publisher__city="Paris") == {"publisher.city": "Paris"}

    def test_list_of_embedded_documents_matches_any_item(self) -> None:
        assert f(reviews__author="ann") == {"reviews.author": "ann"}

    def test_list_index(self) -> None:
        assert f(tags__0="x") == {"tags.0": "x"}
        assert f(reviews__1__stars__gte=3) == {"reviews.1.stars": {"$gte": 3}}

    def test_dict_keys(self) -> None:
        assert f(extra__color="red") == {"extra.color": "red"}
        assert f(extra__size__gt=3) == {"extra.size": {"$gt": 3}}

    def test_dotted_names_are_accepted(self) -> None:
        assert f(**{"publisher.city": "Paris"}) == {"publisher.city": "Paris"}

    def test_dynamic_document_undeclared_fields(self) -> None:
        assert Memo.objects(mood="happy", level__gte=2)._query == {
            "mood": "happy",
            "level": {"$gte": 2},
        }
        assert Memo.objects(meta__a__b=1)._query == {"meta.a.b": 1}

    def test_unknown_field_names_the_model_and_path(self) -> None:
        with pytest.raises(LookUpError) as info:
            f(titel="x")
        message = str(info.value)
        assert "Book" in message and "'titel'" in message

    def test_unknown_embedded_field_names_the_full_path(self) -> None:
        with pytest.raises(LookUpError) as info:
            f(publisher__country__ne="x")
        assert "'publisher__country'" in str(info.value) and "Book" in str(info.value)

    def test_index_into_a_scalar_is_an_error(self) -> None:
        with pytest.raises(LookUpError):
            f(title__0="x")

    def test_lookup_error_is_a_key_error(self) -> None:
        with pytest.raises(KeyError):
            f(nope=1)


class TestConversion:
    def test_values_go_through_their_fields(self) -> None:
        when = datetime.datetime(2024, 5, 1, 12, 30, 15, 123456)
        token = uuid.UUID("12345678-1234-5678-1234-567812345678")
        query = Item.objects(
            price=decimal.Decimal("9.99"), token=token, status=Status.LIVE, added__gte=when
        )._query
        assert query["price"] == Decimal128("9.99")
        assert query["token"] == Binary.from_uuid(token) and query["token"].subtype == 4
        assert query["status"] == "live"
        assert query["added"] == {"$gte": datetime.datetime(2024, 5, 1, 12, 30, 15, 123000)}

    def test_enum_in_list(self) -> None:
        assert Item.objects(status__in=[Status.LIVE, Status.DRAFT])._query == {
            "status": {"$in": ["live", "draft"]}
        }

    def test_decimal_comparison(self) -> None:
        assert Item.objects(price__lt=decimal.Decimal("10"))._query == {
            "price": {"$lt": Decimal128("10.00")}
        }

    def test_document_becomes_its_pk(self) -> None:
        writer = Writer(name="Ann", id=ObjectId())
        assert f(author=writer) == {"author": writer.pk}
        other = Writer(name="Bob", id=ObjectId())
        assert f(author__in=[writer, other]) == {"author": {"$in": [writer.pk, other.pk]}}

    def test_embedded_document_becomes_its_son(self) -> None:
        review = Review(author="ann", stars=5)
        assert f(reviews=review) == {"reviews": {"$eq": {"author": "ann", "stars": 5}}}

    def test_whole_list_equality(self) -> None:
        assert f(tags=["a", "b"]) == {"tags": ["a", "b"]}


class TestGeo:
    def p(self, **kwargs: Any) -> dict[str, Any]:
        return Place.objects(**kwargs)._query

    def test_near_with_distances_is_one_near(self) -> None:
        assert self.p(location__near=[2.35, 48.85], location__max_distance=1000) == {
            "location": {
                "$near": {
                    "$geometry": {"type": "Point", "coordinates": [2.35, 48.85]},
                    "$maxDistance": 1000,
                }
            }
        }
        assert self.p(location__near_sphere=[1, 2], location__min_distance=5) == {
            "location": {
                "$nearSphere": {
                    "$geometry": {"type": "Point", "coordinates": [1, 2]},
                    "$minDistance": 5,
                }
            }
        }

    def test_near_across_filter_calls_still_merges(self) -> None:
        query = Place.objects(location__near=[1, 2]).filter(location__max_distance=10)._query
        assert query == {
            "location": {
                "$near": {"$geometry": {"type": "Point", "coordinates": [1, 2]}, "$maxDistance": 10}
            }
        }

    def test_legacy_near_keeps_distance_beside(self) -> None:
        assert self.p(grid__near=[1, 2], grid__max_distance=3) == {
            "grid": {"$near": [1, 2], "$maxDistance": 3}
        }

    def test_geo_within_variants(self) -> None:
        ring = [[[0, 0], [0, 1], [1, 1], [0, 0]]]
        assert self.p(location__geo_within=ring) == {
            "location": {"$geoWithin": {"$geometry": {"type": "Polygon", "coordinates": ring}}}
        }
        shape = {"type": "Polygon", "coordinates": ring}
        assert self.p(location__geo_within=shape) == {
            "location": {"$geoWithin": {"$geometry": shape}}
        }
        assert self.p(grid__geo_within_box=[(0, 0), (5, 5)]) == {
            "grid": {"$geoWithin": {"$box": [[0, 0], [5, 5]]}}
        }
        assert self.p(grid__geo_within_polygon=[[0, 0], [1, 1], [1, 0]]) == {
            "grid": {"$geoWithin": {"$polygon": [[0, 0], [1, 1], [1, 0]]}}
        }
        assert self.p(grid__geo_within_center=[(1, 2), 3]) == {
            "grid": {"$geoWithin": {"$center": [[1, 2], 3]}}
        }
        assert self.p(location__geo_within_sphere=[(1, 2), 0.1]) == {
            "location": {"$geoWithin": {"$centerSphere": [[1, 2], 0.1]}}
        }

    def test_geo_intersects_infers_the_geometry(self) -> None:
        assert self.p(area__geo_intersects=[1, 2]) == {
            "area": {"$geoIntersects": {"$geometry": {"type": "Point", "coordinates": [1, 2]}}}
        }
        assert self.p(area__geo_intersects=[[1, 2], [3, 4]]) == {
            "area": {
                "$geoIntersects": {
                    "$geometry": {"type": "LineString", "coordinates": [[1, 2], [3, 4]]}
                }
            }
        }


# --------------------------------------------------------------------------------------------
# Q trees, raw filters and inheritance


class TestQ:
    def test_and_merges(self) -> None:
        assert f(Q(title="a") & Q(pages=1)) == {"t": "a", "pages": 1}

    def test_and_with_collision_uses_and(self) -> None:
        assert f(Q(pages__gt=1) & Q(pages__gt=5)) == {
            "$and": [{"pages": {"$gt": 1}}, {"pages": {"$gt": 5}}]
        }

    def test_or(self) -> None:
        assert f(Q(title="a") | Q(title="b")) == {"$or": [{"t": "a"}, {"t": "b"}]}

    def test_or_flattens(self) -> None:
        assert f(Q(pages=1) | Q(pages=2) | Q(pages=3)) == {
            "$or": [{"pages": 1}, {"pages": 2}, {"pages": 3}]
        }

    def test_not(self) -> None:
        assert f(~Q(title="a")) == {"$nor": [{"t": "a"}]}
        assert f(~~Q(title="a")) == {"t": "a"}

    def test_api_example(self) -> None:
        assert f(Q(title__startswith="A") | ~Q(tags__size=0)) == {
            "$or": [{"t": {"$regex": "^A"}}, {"$nor": [{"tags": {"$size": 0}}]}]
        }

    def test_nested_combinations(self) -> None:
        query = f((Q(pages__gte=100) | Q(price__lt=5)) & Q(tags="sf"), title__ne="x")
        assert query == {
            "$or": [{"pages": {"$gte": 100}}, {"price": {"$lt": 5}}],
            "tags": "sf",
            "t": {"$ne": "x"},
        }

    def test_empty_q_vanishes(self) -> None:
        assert f(Q()) == {}
        assert f(Q() & Q(title="a")) == {"t": "a"}
        assert f(Q(title="a") | Q()) == {"t": "a"}

    def test_filters_and(self) -> None:
        assert Book.objects(title="a").filter(pages=3)._query == {"t": "a", "pages": 3}

    def test_raw_is_anded_with_lookups(self) -> None:
        qs = Book.objects.raw({"tags": {"$in": ["a", "b"]}}).filter(title="x")
        assert qs._query == {"tags": {"$in": ["a", "b"]}, "t": "x"}
        assert Book.objects(tags="c").raw({"tags": "d"})._query == {
            "$and": [{"tags": "c"}, {"tags": "d"}]
        }

    def test_a_dict_positional_argument_is_a_raw_filter(self) -> None:
        assert Book.objects.filter({"t": "raw"})._query == {"t": "raw"}

    def test_merge_and_helper(self) -> None:
        assert merge_and([{"a": 1}, {}, {"b": {"$gt": 1}}, {"b": {"$lt": 3}}]) == {
            "a": 1,
            "b": {"$gt": 1, "$lt": 3},
        }
        assert merge_and([{"a": 1}, {"a": 2}]) == {"$and": [{"a": 1}, {"a": 2}]}


class TestInheritance:
    def test_root_has_no_cls_filter(self) -> None:
        assert Media.objects(name="x")._query == {"name": "x"}

    def test_subclass_filters_its_class_names(self) -> None:
        assert Ebook.objects()._query == {"_cls": {"$in": ["Media.Ebook"]}}
        assert Audiobook.objects(minutes__gt=5)._query == {
            "_cls": {"$in": ["Media.Audiobook", "Media.Audiobook.Podcast"]},
            "minutes": {"$gt": 5},
        }
        assert Podcast.objects()._query == {"_cls": {"$in": ["Media.Audiobook.Podcast"]}}

    def test_parent_can_query_a_child_field(self) -> None:
        assert Media.objects(fmt="epub")._query == {"fmt": "epub"}

    def test_projection_keeps_cls(self) -> None:
        assert Media.objects.only("name")._projection() == {"name": 1, "_cls": 1}


# --------------------------------------------------------------------------------------------
# Updates


class TestUpdate:
    def test_set_unset(self) -> None:
        assert u(set__title="x", unset__price=1) == {"$set": {"t": "x"}, "$unset": {"price": ""}}
        assert u(title="y") == {"$set": {"t": "y"}}
        assert u(set__price=None) == {"$unset": {"price": ""}}

    def test_numbers(self) -> None:
        assert u(inc__pages=2) == {"$inc": {"pages": 2}}
        assert u(dec__pages=2) == {"$inc": {"pages": -2}}
        assert u(mul__price=1.5) == {"$mul": {"price": 1.5}}
        assert u(max__pages=10, min__price=2.0) == {"$max": {"pages": 10}, "$min": {"price": 2.0}}

    def test_arrays(self) -> None:
        assert u(push__tags="a") == {"$push": {"tags": "a"}}
        assert u(push__tags=["a", "b"]) == {"$push": {"tags": {"$each": ["a", "b"]}}}
        assert u(push__tags__0="first") == {"$push": {"tags": {"$each": ["first"], "$position": 0}}}
        assert u(push_all__tags=["a", "b"]) == {"$push": {"tags": {"$each": ["a", "b"]}}}
        assert u(pull__tags="a") == {"$pull": {"tags": "a"}}
        assert u(pull__tags=["a", "b"]) == {"$pull": {"tags": {"$in": ["a", "b"]}}}
        assert u(pull_all__tags=["a", "b"]) == {"$pullAll": {"tags": ["a", "b"]}}
        assert u(add_to_set__tags="a") == {"$addToSet": {"tags": "a"}}
        assert u(add_to_set__tags=["a", "b"]) == {"$addToSet": {"tags": {"$each": ["a", "b"]}}}
        assert u(pop__tags=1) == {"$pop": {"tags": 1}}
        assert u(pop__tags=-1) == {"$pop": {"tags": -1}}

    def test_embedded_items(self) -> None:
        assert u(push__reviews=Review(author="ann", stars=4)) == {
            "$push": {"reviews": {"author": "ann", "stars": 4}}
        }
        assert u(pull__reviews={"author": "ann"}) == {"$pull": {"reviews": {"author": "ann"}}}
        assert u(set__reviews__0__stars=1) == {"$set": {"reviews.0.stars": 1}}
        assert u(set__reviews__S__stars=2) == {"$set": {"reviews.$.stars": 2}}
        assert u(**{"set__reviews__$[]__stars": 0}) == {"$set": {"reviews.$[].stars": 0}}
        assert u(**{"set__reviews__$[low]__stars": 1}) == {"$set": {"reviews.$[low].stars": 1}}
        assert u(set__publisher__city="Rome") == {"$set": {"publisher.city": "Rome"}}

    def test_rename_set_on_insert_current_date(self) -> None:
        assert u(rename__price="cost") == {"$rename": {"price": "cost"}}
        assert u(rename__price="title") == {"$rename": {"price": "t"}}
        assert u(set_on_insert__pages=1) == {"$setOnInsert": {"pages": 1}}
        assert u(current_date__published=True) == {"$currentDate": {"published": True}}
        assert u(current_date__published="timestamp") == {
            "$currentDate": {"published": {"$type": "timestamp"}}
        }

    def test_documents_become_pks(self) -> None:
        writer = Writer(name="w", id=ObjectId())
        assert u(set__author=writer) == {"$set": {"author": writer.pk}}

    def test_values_are_converted(self) -> None:
        assert compile_update(Item, {"set__price": decimal.Decimal("1.5")}) == {
            "$set": {"price": Decimal128("1.50")}
        }
        assert compile_update(Item, {"set__status": Status.DRAFT}) == {"$set": {"status": "draft"}}

    def test_validation_names_the_path(self) -> None:
        with pytest.raises(ValidationError) as info:
            u(set__pages="x")
        assert list(info.value.errors) == ["pages"]
        with pytest.raises(ValidationError) as info:
            u(set__reviews__0__stars=9)
        assert "reviews.0.stars" in info.value.errors
        with pytest.raises(ValidationError) as info:
            u(push__tags="x" * 30)
        assert "tags" in info.value.errors
        with pytest.raises(ValidationError) as info:
            u(push__tags=["ok", 3])
        assert "tags.1" in info.value.errors
        with pytest.raises(ValidationError):
            u(inc__pages="1")
        with pytest.raises(ValidationError):
            u(inc__pages=1.5)
        with pytest.raises(ValidationError):
            u(pop__tags=2)
        with pytest.raises(ValidationError):
            u(set__title="x" * 201)

    def test_increments_ignore_bounds(self) -> None:
        assert u(inc__pages=-5) == {"$inc": {"pages": -5}}

    def test_unknown_paths_and_bad_targets(self) -> None:
        with pytest.raises(LookUpError):
            u(set__nope=1)
        with pytest.raises(ValidationError):
            u(push__title="x")


# --------------------------------------------------------------------------------------------
# Sort, projection and the queryset as a value


class TestSortProjection:
    def test_sort_keys(self) -> None:
        assert compile_sort(Book, ["-title", "+pages", "price", ("published", -1)]) == [
            ("t", -1),
            ("pages", 1),
            ("price", 1),
            ("published", -1),
        ]
        assert compile_sort(Book, ["publisher__city"]) == [("publisher.city", 1)]

    def test_order_by_and_meta_default(self) -> None:
        assert Book.objects.explain_filter()["sort"] == [("t", 1)]
        assert Book.objects.order_by("-pages").explain_filter()["sort"] == [("pages", -1)]
        assert Book.objects.order_by("-pages").order_by().explain_filter()["sort"] is None
        assert Book.objects.order_by([("pages", -1), ("title", 1)]).explain_filter()["sort"] == [
            ("pages", -1),
            ("t", 1),
        ]

    def test_sort_on_unknown_field(self) -> None:
        with pytest.raises(LookUpError):
            Book.objects.order_by("-nope").explain_filter()

    def test_projection(self) -> None:
        assert compile_projection(Book, ["title", "pages"]) == {"t": 1, "pages": 1}
        assert compile_projection(Book, None, ["reviews"]) == {"reviews": 0}
        assert compile_projection(Book, None) is None
        assert Book.objects.only("title").only("pages").exclude("pages")._projection() == {"t": 1}
        assert Book.objects.only("title").all_fields()._projection() is None
        assert Book.objects.values("title", "publisher__city")._projection() == {
            "t": 1,
            "publisher.city": 1,
        }

    def test_explain_filter(self) -> None:
        qs = Book.objects(pages__gt=1).only("title").order_by("-pages").skip(5).limit(10)
        assert qs.explain_filter() == {
            "filter": {"pages": {"$gt": 1}},
            "sort": [("pages", -1)],
            "projection": {"t": 1},
            "skip": 5,
            "limit": 10,
        }


class TestQuerySetValue:
    def test_chaining_never_changes_the_original(self) -> None:
        base = Book.objects(pages__gt=1)
        narrowed = base.filter(title="a").order_by("-pages").limit(3)
        assert base._query == {"pages": {"$gt": 1}} and base._limit is None
        assert narrowed._query == {"pages": {"$gt": 1}, "t": "a"}
        with pytest.raises(AttributeError):
            base._limit = 5  # type: ignore[misc]

    def test_slicing(self) -> None:
        qs = Book.objects[10:20]
        assert (qs._skip, qs._limit) == (10, 10)
        inner = qs[2:5]
        assert (inner._skip, inner._limit) == (12, 3)
        assert (Book.objects.skip(3)[2:]._skip, Book.objects.skip(3)[2:]._limit) == (5, None)
        assert Book.objects.limit(5)[3:10]._limit == 2
        assert Book.objects[4:4]._empty
        with pytest.raises(IndexError):
            Book.objects[-1]
        with pytest.raises(ValueError, match="step"):
            Book.objects[::2]

    def test_options_are_kept(self) -> None:
        qs = (
            Book.objects.batch_size(50)
            .hint([("pages", 1)])
            .comment("c")
            .max_time_ms(100)
            .collation({"locale": "en"})
            .using("other")
            .no_dereference()
            .select_related("author")
        )
        assert qs._batch_size == 50 and qs._hint == [("pages", 1)] and qs._comment == "c"
        assert qs._max_time_ms == 100 and qs._collation == {"locale": "en"}
        assert qs._alias == "other" and qs._no_dereference and qs._select_related == ("author",)
        assert qs._cursor_options() == {
            "hint": [("pages", 1)],
            "comment": "c",
            "max_time_ms": 100,
            "collation": {"locale": "en"},
        }
        assert Book.objects.hint(["-title"])._hint == [("t", -1)]
        assert Book.objects.select_related()._select_related == ("",)  # "" = every reference

    def test_none_and_clone(self) -> None:
        qs = Book.objects(title="a")
        assert qs.none()._empty and not qs._empty
        clone = qs.clone()
        assert clone is not qs and clone._query == qs._query
        assert isinstance(Book.objects.all(), QuerySet)

    def test_truthiness_needs_a_query(self) -> None:
        with pytest.raises(TypeError, match="exists"):
            bool(Book.objects())

    def test_values_list_arguments(self) -> None:
        with pytest.raises(TypeError):
            Book.objects.values_list("title", "pages", flat=True)
        assert Book.objects.scalar("title")._mode == "flat"
        assert Book.objects.scalar("title", "pages")._mode == "values_list"

    def test_raw_update_documents_must_use_operators(self) -> None:
        from asyncodm.queryset._update import merge_updates

        assert merge_updates({"$set": {"a": 1}}, {"$set": {"b": 2}, "$inc": {"c": 1}}) == {
            "$set": {"a": 1, "b": 2},
            "$inc": {"c": 1},
        }
        with pytest.raises(OperationError):
            merge_updates({"a": 1})
