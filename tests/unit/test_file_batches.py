"""File details by batch, without a backend: the class record lists the fields that answer
``batch_loader()``, ``batch_work`` turns them into one call per batch (subclasses included),
``load_file_details`` asks each storage once per lookup key with the batch's ids, and a files
document's extra fields survive the round trip through ``FileInfo`` to both ``GridOut``s."""

from __future__ import annotations

import datetime
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import pytest
from bson import ObjectId
from gridfs.asynchronous import AsyncGridOut
from pymongo import AsyncMongoClient

from asyncodm import (
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    File,
    FileField,
    ImageField,
    ListField,
    Storage,
    StringField,
    ValidationError,
)
from asyncodm._gridfs._streams import SPEC_KEYS, GridOut
from asyncodm._io._batches import batch_work
from asyncodm.fields._file import load_file_details
from asyncodm.files import FileInfo


class FakeStorage(Storage):
    """Answers ``infos`` from a dict and records each call; ``key=None``: no batch look-up."""

    def __init__(self, name: str, known: Mapping[Any, FileInfo], key: bool = True) -> None:
        self.name, self.known, self.key = name, dict(known), key
        self.calls: list[tuple[str, list[Any]]] = []

    def lookup_key(self, alias: str) -> Hashable | None:
        return ("fake", alias, self.name) if self.key else None

    async def infos(
        self, file_ids: Sequence[Any], *, alias: str = "default", session: Any = None
    ) -> Mapping[Any, FileInfo]:
        self.calls.append((alias, list(file_ids)))
        return {i: self.known[i] for i in file_ids if i in self.known}


def info(file_id: Any, name: str) -> FileInfo:
    return FileInfo(file_id, name, 3, 255 * 1024, datetime.datetime(2026, 1, 1))


IDS = [ObjectId() for _ in range(6)]
SHARED = FakeStorage("shared", {i: info(i, f"f{n}") for n, i in enumerate(IDS[:4])})
OTHER = FakeStorage("other", {IDS[4]: info(IDS[4], "other")})
NO_BATCH = FakeStorage("none", {}, key=False)
FAMILY = FakeStorage(
    "family", {IDS[0]: info(IDS[0], "s0"), IDS[1]: info(IDS[1], "s1"), IDS[2]: info(IDS[2], "p2")}
)


class BatchHolder(EmbeddedDocument):
    inner = FileField()


class BatchDoc(Document):
    title = StringField()
    first = FileField(storage=SHARED)
    second = FileField(storage=FakeStorage("shared", {}))  # same key: answered by the first
    third = FileField(storage=OTHER)
    fourth = FileField(storage=NO_BATCH)
    listed = ListField(FileField())
    held = EmbeddedDocumentField(BatchHolder)
    meta = {"collection": "batch_docs"}


class BatchPlain(Document):
    title = StringField()
    meta = {"collection": "batch_plain"}


class BatchBase(Document):
    name = StringField()
    meta = {"collection": "batch_base", "allow_inheritance": True}


class BatchChild(BatchBase):
    scan = FileField(storage=FAMILY)


class BatchGrandchild(BatchChild):
    photo = ImageField(storage=FAMILY)


def test_the_record_groups_the_fields_that_answer_a_batch_loader() -> None:
    record: Any = BatchDoc._schema
    fields = (BatchDoc.first, BatchDoc.second, BatchDoc.third, BatchDoc.fourth)
    assert record.batch_loaders == ((load_file_details, fields),)  # not in lists nor embedded
    assert BatchHolder._schema.batch_loaders == ()  # type: ignore[attr-defined]
    assert BatchPlain._schema.batch_loaders == ()  # type: ignore[attr-defined]
    assert StringField().batch_loader() is None and FileField().batch_loader() is None  # unbound
    grandchild: Any = BatchGrandchild._schema
    assert grandchild.batch_loaders == (
        (load_file_details, (BatchGrandchild.scan, BatchGrandchild.photo)),
    )  # a FileField and an ImageField share the loader, so a bucket costs one query


def test_batch_work_is_none_for_models_without_such_fields() -> None:
    assert batch_work(BatchPlain) is None
    assert batch_work(BatchBase) is not None  # its subclasses have files


async def test_a_base_class_query_completes_its_subclasses_files_in_one_call() -> None:
    FAMILY.calls.clear()
    docs = [
        BatchBase._from_son({"_id": 1, "_cls": "BatchBase", "name": "b"}),  # type: ignore[attr-defined]
        BatchBase._from_son({"_id": 2, "_cls": "BatchBase.BatchChild", "scan": IDS[0]}),  # type: ignore[attr-defined]
        BatchBase._from_son(  # type: ignore[attr-defined]
            {
                "_id": 3,
                "_cls": "BatchBase.BatchChild.BatchGrandchild",
                "scan": IDS[1],
                "photo": IDS[2],
            }
        ),
    ]
    assert [type(d) for d in docs] == [BatchBase, BatchChild, BatchGrandchild]
    work = batch_work(BatchBase)
    assert work is not None
    await work(docs)
    await work([])  # an empty batch asks nothing
    assert FAMILY.calls == [("default", [IDS[0], IDS[1], IDS[2]])]
    assert docs[1].scan.filename == "s0" and docs[2].photo.filename == "p2"


