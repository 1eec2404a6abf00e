"""Pure tests of the model layer: schema compilation, construction, conversion, delta, validation.

No database and no event loop: these pin what documents send and how they behave exactly.
"""

from __future__ import annotations

import datetime
import decimal

import bson
import pytest
from bson import ObjectId

from asyncodm import (
    DictField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    FieldDoesNotExist,
    IntField,
    InvalidDocumentError,
    ListField,
    MigrationError,
    StringField,
    ValidationError,
)
from asyncodm._instance import _state
from asyncodm._instance._codec import compute_delta
from asyncodm._registry import registry
from tests.models.blog import Animal, BlogPage, BlogUser, Comment, Dog, Note, Puppy


def loaded(cls, son):
    """A document as the driver would hand it back (a fresh dict, as after BSON decoding)."""
    return cls._from_son(bson.decode(bson.encode(son)))


class TestSchema:
    def test_default_collection_is_snake_case(self) -> None:
        class BlogPostEntry(Document):
            title = StringField()

        class HTTPServerLog(Document):
            line = StringField()

        assert BlogPostEntry._schema.collection == "blog_post_entry"
        assert HTTPServerLog._schema.collection == "http_server_log"

    def test_meta_dict_and_meta_class_both_work(self) -> None:
        class A(Document):
            meta = {"collection": "a_things", "db_alias": "other"}

        class B(Document):
            class Meta:
                collection_name = "b_things"
                connection_alias = "archive"

        assert A._schema.collection == "a_things"
        assert A._schema.meta["db_alias"] == "other"
        assert B._schema.collection == "b_things"
        assert B._schema.meta["db_alias"] == "archive"

    def test_auto_id_is_first_and_stored_as__id(self) -> None:
        assert next(iter(BlogPage._schema.fields)) == "id"
        assert BlogPage._schema.fields["id"].db_field == "_id"

    def test_declared_primary_key_is_stored_as__id(self) -> None:
        assert BlogUser._schema.pk_name == "email"
        assert BlogUser._schema.fields["email"].db_field == "_id"
        assert "id" not in BlogUser._schema.fields

    def test_two_primary_keys_are_rejected(self) -> None:
        with pytest.raises(InvalidDocumentError, match="more than one primary key"):

            class Bad(Document):
                a = StringField(primary_key=True)
                b = StringField(primary_key=True)

    def test_duplicate_db_field_is_rejected(self) -> None:
        with pytest.raises(InvalidDocumentError, match="both stored as 'x'"):

            class Bad(Document):
                a = StringField(db_field="x")
                b = StringField(db_field="x")

    def test_reserved_names_are_rejected(self) -> None:
        with pytest.raises(InvalidDocumentError, match="'save' is used by asyncodm"):

            class Bad(Document):
                save = StringField()

    def test_reserved_names_cover_the_document_api(self) -> None:
        from asyncodm._schema._compile import RESERVED_NAMES

        public = {n for n in dir(Document) if not n.startswith("_")} - {"id"}
        assert public <= RESERVED_NAMES

    def test_subclassing_without_inheritance_is_an_error(self) -> None:
        class Closed(Document):
            name = StringField()

        with pytest.raises(InvalidDocumentError, match="does not allow inheritance"):

            class Sub(Closed):
                pass

    def test_final_is_the_opposite_of_allow_inheritance(self) -> None:
        class Sealed(Document):
            class Meta:
                final = True

        assert Sealed._schema.allow_inheritance is False
        assert Sealed._schema.stores_cls is False

    def test_abstract_base_shares_fields_but_has_no_collection(self) -> None:
        class Stamped(Document):
            created = IntField(default=1)
            meta = {"abstract": True}

        class Thing(Stamped):
            name = StringField()

        assert Stamped._schema.collection is None
        assert Thing._schema.collection == "thing"
        assert list(Thing._schema.fields) == ["id", "created", "name"]
        with pytest.raises(InvalidDocumentError, match="abstract"):
            Stamped()

    def test_inheritance_shares_the_collection_and_chains__cls(self) -> None:
        assert Dog._schema.collection == Animal._schema.collection == "animal"
        assert Puppy._schema.class_name == "Animal.Dog.Puppy"
        assert registry.class_names_under(Dog) == ["Animal.Dog", "Animal.Dog.Puppy"]

    def test_redefining_a_class_replaces_it_in_the_registry(self) -> None:
        class Redefined(Document):
            a = StringField()

        first = Redefined

        class Redefined(Document):  # type: ignore[no-redef]
            b = StringField()

        assert registry.get("Redefined") is Redefined
        assert registry.get("Redefined") is not first

    def test_each_model_has_its_own_does_not_exist(self) -> None:
        from asyncodm import DoesNotExist

        assert issubclass(Dog.DoesNotExist, Animal.DoesNotExist)
        assert issubclass(Animal.DoesNotExist, DoesNotExist)
        assert BlogPage.DoesNotExist is not Animal.DoesNotExist


