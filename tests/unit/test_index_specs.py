"""Pure tests of index compilation: every ``meta["indexes"]`` form, the indexes fields add, the
``_cls`` prefix under inheritance, capped settings, and the errors raised at class definition.

No database and no event loop: the documents asserted here are exactly what ``createIndexes``
is sent (``IndexModel.document``), because neither local backend reports indexes faithfully.
"""

from __future__ import annotations

from typing import Any

import pytest
from pymongo import IndexModel
from pymongo.collation import Collation

from asyncodm import (
    DictField,
    Document,
    DynamicDocument,
    EmbeddedDocument,
    EmbeddedDocumentField,
    EmbeddedDocumentListField,
    GeoPointField,
    IntField,
    InvalidDocumentError,
    ListField,
    PointField,
    ReferenceField,
    StringField,
)
from asyncodm._schema._index_plans import (
    DEFAULT_CAPPED_SIZE,
    capped_options,
    collection_members,
    failed_definition,
    index_models,
    index_plans,
    indexes_match,
    normalise_index,
)
from asyncodm._schema._index_specs import stored_path
from tests.models.shop import (
    ShopPlain,
    ShopProduct,
    ShopStore,
    Stock,
    StockBook,
    StockEbook,
    StockGadget,
)


def docs(model: type) -> list[dict[str, Any]]:
    """What ``ensure_indexes`` sends for ``model``'s collection, keys as ordered pairs."""
    out = []
    for m in index_models(model):
        doc = dict(m.document)
        out.append({"key": list(doc.pop("key").items()), **doc})
    return out


def keys(model: type) -> list[list[tuple[str, Any]]]:
    return [d["key"] for d in docs(model)]


def one(spec: Any, **fields: Any) -> dict[str, Any]:
    """The single index a throwaway model with ``meta = {"indexes": [spec]}`` declares."""
    namespace: dict[str, Any] = {
        "title": StringField(db_field="t"),
        "body": StringField(),
        "n": IntField(),
        "loc": PointField(auto_index=False),
        "pos": GeoPointField(auto_index=False),
        "meta": {"indexes": [spec]},
        **fields,
    }
    model = type("OneIndex", (Document,), namespace)
    [found] = docs(model)
    return found


# --------------------------------------------------------------------------------------------
# Spec forms


class TestStringForms:
    @pytest.mark.parametrize(
        ("spec", "key"),
        [
            ("title", [("t", 1)]),
            ("+title", [("t", 1)]),
            ("-title", [("t", -1)]),
            ("$body", [("body", "text")]),
            ("#body", [("body", "hashed")]),
            ("*pos", [("pos", "2d")]),
            ("(loc", [("loc", "2dsphere")]),
            ("$**", [("$**", 1)]),
            ("$$**", [("$**", "text")]),
        ],
    )
    def test_prefixes(self, spec: str, key: list[tuple[str, Any]]) -> None:
        assert one(spec)["key"] == key

    def test_names_are_what_mongodb_would_generate(self) -> None:
        assert one("-title")["name"] == "t_-1"
        assert one("$body")["name"] == "body_text"

    def test_pk_and_id_mean__id(self) -> None:
        assert one(("title", "pk"))["key"] == [("t", 1), ("_id", 1)]
        assert one(("id", "-title"))["key"] == [("_id", 1), ("t", -1)]


class TestCompoundForms:
    def test_tuple_of_strings(self) -> None:
        assert one(("title", "-n"))["key"] == [("t", 1), ("n", -1)]

    def test_list_of_strings(self) -> None:
        assert one(["-n", "$body"])["key"] == [("n", -1), ("body", "text")]

    def test_list_of_pairs(self) -> None:
        spec = [("loc", "2dsphere"), ("n", 1)]
        assert one(spec)["key"] == [("loc", "2dsphere"), ("n", 1)]

    def test_pairs_and_strings_mix(self) -> None:
        assert one([("title", -1), "n"])["key"] == [("t", -1), ("n", 1)]

    def test_a_bare_pair_is_one_key(self) -> None:
        assert one(("title", -1))["key"] == [("t", -1)]

    def test_pymongo_direction_constants(self) -> None:
        import pymongo

        spec = [("title", pymongo.DESCENDING), ("body", pymongo.TEXT)]
        assert one(spec)["key"] == [("t", -1), ("body", "text")]