async def test_one_infos_call_per_lookup_key_with_the_batchs_ids() -> None:
    SHARED.calls.clear()
    OTHER.calls.clear()
    docs = [
        BatchDoc._from_son(  # type: ignore[attr-defined]
            {"_id": ObjectId(), "first": IDS[0], "second": IDS[1], "third": IDS[4], "fourth": 7}
        ),
        BatchDoc._from_son({"_id": ObjectId(), "first": IDS[2], "second": IDS[5]}),  # type: ignore[attr-defined]
        BatchDoc._from_son({"_id": ObjectId(), "first": IDS[0], "listed": [IDS[3]]}),  # type: ignore[attr-defined]
        BatchDoc._from_son({"_id": ObjectId(), "first": IDS[3]}),  # type: ignore[attr-defined]
    ]
    untouched = docs[3].first  # already read: left as it is
    work = batch_work(BatchDoc)
    assert work is not None
    await work(docs)
    # one call per key, the ids deduplicated in field then document order
    assert SHARED.calls == [("default", [IDS[0], IDS[2], IDS[1], IDS[5]])]
    assert OTHER.calls == [("default", [IDS[4]])]
    assert [d.first.filename for d in docs[:3]] == ["f0", "f2", "f0"]
    assert docs[0].second.filename == "f1" and docs[0].third.filename == "other"
    assert docs[1].second.missing and docs[1].second.filename is None  # IDS[5] is gone
    assert not docs[0].first.missing and not docs[2].second
    with pytest.raises(Exception, match="not loaded"):
        _ = docs[0].fourth.filename  # its storage has no batch look-up: open() it
    with pytest.raises(Exception, match="not loaded"):
        _ = docs[2].listed[0].filename  # inside a list: open() it
    assert docs[3].first is untouched and untouched.info is None


def test_extra_fields_of_a_files_document_round_trip_through_file_info() -> None:
    doc = {
        "_id": IDS[0],
        "length": 3,
        "chunkSize": 4,
        "uploadDate": datetime.datetime(2026, 1, 1),
        "filename": "a.txt",
        "md5": "x",
        "mime_type": "text/plain",
        "page": 2,
    }
    found = FileInfo.from_document(doc)
    assert found.extras == {"mime_type": "text/plain", "page": 2}
    assert found.to_document() == {k: v for k, v in doc.items() if k != "md5"}
    assert FileInfo.from_document({"_id": 1}).extras is None
    assert {"_id", "length", "chunkSize", "uploadDate", "filename"} <= SPEC_KEYS


def test_asyncodms_gridout_reads_extras_as_attributes() -> None:
    record = FileInfo(IDS[0], "a.txt", 3, 4, None, extras={"mime_type": "text/plain"})
    gridout = GridOut(None, record, None)  # type: ignore[arg-type]  # no bucket: no reads here
    assert gridout.mime_type == "text/plain" and gridout.filename == "a.txt"
    with pytest.raises(AttributeError, match=r"no attribute 'colour'.*\['mime_type'\]"):
        _ = gridout.colour


async def test_the_drivers_gridout_built_from_the_record_reads_extras() -> None:
    client: AsyncMongoClient[Any] = AsyncMongoClient("mongodb://localhost:1", connect=False)
    record = FileInfo(IDS[0], "a.txt", 3, 4, None, {"k": 1}, "text/plain", {"mime_type": "x"})
    gridout = AsyncGridOut(client["db"]["fs"], file_document=record.to_document())
    assert gridout.mime_type == "x" and gridout.metadata == {"k": 1}
    assert gridout.content_type == "text/plain" and gridout.filename == "a.txt"
    await client.close()


def test_file_refuses_extras_the_storage_decides() -> None:
    for key in ("length", "chunk_size", "_id", "filename", "encoding", "$x", "a.b"):
        with pytest.raises(ValidationError, match="extra field"):
            File(b"x", extras={key: 1})
    kept = File(File(b"x", extras={"mime_type": "x"}), name="n")
    assert kept.extras == {"mime_type": "x"} and File(b"x", extras={}).extras is None


def test_a_subclass_defined_later_joins_its_base_classes_batch_work() -> None:
    class LateBase(Document):
        name = StringField()
        meta = {"collection": "late_base", "allow_inheritance": True}

    assert batch_work(LateBase) is None  # worked out, and kept for this registry state

    class LateChild(LateBase):
        scan = FileField()

    assert batch_work(LateBase) is not None and batch_work(LateChild) is not None
