"""The MongoKit dialect on every backend: the tutorial's BlogPost, the structure page (nested
dicts, ``dict``, typed keys, lists, tuples, ``Set``, untyped fields, custom types, the OR/NOT/IS
operators), the descriptors page (required, default values, validators, schemaless, skipped and
quiet validation), inheritance, the finders, and what is stored, checked raw.

Validation tests need no database; model names carry an ``Mk`` prefix so they never replace
other suites' models in the registry.
"""

from __future__ import annotations

import datetime
from collections import Counter
from typing import Any

import pytest

import asyncodm
from asyncodm import switch_collection, switch_db
from asyncodm.compat.mongokit import (
    IS,
    NOT,
    OR,
    AuthorizedTypeError,
    BadKeyError,
    CustomType,
    Document,
    MultipleResultsFound,
    RequireFieldError,
    SchemaTypeError,
    Set,
    StructureError,
    ValidationError,
)
from tests._backends import Backend


def _now() -> datetime.datetime:
    return datetime.datetime(2024, 5, 1, 12, 0)


class MkBlogPost(Document):
    __collection__ = "blog_posts"
    structure = {
        "title": str,
        "body": str,
        "author": str,
        "date_creation": datetime.datetime,
        "rank": int,
        "tags": [str],
    }
    required_fields = ["title", "author", "date_creation"]
    default_values = {"rank": 0, "date_creation": _now}


class MkAccount(Document):
    __collection__ = "accounts"
    structure = {
        "name": str,
        "balance": {"foo": OR(str, int, float)},
        "book": (int, str, float),
        "flag": IS("spam", "phishing"),
        "tags": Set(str),
        "bio": dict,
        "extra": None,
    }
    required_fields = ["name"]
    default_values = {"balance.foo": 0}
    use_schemaless = False


class MkCustomDate(CustomType):
    mongo_type = str
    python_type = datetime.datetime

    def to_bson(self, value: Any) -> Any:
        return value.strftime("%y-%m-%d")

    def to_python(self, value: Any) -> Any:
        return datetime.datetime.strptime(value, "%y-%m-%d") if value is not None else None


class MkFoo(Document):
    __collection__ = "foo"
    structure = {"foo": {"date": MkCustomDate()}}


def raises(kind: type[Exception], message: str, doc: Document) -> None:
    with pytest.raises(kind) as caught:
        doc.validate()
    assert str(caught.value) == message
    assert isinstance(caught.value, asyncodm.ValidationError)


# --- the tutorial ---------------------------------------------------------------------------


async def test_tutorial_blog_post(backend: Backend) -> None:
    bp = MkBlogPost()
    assert bp == {"title": None, "body": None, "author": None, "date_creation": _now(),
                  "rank": 0, "tags": []}  # fmt: skip
    bp["title"] = 1
    raises(SchemaTypeError, "title must be an instance of str not int", bp)
    bp["title"] = "my first blog post"
    raises(RequireFieldError, "author is required", bp)
    bp["author"] = "myself"
    bp.validate()
    await bp.save()
    stored = await backend.db["blog_posts"].find_one({})
    assert stored == {"_id": bp["_id"], "title": "my first blog post", "body": None,
                      "author": "myself", "date_creation": _now(), "rank": 0, "tags": []}  # fmt: skip
    titles = [post["title"] async for post in MkBlogPost.find()]
    assert titles == ["my first blog post"]
    assert isinstance(await MkBlogPost.find_one({"author": "myself"}), MkBlogPost)


# --- the API.md example and every MongoKit message ----------------------------------------


def test_new_documents_get_the_skeleton() -> None:
    acc = MkAccount()
    assert acc == {"name": None, "balance": {"foo": 0}, "book": [None, None, None],
                   "flag": None, "tags": set(), "bio": {}, "extra": None}  # fmt: skip
    assert "_id" not in acc and next(iter(acc)) == "name" and len(acc) == 7