class TestDictForm:
    def test_options_pass_through_by_their_mongodb_names(self) -> None:
        found = one(
            {
                "fields": ["title", "-n"],
                "unique": True,
                "sparse": True,
                "name": "by_title",
                "partialFilterExpression": {"n": {"$gt": 0}},
                "collation": {"locale": "fr", "strength": 1},
            }
        )
        assert found == {
            "key": [("t", 1), ("n", -1)],
            "unique": True,
            "sparse": True,
            "name": "by_title",
            "partialFilterExpression": {"n": {"$gt": 0}},
            "collation": {"locale": "fr", "strength": 1},
        }

    def test_ttl(self) -> None:
        found = one({"fields": ["n"], "expireAfterSeconds": 60})
        assert found == {"key": [("n", 1)], "name": "n_1", "expireAfterSeconds": 60}

    def test_a_pymongo_collation_object(self) -> None:
        found = one({"fields": ["title"], "collation": Collation("en", strength=2)})
        assert found["collation"] == {"locale": "en", "strength": 2}

    def test_fields_may_be_one_string(self) -> None:
        assert one({"fields": "-title"})["key"] == [("t", -1)]

    def test_text_index_options(self) -> None:
        found = one(
            {"fields": ["$title", "$body"], "weights": {"t": 5}, "default_language": "french"}
        )
        assert found["key"] == [("t", "text"), ("body", "text")]
        assert found["weights"] == {"t": 5} and found["default_language"] == "french"


class TestIndexModelForm:
    def test_field_names_are_translated_and_the_name_regenerated(self) -> None:
        found = one(IndexModel([("title", -1), ("n", 1)], unique=True))
        assert found == {"key": [("t", -1), ("n", 1)], "name": "t_-1_n_1", "unique": True}

    def test_a_chosen_name_is_kept(self) -> None:
        found = one(IndexModel([("title", 1)], name="mine"))
        assert found == {"key": [("t", 1)], "name": "mine"}

    def test_it_never_gets_a__cls_prefix(self) -> None:
        class Root(Document):
            title = StringField()
            meta = {"allow_inheritance": True, "indexes": [IndexModel([("title", 1)])]}

        assert [("title", 1)] in keys(Root)


# --------------------------------------------------------------------------------------------
# Stored names and paths


class TestStoredPaths:
    def test_the_shop_product(self) -> None:
        assert docs(ShopProduct) == [
            {"key": [("t", 1)], "name": "t_1"},
            {"key": [("created", -1)], "name": "created_-1"},
            {"key": [("brand", 1), ("price", -1)], "name": "brand_1_price_-1"},
            {"key": [("description", "text")], "name": "description_text"},
            {"key": [("brand", "hashed")], "name": "brand_hashed"},
            {"key": [("size.w", 1)], "name": "size.w_1"},
            {
                "key": [("supplier.depot", "2dsphere"), ("created", 1)],
                "name": "supplier.depot_2dsphere_created_1",
            },
            {"key": [("tags", 1)], "name": "tag_lookup", "sparse": True},
            {"key": [("created", 1)], "name": "expiry", "expireAfterSeconds": 3600},
            {
                "key": [("price", 1)],
                "name": "price_1",
                "partialFilterExpression": {"price": {"$gt": 0}},
            },
            {
                "key": [("t", 1)],
                "name": "title_ci",
                "collation": {"locale": "en", "strength": 2},
            },
            {"key": [("attributes.colour", 1)], "name": "colour"},
            # the fields' own: unique sku, a unique code inside the embedded supplier, and the
            # supplier depot's automatic 2dsphere index (the reviews' one is switched off)
            {"key": [("s", 1)], "name": "s_1", "unique": True},
            {
                "key": [("supplier.code", 1)],
                "name": "supplier.code_1",
                "unique": True,
                "sparse": True,
            },
            {"key": [("supplier.depot", "2dsphere")], "name": "supplier.depot_2dsphere"},
        ]

    @pytest.mark.parametrize(
        ("path", "stored"),
        [
            ("title", "t"),
            ("t", "t"),  # a stored name is accepted too
            ("size.width", "size.w"),
            ("size.w", "size.w"),
            ("supplier.name", "supplier.n"),
            ("reviews.stars", "reviews.stars"),
            ("reviews.0.stars", "reviews.0.stars"),
            ("tags.0", "tags.0"),
            ("attributes.colour.shade", "attributes.colour.shade"),
            ("attributes.$**", "attributes.$**"),
            ("pk", "_id"),
            ("id", "_id"),
        ],
    )
    def test_paths(self, path: str, stored: str) -> None:
        assert stored_path(ShopProduct._schema, path) == stored

    def test_typed_dict_values_are_walked(self) -> None:
        class Leaf(EmbeddedDocument):
            value = IntField(db_field="v")

        class Tree(Document):
            leaves = DictField(EmbeddedDocumentField(Leaf))

        assert stored_path(Tree._schema, "leaves.any_key.value") == "leaves.any_key.v"

    def test_dynamic_documents_index_undeclared_names(self) -> None:
        class Loose(DynamicDocument):
            title = StringField(db_field="t")
            meta = {"indexes": ["title", "anything.at.all"]}

        assert keys(Loose) == [[("t", 1)], [("anything.at.all", 1)]]

    def test_embedded_class_named_by_a_string_defined_later(self) -> None:
        """The class statement cannot check a path into a class that does not exist yet; it
        is compiled on first use instead (and the field's unique index merges in)."""

        class Forward(Document):
            part = EmbeddedDocumentField("LaterPart")
            meta = {"indexes": ["part.label"]}

        class LaterPart(EmbeddedDocument):
            label = StringField(db_field="l", unique=True)

        assert docs(Forward) == [{"key": [("part.l", 1)], "name": "part.l_1", "unique": True}]

    def test_a_forward_reference_still_undefined_at_use(self) -> None:
        class Dangling(Document):
            part = EmbeddedDocumentField("NeverDefinedPart")
            meta = {"indexes": ["part.label"]}

        with pytest.raises(InvalidDocumentError, match="Dangling: cannot compile its indexes"):
            index_plans(Dangling)


