"""Optimistic concurrency, pure (``_schema._versioning``): the compare-and-set filter, the version
bump of update documents and pipelines, the error, and the class-definition checks of
``meta = {"versioned": True}``. No backend; the writes themselves are tests/test_versioned.py."""

from __future__ import annotations

from typing import Any

import pytest
from bson import ObjectId

import asyncodm
from asyncodm import (
    ConcurrencyError,
    Document,
    DynamicDocument,
    EmbeddedDocument,
    IntField,
    InvalidDocumentError,
    OperationError,
    StringField,
)
from asyncodm._schema._versioning import bump, expect, next_version, stale_error
from asyncodm.queryset._compile import compile_projection
from tests.models.vault import Asset, PlainAccount, VaultAccount, Vehicle

# --------------------------------------------------------------------------------------------
# Filters and updates


def test_the_filter_expects_the_loaded_version() -> None:
    assert expect(3) == {"_version": 3}
    # a document stored before its class was versioned has none: expect none
    assert expect(None) == {"_version": {"$exists": False}}
    assert (next_version(3), next_version(None)) == (4, 1)


def test_bump_adds_an_inc_and_keeps_the_callers_document() -> None:
    update: dict[str, Any] = {"$set": {"a": 1}, "$inc": {"n": 2}}
    assert bump(update) == {"$set": {"a": 1}, "$inc": {"n": 2, "_version": 1}}
    assert update == {"$set": {"a": 1}, "$inc": {"n": 2}}  # unchanged
    assert bump({"$unset": {"a": ""}}) == {"$unset": {"a": ""}, "$inc": {"_version": 1}}


@pytest.mark.parametrize(
    "update",
    [
        {"$set": {"_version": 7}},
        {"$inc": {"_version": 5}},
        {"$setOnInsert": {"_version": 1}, "$set": {"a": 1}},
        {"$unset": {"_version": ""}},
    ],
)
def test_an_update_that_writes_the_version_is_sent_as_given(update: dict[str, Any]) -> None:
    assert bump(update) is update


def test_bump_ends_a_pipeline_with_a_stage_that_counts_a_missing_version_as_0() -> None:
    pipeline = [{"$set": {"total": {"$multiply": ["$price", "$qty"]}}}]
    assert bump(pipeline) == [
        {"$set": {"total": {"$multiply": ["$price", "$qty"]}}},
        {"$set": {"_version": {"$add": [{"$ifNull": ["$_version", 0]}, 1]}}},
    ]
    assert len(pipeline) == 1  # unchanged
    own = [{"$set": {"_version": 1}}]
    assert bump(own) is own
    assert bump([{"$unset": "_version"}]) == [{"$unset": "_version"}]
    assert bump([{"$unset": ["_version", "a"]}]) == [{"$unset": ["_version", "a"]}]


def test_only_projects_the_version_of_a_versioned_class() -> None:
    assert compile_projection(VaultAccount, ["balance"]) == {"balance": 1, "_version": 1}
    assert compile_projection(Vehicle, ["wheels"]) == {"wheels": 1, "_cls": 1, "_version": 1}
    assert compile_projection(PlainAccount, ["balance"]) == {"balance": 1}
    assert compile_projection(VaultAccount, None, ["owner"]) == {"owner": 0}  # keeps the rest


# --------------------------------------------------------------------------------------------
# The error


def test_the_error_names_the_class_the_pk_and_both_versions() -> None:
    pk = ObjectId()
    err = stale_error(
        "Account", pk, 2, action="save", stored=True, found=3, instance="the instance"
    )
    assert isinstance(err, ConcurrencyError) and isinstance(err, OperationError)
    assert str(err) == (
        f"Account {pk!r} is stale: save() expected version 2, but the stored document is at "
        "version 3; nothing was written (reload it and apply the change again)"
    )
    assert (err.model, err.pk, err.expected, err.found, err.deleted, err.instance) == (
        "Account",
        pk,
        2,
        3,
        False,
        "the instance",
    )
    gone = stale_error("Account", 1, 2, action="delete", stored=False, found=None, instance=None)
    assert gone.deleted is True and gone.found is None
    assert "delete() expected version 2, but the stored document was deleted meanwhile" in str(gone)


def test_the_error_is_exported_and_keeps_a_plain_message_constructor() -> None:
    assert asyncodm.ConcurrencyError is ConcurrencyError
    assert "ConcurrencyError" in asyncodm.__all__
    err = ConcurrencyError("changed under us")
    assert (str(err), err.pk, err.expected, err.deleted) == ("changed under us", None, None, False)


# --------------------------------------------------------------------------------------------
# The class statement


def test_the_record_says_whether_a_class_is_versioned() -> None:
    assert VaultAccount._schema.versioned is True
    assert Vehicle._schema.versioned is True  # inherited
    assert Asset._schema.meta["versioned"] is True
    assert PlainAccount._schema.versioned is False
    # a versioned document's stored keys all fit the instance dict: it loads without a copy
    assert "_version" in VaultAccount._schema.fast_keys
    assert "_version" not in PlainAccount._schema.fast_keys


def test_the_version_is_read_only_and_none_until_stored() -> None:
    doc = VaultAccount(balance=1)
    assert doc._version is None
    loaded = VaultAccount._from_son({"_id": ObjectId(), "balance": 1, "_version": 4})
    assert loaded._version == 4 and loaded.balance == 1
    with pytest.raises(AttributeError):
        loaded._version = 5  # type: ignore[misc]
    plain = PlainAccount._from_son({"_id": ObjectId(), "_version": 4})
    assert plain._version is None  # not versioned: the key is just kept


def test_an_abstract_parent_passes_versioned_on() -> None:
    class Base(Document):
        meta = {"abstract": True, "versioned": True}

    class Concrete(Base):
        n = IntField()

    assert Concrete._schema.versioned is True


def test_a_subclass_may_say_versioned_again_but_not_differ() -> None:
    class Again(Asset):
        meta = {"versioned": True}

    assert Again._schema.versioned is True
    with pytest.raises(InvalidDocumentError) as info:

        class Unversioned(Asset):
            meta = {"versioned": False}

    assert str(info.value) == (
        "Unversioned.meta['versioned']: expected True as in Asset, whose collection it "
        "shares, found False"
    )


def test_versioned_must_be_a_bool() -> None:
    with pytest.raises(InvalidDocumentError) as info:

        class Wrong(Document):
            meta = {"versioned": "yes"}

    assert str(info.value) == "Wrong.meta['versioned']: expected True or False, found 'yes' (str)"


def test_an_embedded_document_cannot_be_versioned() -> None:
    with pytest.raises(InvalidDocumentError, match="embedded document"):

        class Part(EmbeddedDocument):
            name = StringField()
            meta = {"versioned": True}


def test_a_versioned_class_cannot_store_a_field_as_version() -> None:
    with pytest.raises(InvalidDocumentError, match="named or stored '_version'"):

        class Clash(Document):
            rev = IntField(db_field="_version")
            meta = {"versioned": True}

    with pytest.raises(InvalidDocumentError, match="named or stored '_version'"):

        class Shadow(Document):
            _version = IntField(db_field="v")
            meta = {"versioned": True}


def test_a_dynamic_document_can_be_versioned() -> None:
    class Loose(DynamicDocument):
        meta = {"versioned": True}

    doc = Loose._from_son({"_id": ObjectId(), "x": 1, "_version": 2})
    assert doc._version == 2 and doc.x == 1
    assert doc.to_mongo()["_version"] == 2