@pytest.mark.parametrize(
    ("key", "value", "kind", "message"),
    [
        ("book", ["foobar", 1, 1.0], SchemaTypeError, "book must be an instance of int not str"),
        ("book", [1, "foobar"], SchemaTypeError, "book must have 3 items not 2"),
        ("balance", {"foo": datetime.datetime(2020, 1, 1)}, SchemaTypeError,
         "balance.foo must be an instance of <str or int or float> not datetime"),
        ("flag", "foo", SchemaTypeError, "flag must be in ['spam', 'phishing'] not foo"),
        ("tags", {1}, SchemaTypeError, "tags must be an instance of str not int"),
        ("tags", ["a"], SchemaTypeError, "tags must be an instance of set not list"),
        ("bio", [], SchemaTypeError, "bio must be an instance of dict not list"),
        ("extra", {1, 2}, AuthorizedTypeError, "set is not an authorized types"),
        ("foo", 1, StructureError, "unknown fields : ['foo']"),
    ],
)  # fmt: skip
def test_messages(key: str, value: Any, kind: type[Exception], message: str) -> None:
    acc = MkAccount()
    acc["name"] = "x"
    acc[key] = value
    raises(kind, message, acc)


def test_missed_and_required_fields() -> None:
    raises(StructureError, "missed fields : ['name']", MkAccount({
        "balance": {"foo": 0}, "book": [1, "a", 1.0], "flag": None, "tags": set(), "bio": {},
        "extra": None}))  # fmt: skip
    raises(RequireFieldError, "name is required", MkAccount())
    acc = MkAccount()
    acc["name"] = "x"
    acc.validate()
    del acc["bio"]
    raises(StructureError, "missed fields : ['bio']", acc)


def test_nested_structures() -> None:
    class MkPerson(Document):
        structure = {"biography": {}, "notes": dict, "scores": {str: int},
                     "tags": [{"name": str, "count": int}]}  # fmt: skip

    bob = MkPerson()
    bob["biography"]["foo"] = "bar"
    raises(StructureError, "unknown fields : ['foo']", bob)
    bob = MkPerson()
    bob["notes"]["anything"] = [1, {"x": 2}]
    bob["scores"]["maths"] = 3
    bob["tags"].append({"name": "a", "count": 1})
    bob.validate()
    bob["scores"]["art"] = "A"
    raises(SchemaTypeError, "scores.$str must be an instance of int not str", bob)
    bob["scores"]["art"] = 1
    bob["tags"].append({"name": "b"})
    raises(StructureError, "missed fields : ['count']", bob)


def test_not_operator() -> None:
    class MkNot(Document):
        structure = {"balance": {"foo": NOT(str, datetime.datetime)}}

    acc = MkNot()
    acc["balance"]["foo"] = 3
    acc.validate()
    acc["balance"]["foo"] = datetime.datetime(2020, 1, 1)
    raises(SchemaTypeError,
           "balance.foo must be an instance of <not str, not datetime> not datetime", acc)  # fmt: skip
    acc["balance"]["foo"] = "3.0"
    raises(
        SchemaTypeError, "balance.foo must be an instance of <not str, not datetime> not str", acc
    )


def test_structures_are_checked_when_the_class_is_defined() -> None:
    with pytest.raises(BadKeyError):

        class MkDotted(Document):
            structure = {"a.b": int}

    with pytest.raises(StructureError, match="is not an authorized type"):

        class MkBadType(Document):
            structure = {"s": set}

    with pytest.raises(ValueError, match="Error in required_fields: can't find nope"):

        class MkBadRequired(Document):
            structure = {"a": int}
            required_fields = ["nope"]


# --- descriptors -----------------------------------------------------------------------------


class MkRules(Document):
    __collection__ = "rules"
    structure = {"email": str, "foo": {"spam": str, "eggs": int}}
    required_fields = ["email", "foo.spam"]
    default_values = {"foo.eggs": 4}
    validators = {
        "email": lambda v: "@" in v,
        "foo.eggs": [lambda x: x > 1, lambda x: x < 100],
    }