# --------------------------------------------------------------------------------------------
# Indexes the fields declare


class TestFieldIndexes:
    def test_unique_with_and_geo_fields(self) -> None:
        assert docs(ShopStore) == [
            {
                "key": [("name", 1), ("city", 1), ("country", 1)],
                "name": "name_1_city_1_country_1",
                "unique": True,
            },
            {"key": [("position", "2d")], "name": "position_2d"},
            {"key": [("entrance", "2dsphere")], "name": "entrance_2dsphere"},
        ]

    def test_unique_with_uses_stored_names(self) -> None:
        class Slot(Document):
            day = StringField(db_field="d", unique_with=("room", "hour"))
            room = StringField(db_field="r")
            hour = IntField(db_field="h")

        assert docs(Slot) == [
            {"key": [("d", 1), ("r", 1), ("h", 1)], "name": "d_1_r_1_h_1", "unique": True}
        ]

    def test_unique_merges_into_a_declared_index_with_the_same_keys(self) -> None:
        class Account(Document):
            email = StringField(unique=True)
            meta = {"indexes": [{"fields": ["email"], "name": "by_email"}]}

        assert docs(Account) == [{"key": [("email", 1)], "name": "by_email", "unique": True}]

    def test_geo_index_merges_with_a_declared_one(self) -> None:
        class Spot(Document):
            where = PointField()
            meta = {"indexes": ["(where"]}

        assert docs(Spot) == [{"key": [("where", "2dsphere")], "name": "where_2dsphere"}]

    def test_primary_key_needs_no_unique_index(self) -> None:
        class Keyed(Document):
            code = StringField(primary_key=True, unique=True)

        assert docs(Keyed) == []

    def test_unique_inside_a_list_of_embedded_documents_is_not_indexed(self) -> None:
        class Line(EmbeddedDocument):
            sku = StringField(unique=True)

        class Order2(Document):
            lines = EmbeddedDocumentListField(Line)

        assert docs(Order2) == []

    def test_geo_inside_a_list_of_embedded_documents_is_indexed(self) -> None:
        class Stop(EmbeddedDocument):
            at = PointField(db_field="a")

        class Route(Document):
            stops = ListField(EmbeddedDocumentField(Stop))

        assert keys(Route) == [[("stops.a", "2dsphere")]]

    def test_a_model_without_indexes(self) -> None:
        assert docs(ShopPlain) == []


