"""Indexes on every backend: ensure, compare and list; ``asyncodm.ensure_indexes()``; the lazy,
once-only ``auto_create_index``; ``NotUniqueError`` from every kind of write.

What a server reports is read back raw with ``index_information()``. Key patterns and options
are compared where the backend reports them (``index_metadata``, ``special_indexes``,
``sparse_index``...); names only where it keeps MongoDB's naming (nx-27017 renames every index
``idx_<collection>_<fields>``). Each known deviation is a strict xfail with its reason.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from pymongo import IndexModel
from pymongo.errors import BulkWriteError, DuplicateKeyError

import asyncodm
from asyncodm import Document, IntField, NotUniqueError, StringField, switch_collection, switch_db
from asyncodm._io import _prepare as prepare_module
from asyncodm._io._collection import PreparingCollection, collection_for
from asyncodm._registry import registry
from tests._backends import Backend
from tests.models.shop import (
    ShopCoupon,
    ShopCustomer,
    ShopPlain,
    ShopProduct,
    ShopStore,
    Stock,
    StockBook,
    StockEbook,
    StockGadget,
)

Keys = list[tuple[str, Any]]


async def listed(backend: Backend, collection: str) -> list[dict[str, Any]]:
    """The server's indexes (``_id_`` aside) as ``{"name", "key": [(field, dir)], options}``."""
    info = await backend.db[collection].index_information()
    return [
        {"name": name, **ix, "key": [tuple(kv) for kv in ix["key"]]}
        for name, ix in info.items()
        if name != "_id_"
    ]


def key_shapes(backend: Backend, indexes: list[dict[str, Any]]) -> list[Any]:
    """Key patterns as the backend can report them: whole where it keeps directions and types,
    distinct field-name lists where it takes every key as ascending (nx-27017, which therefore
    also keeps one index where ``name: 1`` and ``name: -1`` are declared)."""
    return expect_shapes(backend, [ix["key"] for ix in indexes])


def expect_shapes(backend: Backend, expected: list[Keys]) -> list[Any]:
    if backend.has("index_metadata") and backend.has("special_indexes"):
        return sorted(expected, key=repr)
    return sorted({tuple(k for k, _ in keys) for keys in expected}, key=repr)


# --------------------------------------------------------------------------------------------
# ensure_indexes


async def test_ensure_indexes_creates_what_the_model_declares(backend: Backend) -> None:
    names = await ShopCustomer.ensure_indexes()
    assert names  # what createIndexes reported
    found = await listed(backend, "shop_customers")
    by_key = {tuple(k for k, _ in ix["key"]): ix for ix in found}
    assert set(by_key) == {("city", "n"), ("seen",), ("email",)}
    assert by_key[("email",)].get("unique") is True
    assert by_key[("seen",)].get("expireAfterSeconds") == 86400
    assert not by_key[("city", "n")].get("unique")
    if backend.has("index_metadata"):
        assert {ix["name"] for ix in found} == {"city_1_n_1", "seen_1", "email_1"}


async def test_ensure_indexes_is_idempotent(backend: Backend) -> None:
    await ShopCustomer.ensure_indexes()
    before = await listed(backend, "shop_customers")
    await ShopCustomer.ensure_indexes()
    assert await listed(backend, "shop_customers") == before


async def test_geo_unique_with_and_special_types(backend: Backend) -> None:
    await ShopStore.ensure_indexes()
    found = await listed(backend, "shop_stores")
    assert key_shapes(backend, found) == expect_shapes(
        backend,
        [
            [("name", 1), ("city", 1), ("country", 1)],
            [("position", "2d")],
            [("entrance", "2dsphere")],
        ],
    )
    [unique] = [ix for ix in found if ix.get("unique")]
    assert [k for k, _ in unique["key"]] == ["name", "city", "country"]


