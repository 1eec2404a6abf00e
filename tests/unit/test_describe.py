"""``field.describe()`` and ``asyncodm.describe(Model)``: the self-description (API.md §11).

Pure unit tests: no database, no event loop. Each kind's spec is pinned whole (a ``FieldSpec``
compares every attribute), so a change to what a field says about itself shows up here. Every
test runs on a snapshot of the registry: the classes defined here (``Page``, ``User`` ...)
never replace other suites' classes of the same name.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import re
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from bson import Code, Decimal128, ObjectId, Timestamp

import asyncodm
from asyncodm import (
    CASCADE,
    DO_NOTHING,
    MISSING,
    NULLIFY,
    BaseField,
    BinaryField,
    BooleanField,
    ComplexDateTimeField,
    DateField,
    DateTimeField,
    DecimalField,
    DictField,
    Document,
    DynamicDocument,
    DynamicEmbeddedDocument,
    DynamicField,
    EmailField,
    EmbeddedDocument,
    EmbeddedDocumentField,
    EmbeddedDocumentListField,
    EnumField,
    FieldSpec,
    FileField,
    FloatField,
    GenericEmbeddedDocumentField,
    GenericIPAddressField,
    GenericReferenceField,
    GeometryCollectionField,
    GeoPointField,
    ImageField,
    IntField,
    JavaScriptField,
    LineStringField,
    ListField,
    LongField,
    MapField,
    ModelSpec,
    MultiLineStringField,
    MultiPointField,
    MultiPolygonField,
    NotRegistered,
    ObjectIdField,
    OrderedDictField,
    PointField,
    PolygonField,
    Ref,
    ReferenceField,
    RegularExpressionField,
    SequenceField,
    SortedListField,
    StringField,
    TimestampField,
    URLField,
    UUIDField,
    describe,
)
from asyncodm import fields as fields_module
from asyncodm._registry import registry
from asyncodm.compat import mongokit, pymodm
from asyncodm.compat.minimongo import Model as MiniModel
from asyncodm.compat.minimongo import MongoCollection
from asyncodm.compat.pymodm import fields as pm
from asyncodm.fields import KINDS
from asyncodm.fields._image import ImageFieldFile
from asyncodm.files import FieldFile


@pytest.fixture(autouse=True)
def _own_registry() -> Iterator[None]:
    saved = registry.snapshot()
    try:
        yield
    finally:
        registry.restore(saved)


class Color(enum.Enum):
    RED = "r"
    GREEN = "g"


def bound(field: BaseField[Any], *, base: type = Document) -> BaseField[Any]:
    """``field`` declared as ``value`` on a fresh class (so it has its name and owner), beside
    an ``other`` field for ``unique_with``."""
    namespace = {"value": field, "other": StringField(), "__module__": __name__}
    cls = type("DescribeCase", (base,), namespace)
    found: BaseField[Any] = cls._schema.fields["value"]  # type: ignore[attr-defined]
    return found


def spec(kind: str, python_type: Any, **attrs: Any) -> FieldSpec:
    """The expected spec of a field named ``value``: FieldSpec's defaults plus ``attrs``."""
    attrs.setdefault("name", "value")
    attrs.setdefault("db_field", attrs["name"])
    return FieldSpec(kind=kind, python_type=python_type, **attrs)


def test_fieldspec_attributes_are_pinned() -> None:
    assert [f.name for f in dataclasses.fields(FieldSpec)] == [
        "name",
        "db_field",
        "kind",
        "python_type",
        "required",
        "primary_key",
        "unique",
        "unique_with",
        "sparse",
        "default",
        "choices",
        "choice_labels",
        "null",
        "blank",
        "auto",
        "constraints",
        "item",
        "document",
        "reference",
        "classes",
        "options",
        "metadata",
    ]
    assert [f.name for f in dataclasses.fields(ModelSpec)] == [
        "name",
        "model",
        "collection",
        "embedded",
        "dynamic",
        "abstract",
        "fields",
        "pk",
        "class_name",
        "allow_inheritance",
        "stores_cls",
        "db_alias",
        "indexes",
        "meta",
        "versioned",
    ]


def test_specs_are_frozen_and_read_only() -> None:
    fs = bound(StringField(max_length=3, widget="w")).describe()
    with pytest.raises(dataclasses.FrozenInstanceError):
        fs.kind = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        fs.constraints["max_length"] = 4  # type: ignore[index]
    with pytest.raises(TypeError):
        fs.metadata["widget"] = "x"  # type: ignore[index]
    # hashable, so integrations may key caches by spec
    assert hash(fs) == hash(dataclasses.replace(fs)) and {fs: 1}[fs] == 1
    owner = bound(StringField()).owner
    assert owner is not None and {describe(owner): 1}[describe(owner)] == 1


