"""The PyMODM dialect on every backend: PyMODM's getting-started guide awaited (connect with an
alias, models with a ``Meta``, positional construction, bulk_create, raw updates and queries,
dereferencing, delete rules, subclasses sharing a collection, final models, custom querysets
and managers), PyMODM's QuerySet and field semantics (positional ``mongo_name``, ordered dicts,
64-bit integers, files in GridFS on every backend), ``Meta``'s driver options, ``select_related``
and ``bulk_create(full_clean=True)``, with raw checks of what is stored.

Model names carry a ``Pm`` prefix so they never replace other suites' models in the registry;
their collections keep PyMODM's names where the guide shows them.
"""

from __future__ import annotations

import datetime
import decimal
import subprocess
import sys
from collections import OrderedDict

import pytest
from bson import CodecOptions, Decimal128, Int64
from pymongo import IndexModel, ReadPreference
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

import asyncodm
from asyncodm.compat.pymodm import EmbeddedMongoModel, MongoModel, fields
from asyncodm.compat.pymodm import errors as pm_errors
from asyncodm.compat.pymodm import validators as pm_validators
from asyncodm.compat.pymodm.context_managers import (
    collection_options,
    no_auto_dereference,
    switch_collection,
    switch_connection,
)
from asyncodm.compat.pymodm.manager import Manager
from asyncodm.compat.pymodm.queryset import QuerySet
from tests._backends import Backend


class PmUser(MongoModel):
    email = fields.EmailField(primary_key=True)
    first_name = fields.CharField()
    last_name = fields.CharField()

    class Meta:
        write_concern = WriteConcern(j=True)
        connection_alias = "my-app"
        collection_name = "user"


class PmComment(EmbeddedMongoModel):
    author = fields.ReferenceField(PmUser)
    content = fields.CharField()


class PublishedPostQuerySet(QuerySet):
    def published(self) -> PublishedPostQuerySet:
        return self.raw({"published": True})


class PmPost(MongoModel):
    title = fields.CharField()
    author = fields.ReferenceField(PmUser, on_delete=fields.ReferenceField.CASCADE)
    revised_on = fields.DateTimeField()
    content = fields.CharField()
    comments = fields.EmbeddedModelListField(PmComment)
    published = fields.BooleanField(default=False)

    objects = Manager.from_queryset(PublishedPostQuerySet)()

    class Meta:
        connection_alias = "my-app"
        collection_name = "post"


class PmImagePost(PmPost):
    caption = fields.CharField(blank=True)


class PmPostManager(Manager):
    def get_queryset(self) -> QuerySet:
        return super().get_queryset().raw({"published": True})


class PmDraftView(MongoModel):
    title = fields.CharField()
    published = fields.BooleanField(default=False)
    objects = PmPostManager()

    class Meta:
        collection_name = "post_view"
        final = True


class PmPageTheme(MongoModel):
    theme_name = fields.CharField()
    background_color = fields.CharField()

    class Meta:
        final = True


@pytest.fixture
async def my_app(backend: Backend) -> Backend:
    """PyMODM's guide connects the alias "my-app"; here it is the backend's database (the
    backend fixture disconnects every alias afterwards)."""
    asyncodm.connect(client=backend.client, db=backend.db_name, alias="my-app")
    return backend


async def bob() -> PmUser:
    return await PmUser("user@email.com", "Bob", "Ross").save()


# --- the getting-started guide -----------------------------------------------------------------


async def test_guide_models_save_positionally_with_cls(my_app: Backend) -> None:
    user = await bob()
    assert user.pk == user._id == user.email == "user@email.com"
    same = PmUser("user@email.com", last_name="Ross", first_name="Bob")
    assert same.first_name == "Bob" and same == user
    stored = await my_app.db["user"].find_one({"_id": "user@email.com"})
    assert stored == {"_id": "user@email.com", "_cls": "PmUser", "first_name": "Bob",
                      "last_name": "Ross"}  # fmt: skip


async def test_guide_bulk_create_returns_ids_or_documents(my_app: Backend) -> None:
    users = [PmUser("user@email.com", "Bob", "Ross"),
             PmUser("anotheruser@email.com", "David", "Attenborough")]  # fmt: skip
    assert await PmUser.objects.bulk_create(users) == ["user@email.com", "anotheruser@email.com"]
    more = await PmUser.objects.bulk_create(PmUser("x@y.org", "X", "Y"), retrieve=True)
    assert [u.first_name for u in more] == ["X"]
    assert await my_app.db["user"].count_documents({}) == 3