class TestConstruction:
    def test_keywords_positionals_and_defaults(self) -> None:
        user = BlogUser("a@example.com", "Ann")
        assert user.email == "a@example.com" and user.name == "Ann"
        assert user.pk == "a@example.com" and user.id == "a@example.com"
        page = BlogPage(title="Hello")
        assert (
            page.views == 0
            and page.tags == []
            and isinstance(page.date_modified, datetime.datetime)
        )
        assert page.id is None

    def test_too_many_positionals(self) -> None:
        with pytest.raises(TypeError, match="at most"):
            BlogUser("a@example.com", "Ann", None, "extra")

    def test_positional_and_keyword_for_one_field(self) -> None:
        with pytest.raises(TypeError, match="multiple values for field 'email'"):
            BlogUser("a@example.com", email="b@example.com")

    def test_unknown_keyword_raises_field_does_not_exist(self) -> None:
        with pytest.raises(FieldDoesNotExist, match="BlogPage has no field 'titel'"):
            BlogPage(titel="x")

    def test_unknown_attribute_raises_attribute_error(self) -> None:
        page = BlogPage(title="x")
        with pytest.raises(AttributeError):
            page.titel  # noqa: B018
        with pytest.raises(AttributeError):
            page.titel = "y"  # type: ignore[attr-defined]

    def test_item_access(self) -> None:
        page = BlogPage(title="x")
        assert page["title"] == "x"
        page["title"] = "y"
        assert page.title == "y"
        assert "title" in page and "extra" in page and "nope" not in page
        with pytest.raises(KeyError):
            page["nope"]

    def test_embedded_dict_is_coerced_on_assignment(self) -> None:
        user = BlogUser(email="a@example.com", name="A", address={"city": "Oslo"})
        assert user.address is not None and user.address.city == "Oslo"

    def test_equality_and_hash_follow_the_pk(self) -> None:
        oid = ObjectId()
        a, b = BlogPage(id=oid, title="a"), BlogPage(id=oid, title="b")
        assert a == b and hash(a) == hash(b)
        assert BlogPage(title="x") != BlogPage(title="x")
        assert Comment(author="a", content="c") == Comment(author="a", content="c")

    def test_repr_shows_class_and_values(self) -> None:
        text = repr(BlogUser(email="a@example.com", name="Ann"))
        assert (
            text.startswith("BlogUser(")
            and "email='a@example.com'" in text
            and "name='Ann'" in text
        )