# --- one test per kind: the whole spec of a representative declaration ----------------------


# Module-level classes get names no other suite uses: they stay registered.
class DescribedAddress(EmbeddedDocument):
    city = StringField()


class DescribedTarget(Document):
    name = StringField()


def _objectid() -> tuple[BaseField[Any], FieldSpec]:
    field = ObjectIdField(db_field="oid", unique=True, verbose_name="Object id")
    return field, spec(
        "objectid", ObjectId, db_field="oid", unique=True, metadata={"verbose_name": "Object id"}
    )


def _string() -> tuple[BaseField[Any], FieldSpec]:
    field = StringField(
        required=True,
        min_length=2,
        max_length=20,
        regex=r"[a-z]+$",
        choices=[("ab", "Alpha Beta"), "cd"],
        default="ab",
        help_text="Lower-case letters",
        widget="text",
    )
    return field, spec(
        "string",
        str,
        required=True,
        default="ab",
        choices=("ab", "cd"),
        choice_labels=(("ab", "Alpha Beta"), ("cd", "cd")),
        constraints={"min_length": 2, "max_length": 20, "regex": "[a-z]+$"},
        metadata={"help_text": "Lower-case letters", "widget": "text"},
    )


def _email() -> tuple[BaseField[Any], FieldSpec]:
    field = EmailField(max_length=100, domain_whitelist=["LocalHost"], unique=True, sparse=True)
    return field, spec(
        "email",
        str,
        unique=True,
        sparse=True,
        constraints={"max_length": 100},
        options={
            "allow_utf8_user": False,
            "allow_ip_domain": False,
            "domain_whitelist": ("localhost",),
        },
        metadata={"sparse": True},
    )


def _url() -> tuple[BaseField[Any], FieldSpec]:
    field = URLField(schemes=["HTTPS"], null=True)
    return field, spec("url", str, null=True, options={"schemes": ("https",)})


def _uuid() -> tuple[BaseField[Any], FieldSpec]:
    field = UUIDField(binary=False, default=uuid.uuid4)
    return field, spec("uuid", uuid.UUID, default=uuid.uuid4, options={"binary": False})


def _int() -> tuple[BaseField[Any], FieldSpec]:
    field = IntField(min_value=0, max_value=10, default=5, unique_with="other")
    return field, spec(
        "int",
        int,
        default=5,
        unique=True,
        unique_with=("other",),
        constraints={"min_value": 0, "max_value": 10},
    )


def _long() -> tuple[BaseField[Any], FieldSpec]:
    return LongField(min_value=-1), spec("long", int, constraints={"min_value": -1})


def _float() -> tuple[BaseField[Any], FieldSpec]:
    return FloatField(max_value=1.5), spec("float", float, constraints={"max_value": 1.5})


def _decimal() -> tuple[BaseField[Any], FieldSpec]:
    field = DecimalField(min_value="0", max_value=100, precision=2, force_string=True)
    return field, spec(
        "decimal",
        decimal.Decimal,
        constraints={
            "min_value": decimal.Decimal("0"),
            "max_value": decimal.Decimal(100),
            "precision": 2,
        },
        options={"rounding": decimal.ROUND_HALF_UP, "force_string": True},
    )


def _bool() -> tuple[BaseField[Any], FieldSpec]:
    return BooleanField(default=False), spec("bool", bool, default=False)


def _datetime() -> tuple[BaseField[Any], FieldSpec]:
    field = DateTimeField(default=datetime.datetime.now)
    return field, spec("datetime", datetime.datetime, default=datetime.datetime.now)


def _date() -> tuple[BaseField[Any], FieldSpec]:
    return DateField(blank=False), spec("date", datetime.date, blank=False)


def _complex_datetime() -> tuple[BaseField[Any], FieldSpec]:
    field = ComplexDateTimeField(separator="_")
    return field, spec("complex_datetime", datetime.datetime, options={"separator": "_"})


def _binary() -> tuple[BaseField[Any], FieldSpec]:
    field = BinaryField(max_bytes=16, subtype=5)
    return field, spec("binary", bytes, constraints={"max_bytes": 16, "subtype": 5})


def _enum() -> tuple[BaseField[Any], FieldSpec]:
    field = EnumField(Color, default=Color.RED)
    return field, spec(
        "enum",
        Color,
        default=Color.RED,
        choices=("r", "g"),
        choice_labels=(("r", "RED"), ("g", "GREEN")),
    )


