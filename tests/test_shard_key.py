"""``meta["shard_key"]``: every update and delete of one document carries the shard key in its
filter, so a sharded cluster routes it to one shard (and MongoDB requires it for upserts and
``updateOne``/``deleteOne`` without ``_id`` targeting rules on older servers).

Pure tests pin the filter; on the wire-protocol backend a command listener checks what is sent;
raw reads check the outcome on every backend.
https://www.mongodb.com/docs/manual/core/sharding-shard-key/
"""

from __future__ import annotations

from typing import Any

import bson
import pytest
from bson import ObjectId

from asyncodm import Document, InvalidDocumentError, StringField
from asyncodm._io._persistence import identity_filter
from asyncodm.testing import CommandLog, capture_commands
from tests._backends import Backend
from tests.models.shipping import Destination, Parcel, Shipment


def loaded(son: dict[str, Any]) -> Shipment:
    return Shipment._from_son(bson.decode(bson.encode(son)))


# --------------------------------------------------------------------------------------------
# The filter (pure)


class TestIdentityFilter:
    def test_stored_names_through_the_embedded_document(self) -> None:
        oid = ObjectId()
        doc = loaded({"_id": oid, "r": "eu", "dest": {"c": "X1"}})
        assert identity_filter(doc) == {"_id": oid, "r": "eu", "dest.c": "X1"}

    def test_the_stored_values_win_over_unsaved_changes(self) -> None:
        """The filter must find the document where it is stored, even while the shard key is
        being changed (MongoDB 4.2+ lets an update move a document to another shard)."""
        oid = ObjectId()
        doc = loaded({"_id": oid, "r": "eu", "dest": {"c": "X1"}})
        doc.region = "us"
        doc.dest = Destination(code="Y2")
        assert identity_filter(doc) == {"_id": oid, "r": "eu", "dest.c": "X1"}

    def test_a_new_document_uses_its_values(self) -> None:
        doc = Shipment(id=ObjectId(), region="eu", dest=Destination(code="Z"))
        assert identity_filter(doc) == {"_id": doc.pk, "r": "eu", "dest.c": "Z"}

    def test_a_missing_value_matches_null(self) -> None:
        doc = loaded({"_id": 1, "r": "eu"})
        assert identity_filter(doc) == {"_id": 1, "r": "eu", "dest.c": None}

    def test_a_single_field_given_as_a_string(self) -> None:
        parcel = Parcel._from_son({"_id": 5, "tenant": "acme"})
        assert identity_filter(parcel) == {"_id": 5, "tenant": "acme"}

    def test_the_primary_key_is_not_repeated(self) -> None:
        class Keyed(Document):
            shard = StringField()
            meta = {"shard_key": ("pk", "shard", "id")}

        doc = Keyed._from_son({"_id": 7, "shard": "s"})
        assert identity_filter(doc) == {"_id": 7, "shard": "s"}

    def test_without_a_shard_key(self) -> None:
        class Unsharded(Document):
            name = StringField()

        assert identity_filter(Unsharded._from_son({"_id": 1, "name": "x"})) == {"_id": 1}

    def test_an_unknown_shard_key_field_fails_at_definition(self) -> None:
        with pytest.raises(InvalidDocumentError, match=r"shard_key'\] 'regoin'"):

            class Typo(Document):
                region = StringField()
                meta = {"shard_key": ("regoin",)}


# --------------------------------------------------------------------------------------------
# What is sent, and where it lands


def filters(log: CommandLog, command: str) -> list[dict[str, Any]]:
    """The filters of ``command`` (update / delete / findAndModify) sent to ``shipments``,
    as the driver seam recorded them (so on every backend, mongomock included)."""
    out = []
    for name, collection, doc in log.commands:
        if name != command or collection != "shipments":
            continue
        if command == "update":
            out += [u["q"] for u in doc["updates"]]
        elif command == "delete":
            out += [d["q"] for d in doc["deletes"]]
        else:
            out.append(doc["query"])
    return out


async def test_updates_and_deletes_carry_the_shard_key(backend: Backend) -> None:
    doc = await Shipment(region="eu", dest=Destination(code="X1"), weight=1).save()
    key = {"_id": doc.pk, "r": "eu", "dest.c": "X1"}

    async with capture_commands() as log:
        doc.weight = 2
        await doc.save()  # delta update
        await doc.update(inc__weight=1)  # atomic update of this document
        await doc.modify(inc__weight=1)  # find_one_and_update
        assert (await backend.db["shipments"].find_one({"_id": doc.pk}))["weight"] == 4
        await doc.delete()

    assert filters(log, "update") == [key, key]
    assert filters(log, "findAndModify") == [key]
    assert filters(log, "delete") == [key]
    assert await backend.db["shipments"].count_documents({}) == 0


async def test_an_upsert_of_a_new_document_with_a_pk_carries_it(backend: Backend) -> None:
    doc = Shipment(id=ObjectId(), region="us", dest=Destination(code="Q"))
    async with capture_commands() as log:
        await doc.save()
    assert filters(log, "update") == [{"_id": doc.pk, "r": "us", "dest.c": "Q"}]
    stored = await backend.db["shipments"].find_one({"_id": doc.pk})
    assert stored is not None and (stored["r"], stored["dest"]) == ("us", {"c": "Q"})


async def test_a_document_deleted_meanwhile_is_written_back_with_the_shard_key(
    backend: Backend,
) -> None:
    doc = await Shipment(region="eu", dest=Destination(code="X1"), weight=1).save()
    await backend.db["shipments"].delete_many({})
    doc.weight = 5
    async with capture_commands() as log:
        await doc.save()
    key = {"_id": doc.pk, "r": "eu", "dest.c": "X1"}
    assert filters(log, "update") == [key, key]  # the delta, then the full upsert
    assert await backend.db["shipments"].count_documents({}) == 1


async def test_changing_the_shard_key_updates_the_stored_document(backend: Backend) -> None:
    doc = await Shipment(region="eu", dest=Destination(code="X1")).save()
    doc.region = "us"
    await doc.save()
    stored = await backend.db["shipments"].find_one({"_id": doc.pk})
    assert stored["r"] == "us" and stored["dest"] == {"c": "X1"}
    assert identity_filter(doc) == {"_id": doc.pk, "r": "us", "dest.c": "X1"}
    await doc.delete()
    assert await backend.db["shipments"].count_documents({}) == 0


async def test_a_stale_shard_key_matches_nothing(backend: Backend) -> None:
    """The filter really is used: a document whose stored shard key moved under us is not
    touched by a delete aimed at the old one."""
    doc = await Shipment(region="eu", dest=Destination(code="X1")).save()
    await backend.db["shipments"].update_one({"_id": doc.pk}, {"$set": {"r": "ap"}})
    await doc.delete()
    # find_one, not count_documents: nx-27017's count pipeline does not match an ObjectId _id
    assert await backend.db["shipments"].find_one({"_id": doc.pk}) is not None
