"""Pure tests of paths: what each field says a path part leads to (``walk``), and the one
resolver that queries, updates, sorts, index keys and shard keys share (``_schema._paths``).

No database and no event loop: every stored path is asserted as a string or a dict.
"""

from __future__ import annotations

from typing import Any

import pytest
from bson import ObjectId

from asyncodm import (
    DictField,
    DynamicField,
    EmbeddedDocumentField,
    EmbeddedDocumentListField,
    GenericEmbeddedDocumentField,
    GenericReferenceField,
    IntField,
    InvalidDocumentError,
    ListField,
    LongField,
    LookUpError,
    MapField,
    ObjectIdField,
    PointField,
    ReferenceField,
    SortedListField,
    StringField,
    ValidationError,
)
from asyncodm._io._persistence import identity_filter
from asyncodm._schema._filters import cls_filter, shard_key_paths, shard_values
from asyncodm._schema._index_specs import stored_path as index_path
from asyncodm._schema._paths import LOOKUP, STORED, resolve
from asyncodm.fields._base import Container, NoPath, is_position
from asyncodm.queryset._aggregate import _path as aggregate_path
from asyncodm.queryset._compile import compile_sort, stored_path
from asyncodm.queryset._update import compile_update
from tests.models.survey import (
    FieldNote,
    FieldSurvey,
    Measurement,
    ShardedSurvey,
    Station,
    Survey,
    Surveyor,
)


def q(**lookups: Any) -> dict[str, Any]:
    """The filter ``Survey.objects(...)`` sends."""
    return Survey.objects(**lookups)._query


def lookup(path: str) -> str:
    return resolve(Survey._schema, path.split("__"), rules=LOOKUP).path


# --------------------------------------------------------------------------------------------
# walk(): what one part leads to, asked of each kind of field


class TestWalk:
    def test_a_scalar_declares_nothing_inside(self) -> None:
        step = Survey.title.walk("x")
        assert step.field is None and step.schemaless
        assert step.opaque == "'title' has no inner fields"

    def test_a_geometry_declares_nothing_inside(self) -> None:
        assert Survey.where.walk("coordinates").opaque is not None

    @pytest.mark.parametrize("field", [DynamicField(), GenericEmbeddedDocumentField()])
    def test_schemaless_fields_take_any_part(self, field: Any) -> None:
        step = field.walk("anything")
        assert step.schemaless and step.opaque is None and step.stored == "anything"
        assert field.is_schemaless

    def test_embedded_document_enters_its_class_by_python_or_stored_name(self) -> None:
        for part in ("value", "v"):
            step = EmbeddedDocumentField(Measurement).walk(part)
            assert (step.stored, step.label, step.field) == ("v", "value", Measurement.value)
            assert not step.schemaless

    def test_embedded_document_unknown_name(self) -> None:
        with pytest.raises(NoPath, match="Measurement has no field 'valu'; its fields are: value"):
            EmbeddedDocumentField(Measurement).walk("valu")

    def test_dynamic_embedded_document_takes_undeclared_names(self) -> None:
        field = EmbeddedDocumentField(FieldNote)
        assert field.walk("text").stored == "t"
        step = field.walk("mood")
        assert step.schemaless and step.field is None and step.stored == "mood"

    @pytest.mark.parametrize("part", ["0", "12", "$", "$[]", "$[elem]"])
    def test_list_positions_lead_to_the_item(self, part: str) -> None:
        step = Survey.tags.walk(part)
        assert step.position and step.stored == part and step.field is Survey.tags.item_field

    def test_list_passes_other_parts_to_its_items(self) -> None:
        step = Survey.stations.walk("code")
        assert (step.stored, step.field) == ("c", Station.code)
        assert Survey.tags.walk("x").opaque == "'tags' has no inner fields"

    def test_embedded_document_list(self) -> None:
        field = EmbeddedDocumentListField(Measurement)
        assert field.walk("unit").stored == "u"
        assert field.walk("3").field is field.item_field

    @pytest.mark.parametrize("field", [DictField(IntField()), MapField(StringField())])
    def test_dict_keys_lead_to_the_item_field(self, field: Any) -> None:
        step = field.walk("any key")
        assert (step.stored, step.field, step.position) == ("any key", field.item_field, False)

    def test_untyped_dict_is_schemaless_from_its_values_on(self) -> None:
        value = DictField().walk("k").field
        assert value is not None and value.is_schemaless and value.walk("deeper").schemaless

    def test_reference_stores_only_the_id(self) -> None:
        with pytest.raises(NoPath, match="walks into a reference"):
            Survey.lead.walk("name")
        with pytest.raises(NoPath, match="walks into a reference"):
            Survey.lead.walk("$id")

    @pytest.mark.parametrize("part", ["$id", "$ref"])
    def test_dbref_reference_has_id_and_ref(self, part: str) -> None:
        step = Survey.backup.walk(part)
        assert step.stored == part and step.schemaless and step.opaque is None

    def test_is_position(self) -> None:
        assert all(map(is_position, ["0", "$", "$[]", "$[a1]"]))
        assert not any(map(is_position, ["a", "S", "$[1a]", "$where", "-1"]))


