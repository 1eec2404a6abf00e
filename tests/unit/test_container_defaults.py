"""Pure checks of the defaults containers of references use (no database): the value a new
document gets goes through the same wrapping as an assigned or loaded one, and the fields
that hold no references keep their defaults untouched (nothing slower on their paths)."""

from __future__ import annotations

from bson import ObjectId

from asyncodm import (
    DictField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    EmbeddedDocumentListField,
    IntField,
    ListField,
    Ref,
    RefDict,
    ReferenceField,
    RefList,
    StringField,
)
from tests.models.ref_defaults import Reading
from tests.models.refs import Author, Post


def test_the_usual_spelling_becomes_the_wrapper_class_itself() -> None:
    fields = Post._schema.fields
    assert fields["reviewers"].default is RefList  # declared as default=list
    assert fields["by_role"].default is RefDict  # no default: DictField's dict
    assert Reading._schema.fields["roles"].default is RefDict  # declared as default=dict


def test_other_containers_keep_their_defaults() -> None:
    assert ListField(StringField()).default is list
    assert ListField(StringField(), default=list).default is list
    assert DictField().default is dict
    assert DictField(StringField(), default=dict).default is dict
    constant: list[str] = ["a"]
    assert ListField(StringField(), default=constant).default is constant
    assert ListField(ReferenceField(Author), default=None).default is None


def test_a_callable_default_is_coerced_like_an_assigned_value() -> None:
    pk = ObjectId()
    field = ListField(ReferenceField(Author), default=lambda: [pk, None])
    value = field.get_default()
    assert type(value) is RefList
    assert isinstance(value[0], Ref) and value[0].pk == pk and value[1] is None
    mapping = DictField(ReferenceField(Author), default=lambda: {"lead": pk}).get_default()
    assert type(mapping) is RefDict and mapping["lead"].pk == pk


def test_a_constant_default_is_copied_then_coerced_for_each_document() -> None:
    pk = ObjectId()
    declared = [pk]
    field = ListField(ReferenceField(Author), default=declared)
    first, second = field.get_default(), field.get_default()
    assert type(first) is RefList and first == [pk] and first is not second
    first.append(ObjectId())
    assert declared == [pk] and len(field.get_default()) == 1


def test_a_new_document_gets_the_wrapped_defaults() -> None:
    reading = Reading(title="r")
    assert type(reading.spelt_list) is RefList and type(reading.by_constant) is RefList
    assert type(reading.roles) is RefDict and type(reading.roles_by_callable) is RefDict
    assert Reading().to_mongo()["spelt_list"] == []  # still stored as an empty list


def test_only_mutable_defaults_get_a_copying_factory() -> None:
    """Decided once per class: an immutable constant is stored as it is (no call per new
    document); a list, dict or embedded document is deep-copied; a callable is called."""

    class UnitInner(EmbeddedDocument):
        x = IntField()

    class Defaults(Document):
        count = IntField(default=3)
        name = StringField(default="n")
        made = IntField(default=int)
        author = ReferenceField(Author, default=None)
        inner = EmbeddedDocumentField(UnitInner, default=UnitInner(x=1))
        inners = EmbeddedDocumentListField(UnitInner, default=[UnitInner(x=1)])
        meta = {"collection": "unit_defaults"}

    factories = {name: make for name, make, _, _ in Defaults._schema.default_table}
    assert factories["count"] is None and factories["name"] is None
    assert factories["made"] is int
    inner = factories["inner"]()
    assert type(inner) is UnitInner and inner.x == 1
    assert inner is not Defaults._schema.fields["inner"].default
    first, second = factories["inners"](), factories["inners"]()
    assert first[0] is not second[0]
    copied = Defaults._schema.fields["inner"].get_default()  # a loaded document's read
    assert copied is not Defaults._schema.fields["inner"].default and copied.x == 1