class TestConversion:
    def test_to_mongo_uses_stored_names_in_field_order(self) -> None:
        class Renamed(Document):
            full_name = StringField(db_field="n")
            age = IntField(mongo_name="a")

        doc = Renamed(full_name="Bo", age=3, id=ObjectId())
        assert list(doc.to_mongo()) == ["_id", "n", "a"]

    def test_inheritance_stores__cls_after__id(self) -> None:
        son = Puppy(name="p", age_weeks=3, id=ObjectId()).to_mongo()
        assert list(son)[:2] == ["_id", "_cls"]
        assert son["_cls"] == "Animal.Dog.Puppy"

    def test_from_son_returns_the_stored_subclass(self) -> None:
        doc = loaded(
            Animal, {"_id": ObjectId(), "_cls": "Animal.Dog.Puppy", "name": "p", "age_weeks": 2}
        )
        assert type(doc) is Puppy and doc.age_weeks == 2 and doc.barks == 1

    def test_unknown_stored_fields_survive_to_mongo(self) -> None:
        son = {"_id": ObjectId(), "title": "t", "legacy": {"x": [1, 2]}, "views": 3}
        doc = loaded(BlogPage, son)
        assert doc.to_mongo()["legacy"] == {"x": [1, 2]}
        with pytest.raises(AttributeError):
            doc.legacy  # type: ignore[attr-defined] # noqa: B018

    def test_embedded_round_trip(self) -> None:
        page = BlogPage(title="t", comments=[Comment(author="a", content="hi")], id=ObjectId())
        son = bson.decode(bson.encode(page.to_mongo()))
        again = BlogPage._from_son(son)
        assert again.comments[0].author == "a" and again.comments[0].content == "hi"
        assert again.comments[0].votes == 0

    def test_to_dict_and_json_round_trip(self) -> None:
        page = BlogPage(
            title="t",
            comments=[Comment(author="a")],
            id=ObjectId(),
            date_modified=datetime.datetime(2024, 1, 2, 3, 4, 5, 6000),
        )
        as_dict = page.to_dict()
        assert as_dict["comments"] == [{"author": "a", "votes": 0}]
        again = BlogPage.from_json(page.to_json())
        assert again.to_mongo() == page.to_mongo()
        fresh = BlogPage.from_json(page.to_json(), created=True)
        assert fresh._son is None and fresh.title == "t"

    def test_enforce_schema_lists_missing_fields(self) -> None:
        class Strict(Document):
            a = StringField()
            b = IntField()
            meta = {"enforce_schema": True}

        with pytest.raises(MigrationError, match=r"\['a', 'b'\]") as info:
            Strict._from_son({"_id": 1})
        assert info.value.missing == ["a", "b"]

    def test_enforce_schema_full_load_raises_but_projected_load_does_not(self) -> None:
        class StrictBase(Document):
            a = StringField()
            b = IntField()
            meta = {"enforce_schema": True, "allow_inheritance": True}

        class StrictChild(StrictBase):
            c = IntField()

        son = {"_id": 1, "_cls": "StrictBase.StrictChild", "a": "x"}
        with pytest.raises(MigrationError, match=r"\['b', 'c'\]") as info:
            StrictBase._from_son(dict(son))
        assert info.value.missing == ["b", "c"]
        with pytest.raises(MigrationError):
            StrictChild._from_son(dict(son))
        # a projected read (only/exclude) leaves fields out on purpose: no check
        doc = StrictBase._from_projected_son(dict(son))
        assert type(doc) is StrictChild and (doc.a, doc.b, doc.c) == ("x", None, None)
        # a complete document loads through either loader
        whole = {**son, "b": 2, "c": 3}
        assert StrictBase._from_son(dict(whole)).c == 3
        assert StrictBase._from_projected_son(dict(whole)).to_mongo() == whole


class TestDelta:
    def base(self) -> BlogPage:
        return loaded(
            BlogPage,
            {
                "_id": ObjectId(),
                "title": "t",
                "tags": ["a", "b"],
                "views": 1,
                "comments": [
                    {"author": "x", "content": "one", "votes": 0},
                    {"author": "y", "content": "two", "votes": 0},
                ],
                "extra": {"k": {"deep": 1}},
            },
        )

    def test_nothing_changed_sends_nothing_even_after_reads(self) -> None:
        page = self.base()
        _ = (page.title, page.tags, page.comments[1].content, page.extra, page.date_modified)
        assert not compute_delta(page)

    def test_nested_embedded_change_sets_only_that_path(self) -> None:
        page = self.base()
        page.comments[1].content = "changed"
        assert compute_delta(page).update_document() == {"$set": {"comments.1.content": "changed"}}

    def test_list_append_sets_the_list_and_dict_key_sets_the_key(self) -> None:
        page = self.base()
        page.tags.append("c")
        page.extra["k"]["deep"] = 2
        assert compute_delta(page).update_document() == {
            "$set": {"tags": ["a", "b", "c"], "extra.k.deep": 2}
        }

    def test_none_unsets(self) -> None:
        page = self.base()
        page.views = None
        del page.tags
        assert compute_delta(page).update_document() == {"$unset": {"views": "", "tags": ""}}

    def test_reading_a_missing_default_is_not_a_change(self) -> None:
        page = loaded(BlogPage, {"_id": ObjectId(), "title": "t"})
        assert page.tags == [] and isinstance(page.date_modified, datetime.datetime)
        assert not compute_delta(page)
        page.tags.append("x")
        assert compute_delta(page).update_document() == {"$set": {"tags": ["x"]}}

    def test_dynamic_attributes_are_stored_after_declared_fields(self) -> None:
        note = Note(title="t", colour="red")
        note.size = 3
        son = note.to_mongo()
        assert list(son) == ["title", "colour", "size"]
        again = loaded(Note, {"_id": ObjectId(), **son})
        assert again.colour == "red" and again.size == 3
        again.size = 4
        assert compute_delta(again).update_document() == {"$set": {"size": 4}}