def test_required_defaults_and_validators() -> None:
    doc = MkRules()
    assert doc["foo"] == {"spam": None, "eggs": 4}
    doc["email"] = "a@b.c"
    raises(RequireFieldError, "foo.spam is required", doc)
    doc["foo"]["spam"] = "s"
    doc.validate()
    doc["email"] = "nope"
    raises(ValidationError, "email does not pass the validator <lambda>", doc)

    def positive(value: int) -> bool:
        if value < 0:
            raise ValidationError("%s must be positive")
        return True

    class MkCounted(Document):
        structure = {"n": int}
        validators = {"n": positive}

    counted = MkCounted()
    counted["n"] = -1
    raises(ValidationError, "n must be positive", counted)


def test_quiet_validation_and_skipped_validation() -> None:
    class MkQuiet(Document):
        raise_validation_errors = False
        structure = {"foo": int, "bar": str}
        required_fields = ["foo"]

    doc = MkQuiet()
    doc["bar"] = 1
    doc.validate()
    errors = doc.validation_errors
    assert [str(e) for e in errors["bar"]] == ["bar must be an instance of str not int"]
    assert [type(e) for e in errors["foo"]] == [RequireFieldError]


async def test_skip_validation_and_schemaless(backend: Backend) -> None:
    class MkLoose(Document):
        __collection__ = "loose"
        skip_validation = True
        structure = {"foo": int}

    doc = MkLoose()
    doc["foo"] = "bar"
    await doc.save()
    with pytest.raises(SchemaTypeError, match="foo must be an instance of int not str"):
        await doc.save(validate=True)

    class MkSchemaless(Document):
        __collection__ = "schemaless"
        use_schemaless = True
        structure = {"title": str, "age": int}
        required_fields = ["title"]

    with pytest.raises(StructureError, match=r"missed fields : \['title'\]"):
        await MkSchemaless({"age": 21}).save()
    saved = MkSchemaless({"age": 21, "title": "Hello World !"})
    saved["other"] = {"free": True}
    await saved.save()
    stored = await backend.db["schemaless"].find_one({})
    assert stored == {"_id": saved["_id"], "age": 21, "title": "Hello World !",
                      "other": {"free": True}}  # fmt: skip


# --- storage ----------------------------------------------------------------------------------


async def test_account_round_trip(backend: Backend) -> None:
    acc = MkAccount()
    acc["name"] = "x"
    acc["book"] = [1, "a", 2.5]
    acc["tags"] = {"b", "a"}
    acc.validate()
    await acc.save()
    stored = await backend.db["accounts"].find_one({"_id": acc["_id"]})
    assert stored is not None
    assert sorted(stored.pop("tags")) == ["a", "b"]  # a Set is stored as a list
    assert stored == {"_id": acc["_id"], "name": "x", "balance": {"foo": 0},
                      "book": [1, "a", 2.5], "flag": None, "bio": {}, "extra": None}  # fmt: skip
    loaded = await MkAccount.get_from_id(acc["_id"])
    assert loaded == acc and loaded["tags"] == {"a", "b"}
    assert [a["name"] async for a in MkAccount.find({})] == ["x"]
    assert (await MkAccount.find_one({"name": "x"}))["book"] == [1, "a", 2.5]
    loaded["balance"]["foo"] = 3.5
    loaded["tags"].add("c")
    await loaded.save()
    stored = await backend.db["accounts"].find_one({"_id": acc["_id"]})
    assert stored is not None and stored["balance"] == {"foo": 3.5}
    assert sorted(stored["tags"]) == ["a", "b", "c"]


async def test_custom_type(backend: Backend) -> None:
    foo = MkFoo()
    foo["_id"] = "one"
    foo["foo"]["date"] = datetime.datetime(2003, 2, 1)
    await foo.save()
    assert await backend.db["foo"].find_one({"_id": "one"}) == {"_id": "one",
                                                                "foo": {"date": "03-02-01"}}  # fmt: skip
    loaded = await MkFoo.get_from_id("one")
    assert loaded["foo"]["date"] == datetime.datetime(2003, 2, 1)
    loaded["foo"]["date"] = "not a date"
    raises(SchemaTypeError, "foo.date must be an instance of datetime not str", loaded)