async def test_guide_updates_queries_and_dereferencing(my_app: Backend) -> None:
    author = await bob()
    post = await PmPost(author=author, content="This is the first post!", title="First").save()
    assert post.revised_on is None and post.comments is None  # unset, as in PyMODM
    post.revised_on = datetime.datetime(2024, 1, 2)
    await post.save()
    await PmPost(author=author, content="second", title="Second").save()
    modified = await PmPost.objects.raw({"revised_on": {"$exists": False}}).update(
        {"$set": {"revised_on": datetime.datetime(2024, 1, 3)}}
    )
    assert modified == 1
    names = [u.first_name + " " + u.last_name async for u in PmUser.objects.all()]
    assert names == ["Bob Ross"]
    month_ago = datetime.datetime(2024, 1, 1)
    revised = PmPost.objects.raw({"revised_on": {"$gte": month_ago}}).order_by([("title", 1)])
    titles = [p.title + " by " + (await p.author).first_name async for p in revised]
    assert titles == ["First by Bob", "Second by Bob"]
    with no_auto_dereference(PmPost):
        ids = [p.author async for p in PmPost.objects.all()]
    assert ids == ["user@email.com", "user@email.com"]
    stored = await my_app.db["post"].find_one({"title": "First"})
    assert stored is not None and stored["author"] == "user@email.com"
    assert stored["_cls"] == "PmPost"


@pytest.mark.xfail_backend(
    "nx", reason="nx stores a datetime written by $set as a string", raises=AssertionError
)
async def test_saved_change_of_a_datetime_is_stored_as_a_date(my_app: Backend) -> None:
    post = await PmPost(author=await bob(), title="First").save()
    post.revised_on = datetime.datetime(2024, 1, 2)
    await post.save()
    stored = await my_app.db["post"].find_one({"title": "First"})
    assert stored is not None and stored["revised_on"] == datetime.datetime(2024, 1, 2)


async def test_guide_cascade_delete(my_app: Backend) -> None:
    author = await bob()
    await PmPost(author=author, title="a").save()
    await PmPost(author=author, title="b").save()
    await author.delete()
    assert await PmPost.objects.count() == 0
    assert await my_app.db["post"].count_documents({}) == 0


async def test_guide_subclasses_share_the_collection_and_final_stores_no_cls(
    my_app: Backend,
) -> None:
    author = await bob()
    await PmPost(author=author, title="plain", content="c").save()
    await PmImagePost(author=author, title="image", content="c", caption="cap").save()
    assert [type(p).__name__ async for p in PmImagePost.objects.all()] == ["PmImagePost"]
    kinds = sorted([type(p).__name__ async for p in PmPost.objects.all()])
    assert kinds == ["PmImagePost", "PmPost"]
    raw = await my_app.db["post"].find_one({"title": "image"})
    assert raw is not None and raw["_cls"] == "PmPost.PmImagePost" and raw["caption"] == "cap"
    theme = await PmPageTheme(theme_name="dark", background_color="black").save()
    stored = await my_app.db["pm_page_theme"].find_one({})
    assert stored is not None and "_cls" not in stored and stored["_id"] == theme.pk
    with pytest.raises(pm_errors.InvalidModel):

        class Extended(PmPageTheme):  # final models cannot be extended
            pass


async def test_guide_custom_queryset_and_manager(my_app: Backend) -> None:
    author = await bob()
    await PmPost(author=author, title="draft").save()
    await PmPost(author=author, title="live", published=True).save()
    assert isinstance(PmPost.objects.all(), PublishedPostQuerySet)
    assert [p.title async for p in PmPost.objects.published()] == ["live"]
    await PmDraftView(title="d").save()
    await PmDraftView(title="l", published=True).save()
    assert [p.title async for p in PmDraftView.objects.all()] == ["l"]
    assert await PmDraftView.objects.count() == 1


async def test_embedded_models_record_their_class(my_app: Backend) -> None:
    author = await bob()
    post = PmPost(author=author, title="t", comments=[PmComment(author=author, content="hi")])
    await post.save()
    stored = await my_app.db["post"].find_one({"_id": post.pk})
    assert stored is not None
    assert stored["comments"] == [{"_cls": "PmComment", "author": "user@email.com",
                                   "content": "hi"}]  # fmt: skip
    loaded = await PmPost.objects.get({"_id": post.pk})
    comment = loaded.comments[0]
    assert isinstance(comment, PmComment) and (await comment.author).first_name == "Bob"