class TestFieldQuestions:
    def test_containers_and_item_fields(self) -> None:
        item = StringField()
        for field in (ListField(item), SortedListField(item)):
            assert field.container is Container.LIST and field.item_field is item
        for field in (DictField(item), MapField(item)):
            assert field.container is Container.DICT and field.item_field is item
        assert EmbeddedDocumentListField(Measurement).container is Container.LIST
        for field in (item, DynamicField(), EmbeddedDocumentField(Measurement), PointField()):
            assert field.container is Container.NONE and field.item_field is None

    def test_item_operators(self) -> None:
        assert ListField(IntField()).accepts_item_values
        assert DynamicField().accepts_item_values  # may hold a list of anything
        assert not DictField().accepts_item_values
        assert not StringField().accepts_item_values

    def test_numbers_and_ids(self) -> None:
        assert IntField().integer_only and LongField().integer_only
        assert not StringField().integer_only
        assert ObjectIdField().generates_id and not StringField().generates_id

    def test_plain_lists(self) -> None:
        assert ListField(IntField()).plain_list
        assert not ListField(ReferenceField(Surveyor)).plain_list  # a RefList
        assert not IntField().plain_list

    def test_embedded_model(self) -> None:
        assert EmbeddedDocumentField(Measurement).embedded_model is Measurement
        assert EmbeddedDocumentField("Measurement").embedded_model is Measurement
        for field in (GenericEmbeddedDocumentField(), EmbeddedDocumentListField(Measurement)):
            assert field.embedded_model is None

    def test_schemaless(self) -> None:
        assert not GenericReferenceField().is_schemaless
        assert not ListField(DynamicField()).is_schemaless


# --------------------------------------------------------------------------------------------
# The resolver


class TestResolvedPath:
    def test_the_record(self) -> None:
        path = resolve(Survey._schema, ["stations", "0", "readings", "value"])
        assert path.path == "sts.0.rs.v"
        assert path.field is Measurement.value
        assert path.label == "stations.0.readings.value"
        assert path.positions == (1,)
        assert path.fields[0] is Survey.stations and path.fields[-1] is Measurement.value
        assert not path.schemaless

    def test_a_schemaless_tail(self) -> None:
        path = resolve(Survey._schema, ["station", "extra", "a", "b"])
        assert path.path == "st.x.a.b"
        assert path.field is None and path.schemaless

    def test_ending_on_a_dynamic_value_keeps_its_field(self) -> None:
        path = resolve(Survey._schema, ["station", "loose"])
        assert path.path == "st.l" and path.field is Station.loose and not path.schemaless


