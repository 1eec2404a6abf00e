"""Many tasks at once on one event loop (``asyncio.gather``), on every backend.

Delta saves of one document from 100 copies, 100 versioned saves racing for one version
(optimistic concurrency: one wins, the others raise ``ConcurrencyError``; with a retry loop all
land), cascading deletes whose sets overlap, and GridFS uploads; outcomes are read raw through
the driver. The SequenceField counter race is in
test_sequences.py.

On nx-27017 these are real concurrent requests over a connection pool to one server; on
mongomock the tasks still interleave at every await.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import math
import random
from typing import Any

import pytest
from bson import ObjectId

import asyncodm as odm
from asyncodm import GridFSStorage
from asyncodm.files import FileInfo
from tests._backends import Backend
from tests.models.media import Attachment
from tests.models.refs import Author, Bookmark, Post
from tests.models.vault import VaultAccount

WIDTH = 100

#: 100 integer fields, f0 .. f99, each written by its own task.
Wide = type(
    "ConcurrencyWide",
    (odm.Document,),
    {
        **{f"f{i}": odm.IntField(default=0) for i in range(WIDTH)},
        "label": odm.StringField(),
        "meta": {"collection": "concurrency_wide"},
    },
)


def _raised(results: list[Any]) -> list[BaseException]:
    return [r for r in results if isinstance(r, BaseException)]


async def test_100_tasks_saving_different_fields_of_one_document_all_survive(
    backend: Backend,
) -> None:
    doc = Wide(label="shared")
    await doc.save()

    async def bump(i: int) -> None:
        copy = await Wide.objects.get(id=doc.pk)  # each task loads its own copy
        setattr(copy, f"f{i}", i + 1)
        await copy.save()  # a delta: $set of f<i> only

    results = await asyncio.gather(*(bump(i) for i in range(WIDTH)), return_exceptions=True)
    assert _raised(results) == []
    stored = await backend.db["concurrency_wide"].find_one({"_id": doc.pk})
    assert stored is not None
    assert {k: stored[k] for k in stored if k.startswith("f")} == {
        f"f{i}": i + 1 for i in range(WIDTH)
    }
    assert stored["label"] == "shared"
    assert await backend.db["concurrency_wide"].count_documents({}) == 1


async def _race(pk: Any, contenders: int) -> tuple[int, list[odm.ConcurrencyError]]:
    """``contenders`` tasks each load the versioned account, wait until every one has (so all
    hold the same version), add 1 and save: ``(wins, the ConcurrencyErrors)``."""
    loaded = asyncio.Barrier(contenders)

    async def add_one() -> None:
        copy = await VaultAccount.objects.get(pk=pk)
        await loaded.wait()
        copy.balance += 1
        await copy.save()

    results = await asyncio.gather(*(add_one() for _ in range(contenders)), return_exceptions=True)
    conflicts = [r for r in results if isinstance(r, odm.ConcurrencyError)]
    assert [r for r in _raised(results) if not isinstance(r, odm.ConcurrencyError)] == []
    return results.count(None), conflicts


async def test_100_concurrent_versioned_saves_exactly_one_wins_per_round(
    backend: Backend,
) -> None:
    """100 copies of one version race; the one that wins each round leaves, the others load
    again and race again. No save is lost silently: each either lands or raises."""
    doc = await VaultAccount(owner="race").save()
    contenders = WIDTH
    for version in (1, 2, 3):
        wins, conflicts = await _race(doc.pk, contenders)
        assert wins == 1
        assert len(conflicts) == contenders - 1
        assert {(c.expected, c.found) for c in conflicts} == {(version, version + 1)}
        stored = await backend.db["vault_accounts"].find_one({"_id": doc.pk})
        assert stored == {"_id": doc.pk, "owner": "race", "balance": version, "_version": version + 1}  # fmt: skip
        contenders -= 1


async def test_100_concurrent_versioned_increments_with_a_retry_loop_all_land(
    backend: Backend,
) -> None:
    doc = await VaultAccount(owner="retry").save()
    conflicts = 0

    async def add_one(i: int) -> int:
        nonlocal conflicts
        jitter = random.Random(i)
        for attempt in itertools.count(1):
            copy = await VaultAccount.objects.get(pk=doc.pk)
            copy.balance += 1
            try:
                await copy.save()
            except odm.ConcurrencyError:
                conflicts += 1
                await asyncio.sleep(jitter.uniform(0, 0.001 * min(attempt, 20)))
                continue
            return attempt
        raise AssertionError("unreachable")  # pragma: no cover

    results = await asyncio.gather(*(add_one(i) for i in range(WIDTH)), return_exceptions=True)
    assert _raised(results) == []
    attempts = [r for r in results if isinstance(r, int)]
    assert sum(attempts) == WIDTH + conflicts  # every attempt either landed or raised
    stored = await backend.db["vault_accounts"].find_one({"_id": doc.pk})
    assert stored == {"_id": doc.pk, "owner": "retry", "balance": WIDTH, "_version": WIDTH + 1}


async def _ids(backend: Backend, collection: str) -> set[Any]:
    # find, not count_documents: nx's count ignores ObjectId filters (objectid_count)
    return {d["_id"] for d in await backend.db[collection].find({}).to_list(None)}


async def test_concurrent_cascading_deletes_with_overlapping_sets(backend: Backend) -> None:
    """Authors cascade to their posts, posts to their bookmarks; editors are nullified. The
    tasks overlap: an author is deleted by two tasks at once, posts are deleted directly while
    their author's cascade deletes them, and a queryset delete covers authors other tasks
    delete too."""
    authors = [await Author(name=f"a{i}").save() for i in range(8)]
    posts: dict[int, list[Post]] = {}
    bookmarks: dict[Any, list[Bookmark]] = {}
    for i, author in enumerate(authors):
        posts[i] = []
        for n in range(3):
            editor = authors[(i + 1) % len(authors)]
            post = await Post(title=f"p{i}.{n}", author=author, editor=editor).save()
            posts[i].append(post)
            bookmarks[post.pk] = [await Bookmark(post=post, note=f"b{k}").save() for k in range(2)]

    doomed_authors = {0, 1, 2, 3}  # deleted through their author (and some twice)
    direct_posts = [posts[3][0], posts[3][1], posts[4][0], posts[5][2]]  # 3: overlaps a cascade
    tasks = [
        authors[0].delete(),
        authors[0].delete(),  # the same author twice, concurrently
        authors[1].delete(),
        Author.objects(name__in=["a1", "a2"]).delete(),  # overlaps the task above
        authors[3].delete(),
        *(p.delete() for p in direct_posts),
        Post.objects(title__in=["p2.0", "p4.0"]).delete(),  # overlaps a cascade and a delete
    ]
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert _raised(results) == []

    gone_posts = {p.pk for i in doomed_authors for p in posts[i]} | {p.pk for p in direct_posts}
    all_posts = {p.pk for ps in posts.values() for p in ps}
    assert await _ids(backend, "author") == {a.pk for i, a in enumerate(authors) if i not in doomed_authors}  # fmt: skip
    assert await _ids(backend, "post") == all_posts - gone_posts
    assert await _ids(backend, "bookmark") == {
        b.pk for pk, bs in bookmarks.items() if pk not in gone_posts for b in bs
    }
    # NULLIFY: surviving posts edited by a deleted author lost their editor, no others did
    for stored in await backend.db["post"].find({}).to_list(None):
        i = int(stored["title"][1])
        editor_deleted = (i + 1) % len(authors) in doomed_authors
        assert ("editor" in stored) is not editor_deleted, stored


@pytest.fixture
def uploads(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The id of every file GridFSStorage stores during the test."""
    seen: list[Any] = []
    original = GridFSStorage.save

    async def spy(self: GridFSStorage, *args: Any, **kwargs: Any) -> FileInfo:
        info = await original(self, *args, **kwargs)
        seen.append(info.file_id)
        return info

    monkeypatch.setattr(GridFSStorage, "save", spy)
    return seen