class TestValidation:
    def test_all_errors_are_collected_with_dotted_paths(self) -> None:
        page = BlogPage(
            title="x" * 201,
            tags=["ok", "y" * 51],
            comments=[Comment(author="a"), Comment(content="no author")],
            views="many",
        )
        with pytest.raises(ValidationError) as info:
            page.validate()
        errors = info.value.errors
        assert set(errors) == {"title", "tags.1", "comments.1.author", "views"}
        assert "expected" in errors["title"] and "found" in errors["title"]
        assert "found None" in errors["comments.1.author"]
        assert "comments.1.author" in str(info.value)

    def test_required_and_is_valid(self) -> None:
        assert not BlogPage().is_valid()
        assert BlogPage(title="ok").is_valid()

    def test_clean_hook_and_full_clean_exclude(self) -> None:
        class Range(Document):
            low = IntField()
            high = IntField()

            def clean(self) -> None:
                if self.low is not None and self.high is not None and self.low > self.high:
                    raise ValidationError("low must not exceed high")

        with pytest.raises(ValidationError) as info:
            Range(low=3, high=1).full_clean()
        assert info.value.errors == {"__all__": "low must not exceed high"}
        with pytest.raises(ValidationError):
            Range(low="bad", high=1).clean_fields()
        Range(low="bad", high=5).clean_fields(exclude=["low"])

    def test_dynamic_keys_and_unencodable_values_are_validation_errors(self) -> None:
        note = Note(title="t")
        note.data = {"$where": 1, "a.b": 2, "ok": {"n": 2**70}}
        note.thing = object()
        with pytest.raises(ValidationError) as info:
            note.validate()
        errors = info.value.errors
        assert set(errors) == {"data.$where", "data.a.b", "data.ok.n", "thing"}
        assert "'$'" in errors["data.$where"]
        assert "64 bits" in errors["data.ok.n"]
        assert "found object" in errors["thing"]

    def test_dict_field_keys_are_checked(self) -> None:
        page = BlogPage(title="t", extra={"$set": 1})
        with pytest.raises(ValidationError) as info:
            page.validate()
        assert list(info.value.errors) == ["extra.$set"]

    def test_int_beyond_64_bits(self) -> None:
        with pytest.raises(ValidationError) as info:
            BlogPage(title="t", views=2**64).validate()
        assert "views" in info.value.errors

    def test_embedded_document_of_wrong_type(self) -> None:
        class Holder(EmbeddedDocument):
            c = EmbeddedDocumentField(Comment)

        class Outer(Document):
            h = EmbeddedDocumentField(Holder)
            items = ListField(IntField())
            d = DictField(IntField())

        doc = Outer(h=Holder(c=Comment()), items=[1, "2"], d={"a": "b"})
        with pytest.raises(ValidationError) as info:
            doc.validate()
        assert set(info.value.errors) == {"h.c.author", "items.1", "d.a"}