def _list() -> tuple[BaseField[Any], FieldSpec]:
    field = ListField(IntField(min_value=0), max_length=3, required=True)
    item = spec("int", int, constraints={"min_value": 0})
    return field, spec(
        "list", list, required=True, default=list, constraints={"max_length": 3}, item=item
    )


def _sorted_list() -> tuple[BaseField[Any], FieldSpec]:
    field = SortedListField(StringField(), reverse=True)
    return field, spec(
        "sorted_list", list, default=list, item=spec("string", str), options={"reverse": True}
    )


def _dict() -> tuple[BaseField[Any], FieldSpec]:
    return DictField(), spec("dict", dict, default=dict, item=spec("dynamic", object))


def _map() -> tuple[BaseField[Any], FieldSpec]:
    field = MapField(FloatField(min_value=0.0))
    item = spec("float", float, constraints={"min_value": 0.0})
    return field, spec("map", dict, default=dict, item=item)


def _embedded() -> tuple[BaseField[Any], FieldSpec]:
    field = EmbeddedDocumentField(DescribedAddress, required=True)
    return field, spec("embedded", DescribedAddress, required=True, document=DescribedAddress)


def _generic_embedded() -> tuple[BaseField[Any], FieldSpec]:
    field = GenericEmbeddedDocumentField(choices=["DescribedAddress"])
    return field, spec("generic_embedded", object, classes=(DescribedAddress,))


def _reference() -> tuple[BaseField[Any], FieldSpec]:
    field = ReferenceField(DescribedTarget, dbref=True, reverse_delete_rule=NULLIFY, null=True)
    return field, spec(
        "reference",
        Ref,
        null=True,
        reference=DescribedTarget,
        options={"dbref": True, "reverse_delete_rule": NULLIFY},
    )


def _generic_reference() -> tuple[BaseField[Any], FieldSpec]:
    field = GenericReferenceField()
    return field, spec(
        "generic_reference", Ref, options={"reverse_delete_rule": DO_NOTHING}, classes=None
    )


def _file() -> tuple[BaseField[Any], FieldSpec]:
    field = FileField(collection_name="attachments")
    return field, spec(
        "file", FieldFile, options={"bucket": "attachments", "storage": field.storage}
    )


def _image() -> tuple[BaseField[Any], FieldSpec]:
    field = ImageField(size=(800, 600, True), thumbnail_size=(64, 64))
    return field, spec(
        "image",
        ImageFieldFile,
        options={
            "bucket": "fs",
            "storage": field.storage,
            "size": (800, 600, True),
            "thumbnail_size": (64, 64, False),
        },
    )


def _sequence() -> tuple[BaseField[Any], FieldSpec]:
    field = SequenceField(sequence_name="invoices")
    return field, spec(
        "sequence",
        int,
        auto=True,
        options={"collection_name": "asyncodm.counters", "sequence_name": "invoices"},
    )


def _geo(cls: type[BaseField[Any]], kind: str) -> Callable[[], tuple[BaseField[Any], FieldSpec]]:
    def case() -> tuple[BaseField[Any], FieldSpec]:
        options = {"index_type": "2dsphere", "auto_index": True}
        return cls(), spec(kind, dict, options=options)

    return case


def _geo_point() -> tuple[BaseField[Any], FieldSpec]:
    field = GeoPointField(auto_index=False)
    return field, spec("geo_point", list, options={"index_type": "2d", "auto_index": False})


def _dynamic() -> tuple[BaseField[Any], FieldSpec]:
    return DynamicField(default=0), spec("dynamic", object, default=0)


def _regex() -> tuple[BaseField[Any], FieldSpec]:
    return RegularExpressionField(), spec("regex", re.Pattern)


def _javascript() -> tuple[BaseField[Any], FieldSpec]:
    return JavaScriptField(), spec("javascript", Code)


def _ip() -> tuple[BaseField[Any], FieldSpec]:
    field = GenericIPAddressField(protocol="IPv4")
    return field, spec("ip", str, constraints={"protocol": "ipv4"})


def _timestamp() -> tuple[BaseField[Any], FieldSpec]:
    return TimestampField(), spec("timestamp", Timestamp)