@pytest.mark.needs("index_metadata", "special_indexes", "sparse_index", "ttl_index")
async def test_every_spec_form_lands_as_declared(backend: Backend) -> None:
    await ShopProduct.ensure_indexes()
    found = {ix["name"]: ix for ix in await listed(backend, "shop_products")}
    assert found["t_1"]["key"] == [("t", 1)]
    assert found["created_-1"]["key"] == [("created", -1)]
    assert found["brand_1_price_-1"]["key"] == [("brand", 1), ("price", -1)]
    assert found["brand_hashed"]["key"] == [("brand", "hashed")]
    assert found["size.w_1"]["key"] == [("size.w", 1)]
    assert found["supplier.depot_2dsphere_created_1"]["key"] == [
        ("supplier.depot", "2dsphere"),
        ("created", 1),
    ]
    assert found["tag_lookup"]["sparse"] is True
    assert found["expiry"]["expireAfterSeconds"] == 3600
    assert found["colour"]["key"] == [("attributes.colour", 1)]
    assert found["s_1"]["unique"] is True
    assert found["supplier.code_1"]["unique"] is True and found["supplier.code_1"]["sparse"]
    assert "description_text" in found  # the text index (MongoDB lists it as _fts/_ftsx)


@pytest.mark.needs("partial_index")
@pytest.mark.xfail_backend(
    "mongomock",
    reason="index_information() leaves partialFilterExpression out",
    raises=KeyError,
)
async def test_partial_filter_is_created(backend: Backend) -> None:
    await ShopProduct.ensure_indexes()
    found = {ix["name"]: ix for ix in await listed(backend, "shop_products")}
    assert found["price_1"]["partialFilterExpression"] == {"price": {"$gt": 0}}


@pytest.mark.needs("collation")
async def test_collation_is_created(backend: Backend) -> None:
    await ShopProduct.ensure_indexes()
    found = {ix["name"]: ix for ix in await listed(backend, "shop_products")}
    assert found["title_ci"]["collation"]["locale"] == "en"
    assert found["title_ci"]["collation"]["strength"] == 2


async def test_a_hierarchy_is_indexed_through_any_of_its_classes(backend: Backend) -> None:
    await StockBook.ensure_indexes()
    found = await listed(backend, "stock")
    assert key_shapes(backend, found) == expect_shapes(
        backend,
        [
            [("_cls", 1), ("kind", 1)],
            [("name", -1)],
            [("name", 1)],
            [("_cls", 1), ("isbn", 1)],
            [("url", 1)],
        ],
    )
    if backend.has("index_metadata"):
        assert await Stock.compare_indexes() == {"missing": [], "extra": []}


async def test_switch_collection_and_switch_db_choose_where(backend: Backend) -> None:
    asyncodm.connect(client=backend.client, db=backend.db_name + "_b", alias="other")
    try:
        with switch_collection(ShopCustomer, "shop_customers_2020"):
            await ShopCustomer.ensure_indexes()
        with switch_db(ShopCustomer, "other"):
            await ShopCustomer.ensure_indexes()
        assert len(await listed(backend, "shop_customers_2020")) == 3
        other = backend.client[backend.db_name + "_b"]
        assert len(await other["shop_customers"].index_information()) == 4  # with _id_
        assert "shop_customers" not in await backend.db.list_collection_names()
    finally:
        await backend.client.drop_database(backend.db_name + "_b")


async def test_abstract_and_embedded_classes_have_nothing_to_index(backend: Backend) -> None:
    from tests.models.shop import ShopSupplier

    with pytest.raises(asyncodm.InvalidDocumentError, match="no collection"):
        await asyncodm._io._indexes.ensure_model_indexes(ShopSupplier)


# --------------------------------------------------------------------------------------------
# compare_indexes / list_indexes


async def test_compare_before_and_after_ensure(backend: Backend) -> None:
    before = await ShopCustomer.compare_indexes()
    assert before["extra"] == []
    assert sorted(d["name"] for d in before["missing"]) == ["city_1_n_1", "email_1", "seen_1"]
    [email] = [d for d in before["missing"] if d["name"] == "email_1"]
    assert email == {"key": {"email": 1}, "name": "email_1", "unique": True}
    await ShopCustomer.ensure_indexes()
    assert await ShopCustomer.compare_indexes() == {"missing": [], "extra": []}