class TestFullCleanExclude:
    class CleanSpan(Document):
        name = StringField(required=True)
        low = IntField()
        high = IntField()

        def clean(self) -> None:
            if isinstance(self.low, int) and isinstance(self.high, int) and self.low > self.high:
                raise ValidationError("low must not exceed high")

    def test_full_clean_reports_every_field_and_clean_error(self) -> None:
        with pytest.raises(ValidationError) as info:
            self.CleanSpan(low="bad", high=1).full_clean()
        assert set(info.value.errors) == {"name", "low"}
        assert "found None" in info.value.errors["name"]

    def test_excluded_fields_are_not_checked(self) -> None:
        doc = self.CleanSpan(low="bad", high=1)
        with pytest.raises(ValidationError) as info:
            doc.full_clean(exclude=["low"])
        assert set(info.value.errors) == {"name"}
        with pytest.raises(ValidationError) as info:
            doc.full_clean(exclude=("name",))
        assert set(info.value.errors) == {"low"}
        doc.full_clean(exclude={"low", "name"})  # nothing left to object
        assert doc.low == "bad"  # excluding a field does not touch its value

    def test_clean_still_runs_when_fields_are_excluded(self) -> None:
        doc = self.CleanSpan(name="n", low=3, high=1)
        with pytest.raises(ValidationError) as info:
            doc.full_clean(exclude=["low", "high"])
        assert info.value.errors == {"__all__": "low must not exceed high"}
        with pytest.raises(ValidationError) as info:
            doc.full_clean(exclude=["low"])  # an excluded field's error is dropped, clean's kept
        assert info.value.errors == {"__all__": "low must not exceed high"}
        self.CleanSpan(name="n", low=1, high=3).full_clean(exclude=["low"])

    def test_exclude_of_an_embedded_field_skips_the_whole_embedded_document(self) -> None:
        class CleanHolder(Document):
            title = StringField(required=True)
            comment = EmbeddedDocumentField(Comment)

        doc = CleanHolder(comment=Comment(content="no author"))
        with pytest.raises(ValidationError) as info:
            doc.full_clean()
        assert set(info.value.errors) == {"title", "comment.author"}
        with pytest.raises(ValidationError) as info:
            doc.full_clean(exclude=["comment"])
        assert set(info.value.errors) == {"title"}


class TestSonAndDocumentApi:
    def test_to_son_is_to_mongo(self) -> None:
        oid = ObjectId()
        page = BlogPage(
            id=oid,
            title="t",
            tags=["a"],
            comments=[Comment(author="x")],
            views=2,
            date_modified=datetime.datetime(2024, 1, 2),
        )
        son = page.to_son()
        assert son == page.to_mongo()
        assert list(son) == ["_id", "title", "date_modified", "tags", "comments", "views", "extra"]
        assert son["comments"] == [{"author": "x", "votes": 0}]
        pup = Puppy(id=oid, name="p", age_weeks=3)
        assert pup.to_son() == {
            "_id": oid,
            "_cls": "Animal.Dog.Puppy",
            "name": "p",
            "barks": 1,
            "age_weeks": 3,
        }

    def test_from_document_and_from_son_build_loaded_documents(self) -> None:
        import types

        oid = ObjectId()
        raw = {"_id": oid, "_cls": "Animal.Dog.Puppy", "name": "p", "age_weeks": 2}
        for build in (Animal.from_document, Animal.from_son):
            doc = build(types.MappingProxyType(raw))  # any Mapping, not only a dict
            assert type(doc) is Puppy and doc.pk == oid
            assert (doc.name, doc.barks, doc.age_weeks) == ("p", 1, 2)
            assert doc._son is not None  # the raw document is its stored state
            doc.name = "q"
            assert compute_delta(doc).update_document() == {"$set": {"name": "q"}}
            assert raw["name"] == "p"  # the mapping given is not changed
            # from_son: already stored (a save sends only changes); from_document: the next
            # save writes it whole (tests/test_documents.py checks both on every backend)
            assert _state.is_unsaved(doc) is (build == Animal.from_document)

    def test_from_document_keeps_undeclared_keys(self) -> None:
        oid = ObjectId()
        doc = BlogPage.from_document({"_id": oid, "title": "t", "legacy": [1]})
        assert doc.to_son() == {"_id": oid, "title": "t", "legacy": [1]}


class TestFieldMetadata:
    def test_verbose_name_help_text_and_extra_keywords_are_kept(self) -> None:
        class AnnotatedArticle(Document):
            headline = StringField(
                verbose_name="Headline",
                help_text="Shown on the front page",
                max_length=80,
                widget="textarea",
                order=3,
            )
            words = IntField(label="Word count")
            plain = StringField()

        headline = AnnotatedArticle._schema.fields["headline"]
        assert AnnotatedArticle.headline is headline  # the class attribute is the field itself
        assert headline.verbose_name == "Headline"
        assert headline.help_text == "Shown on the front page"
        assert headline.metadata == {"widget": "textarea", "order": 3}
        assert headline.max_length == 80  # a real option is not metadata
        words = AnnotatedArticle._schema.fields["words"]
        assert words.metadata == {"label": "Word count"} and words.verbose_name is None
        plain = AnnotatedArticle._schema.fields["plain"]
        assert (plain.verbose_name, plain.help_text, plain.metadata) == (None, None, {})
        # metadata never reaches the stored document or validation
        doc = AnnotatedArticle(headline="h", words=2, id=ObjectId())
        assert doc.to_mongo() == {"_id": doc.id, "headline": "h", "words": 2}
        doc.validate()