# --- QuerySet semantics ---------------------------------------------------------------------


async def seed_posts() -> PmUser:
    author = await bob()
    for i, title in enumerate(["a", "b", "c", "d"]):
        await PmPost(author=author, title=title, content=str(i), published=i % 2 == 0).save()
    return author


async def test_queryset_first_get_count_and_indexing(my_app: Backend) -> None:
    await seed_posts()
    ordered = PmPost.objects.order_by([("title", -1)])
    assert (await ordered.first()).title == "d"
    with pytest.raises(PmPost.DoesNotExist):
        await PmPost.objects.raw({"title": "zzz"}).first()
    with pytest.raises(pm_errors.DoesNotExist):
        await PmPost.objects.get({"title": "zzz"})
    with pytest.raises(pm_errors.MultipleObjectsReturned):
        await PmPost.objects.get({"published": True})
    assert (await PmPost.objects.get({"title": "b"})).content == "1"
    assert await PmPost.objects.count() == 4
    assert await PmPost.objects.skip(1).limit(2).count() == 2  # PyMODM counts the window
    assert (await ordered[1]).title == "c"
    with pytest.raises(PmPost.DoesNotExist):
        await ordered[9]
    assert [p.title async for p in ordered[1:3]] == ["c", "b"]


async def test_queryset_values_only_exclude_and_aggregate(my_app: Backend) -> None:
    await seed_posts()
    rows = [r async for r in PmPost.objects.raw({"title": "a"}).values()]
    assert len(rows) == 1 and isinstance(rows[0], dict) and rows[0]["content"] == "0"
    only = await PmPost.objects.only("title").order_by([("title", 1)]).first()
    assert only.title == "a" and only.content is None
    excluded = await PmPost.objects.exclude("content", "_id").order_by([("title", 1)]).first()
    assert excluded.content is None and excluded.pk is not None  # the pk is never excluded
    pipeline = [{"$group": {"_id": "$published", "n": {"$sum": 1}}}, {"$sort": {"_id": 1}}]
    groups = [g async for g in PmPost.objects.aggregate(*pipeline)]
    assert [(g["_id"], g["n"]) for g in groups] == [(False, 2), (True, 2)]


async def test_queryset_update_returns_modified_and_upserts_cls(my_app: Backend) -> None:
    await seed_posts()
    assert await PmPost.objects.raw({"published": True}).update({"$set": {"content": "x"}}) == 2
    assert await PmPost.objects.raw({"published": True}).update({"$set": {"content": "x"}}) == 0
    await PmPost.objects.raw({"title": "new"}).update({"$set": {"content": "n"}}, upsert=True)
    stored = await my_app.db["post"].find_one({"title": "new"})
    assert stored is not None and stored["_cls"] == "PmPost"
    assert await PmPost.objects.raw({"title": {"$in": ["a", "b"]}}).delete() == 2


async def test_create_and_refresh_from_db(my_app: Backend) -> None:
    author = await bob()
    post = await PmPost.objects.create(author=author, title="t", content="one")
    await my_app.db["post"].update_one({"title": "t"}, {"$set": {"content": "two", "title": "u"}})
    await post.refresh_from_db(fields=["content"])
    assert post.content == "two" and post.title == "t"
    await post.refresh_from_db()
    assert post.title == "u"


# --- delete rules -------------------------------------------------------------------------------


class PmGroup(MongoModel):
    name = fields.CharField()
    members = fields.ListField(fields.ReferenceField(PmUser, on_delete=fields.ReferenceField.PULL))
    owner = fields.ReferenceField(PmUser, on_delete=fields.ReferenceField.NULLIFY)

    class Meta:
        connection_alias = "my-app"
        final = True


class PmBadge(MongoModel):
    holder = fields.ReferenceField(PmUser, on_delete=fields.ReferenceField.DENY)

    class Meta:
        connection_alias = "my-app"
        final = True