def content(i: int) -> bytes:
    """Distinct bytes for document i, from a few bytes to three chunks (default 255 KiB)."""
    size = [7, 1000, 255 * 1024, 255 * 1024 + 1, 600_000][i % 5] + i
    return hashlib.sha256(str(i).encode()).digest() * (size // 32) + bytes(size % 32)


async def _upload_20_at_once() -> list[Attachment]:
    docs = [Attachment(title=f"doc{i}", attachment=content(i)) for i in range(20)]
    results = await asyncio.gather(*(d.save() for d in docs), return_exceptions=True)
    assert _raised(results) == []
    return docs


async def test_20_concurrent_file_uploads_store_every_file_whole(
    backend: Backend, uploads: list[Any]
) -> None:
    docs = await _upload_20_at_once()
    file_ids = [d.attachment.file_id for d in docs]
    assert all(isinstance(f, ObjectId) for f in file_ids) and len(set(file_ids)) == 20
    assert sorted(map(str, uploads)) == sorted(map(str, file_ids))  # one upload each
    files = {f["_id"]: f for f in await backend.db["fs.files"].find({}).to_list(None)}
    assert set(files) == set(file_ids)
    for i, doc in enumerate(docs):
        data = content(i)
        stored = await backend.db["attachments"].find_one({"title": f"doc{i}"})
        assert stored is not None and stored["attachment"] == doc.attachment.file_id
        assert files[doc.attachment.file_id]["length"] == len(data)
        chunk_size = files[doc.attachment.file_id]["chunkSize"]
        chunks = await backend.db["fs.chunks"].find({"files_id": doc.attachment.file_id}).to_list(None)  # fmt: skip
        assert len(chunks) == math.ceil(len(data) / chunk_size)
        loaded = await Attachment.objects.get(title=f"doc{i}")
        assert await loaded.attachment.read() == data


@pytest.mark.xfail_backend(
    "nx",
    reason="nx-27017 finds GridFS chunks only by their exact files_id: find({}) on fs.chunks "
    "returns nothing",
    raises=AssertionError,
)
async def test_20_concurrent_file_uploads_leave_no_orphaned_chunks(backend: Backend) -> None:
    docs = await _upload_20_at_once()
    owners = {c["files_id"] for c in await backend.db["fs.chunks"].find({}).to_list(None)}
    assert owners == {d.attachment.file_id for d in docs}