class MkTally(CustomType):
    """A ``Counter`` stored as ``[[key, count], ...]``, sorted by key; a new document starts
    with an empty Counter of its own (``init_type``)."""

    mongo_type = list
    python_type = Counter
    init_type = Counter

    def to_bson(self, value: Any) -> Any:
        return [[key, count] for key, count in sorted(value.items())]

    def to_python(self, value: Any) -> Any:
        return Counter(dict(value)) if value is not None else None

    def validate(self, value: Any, path: str) -> None:
        if value is None:
            return
        for key, count in value:  # the stored form
            if count < 0:
                raise ValueError(f"{path} has a negative count for {key}")
            if key == "forbidden":
                raise ValidationError(f"{path} may not count {key}")


class MkScores(Document):
    __collection__ = "scores"
    structure = {"name": str, "stats": {"tally": MkTally()}}


def test_custom_type_init_type_makes_each_new_value() -> None:
    first, second = MkScores(), MkScores()
    assert type(first["stats"]["tally"]) is Counter and first["stats"]["tally"] == Counter()
    first["stats"]["tally"]["a"] += 1
    assert second["stats"]["tally"] == Counter()  # not shared between documents
    first.validate()


def test_custom_type_validate_raises_with_its_message() -> None:
    doc = MkScores()
    doc["stats"]["tally"].update({"a": 1, "b": -2})
    raises(SchemaTypeError, "stats.tally has a negative count for b", doc)
    doc["stats"]["tally"] = Counter({"forbidden": 1})
    raises(ValidationError, "stats.tally may not count forbidden", doc)  # its own class kept
    doc["stats"]["tally"] = {"a": 1}  # not the python_type
    raises(SchemaTypeError, "stats.tally must be an instance of Counter not dict", doc)


async def test_custom_type_with_init_type_round_trip(backend: Backend) -> None:
    doc = MkScores()
    doc["name"] = "n"
    doc["stats"]["tally"].update(["b", "a", "b"])
    await doc.save()
    stored = await backend.db["scores"].find_one({"_id": doc["_id"]})
    assert stored == {"_id": doc["_id"], "name": "n", "stats": {"tally": [["a", 1], ["b", 2]]}}
    loaded = await MkScores.get_from_id(doc["_id"])
    assert type(loaded["stats"]["tally"]) is Counter and loaded["stats"]["tally"]["b"] == 2
    loaded["stats"]["tally"]["c"] += 3  # changed in place
    await loaded.save()
    stored = await backend.db["scores"].find_one({"_id": doc["_id"]})
    assert stored is not None and stored["stats"]["tally"] == [["a", 1], ["b", 2], ["c", 3]]
    loaded["stats"]["tally"]["a"] = -1
    with pytest.raises(SchemaTypeError, match="negative count for a"):
        await loaded.save()
    stored = await backend.db["scores"].find_one({"_id": doc["_id"]})
    assert stored is not None and stored["stats"]["tally"][0] == ["a", 1]  # nothing written


async def test_finders(backend: Backend) -> None:
    for title, rank in (("a", 1), ("b", 2), ("c", 2)):
        post = MkBlogPost()
        post.update(title=title, author="me", rank=rank)
        await post.save()
    cursor = MkBlogPost.find({"rank": 2}, sort=[("title", -1)])
    assert [p["title"] async for p in cursor] == ["c", "b"]
    assert [p["title"] async for p in MkBlogPost.find().sort("title").skip(1).limit(1)] == ["b"]
    assert await MkBlogPost.find({"rank": 2}).count() == 2
    assert (await MkBlogPost.one({"rank": 1}))["title"] == "a"
    assert await MkBlogPost.one({"rank": 9}) is None
    with pytest.raises(MultipleResultsFound):
        await MkBlogPost.one({"rank": 2})
    before = await MkBlogPost.find_and_modify({"title": "a"}, {"$set": {"rank": 5}})
    assert before["rank"] == 1 and (await MkBlogPost.find_one({"title": "a"}))["rank"] == 5
    await before.reload()
    assert before["rank"] == 5
    await before.delete()
    assert await backend.db["blog_posts"].count_documents({}) == 2
    partial = await MkBlogPost.find_one({"title": "b"}, {"title": 1})
    assert partial["title"] == "b" and partial["author"] is None