async def test_delete_rules_pull_nullify_and_deny(my_app: Backend) -> None:
    user = await bob()
    other = await PmUser("o@e.org", "O", "E").save()
    group = await PmGroup(name="g", members=[user, other], owner=user).save()
    await user.delete()
    stored = await my_app.db["pm_group"].find_one({"_id": group.pk})
    assert stored is not None and stored["members"] == ["o@e.org"] and "owner" not in stored
    await PmBadge(holder=other).save()
    with pytest.raises(pm_errors.OperationError):
        await other.delete()
    assert await PmUser.objects.count() == 1


# --- fields and validation ----------------------------------------------------------------------


class PmProfile(MongoModel):
    nick = fields.CharField("Nickname", "n", max_length=10)
    bio = fields.CharField(blank=True)
    age = fields.IntegerField(min_value=0, required=True)
    tags = fields.ListField(fields.CharField())
    ip = fields.GenericIPAddressField(protocol=fields.GenericIPAddressField.IPV4)
    where = fields.PointField()
    score = fields.FloatField(validators=[pm_validators.validator_for_min_max(0, 10)])
    even = fields.IntegerField(validators=[lambda v: 1 / 0 if v % 2 else None])

    class Meta:
        final = True
        indexes = [IndexModel([("n", 1)], name="nick_index")]


def test_fields_take_pymodm_arguments() -> None:
    nick = PmProfile.nick
    assert nick.verbose_name == "Nickname" and nick.db_field == "n" and not nick.blank
    assert PmProfile.tags.default is None and PmProfile.where.auto_index is False
    assert PmProfile.ip.protocol == "ipv4"
    assert fields.ReferenceField.CASCADE == 2 and fields.ReferenceField.PULL == 4


def test_blank_required_and_validators_fail_full_clean() -> None:
    profile = PmProfile(nick="", age=3)
    assert not profile.is_valid()
    with pytest.raises(pm_errors.ValidationError) as caught:
        profile.full_clean()
    assert "nick" in caught.value.errors and "non-empty" in caught.value.errors["nick"]
    PmProfile(nick="ok", age=3, bio="").full_clean()  # blank=True allows empty
    with pytest.raises(pm_errors.ValidationError) as caught:
        PmProfile(nick="ok").full_clean()
    assert set(caught.value.errors) == {"age"}
    PmProfile(nick="ok", age=1).full_clean()  # unset fields are not validated
    with pytest.raises(pm_errors.ValidationError) as caught:
        PmProfile(nick="ok", age=1, tags=[], score=11, even=3, ip="::1").full_clean()
    assert set(caught.value.errors) == {"tags", "score", "even", "ip"}
    assert "greater than maximum" in caught.value.errors["score"]
    assert caught.value.message_dict["even"] == [caught.value.errors["even"]]
    PmProfile(nick="ok", age=1, tags=["a"], score=2.5, even=4, ip="10.0.0.1").full_clean()


def test_clean_and_validation_errors_are_asyncodm_errors() -> None:
    class PmVacation(MongoModel):
        destination = fields.CharField(choices=("HAWAII", "DETROIT"))
        travel_method = fields.CharField(choices=("PLANE", "CAR", "BOAT"))

        def clean(self) -> None:
            if self.destination == "HAWAII" and self.travel_method == "CAR":
                raise pm_errors.ValidationError("Cannot travel to Hawaii by car.")

    with pytest.raises(asyncodm.ValidationError, match="Hawaii by car"):
        PmVacation(destination="HAWAII", travel_method="CAR").full_clean()
    with pytest.raises(asyncodm.ValidationError, match="expected one of"):
        PmVacation(destination="ROME").full_clean()
    assert pm_errors.ValidationError is asyncodm.ValidationError
    assert pm_errors.ConnectionError is asyncodm.ConnectionFailure
    assert issubclass(PmVacation.DoesNotExist, pm_errors.DoesNotExist)


def test_decimal128_field_reads_decimal128() -> None:
    class PmPrice(MongoModel):
        amount = fields.Decimal128Field(min_value=0)

    price = PmPrice(amount="1.25")
    assert price.amount == Decimal128("1.25")
    assert price.amount.to_decimal() == decimal.Decimal("1.25")
    assert PmPrice.from_document({"amount": Decimal128("2.5")}).amount == Decimal128("2.5")
    assert not PmPrice(amount=-1).is_valid()


async def test_meta_indexes_are_created_on_first_use(my_app: Backend) -> None:
    await PmProfile(nick="n1", age=1).save()
    keys = [list(ix["key"]) for ix in await PmProfile.list_indexes()]
    assert ["n"] in keys