class TestDefaults:
    def test_index_options_apply_to_every_index_and_own_options_win(self) -> None:
        class Tuned(Document):
            a = StringField(unique=True)
            b = StringField()
            meta = {
                "indexes": ["b", {"fields": ["-b"], "sparse": False}],
                "index_options": {"sparse": True, "hidden": False},
                "index_background": True,
            }

        assert docs(Tuned) == [
            {"key": [("b", 1)], "name": "b_1", "sparse": True, "hidden": False, "background": True},
            {
                "key": [("b", -1)],
                "name": "b_-1",
                "sparse": False,
                "hidden": False,
                "background": True,
            },
            {
                "key": [("a", 1)],
                "name": "a_1",
                "sparse": True,
                "hidden": False,
                "background": True,
                "unique": True,
            },
        ]

    def test_mongoengine_index_opts_spelling(self) -> None:
        class Old(Document):
            b = StringField()
            meta = {"indexes": ["b"], "index_opts": {"hidden": True}}

        assert docs(Old) == [{"key": [("b", 1)], "name": "b_1", "hidden": True}]

    def test_abstract_parents_indexes_are_inherited(self) -> None:
        class Stamped(Document):
            created = IntField()
            meta = {"abstract": True, "indexes": ["-created"]}

        class Note2(Stamped):
            text = StringField()
            meta = {"indexes": ["text"]}

        assert keys(Note2) == [[("created", -1)], [("text", 1)]]


# --------------------------------------------------------------------------------------------
# Inheritance: _cls leads the index


class TestInheritance:
    def test_a_hierarchy_shares_one_set_of_indexes(self) -> None:
        expected = [
            {"key": [("_cls", 1), ("kind", 1)], "name": "_cls_1_kind_1"},
            {"key": [("name", -1)], "name": "name_-1"},  # cls=False
            {"key": [("name", 1)], "name": "name_1", "unique": True},  # unique field: no _cls
            {"key": [("_cls", 1), ("isbn", 1)], "name": "_cls_1_isbn_1"},  # from StockBook
            {"key": [("url", 1)], "name": "url_1", "sparse": True},  # sparse: no _cls
        ]
        for model in (Stock, StockBook, StockEbook, StockGadget):
            assert docs(model) == expected

    def test_members_of_the_collection(self) -> None:
        assert collection_members(StockBook) == [Stock, StockBook, StockEbook, StockGadget]
        assert collection_members(ShopStore) == [ShopStore]

    def test_cls_index_added_when_no_index_starts_with_it(self) -> None:
        class Vehicle(Document):
            wheels = IntField()
            meta = {"allow_inheritance": True, "indexes": [{"fields": ["wheels"], "cls": False}]}

        class Bike(Vehicle):
            pass

        assert docs(Bike) == [
            {"key": [("wheels", 1)], "name": "wheels_1"},
            {"key": [("_cls", 1)], "name": "_cls_1"},
        ]

    def test_index_cls_false_turns_it_off_and_cls_true_back_on(self) -> None:
        class Shape(Document):
            sides = IntField()
            colour = StringField()
            meta = {
                "allow_inheritance": True,
                "index_cls": False,
                "indexes": ["sides", {"fields": ["colour"], "cls": True}],
            }

        assert keys(Shape) == [[("sides", 1)], [("_cls", 1), ("colour", 1)]]

    @pytest.mark.parametrize(
        "spec",
        [
            "$body",
            "#body",
            "(loc",
            "*pos",
            "$**",
            {"fields": ["n"], "sparse": True},
            {"fields": ["n"], "expireAfterSeconds": 5},
        ],
    )
    def test_no_prefix_where_it_would_break_the_index(self, spec: Any) -> None:
        class Poly(Document):
            body = StringField()
            n = IntField()
            loc = PointField(auto_index=False)
            pos = GeoPointField(auto_index=False)
            meta = {"allow_inheritance": True, "indexes": [spec]}

        first = keys(Poly)[0]
        assert first[0][0] != "_cls"

    def test_without_inheritance_there_is_no__cls(self) -> None:
        assert all(k[0][0] != "_cls" for k in keys(ShopProduct))


# --------------------------------------------------------------------------------------------
# Errors at class definition


def bad(spec: Any, match: str, **fields: Any) -> None:
    with pytest.raises(InvalidDocumentError, match=match) as info:
        one(spec, **fields)
    assert "OneIndex" in str(info.value)


