"""The minimongo dialect on every backend: the README example, minimongo's own test suite
(dict-ness, creation, queries, deletion, complex types, deleting a field, counting and
sorting, DBRefs, database and collection names, derived models, Meta-style configuration,
indices), layering over documents written by another application, and the native API on
minimongo models, with raw checks of what is stored.

Models are defined inside each test because they name the test's database; their names carry
an ``Mm`` prefix so they never replace other suites' models in the registry.
"""

from __future__ import annotations

from typing import Any

import pytest
from bson import DBRef, ObjectId

import asyncodm
from asyncodm.compat.minimongo import Index, Model, MongoCollection
from tests._backends import Backend


def models(db: str) -> tuple[Any, Any]:
    class MmTestModel(Model):
        mongo = MongoCollection(database=db, collection="minimongo_test")
        indices = (Index("x"),)

        def a_method(self) -> None:
            self.x = 123
            self.y = 456

    class MmDerived(MmTestModel):
        mongo = MongoCollection(database=db, collection="minimongo_derived")

    return MmTestModel, MmDerived


@pytest.mark.xfail_backend(
    "nx",
    reason="nx cannot index a collection whose name has a dot (Invalid identifier)",
    raises=asyncodm.OperationError,
)
async def test_readme_example(backend: Backend) -> None:
    class MyCollection(Model):
        mongo = MongoCollection(database=backend.db_name, collection="minimongo.example")
        indices = (Index("x"),)

    obj = await MyCollection({"x": 1, "y": 2}).save()
    res = await MyCollection.find_one({"x": 1})
    assert isinstance(res, MyCollection) and res == obj
    res.other = "some data"
    await res.save()
    stored = await backend.db["minimongo.example"].find_one({})
    assert stored == {"_id": obj._id, "x": 1, "y": 2, "other": "some data"}
    assert MyCollection.database().name == backend.db_name
    assert MyCollection.collection().name == "minimongo.example"
    keys = [list(ix["key"]) for ix in await MyCollection.list_indexes()]
    assert ["x"] in keys  # indices are created on first use


def test_dictyness() -> None:
    model, _ = models("t")
    item = model({"x": 642})
    assert item["x"] == item.x == 642
    item.y = 426
    assert item["y"] == item.y == 426
    assert set(item.keys()) == {"x", "y"}
    del item["x"]
    assert item == {"y": 426}
    item.z = 3
    del item.y
    assert item == {"z": 3}
    assert str(item) == "MmTestModel({'z': 3})"
    with pytest.raises(AttributeError):
        item.missing  # noqa: B018 - the access is the test
    with pytest.raises(KeyError):
        item["missing"]


async def test_creation_queries_and_deletion(backend: Backend) -> None:
    model, _ = models(backend.db_name)
    dummy = model({"x": 1, "y": 1})
    dummy.z = 1
    await dummy.save()
    found = await model.find_one({"x": 1})
    assert type(found) is model and found == dummy
    assert dummy == {"x": 1, "y": 1, "z": 1, "_id": dummy._id}
    assert await model.find_one(dummy._id) == dummy
    a = await model({"x": 1, "y": 2}).save()
    c = await model({"x": 2, "y": 2}).save()
    assert {m._id async for m in model.find({"x": 1})} == {dummy._id, a._id}
    assert [m async for m in model.find({"x": 2, "y": 2})] == [c]
    async for m in model.find({"x": 1}):
        await m.remove()
    assert await model.find({"x": 1}).count() == 0
    assert await backend.db["minimongo_test"].count_documents({}) == 1


async def test_complex_types_and_deleting_a_field(backend: Backend) -> None:
    model, _ = models(backend.db_name)
    dummy = model()
    dummy.l = ["a", "b", "c"]
    dummy.x = 1
    dummy.y = {"m": "n", "o": "p"}
    await dummy.save()
    loaded = await model.find_one({"x": 1})
    assert loaded.l == dummy.l and loaded == dummy
    loaded.l.append("d")
    loaded.y["q"] = "r"
    await loaded.save()
    stored = await backend.db["minimongo_test"].find_one({})
    assert stored["l"] == ["a", "b", "c", "d"] and stored["y"] == {"m": "n", "o": "p", "q": "r"}
    del loaded.x
    await loaded.save()
    assert await backend.db["minimongo_test"].find_one({"y.q": "r"}, {"x": 1}) == {"_id": dummy._id}