@pytest.mark.needs("exists_null")
async def test_fetch_matches_documents_holding_every_key(backend: Backend) -> None:
    post = MkBlogPost()
    post.update(title="a", author="me")
    await post.save()  # "body" is stored as null: it is there
    await backend.db["blog_posts"].insert_one({"title": "partial"})
    assert [p["title"] async for p in MkBlogPost.fetch()] == ["a"]
    assert (await MkBlogPost.fetch_one({"title": "a"}))["rank"] == 0


async def test_native_api_works_on_mongokit_documents(backend: Backend) -> None:
    post = MkBlogPost()
    post.update(title="t", author="me")
    await post.save()
    assert await MkBlogPost.objects(title="t").count() == 1
    assert (await MkBlogPost.objects.get(author="me"))["title"] == "t"
    assert await post.update(inc__rank=2) == 1
    assert (await backend.db["blog_posts"].find_one({}))["rank"] == 2


# --- dot notation, inheritance, databases, indexes ------------------------------------------


def test_dot_notation() -> None:
    class MkDotted(Document):
        use_dot_notation = True
        structure = {"foo": {"bar": str}}

    doc = MkDotted()
    doc.foo.bar = "blah"
    assert doc == {"foo": {"bar": "blah"}}
    doc.validate()


async def test_inheritance_merges_structures_into_own_collections(backend: Backend) -> None:
    class MkRoot(Document):
        structure = {"root": int}
        required_fields = ["root"]

        def validate(self, *args: Any, **kwargs: Any) -> None:
            assert self["root"] is None or self["root"] >= 0
            super().validate(*args, **kwargs)

    class MkA(MkRoot):
        structure = {"a_field": str}
        required_fields = ["a_field"]

    class MkB(MkRoot):
        structure = {"b_field": str}

    class MkC(MkA, MkB):
        structure = {"c_field": float}

    c = MkC()
    assert c == {"b_field": None, "root": None, "c_field": None, "a_field": None}
    assert sorted(MkC.required_fields) == ["a_field", "root"]
    assert isinstance(c, MkRoot) and isinstance(c, MkA)
    c.update(root=1, a_field="a")
    await c.save()
    await MkRoot({"root": 2}).save()
    assert await backend.db["mk_c"].find_one({}) == {"_id": c["_id"], "root": 1, "a_field": "a",
                                                      "b_field": None, "c_field": None}  # fmt: skip
    assert await backend.db["mk_root"].count_documents({}) == 1
    assert [d["root"] async for d in MkRoot.find()] == [2]


async def test_named_database(backend: Backend) -> None:
    other = backend.db_name + "_other"

    class MkElsewhere(Document):
        __database__ = other
        __collection__ = "elsewhere"
        structure = {"n": int}

    try:
        doc = MkElsewhere()
        doc["n"] = 1
        await doc.save()
        assert await backend.client[other]["elsewhere"].find_one({}) == {"_id": doc["_id"], "n": 1}
        assert (await MkElsewhere.find_one({"n": 1}))["n"] == 1
        ref = doc.get_dbref()
        assert (ref.collection, ref.database) == ("elsewhere", other)
    finally:
        await backend.client.drop_database(other)


def blog_post(title: str) -> MkBlogPost:
    post = MkBlogPost()
    post.update(title=title, author="me")
    return post