KIND_CASES: dict[str, Callable[[], tuple[BaseField[Any], FieldSpec]]] = {
    "objectid": _objectid,
    "string": _string,
    "email": _email,
    "url": _url,
    "uuid": _uuid,
    "int": _int,
    "long": _long,
    "float": _float,
    "decimal": _decimal,
    "bool": _bool,
    "datetime": _datetime,
    "date": _date,
    "complex_datetime": _complex_datetime,
    "binary": _binary,
    "enum": _enum,
    "list": _list,
    "sorted_list": _sorted_list,
    "dict": _dict,
    "map": _map,
    "embedded": _embedded,
    "generic_embedded": _generic_embedded,
    "reference": _reference,
    "generic_reference": _generic_reference,
    "file": _file,
    "image": _image,
    "sequence": _sequence,
    "point": _geo(PointField, "point"),
    "linestring": _geo(LineStringField, "linestring"),
    "polygon": _geo(PolygonField, "polygon"),
    "multipoint": _geo(MultiPointField, "multipoint"),
    "multilinestring": _geo(MultiLineStringField, "multilinestring"),
    "multipolygon": _geo(MultiPolygonField, "multipolygon"),
    "geometry_collection": _geo(GeometryCollectionField, "geometry_collection"),
    "geo_point": _geo_point,
    "dynamic": _dynamic,
    "regex": _regex,
    "javascript": _javascript,
    "ip": _ip,
    "timestamp": _timestamp,
}


def test_every_kind_has_a_case() -> None:
    assert set(KIND_CASES) == KINDS


@pytest.mark.parametrize("kind", sorted(KIND_CASES))
def test_spec_of_each_kind(kind: str) -> None:
    field, expected = KIND_CASES[kind]()
    described = bound(field).describe()
    assert described == expected
    assert described.kind == kind


# --- every public field class -----------------------------------------------------------------

#: Every field class ``asyncodm.fields`` exports and the kind it describes as: a new field
#: class fails ``test_the_kind_table_covers_every_public_field`` until it is listed here.
PUBLIC_KINDS: dict[str, str] = {
    "BigIntegerField": "long",
    "BinaryField": "binary",
    "BooleanField": "bool",
    "CharField": "string",
    "ComplexDateTimeField": "complex_datetime",
    "DateField": "date",
    "DateTimeField": "datetime",
    "DecimalField": "decimal",
    "DictField": "dict",
    "DynamicField": "dynamic",
    "EmailField": "email",
    "EmbeddedDocumentField": "embedded",
    "EmbeddedDocumentListField": "list",
    "EnumField": "enum",
    "FileField": "file",
    "FloatField": "float",
    "GenericEmbeddedDocumentField": "generic_embedded",
    "GenericIPAddressField": "ip",
    "GenericReferenceField": "generic_reference",
    "GeoPointField": "geo_point",
    "GeometryCollectionField": "geometry_collection",
    "ImageField": "image",
    "IntField": "int",
    "IntegerField": "int",
    "JavaScriptField": "javascript",
    "LineStringField": "linestring",
    "ListField": "list",
    "LongField": "long",
    "MapField": "map",
    "MultiLineStringField": "multilinestring",
    "MultiPointField": "multipoint",
    "MultiPolygonField": "multipolygon",
    "ObjectIdField": "objectid",
    "OrderedDictField": "dict",
    "PointField": "point",
    "PolygonField": "polygon",
    "ReferenceField": "reference",
    "RegularExpressionField": "regex",
    "SequenceField": "sequence",
    "SortedListField": "sorted_list",
    "StringField": "string",
    "TimestampField": "timestamp",
    "URLField": "url",
    "UUIDField": "uuid",
}

#: Constructor arguments of the classes that need some.
ARGS: dict[str, tuple[Any, ...]] = {
    "EnumField": (Color,),
    "EmbeddedDocumentField": (DescribedAddress,),
    "EmbeddedDocumentListField": (DescribedAddress,),
    "ReferenceField": (DescribedTarget,),
    "MapField": (StringField(),),
}


def _public_field_classes() -> list[str]:
    return [
        name
        for name in fields_module.__all__
        if isinstance(getattr(fields_module, name), type)
        and issubclass(getattr(fields_module, name), BaseField)
        and name != "BaseField"
    ]


def test_the_kind_table_covers_every_public_field() -> None:
    assert sorted(PUBLIC_KINDS) == sorted(_public_field_classes())


@pytest.mark.parametrize("name", _public_field_classes())
def test_every_public_field_describes_with_a_known_kind(name: str) -> None:
    cls = getattr(fields_module, name)
    field = bound(cls(*ARGS.get(name, ())))
    described = field.describe()
    assert described.kind in KINDS
    assert described.kind == PUBLIC_KINDS[name]
    assert (described.name, described.db_field) == ("value", "value")