async def test_count_sort_and_limit(backend: Backend) -> None:
    model, _ = models(backend.db_name)
    d = await model({"x": 1, "y": 4}).save()
    b = await model({"x": 1, "y": 2}).save()
    a = await model({"x": 1, "y": 1}).save()
    c = await model({"x": 1, "y": 3}).save()
    cursor = model.find({"x": 1}).sort("y")
    assert await cursor.count() == 4
    assert await cursor.to_list() == [a, b, c, d]
    limited = model.find({"x": 1}).limit(2).sort("y")
    assert await limited.count(with_limit_and_skip=True) == 2
    assert [m async for m in limited] == [a, b]
    assert [m.y async for m in model.find({"x": 1}, sort=[("y", -1)], skip=1)] == [3, 2, 1]


@pytest.mark.needs("dbref")
async def test_dbrefs(backend: Backend) -> None:
    class MmFirst(Model):
        mongo = MongoCollection(database=backend.db_name, collection="first")

    class MmSecond(Model):
        mongo = MongoCollection(database=backend.db_name, collection="second")

    first = await MmFirst({"x": 1}).save()
    second = await MmSecond({"y": 1, "first": first.dbref()}).save()
    stored = await backend.db["second"].find_one({"_id": second._id})
    assert stored["first"] == DBRef("first", first._id, backend.db_name)
    again = await MmSecond.find_one({"y": 1})
    assert await MmFirst.from_dbref(again.first) == first


async def test_dbref_names_and_checks(backend: Backend) -> None:
    model, _ = models(backend.db_name)
    fresh = model({"x": 1})
    ref = fresh.dbref()  # a document without an _id gets one
    assert isinstance(fresh._id, ObjectId) and ref.id == fresh._id
    assert (ref.collection, ref.database) == ("minimongo_test", backend.db_name)
    assert fresh.dbref(with_database=False).database is None
    await fresh.save()
    assert await model.from_dbref(ref) == fresh
    with pytest.raises(ValueError, match="invalid collection"):
        await model.from_dbref(DBRef("foo", ref.id))
    with pytest.raises(ValueError, match="invalid database"):
        await model.from_dbref(DBRef(ref.collection, ref.id, "foo"))
    assert fresh.database().name == backend.db_name and model.collection().name == "minimongo_test"


async def test_derived_models_have_their_own_collection(backend: Backend) -> None:
    model, derived = models(backend.db_name)
    der = derived()
    der.a_method()
    await der.save()
    assert isinstance(der, model) and der.collection().name == "minimongo_derived"
    assert await derived.find_one({"x": 123}) == der
    assert await model.find_one({"x": 123}) is None
    stored = await backend.db["minimongo_derived"].find_one({})
    assert stored == {"_id": der._id, "x": 123, "y": 456}  # no _cls


async def test_meta_configuration_and_auto_collection_name(backend: Backend) -> None:
    class MmSomeModel(Model):
        class Meta:
            database = backend.db_name

    class MmNoAutoIndex(Model):
        class Meta:
            database = backend.db_name
            collection = "minimongo_noindex"
            indices = (Index("x"),)
            auto_index = False

    assert MmSomeModel.collection().name == "mm_some_model"
    assert MmNoAutoIndex._meta.indices == (Index("x"),)
    await MmNoAutoIndex({"x": 1}).save()
    assert [list(ix["key"]) for ix in await MmNoAutoIndex.list_indexes()] == [["_id"]]
    await MmNoAutoIndex.auto_index()
    assert ["x"] in [list(ix["key"]) for ix in await MmNoAutoIndex.list_indexes()]


@pytest.mark.needs("index_unique")
async def test_unique_index(backend: Backend) -> None:
    class MmUnique(Model):
        mongo = MongoCollection(database=backend.db_name, collection="minimongo_unique")
        indices = (Index("x", unique=True),)

    await asyncodm.ensure_indexes(MmUnique)  # all models: other suites' models are registered too
    await MmUnique({"x": 1, "y": 1}).save()
    with pytest.raises(asyncodm.NotUniqueError):
        await MmUnique({"x": 1, "y": 2}).save()
    await MmUnique({"x": 2, "y": 1}).save()
    assert await MmUnique.find().count() == 2


