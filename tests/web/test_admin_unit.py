"""The admin's pure parts, without a database or an event loop: every field kind's admin
field (``_convert``), and the list page's search, filters and sort as compiled filter
documents (``_query``), escaping included."""

from __future__ import annotations

import enum
import re
import subprocess
import sys
from typing import Any

import pytest

pytest.importorskip("starlette_admin")

import starlette_admin.fields as sa
from bson import ObjectId
from starlette_admin.filters import FilterGroup, FilterRule

from asyncodm import FieldSpec
from asyncodm.admin import _convert, _query
from asyncodm.admin._views import nested_errors
from asyncodm.fields import KINDS
from tests.web._admin_blog import Byline, Contributor, NewsStory


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


def _spec(kind: str, **kw: Any) -> FieldSpec:
    return FieldSpec(name="f", db_field="f", kind=kind, **kw)


EXPECTED: dict[str, type[sa.BaseField]] = {
    "objectid": _convert.ObjectIdInput,
    "string": sa.StringField,
    "regex": sa.StringField,
    "email": sa.EmailField,
    "url": sa.URLField,
    "uuid": sa.UUIDField,
    "ip": sa.IPAddressField,
    "int": sa.IntegerField,
    "long": sa.IntegerField,
    "sequence": sa.IntegerField,
    "float": sa.FloatField,
    "decimal": sa.DecimalField,
    "bool": sa.BooleanField,
    "datetime": sa.DateTimeField,
    "complex_datetime": sa.DateTimeField,
    "date": sa.DateField,
    "enum": sa.EnumField,
    "list": sa.ListField,
    "sorted_list": sa.ListField,
    "dict": sa.JSONField,
    "map": sa.JSONField,
    "dynamic": sa.JSONField,
    "generic_embedded": sa.JSONField,
    "embedded": sa.CollectionField,
    "reference": _convert.HasOne,
    "generic_reference": _convert.ReadOnlyField,
    "file": _convert.FileField,
    "image": _convert.ImageField,
    "point": sa.JSONField,
    "linestring": sa.JSONField,
    "polygon": sa.JSONField,
    "multipoint": sa.JSONField,
    "multilinestring": sa.JSONField,
    "multipolygon": sa.JSONField,
    "geometry_collection": sa.JSONField,
    "geo_point": sa.JSONField,
    "binary": _convert.ReadOnlyField,
    "javascript": _convert.ReadOnlyField,
    "timestamp": _convert.ReadOnlyField,
}

EXTRA: dict[str, dict[str, Any]] = {
    "enum": {"python_type": Color},
    "list": {"item": _spec("string")},
    "sorted_list": {"item": _spec("int")},
    "embedded": {"document": Byline},
    "reference": {"reference": Contributor},
}


def test_every_kind_has_an_admin_field() -> None:
    assert set(EXPECTED) == set(KINDS)


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_kind_converts(kind: str) -> None:
    field = _convert.convert_field(_spec(kind, **EXTRA.get(kind, {})))
    assert type(field) is EXPECTED[kind]
    assert field.name == "f"


def test_a_custom_kind_is_shown_read_only() -> None:
    field = _convert.convert_field(_spec("upper"))
    assert isinstance(field, _convert.ReadOnlyField)
    assert field.read_only and field.exclude_from_create and field.exclude_from_edit


def test_details_of_the_conversion() -> None:
    title = _convert.convert_field(
        _spec("string", required=True, constraints={"max_length": 9}, metadata={"help_text": "h"})
    )
    assert isinstance(title, sa.StringField)
    assert (title.required, title.maxlength, title.help_text) == (True, 9, "h")
    textarea = _convert.convert_field(_spec("string", metadata={"widget": "textarea"}))
    assert type(textarea) is sa.TextAreaField
    views = _convert.convert_field(_spec("int", constraints={"min_value": 0, "max_value": 5}))
    assert isinstance(views, sa.IntegerField) and (views.min, views.max) == (0, 5)

    choice = _convert.convert_field(_spec("string", choices=("a", "b"), choice_labels=(("a", "A"), ("b", "B"))))  # fmt: skip
    assert isinstance(choice, sa.EnumField) and choice.choices == [("a", "A"), ("b", "B")]
    color = _convert.convert_field(_spec("enum", python_type=Color))
    assert isinstance(color, sa.EnumField) and color.coerce("red") is Color.RED

    refs = _convert.convert_field(_spec("list", item=_spec("reference", reference=Contributor)))
    assert isinstance(refs, _convert.HasMany) and refs.key == "contributor"
    many = _convert.convert_field(_spec("list", item=_spec("string", choices=("x", "y"))))
    assert isinstance(many, sa.EnumField) and many.multiple
    nested = _convert.convert_field(_spec("list", item=_spec("embedded", document=Byline)))
    assert isinstance(nested, sa.ListField) and isinstance(nested.field, sa.CollectionField)
    assert [f.name for f in nested.field.fields] == ["place"]

    pk = _convert.convert_field(_spec("objectid", primary_key=True, auto=True))
    assert pk.exclude_from_create and pk.exclude_from_edit and not pk.required