class TestUnderscoreNames:
    def test_private_attribute_of_a_new_dynamic_document_is_not_stored(self) -> None:
        note = Note(title="t")
        note._cache = {"k": 1}  # a Python attribute of the instance, not document data
        assert note._cache == {"k": 1}
        assert note.to_mongo() == {"title": "t"}
        assert "_cache" not in list(note)

    def test_stored_underscore_keys_survive_a_load_and_save(self) -> None:
        oid = ObjectId()
        note = loaded(Note, {"_id": oid, "title": "t", "_legacy": 5})
        assert note.to_mongo() == {"_id": oid, "title": "t", "_legacy": 5}  # no data dropped
        note.title = "u"
        assert compute_delta(note).update_document() == {"$set": {"title": "u"}}

    def test_dynamic_names_starting_with_underscore_are_rejected(self) -> None:
        # API.md: dynamic attribute names may not start with "_": a clear error, never a
        # value stored but unreadable, or one silently not stored.
        with pytest.raises(FieldDoesNotExist, match="_hidden"):
            Note(title="t", _hidden=2)
        note = Note(title="t")
        with pytest.raises(KeyError, match="_x"):
            note["_x"] = 1
        assert note.to_mongo() == {"title": "t"}

    def test_private_attribute_never_enters_the_stored_document(self) -> None:
        # A loaded Document shares the stored dict as its __dict__ (and an embedded document
        # its part of the parent's): a private attribute set on it must not enter that stored
        # baseline, to_mongo() or any full write of the document.
        oid = ObjectId()
        son = {"_id": oid, "name": "n", "address": {"city": "Oslo"}}
        user = BlogUser._from_son(son)
        user._cache = 1
        user.address._seen = True
        assert (user._cache, user.address._seen) == (1, True)
        assert user.to_mongo() == {"_id": oid, "name": "n", "address": {"city": "Oslo"}}
        assert son == {"_id": oid, "name": "n", "address": {"city": "Oslo"}}


def test_decimal_is_not_silently_accepted_by_intfield() -> None:
    errors: dict[str, str] = {}
    IntField()._collect_errors(decimal.Decimal("1.5"), "n", errors)
    assert "n" in errors


def test_an_unknown_keyword_names_its_field_on_the_error() -> None:
    import asyncodm

    class KwUser(asyncodm.Document):
        name = asyncodm.StringField()

    with pytest.raises(asyncodm.FieldDoesNotExist) as unknown:
        KwUser(nme="x")
    assert unknown.value.field == "nme"


def test_id_reads_a_pk_of_another_name_through_a_class_descriptor() -> None:
    """``doc.id`` is the pk whatever it is called (MongoEngine habit), through ``PkAlias`` on
    the class: Document has no ``__getattr__``, which in CPython 3.11 would switch off the
    interpreter's specialised attribute reads for every document."""
    from asyncodm import Document, DynamicDocument, StringField
    from asyncodm._instance._base import PkAlias

    class SlugPage(Document):
        slug = StringField(primary_key=True)
        title = StringField()

    page = SlugPage(slug="intro", title="Intro")
    assert page.id == "intro" == page.pk
    assert isinstance(SlugPage.__dict__["id"], PkAlias)
    assert "__getattr__" not in Document.__dict__
    with pytest.raises(AttributeError, match="primary key 'slug'"):
        page.id = "other"
    assert page.slug == "intro"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = page.nope

    class SlugNote(DynamicDocument):
        slug = StringField(primary_key=True)

    note = SlugNote(slug="n1")
    assert note.id == "n1"
    note.mood = "calm"  # dynamic attributes still work beside the pk alias
    assert note.mood == "calm"