async def test_default_and_other_databases(backend: Backend) -> None:
    class MmDefault(Model):
        mongo = MongoCollection(collection="in_default")

    other = backend.db_name + "_b"

    class MmOther(Model):
        mongo = MongoCollection(database=other, collection="in_other")

    try:
        await MmDefault({"a": 1}).save()
        await MmOther({"b": 1}).save()
        assert await backend.db["in_default"].count_documents({}) == 1
        assert await backend.client[other]["in_other"].count_documents({}) == 1
        assert MmOther.database().name == other and (await MmOther.find_one())["b"] == 1
    finally:
        await backend.client.drop_database(other)


async def test_layering_over_another_applications_documents(backend: Backend) -> None:
    class MmForeign(Model):
        mongo = MongoCollection(collection="legacy")

    written = {"_id": "legacy-1", "x": 5, "_internal": {"v": 1}, "nested": {"a": [1, {"b": 2}]},
               "empty": None, "when": {"y": 2024}}  # fmt: skip
    await backend.db["legacy"].insert_one(dict(written))
    doc = await MmForeign.find_one("legacy-1")
    assert doc["_internal"] == {"v": 1} and doc.empty is None and doc.nested["a"][1] == {"b": 2}
    assert set(doc.keys()) == set(written)
    doc.x = 6
    doc.nested["a"].append(3)
    await doc.save()
    stored = await backend.db["legacy"].find_one({"_id": "legacy-1"})
    assert stored == {**written, "x": 6, "nested": {"a": [1, {"b": 2}, 3]}}
    with pytest.raises(KeyError, match="cannot set"):
        doc["_private"] = 1


async def test_native_api_on_minimongo_models(backend: Backend) -> None:
    model, _ = models(backend.db_name)
    await model({"x": 1, "tags": ["a"]}).save()
    await model({"x": 2}).save()
    assert await model.objects(x__gte=1).count() == 2
    assert [m.x async for m in model.objects.order_by("-x")] == [2, 1]
    with asyncodm.switch_collection(model, "minimongo_switched"):
        await model({"x": 3}).save()
    assert await backend.db["minimongo_switched"].count_documents({}) == 1
    first = await model.find_one({"x": 1})
    assert await first.update(push__tags="b") == 1
    assert (await backend.db["minimongo_test"].find_one({"x": 1}))["tags"] == ["a", "b"]


async def test_references_and_delete_rules(backend: Backend) -> None:
    class MmOwner(Model):
        mongo = MongoCollection(collection="owners")

    class MmPet(asyncodm.Document):
        owner = asyncodm.ReferenceField(MmOwner, reverse_delete_rule=asyncodm.CASCADE)
        meta = {"collection": "mm_pets"}

    owner = await MmOwner({"name": "ann"}).save()
    await MmPet(owner=owner).save()
    pet = await MmPet.objects.first()
    assert (await pet.owner)["name"] == "ann"
    await owner.remove()
    assert await backend.db["mm_pets"].count_documents({}) == 0


@pytest.mark.needs("transactions")
async def test_transactions(backend: Backend) -> None:
    """A model's save joins a transaction on the connection it uses: an abort undoes it, a
    commit keeps it (a save that ignored the transaction would survive the abort).

    A ``MongoCollection(database=...)`` model uses its own alias, ``default/<database>``
    (sharing the default client), so the transaction names that alias: one on "default" does
    not cover it (asserted last).
    """
    model, _ = models(backend.db_name)
    await _create_outside_a_transaction(backend, "minimongo_test")
    model.mongo.bind()  # registers the model's alias (no I/O), as its first operation would
    alias = model.mongo.alias
    assert alias == f"default/{backend.db_name}"

    async def aborted(alias: str = alias) -> None:
        async with asyncodm.transaction(alias=alias):
            await model({"x": 1}).save()
            raise RuntimeError("roll it back")

    with pytest.raises(RuntimeError, match="roll it back"):
        await aborted()
    assert await backend.db["minimongo_test"].count_documents({}) == 0
    async with asyncodm.transaction(alias=alias):
        await model({"x": 2}).save()
    assert await backend.db["minimongo_test"].find({}, {"_id": 0}).to_list(None) == [{"x": 2}]
    with pytest.raises(RuntimeError, match="roll it back"):
        await aborted("default")  # not the model's connection: its save is not rolled back
    stored = await backend.db["minimongo_test"].find({}, {"_id": 0}).sort("x").to_list(None)
    assert stored == [{"x": 1}, {"x": 2}]


async def _create_outside_a_transaction(backend: Backend, name: str) -> None:
    """nx-27017 cannot use a collection first created inside a transaction that was aborted."""
    await backend.db[name].insert_one({"_id": "seed"})
    await backend.db[name].delete_one({"_id": "seed"})