# --- nesting -----------------------------------------------------------------------------------


def test_nested_specs() -> None:
    class Reply(EmbeddedDocument):
        text = StringField()

    class Member(Document):
        name = StringField()

    class Thread(Document):
        tags = ListField(StringField(max_length=50))
        replies = ListField(EmbeddedDocumentField(Reply))
        members = DictField(ReferenceField(Member))
        pinned = EmbeddedDocumentListField(Reply, max_length=2)
        ranked = SortedListField(EmbeddedDocumentField(Reply), ordering="text")
        by_lang: MapField[Any] = MapField(EmbeddedDocumentField("Reply"))
        matrix = ListField(ListField(IntField(max_value=9)))

    fields = describe(Thread).fields
    assert fields["tags"].item is not None
    assert fields["tags"].item.constraints == {"max_length": 50}
    assert fields["tags"].item.kind == "string" and fields["tags"].document is None

    replies = fields["replies"]
    assert replies.item is not None and replies.item.document is Reply
    assert replies.document is Reply  # a list of embedded documents names the class too

    members = fields["members"]
    assert members.kind == "dict" and members.item is not None
    assert members.item.reference is Member and members.item.kind == "reference"
    assert members.reference is None  # the target is the item's

    pinned = fields["pinned"]
    assert (pinned.kind, pinned.document, pinned.constraints) == ("list", Reply, {"max_length": 2})
    assert pinned.item == spec("embedded", Reply, name="pinned", document=Reply)

    ranked = fields["ranked"]
    assert ranked.kind == "sorted_list" and ranked.options == {"ordering": "text", "reverse": False}
    assert ranked.item is not None and ranked.item.document is Reply

    by_lang = fields["by_lang"]
    assert (by_lang.kind, by_lang.document) == ("map", Reply)  # the name is resolved

    matrix = fields["matrix"]
    assert matrix.item is not None and matrix.item.item is not None
    assert matrix.item.item.constraints == {"max_value": 9}


def test_ordered_dict_is_a_dict_of_ordered_type() -> None:
    described = bound(OrderedDictField(IntField())).describe()
    assert described == spec("dict", OrderedDict, default=OrderedDict, item=spec("int", int))


def test_list_of_references_reads_through_items_but_describes_as_a_list() -> None:
    described = bound(ListField(ReferenceField(DescribedTarget))).describe()
    assert described.kind == "list" and described.python_type is list
    assert described.item is not None and described.item.reference is DescribedTarget


# --- custom fields ------------------------------------------------------------------------------