async def test_save_validates_unless_full_clean_false(my_app: Backend) -> None:
    with pytest.raises(pm_errors.ValidationError):
        await PmProfile(nick="", age=1).save()
    await PmProfile(nick="", age=1).save(full_clean=False)
    assert await my_app.db["pm_profile"].count_documents({"n": ""}) == 1


# --- contexts and transactions ------------------------------------------------------------------


async def test_context_managers(my_app: Backend) -> None:
    author = await bob()
    with switch_collection(PmPost, "post_archive"):
        await PmPost(author=author, title="archived").save()
        assert await PmPost.objects.count() == 1
    assert await PmPost.objects.count() == 0
    assert await my_app.db["post_archive"].count_documents({}) == 1
    asyncodm.connect(client=my_app.client, db=my_app.db_name, alias="backup")
    with switch_connection(PmUser, "backup"):
        assert await PmUser.objects.count() == 1
    with collection_options(PmUser, write_concern=WriteConcern(w=1)):
        await PmUser("z@z.org", "Z", "Z").save()
    assert await PmUser.objects.count() == 2


@pytest.mark.needs("transactions")
async def test_models_join_transactions(my_app: Backend) -> None:
    """PmUser lives on the alias "my-app": a transaction on that alias takes its saves (an abort
    undoes them), while one on "default" does not, as in PyMODM (one session per connection)."""
    await my_app.db["user"].insert_one({"_id": "seed"})  # nx: create it outside a transaction
    await my_app.db["user"].delete_one({"_id": "seed"})

    async def aborted(alias: str, email: str) -> None:
        async with asyncodm.transaction(alias=alias):
            await PmUser(email, "T", "T").save()
            raise RuntimeError("roll it back")

    with pytest.raises(RuntimeError, match="roll it back"):
        await aborted("my-app", "undone@t.org")
    assert await my_app.db["user"].count_documents({}) == 0
    with pytest.raises(RuntimeError, match="roll it back"):
        await aborted("default", "other-alias@t.org")  # not this model's connection
    assert await _emails(my_app) == ["other-alias@t.org"]
    async with asyncodm.transaction(alias="my-app"):
        await PmUser("t@t.org", "T", "T").save()
    assert await _emails(my_app) == ["other-alias@t.org", "t@t.org"]


async def _emails(backend: Backend) -> list[str]:
    return sorted([d["_id"] async for d in backend.db["user"].find({})])


async def test_file_field(my_app: Backend) -> None:
    """On every backend: asyncodm's embedded bucket stands in where the driver has no async
    GridFS (mongomock), writing the same ``fs.files`` / ``fs.chunks`` documents."""
    from asyncodm.compat.pymodm.files import File

    class PmAttachment(MongoModel):
        upload = fields.FileField()

        class Meta:
            final = True

    doc = await PmAttachment(upload=File(b"hello", name="h.txt")).save()
    loaded = await PmAttachment.objects.get({"_id": doc.pk})
    assert await loaded.upload.read() == b"hello" and loaded.upload.filename == "h.txt"
    stored = await my_app.db["pm_attachment"].find_one({"_id": doc.pk})
    assert stored is not None
    [meta] = await my_app.db["fs.files"].find({}).to_list(None)
    assert stored["upload"] == meta["_id"] == loaded.upload.file_id
    assert meta["filename"] == "h.txt" and meta["length"] == 5
    # (find on the exact files_id: nx-27017 cannot count or scan fs.chunks otherwise)
    chunks = await my_app.db["fs.chunks"].find({"files_id": meta["_id"]}).to_list(None)
    assert [(c["n"], bytes(c["data"])) for c in chunks] == [(0, b"hello")]
    await loaded.delete()
    assert await my_app.db["fs.files"].find({}).to_list(None) == []
    assert await my_app.db["fs.chunks"].find({"files_id": meta["_id"]}).to_list(None) == []


class PmThing(MongoModel):
    big = fields.BigIntegerField()
    ordered = fields.OrderedDictField()
    renamed = fields.CharField("Verbose name", "nm")
    tags = fields.ListField(fields.CharField(), "Tags", "tg")
    owner = fields.ReferenceField(PmUser, fields.ReferenceField.NULLIFY, "Owner", "own")

    class Meta:
        connection_alias = "my-app"
        final = True


