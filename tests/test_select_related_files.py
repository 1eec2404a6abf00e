"""Documents reached through ``select_related()`` get their file details with the prefetch.

A queryset fetches the ``files`` documents of each batch it loads (``tests/test_files.py``);
the documents ``select_related`` prefetches get the same per-batch work: one files query per
bucket per prefetched level, whatever the number of targets, classes or file fields, and none
at all for targets without file fields. Every backend (the asyncodm GridFS bucket runs on each).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from asyncodm import (
    Document,
    File,
    FileField,
    GridFSStorage,
    ListField,
    ReferenceField,
    StringField,
)
from asyncodm.errors import OperationError
from asyncodm.testing import assert_num_queries, capture_commands
from tests._backends import Backend


class SrOwner(Document):
    name = StringField()
    avatar = FileField()
    meta = {"collection": "sr_owners"}


class SrTag(Document):
    label = StringField()
    meta = {"collection": "sr_tags"}


class SrFolder(Document):
    title = StringField()
    cover = FileField()
    scan = FileField(storage=GridFSStorage("sr_scans"))
    owner = ReferenceField(SrOwner)
    meta = {"collection": "sr_folders", "allow_inheritance": True}


class SrArchive(SrFolder):
    index = FileField()


class SrNote(Document):
    text = StringField()
    folder = ReferenceField(SrFolder)
    others = ListField(ReferenceField(SrFolder))
    tag = ReferenceField(SrTag)
    meta = {"collection": "sr_notes"}


def in_ids(command: Mapping[str, Any]) -> set[Any]:
    flt = command["filter"]
    assert list(flt) == ["_id"] and list(flt["_id"]) == ["$in"]
    return set(flt["_id"]["$in"])


async def folders_and_notes() -> tuple[list[SrFolder], list[SrNote]]:
    """Three folders, each with a cover and a scan (two buckets); four notes referring to
    them (two to the first), each also listing the other folders, and a tag."""
    owner = await SrOwner(name="o", avatar=File(b"face", name="face.png")).save()
    tag = await SrTag(label="t").save()
    folders = []
    for i in range(3):
        folder = SrFolder(title=f"f{i}", owner=owner, cover=File(b"c" * i, name=f"cover-{i}"))
        folder.scan = File(f"scan {i}".encode(), name=f"scan-{i}", metadata={"n": i})
        folders.append(await folder.save())
    notes = []
    for i, folder in enumerate([folders[0], *folders]):
        others = [f for f in folders if f is not folder]
        notes.append(await SrNote(text=f"n{i}", folder=folder, others=others, tag=tag).save())
    return folders, notes


async def test_prefetched_targets_get_their_files_in_one_query_per_bucket(
    backend: Backend,
) -> None:
    folders, _ = await folders_and_notes()
    raw = {f["_id"]: f async for f in backend.db["fs.files"].find()}
    raw.update({f["_id"]: f async for f in backend.db["sr_scans.files"].find()})
    async with capture_commands() as log:
        notes = await SrNote.objects.order_by("text").select_related("folder", "others").to_list()
    sent = [(c.name, c.collection) for c in log.commands]
    assert sent == [
        ("find", "sr_notes"),
        ("find", "sr_folders"),
        ("find", "fs.files"),
        ("find", "sr_scans.files"),
    ]
    assert in_ids(log.commands[2].command) == {f.cover.file_id for f in folders}
    assert in_ids(log.commands[3].command) == {f.scan.file_id for f in folders}
    async with assert_num_queries(0):
        for note in notes:
            targets = [await note.folder, *await note.others]
            for folder in targets:
                for value in (folder.cover, folder.scan):
                    stored = raw[value.file_id]
                    assert value.filename == stored["filename"]
                    assert value.length == stored["length"]
                    assert value.upload_date == stored["uploadDate"]
                    assert not value.missing
                assert folder.scan.metadata == {"n": int(folder.title[1])}
                assert folder.cover.gridout.length == int(folder.title[1])
    first = await notes[0].folder
    assert await first.scan.read() == b"scan 0"


async def test_targets_without_file_fields_cost_nothing_more(backend: Backend) -> None:
    await folders_and_notes()
    async with assert_num_queries(2) as log:  # the notes, then their tags
        notes = await SrNote.objects.select_related("tag").to_list()
    assert [c.collection for c in log.commands] == ["sr_notes", "sr_tags"]
    async with assert_num_queries(0):
        assert {(await n.tag).label for n in notes} == {"t"}
    async with assert_num_queries(1):  # select_related of no reference: nothing prefetched
        assert len(await SrNote.objects.select_related("text").to_list()) == 4


async def test_each_level_of_a_path_gets_its_own_files_queries(backend: Backend) -> None:
    await folders_and_notes()
    async with capture_commands() as log:
        notes = await SrNote.objects.select_related("folder__owner", "tag").to_list()
    sent = [c.collection for c in log.commands]
    # notes; then folders and tags (one level), the folders' two buckets; then the owner, its bucket
    assert sent == [
        "sr_notes",
        "sr_folders",
        "sr_tags",
        "fs.files",
        "sr_scans.files",
        "sr_owners",
        "fs.files",
    ]
    async with assert_num_queries(0):
        owner = await (await notes[0].folder).owner
        assert owner.avatar.filename == "face.png" and owner.avatar.length == 4


async def test_one_files_query_serves_targets_of_several_classes(backend: Backend) -> None:
    plain = await SrFolder(title="plain", cover=File(b"p", name="p.txt")).save()
    archive = SrArchive(title="archive", cover=File(b"a", name="a.txt"))
    archive.index = File(b"index", name="index.txt")
    await archive.save()
    await SrNote(text="a", folder=plain, others=[archive]).save()
    async with capture_commands() as log:
        [note] = await SrNote.objects.select_related("folder", "others").to_list()
    assert [c.collection for c in log.commands] == ["sr_notes", "sr_folders", "fs.files"]
    assert in_ids(log.commands[2].command) == {
        plain.cover.file_id,
        archive.cover.file_id,
        archive.index.file_id,
    }
    async with assert_num_queries(0):
        [got] = await note.others
        assert isinstance(got, SrArchive) and got.index.filename == "index.txt"
        assert (await note.folder).cover.filename == "p.txt"


async def test_each_loaded_batch_prefetches_its_own_targets_files(backend: Backend) -> None:
    await folders_and_notes()
    async with capture_commands() as log:
        notes = [n async for n in SrNote.objects.order_by("text").batch_size(2).select_related()]
    per_batch = ["sr_folders", "sr_tags", "fs.files", "sr_scans.files"]
    assert [c.collection for c in log.commands if c.name == "find"] == [
        "sr_notes",
        *per_batch,
        *per_batch,
    ]
    async with assert_num_queries(0):
        assert [(await n.folder).cover.filename for n in notes] == [
            "cover-0",
            "cover-0",
            "cover-1",
            "cover-2",
        ]


async def test_a_prefetched_target_whose_file_is_gone_reads_as_missing(backend: Backend) -> None:
    folder = await SrFolder(title="f", cover=File(b"gone", name="gone.txt")).save()
    await SrNote(text="n", folder=folder).save()
    await backend.db["fs.files"].delete_one({"_id": folder.cover.file_id})
    async with assert_num_queries(3):  # notes, folders, fs.files (no scan: no sr_scans query)
        [note] = await SrNote.objects.select_related("folder").to_list()
    got = await note.folder
    assert got.cover and got.cover.missing and got.cover.filename is None
    assert not got.scan
    stored = await backend.db["sr_folders"].find_one({"_id": folder.id})
    assert stored is not None and stored["cover"] == folder.cover.file_id


async def test_a_lazily_awaited_reference_still_needs_open_for_its_files(
    backend: Backend,
) -> None:
    """Only the prefetch does the batch work: awaiting one reference stays one query."""
    await folders_and_notes()
    note = await SrNote.objects.order_by("text").first()
    assert note is not None
    async with assert_num_queries(1):
        folder = await note.folder
    with pytest.raises(OperationError, match="not loaded"):
        _ = folder.cover.filename