class TestErrors:
    def test_unknown_field_names_the_model_and_the_spec(self) -> None:
        with pytest.raises(InvalidDocumentError) as info:

            class Typo(Document):
                title = StringField()
                meta = {"indexes": ["title", "-titel"]}

        message = str(info.value)
        assert "Typo" in message and "'-titel'" in message and "no field 'titel'" in message

    @pytest.mark.parametrize(
        ("spec", "match"),
        [
            ("nope", "no field 'nope'"),
            ("size.depth", "Size has no field 'depth'"),
            (")loc", "geoHaystack"),
            ("-", "names no field"),
            (("title", "2dsphere"), "as a list of pairs"),
            ([("title", 2)], "invalid index direction 2"),
            ([("title", True)], "invalid index direction True"),
            ([("title", "geoHaystack")], "removed in MongoDB 5.0"),
            (42, "expected a field name"),
            ([], "names no fields"),
            ({"unique": True}, "needs 'fields'"),
            ({"fields": ["title"], "uniqe": True}, r"unknown option\(s\) \['uniqe'\]"),
            ({"fields": ["title"], "unique": "yes"}, "'unique' must be True or False"),
            ({"fields": ["n"], "expireAfterSeconds": -1}, "whole number of seconds"),
            ({"fields": ["n", "title"], "expireAfterSeconds": 1}, "exactly one field"),
            ({"fields": ["title"], "name": ""}, "'name' must be a non-empty string"),
            ({"fields": ["title"], "cls": "no"}, "'cls' must be True or False"),
            ({"fields": ["title"], "collation": {"strength": 1}}, "needs a 'locale'"),
            ({"fields": ["title"], "partialFilterExpression": 1}, "must be a filter document"),
            (("title", "title"), "appears twice"),
            (["n", "*pos"], "2d index must have its"),
            ({"fields": ["#title"], "unique": True}, "cannot make a hashed index unique"),
            (["#title", "#body"], "only one hashed field"),
            ({"fields": 5}, "'fields' must be a list"),
            ("ref.name", "walks into a reference"),
        ],
    )
    def test_bad_specs(self, spec: Any, match: str) -> None:
        class Size(EmbeddedDocument):
            width = IntField()

        bad(spec, match, size=EmbeddedDocumentField(Size), ref=ReferenceField("ShopPlain"))

    def test_same_keys_different_options(self) -> None:
        with pytest.raises(InvalidDocumentError, match="same keys"):

            class Twice(Document):
                a = StringField()
                meta = {"indexes": ["a", {"fields": ["a"], "sparse": True}]}

    def test_same_keys_under_another_collation_is_fine(self) -> None:
        class Twice2(Document):
            a = StringField()
            meta = {
                "indexes": ["a", {"fields": ["a"], "name": "a_fr", "collation": {"locale": "fr"}}]
            }

        assert keys(Twice2) == [[("a", 1)], [("a", 1)]]

    def test_same_name_different_keys(self) -> None:
        with pytest.raises(InvalidDocumentError, match="both named 'x'"):

            class Named(Document):
                a = StringField()
                b = StringField()
                meta = {"indexes": [{"fields": ["a"], "name": "x"}, {"fields": ["b"], "name": "x"}]}

    def test_two_text_indexes(self) -> None:
        with pytest.raises(InvalidDocumentError, match="only one text index"):

            class Texty(Document):
                a = StringField()
                b = StringField()
                meta = {"indexes": ["$a", "$b"]}

    def test_bad_index_options(self) -> None:
        with pytest.raises(InvalidDocumentError, match="index_options"):

            class Opts(Document):
                a = StringField()
                meta = {"index_options": {"unique": True, "frobnicate": 1}}

    def test_unknown_unique_with(self) -> None:
        with pytest.raises(InvalidDocumentError, match=r"Pair.a: unique_with 'zz'"):

            class Pair(Document):
                a = StringField(unique_with="zz")

    def test_a_failed_class_is_skipped_by_collection_wide_operations(self) -> None:
        class Fam(Document):
            meta = {"allow_inheritance": True}

        with pytest.raises(InvalidDocumentError):

            class BrokenChild(Fam):
                meta = {"indexes": ["missing"]}

        from asyncodm._registry import registry

        ghost = registry.find("BrokenChild")
        assert ghost is not None and failed_definition(ghost)
        assert collection_members(Fam) == [Fam]

    def test_errors_are_raised_for_abstract_bases_too(self) -> None:
        with pytest.raises(InvalidDocumentError, match="no field 'nope'"):

            class AbstractBad(Document):
                meta = {"abstract": True, "indexes": ["nope"]}


# --------------------------------------------------------------------------------------------
# Capped collections