async def test_ordered_dict_field_keeps_key_order(my_app: Backend) -> None:
    value = OrderedDict([("b", 1), ("a", 2), ("c", 3)])
    thing = await PmThing(ordered=value).save()
    stored = await my_app.db["pm_thing"].find_one({"_id": thing.pk})
    assert stored is not None and list(stored["ordered"].items()) == [("b", 1), ("a", 2), ("c", 3)]
    loaded = await PmThing.objects.get({"_id": thing.pk})
    assert type(loaded.ordered) is OrderedDict and list(loaded.ordered) == ["b", "a", "c"]
    assert PmThing().ordered is None  # unset, as PyMODM's container fields start


async def test_big_integer_field_round_trips(my_app: Backend) -> None:
    big = 2**40
    assert type(PmThing(big=5).to_son()["big"]) is Int64  # what the driver is given
    thing = await PmThing(big=big).save()
    stored = await my_app.db["pm_thing"].find_one({"_id": thing.pk})
    assert stored is not None and stored["big"] == big
    loaded = await PmThing.objects.get({"big": big})
    assert loaded.big == big and isinstance(loaded.big, int)
    assert not PmThing(big=2**63).is_valid()  # does not fit a 64-bit integer


@pytest.mark.needs("int64_identity")
async def test_big_integer_field_is_stored_as_int64(my_app: Backend) -> None:
    thing = await PmThing(big=5).save()
    stored = await my_app.db["pm_thing"].find_one({"_id": thing.pk})
    assert stored is not None and type(stored["big"]) is Int64


async def test_positional_mongo_name_is_the_stored_name(my_app: Backend) -> None:
    assert PmThing.renamed.verbose_name == "Verbose name" and PmThing.renamed.db_field == "nm"
    assert PmThing.tags.verbose_name == "Tags" and PmThing.tags.db_field == "tg"
    assert PmThing.owner.db_field == "own"
    user = await bob()
    thing = await PmThing(renamed="r", tags=["x"], owner=user).save()
    stored = await my_app.db["pm_thing"].find_one({"_id": thing.pk})
    assert stored == {"_id": thing.pk, "nm": "r", "tg": ["x"], "own": "user@email.com"}
    found = await PmThing.objects.get({"nm": "r", "tg": "x"})  # raw queries use stored names
    assert found.renamed == "r" and (await found.owner).first_name == "Bob"
    await user.delete()  # the positional on_delete (NULLIFY) applies under the stored name
    stored = await my_app.db["pm_thing"].find_one({"_id": thing.pk})
    assert stored is not None and "own" not in stored and stored["nm"] == "r"


class PmTuned(MongoModel):
    when = fields.DateTimeField()

    class Meta:
        connection_alias = "my-app"
        codec_options = CodecOptions(tz_aware=True)
        read_preference = ReadPreference.SECONDARY_PREFERRED
        read_concern = ReadConcern("local")
        final = True


async def test_meta_codec_options_read_preference_and_read_concern(my_app: Backend) -> None:
    collection = PmTuned.get_collection()
    assert collection.name == "pm_tuned"
    assert collection.codec_options.tz_aware is True
    assert collection.read_preference == ReadPreference.SECONDARY_PREFERRED
    assert collection.read_concern == ReadConcern("local")
    assert PmUser.get_collection().read_preference == ReadPreference.PRIMARY  # untouched
    when = datetime.datetime(2024, 1, 2, 3, 4, 5)
    tuned = await PmTuned(when=when).save()
    loaded = await PmTuned.objects.get({"_id": tuned.pk})  # read through the tuned collection
    assert loaded.when == when.replace(tzinfo=datetime.timezone.utc)
    stored = await my_app.db["pm_tuned"].find_one({"_id": tuned.pk})  # default codec options
    assert stored is not None and stored["when"] == when


async def test_select_related_fetches_references_with_the_results(my_app: Backend) -> None:
    author = await bob()
    await PmPost(author=author, title="a").save()
    await PmPost(author=author, title="b").save()
    posts = [p async for p in PmPost.objects.select_related().order_by([("title", 1)])]
    # The authors came with the posts: gone from the database, they still resolve.
    await my_app.db["user"].delete_many({})
    assert [(p.title, (await p.author).first_name) for p in posts] == [("a", "Bob"), ("b", "Bob")]
    plain = await PmPost.objects.order_by([("title", 1)]).first()
    with pytest.raises(pm_errors.DoesNotExist):  # without it, the author is fetched on await
        await plain.author


