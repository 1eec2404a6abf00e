"""``mixed_batch_work``: the per-batch work of documents of several classes at once, as
``select_related`` prefetches them (no I/O: storages answer from dicts)."""

from __future__ import annotations

import datetime
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

from bson import ObjectId

from asyncodm import Document, FileField, StringField
from asyncodm._io._batches import batch_work, mixed_batch_work
from asyncodm.files import FileInfo, Storage


class DictStorage(Storage):
    """Answers ``infos`` from a dict and records each call."""

    def __init__(self, name: str, known: Mapping[Any, FileInfo]) -> None:
        self.name, self.known = name, dict(known)
        self.calls: list[list[Any]] = []

    def lookup_key(self, alias: str) -> Hashable | None:
        return ("dict", alias, self.name)

    async def infos(
        self, file_ids: Sequence[Any], *, alias: str = "default", session: Any = None
    ) -> Mapping[Any, FileInfo]:
        self.calls.append(list(file_ids))
        return {i: self.known[i] for i in file_ids if i in self.known}


IDS = [ObjectId() for _ in range(3)]
SHARED = DictStorage(
    "shared",
    {
        i: FileInfo(i, f"f{n}", 3, 255 * 1024, datetime.datetime(2026, 1, 1))
        for n, i in enumerate(IDS)
    },
)
OWN = DictStorage("own", {IDS[2]: FileInfo(IDS[2], "own", 1, 255 * 1024, None)})


class MixedPlain(Document):
    title = StringField()
    meta = {"collection": "mixed_plain"}


class MixedA(Document):
    a = FileField(storage=SHARED)
    meta = {"collection": "mixed_a"}


class MixedBase(Document):
    name = StringField()
    meta = {"collection": "mixed_base", "allow_inheritance": True}


class MixedB(MixedBase):
    b = FileField(storage=DictStorage("shared", {}))  # same key as SHARED: one call for both
    c = FileField(storage=OWN)


def test_no_work_for_classes_without_such_fields() -> None:
    assert mixed_batch_work([]) is None
    assert mixed_batch_work([MixedPlain]) is None
    assert mixed_batch_work([MixedPlain, MixedPlain]) is None


def test_a_single_class_with_such_fields_gets_work() -> None:
    assert mixed_batch_work([MixedPlain, MixedA]) is not None
    assert mixed_batch_work([MixedBase]) is not None  # its subclass has files
    assert batch_work(MixedA) is not None


async def test_classes_sharing_a_loader_and_a_bucket_share_one_lookup() -> None:
    SHARED.calls.clear()
    OWN.calls.clear()
    docs: list[Any] = [
        MixedA._from_son({"_id": 1, "a": IDS[0]}),  # type: ignore[attr-defined]
        MixedPlain._from_son({"_id": 2, "title": "t"}),  # type: ignore[attr-defined]
        MixedBase._from_son({"_id": 3, "_cls": "MixedBase.MixedB", "b": IDS[1], "c": IDS[2]}),  # type: ignore[attr-defined]
    ]
    work = mixed_batch_work([MixedA, MixedPlain, MixedB])
    assert work is not None
    await work(docs)
    await work([])  # an empty batch asks nothing
    assert SHARED.calls == [[IDS[0], IDS[1]]]  # one call for both classes' fields
    assert OWN.calls == [[IDS[2]]]
    assert docs[0].a.filename == "f0" and docs[2].b.filename == "f1"
    assert docs[2].c.filename == "own"