class TestCapped:
    def make(self, **meta: Any) -> type:
        return type("Log", (Document,), {"line": StringField(), "meta": meta})

    def test_not_capped(self) -> None:
        assert capped_options(self.make()) is None

    def test_max_documents_alone_gets_ten_megabytes(self) -> None:
        assert DEFAULT_CAPPED_SIZE == 10 * 1024 * 1024
        assert capped_options(self.make(max_documents=100)) == {
            "capped": True,
            "size": 10 * 1024 * 1024,
            "max": 100,
        }

    @pytest.mark.parametrize(("given", "rounded"), [(1, 256), (256, 256), (257, 512), (5000, 5120)])
    def test_size_rounds_up_to_256(self, given: int, rounded: int) -> None:
        assert capped_options(self.make(max_size=given)) == {"capped": True, "size": rounded}

    def test_both(self) -> None:
        assert capped_options(self.make(max_size=4096, max_documents=3)) == {
            "capped": True,
            "size": 4096,
            "max": 3,
        }

    @pytest.mark.parametrize("meta", [{"max_size": 0}, {"max_documents": -1}, {"max_size": "1MB"}])
    def test_invalid_settings_fail_at_definition(self, meta: dict[str, Any]) -> None:
        with pytest.raises(InvalidDocumentError, match="positive whole number"):
            self.make(**meta)

    def test_inherited(self) -> None:
        class Journal(Document):
            meta = {"max_documents": 10, "allow_inheritance": True}

        class Entry(Journal):
            pass

        assert capped_options(Entry) == capped_options(Journal)


# --------------------------------------------------------------------------------------------
# Comparing with what a server lists


class TestMatching:
    def test_key_order_and_direction_matter(self) -> None:
        a = {"key": {"a": 1, "b": -1}}
        assert indexes_match(a, {"key": {"a": 1, "b": -1}, "name": "whatever", "v": 2})
        assert not indexes_match(a, {"key": {"a": 1, "b": 1}})
        assert not indexes_match(a, {"key": {"b": -1, "a": 1}})

    def test_numbers_compare_as_numbers(self) -> None:
        assert indexes_match({"key": {"a": 1}}, {"key": {"a": 1.0}})

    def test_defaults_are_not_differences(self) -> None:
        declared = {"key": {"a": 1}, "unique": False, "sparse": False, "background": True}
        assert indexes_match(declared, {"key": {"a": 1}})

    @pytest.mark.parametrize(
        "option",
        [
            {"unique": True},
            {"sparse": True},
            {"expireAfterSeconds": 10},
            {"partialFilterExpression": {"a": {"$exists": True}}},
            {"hidden": True},
        ],
    )
    def test_significant_options(self, option: dict[str, Any]) -> None:
        assert not indexes_match({"key": {"a": 1}, **option}, {"key": {"a": 1}})
        assert not indexes_match({"key": {"a": 1}}, {"key": {"a": 1}, **option})
        assert indexes_match({"key": {"a": 1}, **option}, {"key": {"a": 1}, **option})

    def test_text_indexes_as_mongodb_lists_them(self) -> None:
        declared = IndexModel([("title", "text"), ("body", "text")]).document
        listed = {
            "key": {"_fts": "text", "_ftsx": 1},
            "weights": {"title": 1, "body": 1},
            "default_language": "english",
            "language_override": "language",
            "textIndexVersion": 3,
        }
        assert indexes_match(declared, listed)
        assert not indexes_match(declared, {**listed, "weights": {"title": 1}})
        assert normalise_index(declared) == normalise_index(listed)

    def test_collation_matches_on_the_declared_keys(self) -> None:
        declared = {"key": {"a": 1}, "collation": {"locale": "en", "strength": 2}}
        listed = {
            "key": {"a": 1},
            "collation": {"locale": "en", "strength": 2, "caseLevel": False, "version": "57.1"},
        }
        assert indexes_match(declared, listed)
        assert not indexes_match(declared, {"key": {"a": 1}})
        assert not indexes_match(
            declared, {"key": {"a": 1}, "collation": {"locale": "en", "strength": 3}}
        )

    def test_keys_as_pairs_or_items(self) -> None:
        assert indexes_match({"key": {"a": 1}}, {"key": [("a", 1)]})
        assert indexes_match({"key": {"a": 1}}, {"key": {"a": 1}.items()})


def test_plans_are_cached_per_class() -> None:
    assert index_plans(ShopProduct) is index_plans(ShopProduct)