class TestQueries:
    def test_db_field_renames_at_every_level(self) -> None:
        assert q(station__readings__value__gte=3) == {"st.rs.v": {"$gte": 3}}
        assert q(stations__code="N1") == {"sts.c": "N1"}
        assert q(stations__1__readings__0__unit="mm") == {"sts.1.rs.0.u": "mm"}

    def test_stored_names_are_accepted(self) -> None:
        assert q(st__c="N1") == {"st.c": "N1"}

    def test_lists_of_lists(self) -> None:
        assert q(matrix__0__1=5) == {"mx.0.1": 5}

    def test_dicts_and_maps(self) -> None:
        assert q(counts__rain__gt=1) == {"n.rain": {"$gt": 1}}
        assert q(station__gauges__north__value=2) == {"st.g.north.v": 2}
        assert q(station__extra__colour__shade="dark") == {"st.x.colour.shade": "dark"}

    def test_dynamic_and_generic_tails(self) -> None:
        assert q(anything__a__b=1) == {"any.a.b": 1}
        assert q(note__mood="calm") == {"nt.mood": "calm"}
        assert q(station__loose__deep__er=1) == {"st.l.deep.er": 1}

    def test_pk_id_and_cls(self) -> None:
        oid = ObjectId()
        assert q(pk=oid) == {"_id": oid} == q(id=oid)
        assert q(_cls="Survey.FieldSurvey") == {"_cls": "Survey.FieldSurvey"}

    def test_a_subclass_field_on_the_parent(self) -> None:
        assert q(crew=3) == {"cr": 3}
        assert FieldSurvey.objects(crew=3)._query == {
            "_cls": {"$in": ["Survey.FieldSurvey"]},
            "cr": 3,
        }

    def test_sort_and_projection_paths(self) -> None:
        assert compile_sort(Survey, ["-station__readings__value", "stations.code"]) == [
            ("st.rs.v", -1),
            ("sts.c", 1),
        ]
        assert stored_path(Survey, "station.gauges.k.unit") == "st.g.k.u"
        projection = Survey.objects.only("station__code", "title")._projection()
        assert projection == {"st.c": 1, "t": 1, "_cls": 1}

    def test_aggregation_unwinds_every_list_on_the_way(self) -> None:
        path, field, unwinds = aggregate_path(Survey.objects, "stations__readings__value")
        assert (path, field) == ("sts.rs.v", Measurement.value)
        assert unwinds == [{"$unwind": "$sts"}, {"$unwind": "$sts.rs"}]
        assert aggregate_path(Survey.objects, "matrix__0")[2] == [{"$unwind": "$mx.0"}]
        assert aggregate_path(Survey.objects, "tags")[2] == [{"$unwind": "$tg"}]


class TestUpdates:
    def test_positional_operators(self) -> None:
        assert compile_update(Survey, {"set__stations__S__code": "x"}) == {"$set": {"sts.$.c": "x"}}
        assert compile_update(Survey, {"set__stations__$__readings__$[]__value": 1}) == {
            "$set": {"sts.$.rs.$[].v": 1}
        }
        assert compile_update(Survey, {"set__stations__$[s]__code": "y"}) == {
            "$set": {"sts.$[s].c": "y"}
        }

    def test_s_is_positional_only_in_lists_and_schemaless_data(self) -> None:
        assert compile_update(Survey, {"set__counts__S": 1}) == {"$set": {"n.S": 1}}
        assert compile_update(Survey, {"set__anything__a__S": 1}) == {"$set": {"any.a.$": 1}}
        assert compile_update(Survey, {"set__station__loose__S": 1}) == {"$set": {"st.l.$": 1}}

    def test_values_are_checked_by_the_field_at_the_end(self) -> None:
        with pytest.raises(ValidationError) as info:
            compile_update(Survey, {"set__station__readings__0__value": "many"})
        assert "station.readings.0.value" in info.value.errors

    def test_integer_fields_refuse_fractional_increments(self) -> None:
        assert compile_update(Survey, {"inc__visits": 2.0}) == {"$inc": {"vs": 2.0}}
        with pytest.raises(ValidationError):
            compile_update(Survey, {"inc__visits": 1.5})

    def test_item_operators_need_a_list(self) -> None:
        assert compile_update(Survey, {"push__tags": "a"}) == {"$push": {"tg": "a"}}
        assert compile_update(Survey, {"push__station__loose": 1}) == {"$push": {"st.l": 1}}
        with pytest.raises(ValidationError, match="expected a list field"):
            compile_update(Survey, {"push__counts": 1})


