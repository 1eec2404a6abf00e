"""Optimistic concurrency (API.md §14): ``meta = {"versioned": True}`` documents, on every backend.

Each write is checked twice: the command documents the ODM sent (``capture_commands``, the same
on every backend: the compare-and-set filter and the ``$inc`` of ``_version``) and the raw
stored document read through the driver (what a stale write must leave untouched). The 100-task
races are in test_concurrency.py; the pure builders in tests/unit/test_versioning.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from bson import ObjectId

import asyncodm
from asyncodm import ConcurrencyError, NotUniqueError, OperationError
from asyncodm.testing import CommandLog, capture_commands
from tests._backends import Backend
from tests.models.vault import (
    Asset,
    Card,
    Holder,
    PlainAccount,
    Statement,
    VaultAccount,
    Vehicle,
)


async def stored(backend: Backend, collection: str, pk: Any) -> dict[str, Any] | None:
    found: dict[str, Any] | None = await backend.db[collection].find_one({"_id": pk})
    return found


async def account(backend: Backend, pk: Any) -> dict[str, Any] | None:
    return await stored(backend, "vault_accounts", pk)


def sent(log: CommandLog, name: str) -> list[dict[str, Any]]:
    """The ``q``/``u`` pairs of updates, ``q`` of deletes, or the command documents of
    ``name`` in the order sent."""
    out: list[dict[str, Any]] = []
    for command in log.commands:
        if command.name != name:
            continue
        if name == "update":
            out += [{"q": u["q"], "u": u["u"]} for u in command.command["updates"]]
        elif name == "delete":
            out += [{"q": d["q"]} for d in command.command["deletes"]]
        else:
            out.append(command.command)
    return out


async def two_copies(backend: Backend, balance: int = 0) -> tuple[VaultAccount, VaultAccount]:
    doc = await VaultAccount(owner="ann", balance=balance).save()
    return (
        await VaultAccount.objects.get(pk=doc.pk),
        await VaultAccount.objects.get(pk=doc.pk),
    )


# --------------------------------------------------------------------------------------------
# Insert and save


async def test_insert_stores_version_1(backend: Backend) -> None:
    doc = VaultAccount(owner="ann", balance=3)
    assert doc._version is None  # new: nothing stored yet
    async with capture_commands() as log:
        await doc.save()
    assert sent(log, "insert")[0]["documents"] == [
        {"_id": doc.pk, "owner": "ann", "balance": 3, "_version": 1}
    ]
    assert doc._version == 1
    assert await account(backend, doc.pk) == {
        "_id": doc.pk,
        "owner": "ann",
        "balance": 3,
        "_version": 1,
    }
    loaded = await VaultAccount.objects.get(pk=doc.pk)
    assert loaded._version == 1 and loaded.balance == 3


async def test_save_is_a_compare_and_set_that_moves_the_version_on(backend: Backend) -> None:
    doc, _ = await two_copies(backend)
    doc.balance = 5
    async with capture_commands() as log:
        await doc.save()
    assert sent(log, "update") == [
        {
            "q": {"_id": doc.pk, "_version": 1},
            "u": {"$set": {"balance": 5}, "$inc": {"_version": 1}},
        }
    ]
    assert doc._version == 2
    assert await account(backend, doc.pk) == {
        "_id": doc.pk,
        "owner": "ann",
        "balance": 5,
        "_version": 2,
    }
    doc.balance = 6
    await doc.save()  # the instance holds the new version: it saves again
    assert (await account(backend, doc.pk) or {})["_version"] == 3 and doc._version == 3


async def test_a_save_with_no_changes_sends_nothing_and_keeps_the_version(
    backend: Backend,
) -> None:
    doc, _ = await two_copies(backend)
    async with capture_commands() as log:
        await doc.save()
    assert log.commands == []
    assert doc._version == 1
    assert (await account(backend, doc.pk) or {})["_version"] == 1


async def test_stale_save_raises_and_writes_nothing(backend: Backend) -> None:
    a1, a2 = await two_copies(backend, balance=10)
    a1.balance += 1
    await a1.save()
    a2.balance += 5
    async with capture_commands() as log:
        with pytest.raises(ConcurrencyError) as info:
            await a2.save()
    err = info.value
    assert isinstance(err, OperationError)
    assert (err.model, err.pk, err.expected, err.found, err.deleted) == (
        "VaultAccount",
        a2.pk,
        1,
        2,
        False,
    )
    assert err.instance is a2
    assert "VaultAccount" in str(err) and repr(a2.pk) in str(err)
    assert "expected version 1" in str(err) and "at version 2" in str(err)
    # the compare-and-set, then one read to say why it matched nothing
    assert sent(log, "update") == [
        {
            "q": {"_id": a2.pk, "_version": 1},
            "u": {"$set": {"balance": 15}, "$inc": {"_version": 1}},
        }
    ]
    assert log.names == ["update", "find"]
    assert await account(backend, a2.pk) == {
        "_id": a2.pk,
        "owner": "ann",
        "balance": 11,
        "_version": 2,
    }
    # The instance keeps its change and its version; after a reload the change saves.
    assert a2._version == 1 and a2.balance == 15
    await a2.reload()
    assert (a2._version, a2.balance) == (2, 11)
    a2.balance += 5
    await a2.save()
    assert await account(backend, a2.pk) == {
        "_id": a2.pk,
        "owner": "ann",
        "balance": 16,
        "_version": 3,
    }


async def test_saving_a_document_deleted_meanwhile_raises_and_recreates_nothing(
    backend: Backend,
) -> None:
    doc, _ = await two_copies(backend)
    await backend.db["vault_accounts"].delete_many({})
    doc.balance = 9
    with pytest.raises(ConcurrencyError) as info:
        await doc.save()
    assert info.value.deleted is True and info.value.found is None
    assert "deleted" in str(info.value)
    assert await backend.db["vault_accounts"].count_documents({}) == 0


async def test_a_new_document_with_a_stored_pk_is_never_upserted_over_it(
    backend: Backend,
) -> None:
    """A non-versioned new document with a pk is upserted; a versioned one is inserted, so it
    cannot overwrite a stored version it never saw."""
    first = await VaultAccount(owner="ann", balance=1).save()
    first.balance = 2
    await first.save()
    again = VaultAccount(id=first.pk, owner="bob", balance=100)
    async with capture_commands() as log:
        with pytest.raises(NotUniqueError):
            await again.save()
    assert log.names == ["insert"]
    assert await account(backend, first.pk) == {
        "_id": first.pk,
        "owner": "ann",
        "balance": 2,
        "_version": 2,
    }
    fresh = VaultAccount(id=ObjectId(), owner="cy")
    await fresh.save()  # a pk not stored yet: inserted with version 1
    assert (await account(backend, fresh.pk) or {})["_version"] == 1


async def test_an_unversioned_class_stores_and_sends_no_version(backend: Backend) -> None:
    doc = await PlainAccount(owner="ann").save()
    assert doc._version is None
    loaded = await PlainAccount.objects.get(pk=doc.pk)
    loaded.balance = 4
    async with capture_commands() as log:
        await loaded.save()
        await PlainAccount.objects(pk=doc.pk).update_one(inc__balance=1)
        await loaded.delete()
    assert sent(log, "update") == [
        {"q": {"_id": doc.pk}, "u": {"$set": {"balance": 4}}},
        {"q": {"_id": doc.pk}, "u": {"$inc": {"balance": 1}}},
    ]
    assert sent(log, "delete") == [{"q": {"_id": doc.pk}}]
    assert loaded._version is None


# --------------------------------------------------------------------------------------------
# Delete


async def test_stale_delete_raises_and_the_document_stays(backend: Backend) -> None:
    a1, a2 = await two_copies(backend, balance=7)
    a1.balance = 8
    await a1.save()
    async with capture_commands() as log:
        with pytest.raises(ConcurrencyError) as info:
            await a2.delete()
    assert sent(log, "delete") == [{"q": {"_id": a2.pk, "_version": 1}}]
    assert (info.value.expected, info.value.found) == (1, 2)
    assert "delete()" in str(info.value)
    assert await account(backend, a2.pk) == {
        "_id": a2.pk,
        "owner": "ann",
        "balance": 8,
        "_version": 2,
    }
    async with capture_commands() as log:
        await a1.delete()  # current: deleted
    assert sent(log, "delete") == [{"q": {"_id": a1.pk, "_version": 2}}]
    assert await account(backend, a1.pk) is None


async def test_deleting_a_document_deleted_meanwhile_is_no_error(backend: Backend) -> None:
    a1, a2 = await two_copies(backend)
    await a1.delete()
    await a2.delete()  # already gone: as for any document, nothing to do
    assert await backend.db["vault_accounts"].count_documents({}) == 0


async def test_a_queryset_delete_deletes_what_matches_whatever_its_version(
    backend: Backend,
) -> None:
    a1, _ = await two_copies(backend)
    await VaultAccount.objects(pk=a1.pk).update_one(inc__balance=1)  # version 2
    assert await VaultAccount.objects(owner="ann").delete() == 1
    assert await account(backend, a1.pk) is None


# --------------------------------------------------------------------------------------------
# Queryset writes move the version on


async def test_queryset_updates_bump_the_version(backend: Backend) -> None:
    doc, copy = await two_copies(backend)
    other = await VaultAccount(owner="bob").save()
    async with capture_commands() as log:
        assert await VaultAccount.objects(pk=doc.pk).update_one(inc__balance=2) == 1
        assert await VaultAccount.objects.update(set__owner="all") == 2
        assert await VaultAccount.objects(pk=doc.pk).update({"$set": {"balance": 10}}) == 1
    assert [u["u"] for u in sent(log, "update")] == [
        {"$inc": {"balance": 2, "_version": 1}},
        {"$set": {"owner": "all"}, "$inc": {"_version": 1}},
        {"$set": {"balance": 10}, "$inc": {"_version": 1}},
    ]
    assert await account(backend, doc.pk) == {
        "_id": doc.pk,
        "owner": "all",
        "balance": 10,
        "_version": 4,
    }
    assert (await account(backend, other.pk) or {})["_version"] == 2
    copy.balance = 99  # loaded before the updates: stale
    with pytest.raises(ConcurrencyError):
        await copy.save()
    assert (await account(backend, doc.pk) or {})["balance"] == 10


async def test_upserts_insert_version_1_and_bump_an_existing_document(backend: Backend) -> None:
    assert await VaultAccount.objects(owner="new").upsert_one(set__balance=1) is not None
    raw = await backend.db["vault_accounts"].find_one({"owner": "new"})
    assert raw is not None and raw["_version"] == 1 and raw["balance"] == 1
    await VaultAccount.objects(owner="new").upsert_one(set__balance=2)
    raw = await backend.db["vault_accounts"].find_one({"owner": "new"})
    assert raw is not None and (raw["_version"], raw["balance"]) == (2, 2)
    assert await VaultAccount.objects(owner="newer").update(inc__balance=3, upsert=True) == 1
    raw = await backend.db["vault_accounts"].find_one({"owner": "newer"})
    assert raw is not None and (raw["_version"], raw["balance"]) == (1, 3)


async def test_modify_bumps_and_returns_the_new_version(backend: Backend) -> None:
    doc, _ = await two_copies(backend)
    async with capture_commands() as log:
        new = await VaultAccount.objects(pk=doc.pk).modify(new=True, inc__balance=1)
    assert sent(log, "findAndModify")[0]["update"] == {"$inc": {"balance": 1, "_version": 1}}
    assert new is not None and new._version == 2
    new.balance = 50
    await new.save()  # modify's result is current
    assert (await account(backend, doc.pk) or {})["_version"] == 3


async def test_an_update_that_writes_the_version_itself_is_sent_as_given(
    backend: Backend,
) -> None:
    doc, _ = await two_copies(backend)
    async with capture_commands() as log:
        await VaultAccount.objects(pk=doc.pk).update_one({"$set": {"_version": 40}})
    assert sent(log, "update")[0]["u"] == {"$set": {"_version": 40}}
    assert (await account(backend, doc.pk) or {})["_version"] == 40


async def test_instance_update_makes_the_instance_stale_and_modify_keeps_it_current(
    backend: Backend,
) -> None:
    doc, _ = await two_copies(backend)
    await doc.update(inc__balance=1)  # atomic; the instance is not refreshed
    doc.owner = "changed"
    with pytest.raises(ConcurrencyError):
        await doc.save()
    await doc.reload()
    assert await doc.modify(inc__balance=1)  # loads the new values, version included
    assert doc._version == 3
    doc.owner = "changed"
    await doc.save()
    assert await account(backend, doc.pk) == {
        "_id": doc.pk,
        "owner": "changed",
        "balance": 2,
        "_version": 4,
    }


async def test_bulk_create_stores_version_1(backend: Backend) -> None:
    docs = [VaultAccount(owner=f"o{i}") for i in range(3)]
    async with capture_commands() as log:
        await VaultAccount.objects.bulk_create(docs)
    assert [d["_version"] for d in sent(log, "insert")[0]["documents"]] == [1, 1, 1]
    assert [d._version for d in docs] == [1, 1, 1]
    raws = await backend.db["vault_accounts"].find({}).to_list(None)
    assert sorted((r["owner"], r["_version"]) for r in raws) == [("o0", 1), ("o1", 1), ("o2", 1)]
    docs[0].balance = 1
    await docs[0].save()  # a compare-and-set on version 1
    assert (await account(backend, docs[0].pk) or {})["_version"] == 2


@pytest.mark.needs("pipeline_update")
async def test_a_pipeline_update_bumps_the_version_in_a_last_stage(backend: Backend) -> None:
    doc, _ = await two_copies(backend, balance=2)
    async with capture_commands() as log:
        await VaultAccount.objects(pk=doc.pk).update_one(
            [{"$set": {"balance": {"$multiply": ["$balance", 3]}}}]
        )
    assert sent(log, "update")[0]["u"] == [
        {"$set": {"balance": {"$multiply": ["$balance", 3]}}},
        {"$set": {"_version": {"$add": [{"$ifNull": ["$_version", 0]}, 1]}}},
    ]
    assert await account(backend, doc.pk) == {
        "_id": doc.pk,
        "owner": "ann",
        "balance": 6,
        "_version": 2,
    }


# --------------------------------------------------------------------------------------------
# Loading: projections, reload, the stored document


async def test_only_loads_the_version_so_the_document_can_be_saved(backend: Backend) -> None:
    doc, _ = await two_copies(backend, balance=1)
    async with capture_commands() as log:
        part = await VaultAccount.objects.only("balance").get(pk=doc.pk)
    assert sent(log, "find")[0]["projection"] == {"balance": 1, "_version": 1}
    assert part._version == 1
    part.balance = 2
    await part.save()
    assert await account(backend, doc.pk) == {
        "_id": doc.pk,
        "owner": "ann",
        "balance": 2,
        "_version": 2,
    }


async def test_reload_refreshes_the_version(backend: Backend) -> None:
    a1, a2 = await two_copies(backend)
    a1.balance = 1
    await a1.save()
    await a2.reload("owner")  # some fields: the others may still be stale, so is the version
    assert a2._version == 1
    await a2.reload()
    assert a2._version == 2
    a2.balance = 3
    await a2.save()
    assert (await account(backend, a2.pk) or {})["_version"] == 3


async def test_the_version_round_trips_through_to_mongo(backend: Backend) -> None:
    """``to_mongo()`` is what is stored: the version with it (a key the class does not
    declare, kept as loaded); a document built from it saves as that version."""
    doc, _ = await two_copies(backend, balance=4)
    assert doc.to_mongo()["_version"] == 1
    copy = VaultAccount.from_son(doc.to_mongo())
    assert copy._version == 1
    copy.balance = 5
    await copy.save()
    assert (await account(backend, doc.pk) or {})["_version"] == 2
    assert "_version" not in doc.to_dict()  # field values only
    assert VaultAccount.from_json(doc.to_json())._version == 1  # to_json is to_mongo's


# --------------------------------------------------------------------------------------------
# Inheritance and delete rules


async def test_a_subclass_is_versioned_like_its_parent(backend: Backend) -> None:
    car = await Vehicle(label="car", wheels=4).save()
    raw = await stored(backend, "vault_assets", car.pk)
    assert raw is not None and (raw["_cls"], raw["_version"]) == ("Asset.Vehicle", 1)
    c1 = await Asset.objects.get(pk=car.pk)
    c2 = await Vehicle.objects.get(pk=car.pk)
    assert isinstance(c1, Vehicle)
    c1.label = "red car"
    await c1.save()
    c2.wheels = 3
    with pytest.raises(ConcurrencyError, match="Vehicle"):
        await c2.save()
    raw = await stored(backend, "vault_assets", car.pk)
    assert raw is not None and (raw["label"], raw["wheels"], raw["_version"]) == ("red car", 4, 2)


async def holder_with_cards(backend: Backend) -> tuple[Holder, list[Card], Statement]:
    holder = await Holder(name="h").save()
    cards = [await Card(number=f"c{i}", holder=holder).save() for i in range(2)]
    statement = await Statement(month="jan", holder=holder).save()
    return holder, cards, statement


async def test_a_stale_delete_changes_no_referrer(backend: Backend) -> None:
    holder, cards, statement = await holder_with_cards(backend)
    stale = await Holder.objects.get(pk=holder.pk)
    holder.name = "renamed"
    await holder.save()
    with pytest.raises(ConcurrencyError):
        await stale.delete()
    assert (await stored(backend, "vault_holders", holder.pk) or {})["name"] == "renamed"
    for card in cards:  # not nullified
        raw = await stored(backend, "vault_cards", card.pk)
        assert raw is not None and raw["holder"] == holder.pk and raw["_version"] == 1
    assert await stored(backend, "vault_statements", statement.pk) is not None  # not cascaded


async def test_delete_rules_bump_the_referrers_they_change(backend: Backend) -> None:
    holder, cards, statement = await holder_with_cards(backend)
    statement.month = "feb"
    await statement.save()  # version 2: a cascade deletes it whatever its version
    card_copy = await Card.objects.get(pk=cards[0].pk)
    async with capture_commands() as log:
        await holder.delete()
    nullify = [u for u in sent(log, "update") if "$unset" in u["u"]]
    assert [u["u"] for u in nullify] == [{"$unset": {"holder": ""}, "$inc": {"_version": 1}}]
    assert await stored(backend, "vault_holders", holder.pk) is None
    assert await stored(backend, "vault_statements", statement.pk) is None
    for card in cards:
        raw = await stored(backend, "vault_cards", card.pk)
        assert raw is not None and "holder" not in raw and raw["_version"] == 2
    card_copy.number = "c9"  # loaded before the NULLIFY: its save would bring the holder back
    with pytest.raises(ConcurrencyError):
        await card_copy.save()
    raw = await stored(backend, "vault_cards", cards[0].pk)
    assert raw is not None and raw["number"] == "c0"


# --------------------------------------------------------------------------------------------
# Self-description


def test_describe_and_json_schema_report_the_version() -> None:
    spec = asyncodm.describe(VaultAccount)
    assert spec.versioned is True and spec.meta["versioned"] is True
    assert "_version" not in spec.fields  # a stored key, not a field
    assert asyncodm.describe(Vehicle).versioned is True
    assert asyncodm.describe(PlainAccount).versioned is False
    schema = VaultAccount.json_schema()
    assert schema["properties"]["_version"] == {"bsonType": ["int", "long"], "minimum": 1}
    assert "_version" not in schema.get("required", [])
    assert "_version" not in PlainAccount.json_schema()["properties"]