def test_model_fields_and_keys() -> None:
    names = [f.name for f in _convert.convert_fields(NewsStory)]
    assert names[:3] == ["id", "title", "status"]
    assert _convert.view_key(NewsStory) == "news-story"


def _compiled(q: Any) -> dict[str, Any]:
    return dict(NewsStory.objects(q)._query)


def test_search_escapes_and_ignores_case() -> None:
    fields = _convert.convert_fields(NewsStory)
    q = _query.search_query(fields, "a.b*")
    assert q is not None
    # title is the only free-text field (status is a select, id an ObjectId)
    assert _compiled(q) == {"title": {"$regex": re.escape("a.b*"), "$options": "i"}}
    assert re.search(re.escape("a.b*"), "xxA.B*yy", re.IGNORECASE)
    assert not re.search(re.escape("a.b*"), "axbb", re.IGNORECASE)
    assert _query.search_query([f for f in fields if f.name == "views"], "x") is None


def test_operator_looking_values_stay_data() -> None:
    fields = {f.name: f for f in _convert.convert_fields(NewsStory)}
    registry = _query.AsyncODMFilterRegistry()

    def compiled(value: Any) -> dict[str, Any]:
        group = FilterGroup(rules=[FilterRule(field="title", filter="eq", value=value)])
        return _compiled(_query.filter_query(group, fields, registry))

    # A dict value is compared with $eq, never merged in as operators.
    assert compiled({"$ne": None}) == {"title": {"$eq": {"$ne": None}}}
    # What the URL carries is text, and stays text.
    assert compiled('{"$ne": null}') == {"title": '{"$ne": null}'}
    search = _query.search_query(fields.values(), '{"$ne": null}')
    assert _compiled(search) == {"title": {"$regex": re.escape('{"$ne": null}'), "$options": "i"}}


def test_filters_compile_to_stored_queries() -> None:
    fields = {f.name: f for f in _convert.convert_fields(NewsStory)}
    registry = _query.AsyncODMFilterRegistry()
    oid = ObjectId()
    group = FilterGroup(
        logic="and",
        rules=[
            FilterRule(field="views", filter="between", value=1, value2=5),
            FilterGroup(
                logic="or",
                rules=[
                    FilterRule(field="featured", filter="is_true"),
                    FilterRule(field="status", filter="in", value=["live"]),
                ],
            ),
            FilterRule(field="id", filter="eq", value=oid),
            FilterRule(field="author", filter="is_null"),
        ],
    )
    compiled = _compiled(_query.filter_query(group, fields, registry))
    text = repr(compiled)
    assert "'views'" in text and "'$gte': 1" in text and "'$lte': 5" in text
    assert "'$or'" in text and "'featured': True" in text and "'$in': ['live']" in text
    assert repr(oid) in text and "'author': None" in text
    assert _query.filter_query(FilterGroup(), fields, registry) is None


def test_order_keys() -> None:
    assert _query.order_keys([("title", "desc"), ("byline.place", "asc")]) == [
        "-title",
        "+byline__place",
    ]


def test_nested_errors() -> None:
    assert nested_errors({"title": "long", "notes.1.body": "short", "byline.place": "x"}) == {
        "title": "long",
        "notes": {1: {"body": "short"}},
        "byline": {"place": "x"},
    }


def test_import_asyncodm_leaves_starlette_admin_out_and_the_admin_names_its_extra() -> None:
    code = (
        "import sys\n"
        "import asyncodm\n"
        "assert 'starlette_admin' not in sys.modules, 'import asyncodm imported starlette_admin'\n"
        "sys.modules['starlette_admin'] = None  # as if it were not installed\n"
        "try:\n"
        "    import asyncodm.admin\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert "pip install 'asyncodm[admin]'" in done.stdout


def test_a_view_takes_field_names_and_admin_fields() -> None:
    from asyncodm.admin import ModelView

    class Partial(ModelView):
        fields = ["title", sa.StringField("status"), "author"]

    view = Partial(NewsStory)
    assert [type(f) for f in view.fields] == [sa.StringField, sa.StringField, _convert.HasOne]
    assert view.key == "news-story" and view.pk_attr == "id"
    with pytest.raises(TypeError, match="top-level Document"):
        ModelView(Byline)