async def test_switch_collection_on_a_mongokit_document(backend: Backend) -> None:
    await blog_post("live").save()
    with switch_collection(MkBlogPost, "blog_posts_2020"):
        archived = blog_post("old")
        await archived.save()
        assert [p["title"] async for p in MkBlogPost.find()] == ["old"]
        assert (await MkBlogPost.get_from_id(archived["_id"]))["title"] == "old"
        assert await MkBlogPost.find_one({"title": "live"}) is None
        archived["rank"] = 3
        await archived.save()  # an update lands in the switched collection too
    assert [p["title"] async for p in MkBlogPost.find()] == ["live"]
    live = await backend.db["blog_posts"].find({}, {"title": 1, "_id": 0}).to_list(None)
    assert live == [{"title": "live"}]
    old = await backend.db["blog_posts_2020"].find({}, {"_id": 0}).to_list(None)
    assert [(d["title"], d["rank"]) for d in old] == [("old", 3)]


async def test_switch_db_on_a_mongokit_document(backend: Backend) -> None:
    other = backend.db_name + "_mk"
    asyncodm.connect(client=backend.client, db=other, alias="mk-other")
    try:
        with switch_db(MkBlogPost, "mk-other"):
            await blog_post("elsewhere").save()
            assert [p["title"] async for p in MkBlogPost.find()] == ["elsewhere"]
            await (await MkBlogPost.find_one({"title": "elsewhere"})).delete()
            await blog_post("kept").save()
        assert [p["title"] async for p in MkBlogPost.find()] == []
        assert await backend.db["blog_posts"].find({}).to_list(None) == []
        stored = await backend.client[other]["blog_posts"].find({}).to_list(None)
        assert [d["title"] for d in stored] == ["kept"]
    finally:
        await backend.client.drop_database(other)


@pytest.mark.needs("index_unique")
async def test_indexes(backend: Backend) -> None:
    class MkUnique(Document):
        __collection__ = "unique_titles"
        structure = {"title": str, "rank": int}
        indexes = [{"fields": ["title", ("rank", -1)], "unique": True}]

    await asyncodm.ensure_indexes(MkUnique)
    first = MkUnique({"title": "t", "rank": 1})
    await first.save()
    with pytest.raises(asyncodm.NotUniqueError):
        await MkUnique({"title": "t", "rank": 1}).save()


async def test_references_and_delete_rules(backend: Backend) -> None:
    class MkOwner(Document):
        __collection__ = "mk_owners"
        structure = {"name": str}

    class MkPet(asyncodm.Document):
        owner = asyncodm.ReferenceField(MkOwner, reverse_delete_rule=asyncodm.CASCADE)
        meta = {"collection": "mk_pets"}

    owner = MkOwner()
    owner["name"] = "ann"
    await owner.save()
    await MkPet(owner=owner).save()
    assert (await (await MkPet.objects.first()).owner)["name"] == "ann"
    await owner.delete()
    assert await backend.db["mk_pets"].count_documents({}) == 0


@pytest.mark.needs("transactions")
async def test_transactions(backend: Backend) -> None:
    """A dialect document's save joins the transaction: an abort undoes it, a commit keeps it
    (a save that ignored the transaction would survive the abort)."""
    await backend.db["blog_posts"].insert_one({"_id": "seed"})  # nx: create it outside a txn
    await backend.db["blog_posts"].delete_one({"_id": "seed"})

    async def aborted() -> None:
        async with asyncodm.transaction():
            post = MkBlogPost({"title": "gone", "author": "a", "date_creation": _now()})
            await post.save(validate=False)
            raise RuntimeError("roll it back")

    with pytest.raises(RuntimeError, match="roll it back"):
        await aborted()
    assert await backend.db["blog_posts"].count_documents({}) == 0
    async with asyncodm.transaction():
        post = MkBlogPost({"title": "kept", "author": "a", "date_creation": _now()})
        await post.save(validate=False)
    stored = await backend.db["blog_posts"].find({}).to_list(None)
    assert [(d["_id"], d["title"]) for d in stored] == [(post["_id"], "kept")]