async def test_compare_finds_missing_extra_and_changed_options(backend: Backend) -> None:
    await ShopCustomer.ensure_indexes()
    raw = backend.db["shop_customers"]
    info = await raw.index_information()
    [email_name] = [n for n, ix in info.items() if [k for k, _ in ix["key"]] == ["email"]]
    [city_name] = [n for n, ix in info.items() if [k for k, _ in ix["key"]] == ["city", "n"]]
    await raw.drop_index(email_name)
    await raw.drop_index(city_name)
    await raw.create_indexes([IndexModel([("email", 1)]), IndexModel([("zone", 1)])])
    diff = await ShopCustomer.compare_indexes()
    missing = {tuple(d["key"]) for d in diff["missing"]}
    extra = {tuple(d["key"]) for d in diff["extra"]}
    assert missing == {("email",), ("city", "n")}  # email: declared unique, exists plain
    assert extra == {("email",), ("zone",)}
    assert all("name" in d for d in diff["extra"])  # so an extra index can be dropped by name


async def test_compare_ignores_index_names(backend: Backend) -> None:
    await backend.db["shop_customers"].create_indexes(
        [
            IndexModel([("email", 1)], unique=True, name="my_email"),
            IndexModel([("city", 1), ("n", 1)], name="by_city"),
            IndexModel([("seen", 1)], expireAfterSeconds=86400, name="ttl"),
        ]
    )
    assert await ShopCustomer.compare_indexes() == {"missing": [], "extra": []}


@pytest.mark.xfail_backend(
    "nx",
    reason="nx lists every key ascending and leaves out text indexes, sparse, partial filters "
    "and collations, so compare_indexes rightly reports those as missing and extra",
    raises=AssertionError,
)
@pytest.mark.xfail_backend(
    "mongomock",
    reason="mongomock leaves partialFilterExpression and collation out of its listing, so "
    "compare_indexes rightly reports price_1 and title_ci as missing (and extra)",
    raises=AssertionError,
)
async def test_compare_after_ensure_with_every_spec_form(backend: Backend) -> None:
    await ShopProduct.ensure_indexes()
    assert await ShopProduct.compare_indexes() == {"missing": [], "extra": []}


async def test_list_indexes(backend: Backend) -> None:
    assert await ShopCustomer.list_indexes() in ([], [{"key": {"_id": 1}, "name": "_id_"}])
    await ShopCustomer.ensure_indexes()
    found = await ShopCustomer.list_indexes()
    assert found[0] == {"key": {"_id": 1}, "name": "_id_"}
    assert all(isinstance(ix["key"], dict) and "v" not in ix for ix in found)
    assert sorted(list(ix["key"]) for ix in found[1:]) == [["city", "n"], ["email"], ["seen"]]


# --------------------------------------------------------------------------------------------
# asyncodm.ensure_indexes(): every registered model, each collection once


@pytest.fixture
def only_these_models() -> Iterator[None]:
    """The registry holds every class the test session defined; keep just the ones a test
    defines or names, and put everything back afterwards."""
    saved = registry.snapshot()
    registry.clear()
    try:
        yield
    finally:
        registry.restore(saved)


@pytest.mark.usefixtures("only_these_models")
async def test_module_level_ensure_indexes_covers_every_registered_model(backend: Backend) -> None:
    for model in (ShopCustomer, Stock, StockBook, StockEbook, StockGadget, ShopPlain):
        registry.register(model)

    class Elsewhere2(Document):
        x = StringField(unique=True)
        meta = {"db_alias": "not_connected_here", "collection": "elsewhere2"}

    class OtherAlias(Document):
        y = IntField(unique=True)
        meta = {"db_alias": "other", "collection": "other_alias"}

    asyncodm.connect(client=backend.client, db=backend.db_name + "_b", alias="other")
    try:
        backend.reset_commands()
        done = await asyncodm.ensure_indexes()
        assert set(done) == {
            ("default", "shop_customers"),
            ("default", "stock"),
            ("default", "shop_plain"),
            ("other", "other_alias"),
        }  # the unconnected alias is skipped; the stock hierarchy is one collection
        assert done[("default", "shop_plain")] == []
        if backend.has("command_monitoring"):
            creates = [c.collection for c in backend.commands if c.name == "createIndexes"]
            assert sorted(creates) == ["other_alias", "shop_customers", "stock"]
        else:  # no wire to watch: the indexes are there, read through the driver
            other_db = backend.client[backend.db_name + "_b"]
            assert len(await other_db["other_alias"].index_information()) == 2
            assert len(await backend.db["shop_customers"].index_information()) == 4
        assert key_shapes(backend, await listed(backend, "stock")) == expect_shapes(
            backend,
            [
                [("_cls", 1), ("kind", 1)],
                [("name", -1)],
                [("name", 1)],
                [("_cls", 1), ("isbn", 1)],
                [("url", 1)],
            ],
        )
        other = backend.client[backend.db_name + "_b"]
        assert len(await other["other_alias"].index_information()) == 2

        only_other = await asyncodm.ensure_indexes(alias="other")
        assert set(only_other) == {("other", "other_alias")}
        chosen = await asyncodm.ensure_indexes(ShopCustomer)
        assert set(chosen) == {("default", "shop_customers")}
        with pytest.raises(asyncodm.ConfigurationError, match="not_connected_here"):
            await asyncodm.ensure_indexes(Elsewhere2)
    finally:
        await backend.client.drop_database(backend.db_name + "_b")