class TestIndexKeys:
    @pytest.mark.parametrize(
        ("path", "stored"),
        [
            ("station.readings.value", "st.rs.v"),
            ("stations.0.code", "sts.0.c"),
            ("stations.code", "sts.c"),
            ("station.gauges.north.value", "st.g.north.v"),
            ("counts.rain", "n.rain"),
            ("station.extra.$**", "st.x.$**"),
            ("$**", "$**"),
            ("backup.$id", "bk.$id"),
            ("where.coordinates", "w.coordinates"),  # an index may name what a geometry stores
            ("note.mood", "nt.mood"),
            ("anything.a.S", "any.a.S"),  # no positional alias in stored keys
            ("pk", "_id"),
        ],
    )
    def test_stored_paths(self, path: str, stored: str) -> None:
        assert index_path(Survey._schema, path) == stored

    @pytest.mark.parametrize(
        ("path", "message"),
        [
            ("lead.name", "walks into a reference"),
            ("lead.$id", "walks into a reference"),
            ("station.readings.valu", "Measurement has no field 'valu'"),
            ("crew", "Survey has no field 'crew' in path 'crew'"),  # no subclass fields here
            ("station..code", "an empty part"),
        ],
    )
    def test_errors(self, path: str, message: str) -> None:
        with pytest.raises(InvalidDocumentError, match=message):
            index_path(Survey._schema, path)


class TestShardKeys:
    def test_paths_are_resolved_once_and_the_pk_is_left_out(self) -> None:
        assert shard_key_paths(ShardedSurvey._schema) == ("st.c", "t")
        assert shard_key_paths(Survey._schema) == ()

    def test_the_identity_filter(self) -> None:
        doc = ShardedSurvey._from_son({"_id": 1, "t": "x", "st": {"c": "N"}})
        assert identity_filter(doc) == {"_id": 1, "st.c": "N", "t": "x"}

    def test_values_come_from_the_stored_document_first(self) -> None:
        paths = ("st.c", "t")
        assert shard_values(paths, {"t": "a"}, lambda: {"st": {"c": "N"}, "t": "b"}) == {
            "st.c": "N",
            "t": "a",
        }
        assert shard_values(paths, None) == {"st.c": None, "t": None}

    def test_cls_filter(self) -> None:
        assert cls_filter(Survey._schema) == {}
        assert cls_filter(FieldSurvey._schema) == {"_cls": {"$in": ["Survey.FieldSurvey"]}}


class TestLookUpErrors:
    def test_unknown_first_part_names_the_model_and_its_fields(self) -> None:
        with pytest.raises(LookUpError) as info:
            q(titel="x")
        message = str(info.value)
        assert message.startswith("Survey has no field 'titel' in lookup 'titel'; its fields are:")

    def test_unknown_nested_part_names_the_path_and_the_class(self) -> None:
        with pytest.raises(LookUpError) as info:
            q(station__readings__valu__gte=1)
        assert str(info.value) == (
            "Survey has no field 'station__readings__valu' in lookup "
            "'station__readings__valu__gte': Measurement has no field 'valu'; its fields are: "
            "value, unit"
        )

    @pytest.mark.parametrize(
        ("key", "why"),
        [
            ("title__0", "'title' has no inner fields"),
            ("tags__x", "'tags' has no inner fields"),
            ("where__coordinates", "'where' has no inner fields"),
        ],
    )
    def test_walking_where_nothing_is_declared(self, key: str, why: str) -> None:
        with pytest.raises(LookUpError, match=why):
            q(**{key: 1})

    @pytest.mark.parametrize("key", ["lead__name", "crew_refs__name"])
    def test_only_filters_walk_through_a_reference(self, key: str) -> None:
        # a filter crosses it (a semi-join: tests/unit/test_cross_reference_compile.py); a
        # sort key, a projection or an update names what is stored here, which is the id
        with pytest.raises(LookUpError, match="walks into a reference"):
            stored_path(Survey, key)
        with pytest.raises(LookUpError, match="walks into a reference"):
            compile_update(Survey, {f"set__{key}": 1})

    def test_update_keys(self) -> None:
        with pytest.raises(LookUpError, match="'set__station__nope'"):
            compile_update(Survey, {"set__station__nope": 1})

    def test_direct_calls_name_the_parts_joined(self) -> None:
        with pytest.raises(LookUpError, match=r"'station\.nope' in path 'station\.nope'"):
            resolve(Survey._schema, ["station", "nope"], sep=".", rules=STORED)
        assert lookup("stations__S__code") == "sts.$.c"