class PmChecked(MongoModel):
    name = fields.CharField()
    slug = fields.CharField(blank=True)

    def clean(self) -> None:
        if self.name == "bad":
            raise pm_errors.ValidationError("no bad names")
        self.slug = (self.name or "").lower()

    class Meta:
        connection_alias = "my-app"
        final = True


async def test_bulk_create_full_clean_runs_clean(my_app: Backend) -> None:
    with pytest.raises(pm_errors.ValidationError, match="no bad names"):
        await PmChecked.objects.bulk_create([PmChecked("Good"), PmChecked("bad")], full_clean=True)
    assert await my_app.db["pm_checked"].find({}).to_list(None) == []  # nothing inserted
    await PmChecked.objects.bulk_create([PmChecked("Good")], full_clean=True)
    stored = await my_app.db["pm_checked"].find({}, {"_id": 0}).to_list(None)
    assert stored == [{"name": "Good", "slug": "good"}]  # clean() ran before the insert
    await PmChecked.objects.bulk_create([PmChecked("bad")])  # full_clean=False: clean() not run
    [unclean] = await my_app.db["pm_checked"].find({"name": "bad"}, {"_id": 0}).to_list(None)
    assert unclean == {"name": "bad"}


class PmCollated(MongoModel):
    name = fields.CharField()

    class Meta:
        collation = {"locale": "en", "strength": 2}
        ignore_unknown_fields = True
        final = True


def test_meta_collation_is_every_querysets_default() -> None:
    assert PmCollated.objects.all()._collation == {"locale": "en", "strength": 2}
    assert PmCollated.objects.raw({"name": "x"}).collation(None)._collation is None


class PmCascading(MongoModel):
    author = fields.ReferenceField(PmUser)

    class Meta:
        connection_alias = "my-app"
        cascade = True
        final = True


async def test_meta_cascade_saves_referenced_models(my_app: Backend) -> None:
    author = PmUser("c@c.org", "C", "D")
    cascading = await PmCascading(author=author).save()
    stored = await my_app.db["user"].find_one({"_id": "c@c.org"})
    assert stored == {"_id": "c@c.org", "_cls": "PmUser", "first_name": "C", "last_name": "D"}
    holder = await my_app.db["pm_cascading"].find_one({"_id": cascading.pk})
    assert holder is not None and holder["author"] == "c@c.org"


async def test_unknown_stored_fields_are_kept(my_app: Backend) -> None:
    await my_app.db["pm_collated"].insert_one({"name": "x", "legacy": 1})
    doc = await PmCollated.objects.get({"name": "x"})
    doc.name = "y"
    await doc.save()
    stored = await my_app.db["pm_collated"].find_one({})
    assert stored is not None and stored["legacy"] == 1 and stored["name"] == "y"


# --- EmailField and the errors module (issue 12, item 4) ----------------------------------------


@pytest.mark.parametrize(
    "address", ["admin@localhost", "first last@example.com", "x@[10.0.0.1]", "ünï@dömain"]
)
async def test_email_field_accepts_any_local_at_domain_as_pymodm_does(
    my_app: Backend, address: str
) -> None:
    # asyncodm's own EmailField refuses every one of these (RFC 5322); PyMODM's accepts them.
    assert asyncodm.EmailField().check(address) is not None
    assert fields.EmailField().check(address) is None
    await PmUser(address, "Bob", "Ross").save()
    stored = await my_app.db["user"].find_one({"first_name": "Bob"})
    assert stored is not None and stored["_id"] == address
    assert (await PmUser.objects.get({"_id": address})).email == address


@pytest.mark.parametrize("address", ["no-at-sign", "two@at@signs", "@example.com", "user@"])
def test_email_field_still_needs_one_at_with_text_on_both_sides(address: str) -> None:
    with pytest.raises(pm_errors.ValidationError) as caught:
        PmUser(address, "Bob", "Ross").full_clean()
    assert set(caught.value.errors) == {"email"}
    assert "local@domain" in caught.value.errors["email"]


def test_errors_is_an_attribute_of_the_package_after_importing_it() -> None:
    # A fresh interpreter: this module's own ``import ... errors`` must not be what makes it work.
    code = (
        "import asyncodm.compat.pymodm as pymodm\n"
        "assert pymodm.errors.ValidationError is __import__('asyncodm').ValidationError\n"
        "assert 'errors' in pymodm.__all__\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