# --------------------------------------------------------------------------------------------
# auto_create_index: lazily, once


def count_preparations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = prepare_module.prepare_collection

    async def counting(model: type, database: Any, name: str, **kwargs: Any) -> list[str]:
        calls.append(name)
        return await real(model, database, name, **kwargs)

    monkeypatch.setattr(prepare_module, "prepare_collection", counting)
    return calls


async def test_models_without_auto_create_index_get_the_plain_adapter(backend: Backend) -> None:
    assert not isinstance(collection_for(ShopCustomer), PreparingCollection)
    await ShopCustomer(email="a@x").save()
    assert await listed(backend, "shop_customers") == []  # never implicit


async def test_first_operation_creates_the_indexes(backend: Backend) -> None:
    assert isinstance(collection_for(ShopCoupon), PreparingCollection)
    assert "shop_coupons" not in await backend.db.list_collection_names()  # no I/O yet
    await ShopCoupon(code="A", percent=5).save()
    found = await listed(backend, "shop_coupons")
    assert sorted([k for k, _ in ix["key"]] for ix in found) == [["code"], ["percent"]]
    [unique] = [ix for ix in found if ix.get("unique")]
    assert unique["key"][0][0] == "code"


async def test_reads_prepare_before_the_first_batch(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = count_preparations(monkeypatch)
    queryset = ShopCoupon.objects(percent__gte=1)
    cursor = collection_for(ShopCoupon).find({})
    assert calls == []  # building a queryset or a cursor performs no I/O
    assert await cursor.to_list() == []
    assert calls == ["shop_coupons"]
    assert await queryset.to_list() == []
    assert [c async for c in ShopCoupon.objects.aggregate([{"$match": {}}])] == []
    assert calls == ["shop_coupons"]


async def test_concurrent_first_operations_prepare_once(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = count_preparations(monkeypatch)
    backend.reset_commands()
    await asyncio.gather(*(ShopCoupon(code=f"c{i}", percent=i).save() for i in range(20)))
    assert calls == ["shop_coupons"]
    assert await ShopCoupon.objects.count() == 20
    if backend.has("command_monitoring"):
        names = [c.name for c in backend.commands if c.collection == "shop_coupons"]
        assert names.count("createIndexes") == 1
        assert names.index("createIndexes") < names.index("insert")
    else:  # no wire to watch: the declared index exists, read through the driver
        info = await backend.db["shop_coupons"].index_information()
        assert set(info) == {"_id_", "code_1", "percent_1"} and info["code_1"]["unique"]


async def test_a_failed_preparation_is_retried(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = prepare_module.prepare_collection
    attempts: list[int] = []

    async def flaky(*args: Any, **kwargs: Any) -> list[str]:
        attempts.append(1)
        if len(attempts) == 1:
            await asyncio.sleep(0.01)
            raise asyncodm.OperationError("index build failed")
        return await real(*args, **kwargs)

    monkeypatch.setattr(prepare_module, "prepare_collection", flaky)
    results = await asyncio.gather(
        *(ShopCoupon(code=f"f{i}").save() for i in range(5)), return_exceptions=True
    )
    assert all(isinstance(r, asyncodm.OperationError) for r in results)  # all saw the failure
    assert len(attempts) == 1
    await ShopCoupon(code="again").save()
    assert len(attempts) == 2
    assert len(await listed(backend, "shop_coupons")) == 2


async def test_a_cancelled_first_caller_does_not_cancel_the_preparation(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = prepare_module.prepare_collection
    started = asyncio.Event()
    release = asyncio.Event()

    async def slow(*args: Any, **kwargs: Any) -> list[str]:
        started.set()
        await release.wait()
        return await real(*args, **kwargs)

    monkeypatch.setattr(prepare_module, "prepare_collection", slow)
    first = asyncio.create_task(ShopCoupon(code="first").save())
    await started.wait()
    second = asyncio.create_task(ShopCoupon(code="second").save())
    await asyncio.sleep(0)
    first.cancel()
    release.set()
    await second
    assert first.cancelled()
    assert await ShopCoupon.objects.count() == 1
    assert len(await listed(backend, "shop_coupons")) == 2


async def test_ensure_indexes_counts_as_the_preparation(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    await ShopCoupon.ensure_indexes()
    calls = count_preparations(monkeypatch)
    await ShopCoupon(code="x").save()
    assert calls == []


async def test_dropping_the_collection_prepares_it_again(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    await ShopCoupon(code="x").save()
    await ShopCoupon.drop_collection()
    calls = count_preparations(monkeypatch)
    await ShopCoupon(code="y").save()
    assert calls == ["shop_coupons"]
    assert len(await listed(backend, "shop_coupons")) == 2


async def test_each_database_and_collection_is_prepared(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = count_preparations(monkeypatch)
    asyncodm.connect(client=backend.client, db=backend.db_name + "_b", alias="other")
    try:
        await ShopCoupon(code="a").save()
        with switch_collection(ShopCoupon, "shop_coupons_old"):
            await ShopCoupon(code="a").save()
        with switch_db(ShopCoupon, "other"):
            await ShopCoupon(code="a").save()
            await ShopCoupon(code="b").save()
        assert calls == ["shop_coupons", "shop_coupons_old", "shop_coupons"]
        other = backend.client[backend.db_name + "_b"]
        assert len(await other["shop_coupons"].index_information()) == 3
    finally:
        await backend.client.drop_database(backend.db_name + "_b")


# --------------------------------------------------------------------------------------------
# NotUniqueError names the index and the duplicate value, whatever the write


@pytest.fixture
async def unique_index(backend: Backend) -> str:
    """ShopCustomer's unique email index, by the name the server lists it under."""
    await ShopCustomer.ensure_indexes()
    await ShopCustomer(email="taken@x", city="A").save()
    info = await backend.db["shop_customers"].index_information()
    [name] = [n for n, ix in info.items() if ix.get("unique")]
    return name


async def _raises_not_unique(awaitable: Any, index: str) -> NotUniqueError:
    with pytest.raises(NotUniqueError) as caught:
        await awaitable
    assert caught.value.index == index
    assert index in str(caught.value)
    return caught.value


async def _every_kind_of_write() -> list[Callable[[], Awaitable[Any]]]:
    """One write of each kind that puts the taken email into the unique index, unawaited."""
    from bson import ObjectId

    other = await ShopCustomer(email="free@x").save()

    def delta_update() -> Awaitable[Any]:  # a loaded document, changed and saved
        other.email = "taken@x"
        return other.save()

    return [
        lambda: ShopCustomer(email="taken@x").save(),  # insert
        lambda: ShopCustomer(id=ObjectId(), email="taken@x").save(),  # upsert of a new pk
        lambda: ShopCustomer(id=ObjectId(), email="taken@x").save(force_insert=True),
        delta_update,
        lambda: ShopCustomer.objects.bulk_create(
            [ShopCustomer(email="new@x"), ShopCustomer(email="taken@x")]
        ),
        lambda: ShopCustomer.objects(email="free@x").update(set__email="taken@x"),
        lambda: ShopCustomer.objects(email="free@x").update_one(set__email="taken@x"),
        lambda: ShopCustomer.objects(city="nowhere").update_one(  # an upsert that inserts
            set__email="taken@x", upsert=True
        ),
        lambda: other.update(set__email="taken@x"),
    ]


_NX_NAMES_NO_INDEX = (
    "nx's duplicate-key error carries no keyPattern/keyValue and SQLite's errmsg ('UNIQUE "
    "constraint failed: index ...'), so it names no index; asyncodm reads MongoDB's only"
)


@pytest.mark.xfail_backend("nx", reason=_NX_NAMES_NO_INDEX, raises=AssertionError)
async def test_not_unique_on_every_kind_of_write(backend: Backend, unique_index: str) -> None:
    for write in await _every_kind_of_write():
        await _raises_not_unique(write(), unique_index)


async def test_every_kind_of_write_raises_not_unique_from_the_driver(
    backend: Backend, unique_index: str
) -> None:
    """The same writes where the index is not named (nx): still ``NotUniqueError``, raised from
    the driver's duplicate-key error."""
    for write in await _every_kind_of_write():
        with pytest.raises(NotUniqueError) as caught:
            await write()
        assert isinstance(caught.value.__cause__, (DuplicateKeyError, BulkWriteError))


async def test_not_unique_carries_the_document_being_saved(
    backend: Backend, unique_index: str
) -> None:
    doc = ShopCustomer(email="taken@x")
    with pytest.raises(NotUniqueError) as on_insert:
        await doc.save()
    assert on_insert.value.instance is doc
    loaded = await ShopCustomer(email="free@x").save()
    loaded.email = "taken@x"
    with pytest.raises(NotUniqueError) as on_update:
        await loaded.save()
    assert on_update.value.instance is loaded
    with pytest.raises(NotUniqueError) as on_queryset:  # no single document at fault
        await ShopCustomer.objects(email="free@x").update(set__email="taken@x")
    assert on_queryset.value.instance is None


@pytest.mark.xfail_backend(
    "nx",
    reason="find_one_and_update ignores a unique index conflict: no DuplicateKeyError, the "
    "update is silently dropped (an upsert even inserts the document without the field)",
    raises=pytest.fail.Exception,
)
async def test_not_unique_from_find_one_and_update(backend: Backend, unique_index: str) -> None:
    other = await ShopCustomer(email="free@x").save()
    await _raises_not_unique(other.modify(set__email="taken@x"), unique_index)
    await _raises_not_unique(
        ShopCustomer.objects(city="nowhere").upsert_one(set__email="taken@x"), unique_index
    )


@pytest.mark.xfail_backend("nx", reason=_NX_NAMES_NO_INDEX, raises=AssertionError)
async def test_not_unique_names_the_duplicate_value(backend: Backend, unique_index: str) -> None:
    err = await _raises_not_unique(ShopCustomer(email="taken@x").save(), unique_index)
    assert err.value == "taken@x"
    assert "'taken@x'" in str(err)
    other = await ShopCustomer(email="free@x").save()
    bulk = await _raises_not_unique(
        ShopCustomer.objects.bulk_create([ShopCustomer(email="taken@x")]), unique_index
    )
    assert bulk.value == "taken@x"
    update = await _raises_not_unique(other.update(set__email="taken@x"), unique_index)
    assert update.value == "taken@x"


@pytest.mark.xfail_backend("nx", reason=_NX_NAMES_NO_INDEX, raises=AssertionError)
async def test_compound_unique_value_is_a_dict(backend: Backend) -> None:
    await ShopStore.ensure_indexes()
    await ShopStore(name="n", city="c", country="k").save()
    with pytest.raises(NotUniqueError) as caught:
        await ShopStore(name="n", city="c", country="k").save()
    assert caught.value.value == {"name": "n", "city": "c", "country": "k"}


@pytest.mark.needs("unique_build_error")
@pytest.mark.xfail_backend(
    "mongomock",
    reason="a unique build over duplicates raises a bare 'E11000 Duplicate Key Error' naming "
    "neither the index nor the key",
    raises=AssertionError,
)
async def test_a_unique_index_over_existing_duplicates(backend: Backend) -> None:
    await backend.db["shop_customers"].insert_many([{"email": "twice@x"}, {"email": "twice@x"}])
    with pytest.raises(NotUniqueError) as caught:
        await ShopCustomer.ensure_indexes()
    assert caught.value.index == "email_1" and caught.value.value == "twice@x"