class UpperField(StringField):
    """Stores upper-case strings: still a string to integrations."""

    def to_mongo(self, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class NamedUpperField(UpperField):
    def describe(self) -> FieldSpec:
        return dataclasses.replace(super().describe(), kind="upper")


class Money(BaseField[decimal.Decimal]):
    """A field with no built-in ancestor and no kind of its own."""


class Tagged(BaseField[Any]):
    kind = "tagged"


def test_a_subclass_of_a_builtin_field_inherits_its_kind() -> None:
    described = bound(UpperField(max_length=5)).describe()
    assert described == spec("string", str, constraints={"max_length": 5})


def test_a_custom_field_overrides_describe() -> None:
    described = bound(NamedUpperField(max_length=5)).describe()
    assert described == spec("upper", str, constraints={"max_length": 5})


def test_a_field_without_a_builtin_ancestor_is_its_class_name() -> None:
    assert bound(Money(required=True)).describe() == spec("Money", decimal.Decimal, required=True)
    assert bound(Tagged()).describe() == spec("tagged", object)


# --- caching and lazy resolution ------------------------------------------------------------


def test_field_specs_are_computed_lazily_and_kept() -> None:
    class Lazy(Document):
        title = StringField()

    field = Lazy._schema.fields["title"]
    assert "_spec" not in vars(field)  # nothing is computed at class definition
    first = field.describe()
    assert field.describe() is first
    assert describe(Lazy).fields["title"] is first
    assert describe(Lazy) is describe(Lazy)


def test_an_unbound_field_is_described_but_not_kept() -> None:
    field = StringField(max_length=2)
    assert field.describe() == spec("string", str, name="", constraints={"max_length": 2})
    assert "_spec" not in vars(field)


def test_a_reference_by_name_is_resolved_on_each_describe() -> None:
    class Author(Document):
        name = StringField()

    class Book(Document):
        author: ReferenceField[Any] = ReferenceField("Author")
        editor: ReferenceField[Any] = ReferenceField("self")

    assert Book.author.describe().reference is Author
    assert Book.editor.describe().reference is Book
    first = describe(Book)

    class Author(Document):  # type: ignore[no-redef]  # redefined: the registry has the new one
        name = StringField()

    again = describe(Book)
    assert again is not first
    assert again.fields["author"].reference is Author
    assert first.fields["author"].reference is not Author


def test_a_reference_to_an_undefined_class_raises_not_registered() -> None:
    class Early(Document):
        later: ReferenceField[Any] = ReferenceField("NotDefinedYet")

    with pytest.raises(NotRegistered, match="NotDefinedYet"):
        describe(Early)


def test_a_redefined_class_gets_its_own_spec() -> None:
    class Again(Document):
        a = StringField()

    first = describe(Again)

    class Again(Document):  # type: ignore[no-redef]
        b = IntField()

    second = describe(Again)
    assert second is not first
    assert list(first.fields) == ["id", "a"] and list(second.fields) == ["id", "b"]


def test_a_subclass_does_not_see_its_parents_cached_spec() -> None:
    class Base(Document):
        a = StringField()
        meta = {"allow_inheritance": True}

    assert list(describe(Base).fields) == ["id", "a"]

    class Child(Base):
        b = StringField()

    assert list(describe(Child).fields) == ["id", "a", "b"]
    assert describe(Child).fields["a"] is describe(Base).fields["a"]  # the same field


def test_describe_takes_an_instance_and_rejects_other_classes() -> None:
    class Plain(Document):
        a = StringField()

    assert describe(Plain(a="x")) is describe(Plain)
    with pytest.raises(TypeError, match="document class"):
        describe(int)
    with pytest.raises(TypeError, match="document class"):
        describe(Document)  # the library's own base class has no schema


# --- models ----------------------------------------------------------------------------------


def test_api_example() -> None:
    """API.md §11, as written there."""

    class Comment(EmbeddedDocument):
        content = StringField()

    class User(Document):
        email = EmailField(primary_key=True)
        name = StringField(required=True, max_length=50)

    class Page(Document):
        title = StringField(max_length=200, required=True)
        date_modified = DateTimeField(default=datetime.datetime.now)
        tags = ListField(StringField(max_length=50))
        comments = ListField(EmbeddedDocumentField(Comment))
        author = ReferenceField(User, reverse_delete_rule=CASCADE)
        meta = {
            "collection": "cmsPage",
            "indexes": ["title", ("title", "-date_modified")],
            "ordering": ["-date_modified"],
        }

    spec_ = asyncodm.describe(Page)
    assert isinstance(spec_, ModelSpec)
    assert spec_.name == "Page" and spec_.collection == "cmsPage"
    assert spec_.embedded is False and spec_.dynamic is False
    assert spec_.fields["title"] == Page.title.describe()
    assert list(spec_.fields) == ["id", "title", "date_modified", "tags", "comments", "author"]
    fs = spec_.fields["title"]
    assert (fs.name, fs.db_field, fs.kind, fs.python_type) == ("title", "title", "string", str)
    assert (fs.required, fs.primary_key, fs.unique, fs.choices) == (True, False, False, None)
    assert fs.default is asyncodm.MISSING
    assert spec_.fields["date_modified"].default == datetime.datetime.now  # the callable itself
    assert fs.constraints == {"max_length": 200}
    tags = spec_.fields["tags"].item
    assert tags is not None and tags.constraints == {"max_length": 50}
    comments = spec_.fields["comments"].item
    assert comments is not None and comments.document is Comment
    assert spec_.fields["author"].reference is User
    assert fs.metadata == {}

    comment = asyncodm.describe(Comment)
    assert comment.embedded is True and comment.collection is None
    assert list(comment.fields) == ["content"] and comment.pk is None

    user = asyncodm.describe(User)
    assert user.pk == "email" and list(user.fields) == ["email", "name"]
    assert user.fields["email"] == FieldSpec(
        name="email", db_field="_id", kind="email", python_type=str, required=True,
        primary_key=True, options={"allow_utf8_user": False, "allow_ip_domain": False},
    )  # fmt: skip


def test_model_spec_of_a_document_in_full() -> None:
    class BlogPost(Document):
        title = StringField()
        meta = {"indexes": ["title"], "db_alias": "blog"}

    assert describe(BlogPost) == ModelSpec(
        name="BlogPost",
        model=BlogPost,
        collection="blog_post",
        embedded=False,
        dynamic=False,
        abstract=False,
        fields={
            "id": spec(
                "objectid", ObjectId, name="id", db_field="_id", primary_key=True, auto=True
            ),
            "title": spec("string", str, name="title"),
        },
        pk="id",
        class_name="BlogPost",
        allow_inheritance=False,
        stores_cls=False,
        db_alias="blog",
        indexes=("title",),
        meta=BlogPost._schema.meta,
    )


def test_model_spec_of_each_document_kind() -> None:
    class Note(DynamicDocument):
        text = StringField()

    class Pin(DynamicEmbeddedDocument):
        x = IntField()

    note, pin = describe(Note), describe(Pin)
    assert (note.dynamic, note.embedded, note.collection, note.pk, note.db_alias) == (
        True, False, "note", "id", "default",
    )  # fmt: skip
    assert (pin.dynamic, pin.embedded, pin.collection, pin.pk, pin.db_alias) == (
        True, True, None, None, None,
    )  # fmt: skip
    assert list(note.fields) == ["id", "text"] and list(pin.fields) == ["x"]


def test_abstract_parent_and_concrete_child() -> None:
    class Timestamped(Document):
        created = DateTimeField()
        meta = {"abstract": True}

    class Article(Timestamped):
        title = StringField()

    parent, child = describe(Timestamped), describe(Article)
    assert (parent.abstract, parent.collection, parent.pk, parent.db_alias) == (
        True, None, None, None,
    )  # fmt: skip
    assert list(parent.fields) == ["created"]
    assert (child.abstract, child.collection, child.pk) == (False, "article", "id")
    assert list(child.fields) == ["id", "created", "title"]


def test_inheritance_records_the_cls_chain() -> None:
    class Animal(Document):
        name = StringField()
        meta = {"allow_inheritance": True, "collection": "zoo"}

    class Dog(Animal):
        breed = StringField()

    class Puppy(Dog):
        age = IntField()

    animal, puppy = describe(Animal), describe(Puppy)
    assert (animal.class_name, animal.stores_cls, animal.allow_inheritance) == (
        "Animal", True, True,
    )  # fmt: skip
    assert (puppy.class_name, puppy.collection, puppy.stores_cls) == (
        "Animal.Dog.Puppy", "zoo", True,
    )  # fmt: skip
    assert list(puppy.fields) == ["id", "name", "breed", "age"]


def test_a_declared_primary_key_replaces_the_automatic_id() -> None:
    class Invoice(Document):
        issued = DateField()
        number = SequenceField(primary_key=True)
        code = StringField(primary_key=False)

    described = describe(Invoice)
    assert described.pk == "number" and "id" not in described.fields
    assert list(described.fields) == ["number", "issued", "code"]  # stored order: pk first
    number = described.fields["number"]
    assert (number.db_field, number.primary_key, number.required, number.auto) == (
        "_id", True, True, True,
    )  # fmt: skip


def test_a_declared_objectid_primary_key_is_auto() -> None:
    class Keyed(Document):
        key = ObjectIdField(primary_key=True)

    key = describe(Keyed).fields["key"]
    assert (key.db_field, key.required, key.auto) == ("_id", False, True)


# --- dialects --------------------------------------------------------------------------------


def test_pymodm_model_with_class_meta() -> None:
    class Person(pymodm.MongoModel):
        email = pm.EmailField(primary_key=True)
        first_name = pm.CharField("First name", "fn", max_length=30)
        score = pm.IntegerField(min_value=0)
        balance = pm.Decimal128Field()
        tags = pm.ListField(pm.CharField())

        class Meta:
            collection_name = "people"
            connection_alias = "my-app"

    described = describe(Person)
    assert (described.collection, described.db_alias, described.pk) == ("people", "my-app", "email")
    assert described.fields["first_name"] == spec(
        "string", str, name="first_name", db_field="fn", blank=False,
        constraints={"max_length": 30}, metadata={"verbose_name": "First name"},
    )  # fmt: skip
    assert described.fields["score"].kind == "int"
    assert described.fields["score"].constraints == {"min_value": 0}
    assert (described.fields["balance"].kind, described.fields["balance"].python_type) == (
        "decimal", Decimal128,
    )  # fmt: skip
    tags = described.fields["tags"]
    assert (tags.kind, tags.default) == ("list", None)  # PyMODM's lists start unset
    assert tags.item is not None and tags.item.kind == "string"


PYMODM_KINDS: dict[str, str] = {
    "BigIntegerField": "long",
    "BinaryField": "binary",
    "BooleanField": "bool",
    "CharField": "string",
    "DateTimeField": "datetime",
    "Decimal128Field": "decimal",
    "DictField": "dict",
    "EmailField": "email",
    "EmbeddedDocumentField": "embedded",
    "EmbeddedDocumentListField": "list",
    "EmbeddedModelField": "embedded",
    "EmbeddedModelListField": "list",
    "FileField": "file",
    "FloatField": "float",
    "GenericIPAddressField": "ip",
    "GeometryCollectionField": "geometry_collection",
    "ImageField": "image",
    "IntegerField": "int",
    "JavaScriptField": "javascript",
    "LineStringField": "linestring",
    "ListField": "list",
    "MultiLineStringField": "multilinestring",
    "MultiPointField": "multipoint",
    "MultiPolygonField": "multipolygon",
    "ObjectIdField": "objectid",
    "OrderedDictField": "dict",
    "PointField": "point",
    "PolygonField": "polygon",
    "ReferenceField": "reference",
    "RegularExpressionField": "regex",
    "TimestampField": "timestamp",
    "URLField": "url",
    "UUIDField": "uuid",
}


def test_pymodm_kind_table_covers_its_fields() -> None:
    assert sorted(PYMODM_KINDS) == sorted(pm.__all__)


@pytest.mark.parametrize("name", sorted(PYMODM_KINDS))
def test_pymodm_fields_describe_as_their_core_kind(name: str) -> None:
    args: dict[str, tuple[Any, ...]] = {
        "EmbeddedDocumentField": (DescribedAddress,),
        "EmbeddedDocumentListField": (DescribedAddress,),
        "EmbeddedModelField": (DescribedAddress,),
        "EmbeddedModelListField": (DescribedAddress,),
        "ReferenceField": (DescribedTarget,),
    }
    field = bound(getattr(pm, name)(*args.get(name, ())), base=pymodm.MongoModel)
    described = field.describe()
    assert described.kind == PYMODM_KINDS[name]
    assert described.blank is False  # PyMODM's rule


def test_mongokit_structure_keys_describe_their_types() -> None:
    class Account(mongokit.Document):
        __collection__ = "accounts"
        structure = {
            "name": str,
            "balance": {"foo": mongokit.OR(str, int, float)},
            "book": (int, str, float),
            "flag": mongokit.IS("spam", "phishing"),
            "tags": mongokit.Set(str),
            "scores": [int],
            "counts": {str: int},
            "bio": dict,
            "extra": None,
            "born": datetime.datetime,
        }
        required_fields = ["name"]
        default_values = {"name": "anonymous", "balance.foo": 0}

    described = describe(Account)
    assert (described.collection, described.dynamic, described.pk) == ("accounts", True, "_id")
    fields = described.fields
    assert list(fields) == ["_id", *Account.structure]
    assert (fields["_id"].kind, fields["_id"].auto, fields["_id"].python_type) == (
        "dynamic", True, object,
    )  # fmt: skip
    name = fields["name"]
    assert (name.kind, name.python_type, name.required, name.default, name.null) == (
        "string", str, True, "anonymous", True,
    )  # fmt: skip
    assert name.options == {"structure": str}
    assert (fields["balance"].kind, fields["balance"].item.kind) == ("dict", "dynamic")  # type: ignore[union-attr]
    assert fields["book"].constraints == {"min_length": 3, "max_length": 3}
    flag = fields["flag"]
    assert (flag.kind, flag.choices) == ("string", ("spam", "phishing"))
    assert flag.choice_labels == (("spam", "spam"), ("phishing", "phishing"))
    tags = fields["tags"]
    assert (tags.kind, tags.python_type, tags.item.kind) == ("list", set, "string")  # type: ignore[union-attr]
    assert fields["scores"].item.kind == "int"  # type: ignore[union-attr]
    assert fields["counts"].item.kind == "int"  # type: ignore[union-attr]
    assert (fields["bio"].kind, fields["bio"].item.kind) == ("dict", "dynamic")  # type: ignore[union-attr]
    assert fields["extra"].kind == "dynamic"
    assert (fields["born"].kind, fields["born"].default) == ("datetime", MISSING)


def test_minimongo_model_is_dynamic_with_an_id_of_any_type() -> None:
    class Thing(MiniModel):
        mongo = MongoCollection(database="test", collection="things")

    described = describe(Thing)
    assert (described.collection, described.dynamic, described.pk) == ("things", True, "_id")
    assert list(described.fields) == ["_id"]
    assert described.fields["_id"] == FieldSpec(
        name="_id", db_field="_id", kind="dynamic", python_type=object, primary_key=True,
        auto=True,
    )  # fmt: skip
