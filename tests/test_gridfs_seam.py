"""The GridFS seam on every backend: the spec's layout, interoperability with the drivers' own
GridFS (and with PyMongo's sync GridFS over mongomock), every upload source, chunk boundaries,
corruption, clean-up of failed uploads, and transactions.

``fs.chunks`` is only ever read with ``find`` here: nx-27017 cannot ``count_documents`` on it.
"""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from bson import Int64, ObjectId

import asyncodm
from asyncodm.connection import get_database
from asyncodm.errors import DoesNotExist
from asyncodm.files import CorruptFile, FileInfo, GridFSBucket, NoFile
from tests._backends import Backend


def bucket(name: str = "fs", chunk_size: int = 4) -> GridFSBucket:
    return GridFSBucket(get_database("default"), name, chunk_size=chunk_size)


async def in_aborted_transaction(action: Callable[[], Awaitable[Any]]) -> None:
    """Run ``action`` in a transaction that then aborts (the block raises ``Aborted``)."""
    async with asyncodm.transaction():
        await action()
        raise Aborted


class Aborted(Exception):
    pass


async def raw_chunks(backend: Backend, file_id: Any, name: str = "fs") -> list[dict[str, Any]]:
    docs = await backend.db[f"{name}.chunks"].find({"files_id": file_id}).to_list(None)
    return sorted(docs, key=lambda d: d["n"])


async def raw_file(backend: Backend, file_id: Any, name: str = "fs") -> dict[str, Any] | None:
    found: dict[str, Any] | None = await backend.db[f"{name}.files"].find_one({"_id": file_id})
    return found


# --------------------------------------------------------------------------------------------
# layout


NX_FILES_TABLE = (
    "nx-27017 keeps <bucket>.files in a fixed SQLite table: every column is returned (md5 and "
    "metadata as None), contentType and any other key are dropped, uploadDate is an ISO string"
)
NX_DELETE_MISSING = "nx-27017 answers a delete of a missing GridFS file with OperationFailure"
NX_GRIDFS_ROLLBACK = "nx-27017 does not roll back deletes from its GridFS tables on abort"


async def test_files_and_chunks_documents_hold_the_spec_fields(backend: Backend) -> None:
    info = await bucket().upload(b"hello world!!", filename="a.txt", metadata={"k": "v"})
    doc = await raw_file(backend, info.file_id)
    assert doc is not None
    assert doc["_id"] == info.file_id and doc["length"] == 13 and doc["chunkSize"] == 4
    assert doc["filename"] == "a.txt" and doc["metadata"] == {"k": "v"}
    assert doc["uploadDate"]
    chunks = await raw_chunks(backend, info.file_id)
    assert [c["n"] for c in chunks] == [0, 1, 2, 3]
    assert [bytes(c["data"]) for c in chunks] == [b"hell", b"o wo", b"rld!", b"!"]
    assert all(c["files_id"] == info.file_id for c in chunks)


@pytest.mark.xfail_backend("nx", reason=NX_FILES_TABLE, raises=AssertionError)
async def test_files_document_is_exactly_the_specs(backend: Backend) -> None:
    info = await bucket().upload(
        b"hello world!!", filename="a.txt", metadata={"k": "v"}, content_type="text/plain"
    )
    doc = await raw_file(backend, info.file_id)
    assert doc is not None
    assert list(doc) == [
        "_id", "length", "chunkSize", "uploadDate", "filename", "metadata", "contentType",
    ]  # fmt: skip
    assert isinstance(doc["length"], Int64) and doc["contentType"] == "text/plain"
    assert info == FileInfo.from_document(doc)


@pytest.mark.xfail_backend("nx", reason=NX_FILES_TABLE, raises=AssertionError)
async def test_metadata_and_content_type_are_left_out_unless_given(backend: Backend) -> None:
    info = await bucket().upload(b"x", filename="plain")
    doc = await raw_file(backend, info.file_id)
    assert doc is not None and "metadata" not in doc and "contentType" not in doc


@pytest.mark.needs("index_metadata")
async def test_the_chunks_index_is_created_with_the_first_file(backend: Backend) -> None:
    await bucket().upload(b"abc", filename="a")
    keys = [dict(ix["key"]) for ix in await bucket().chunks.list_indexes()]
    assert {"files_id": 1, "n": 1} in keys
    file_keys = [dict(ix["key"]) for ix in await bucket().files.list_indexes()]
    assert {"filename": 1, "uploadDate": 1} in file_keys
    unique = [
        ix.get("unique") for ix in await bucket().chunks.list_indexes() if "files_id" in ix["key"]
    ]
    assert unique == [True]


# --------------------------------------------------------------------------------------------
# interoperability: files written here read with other GridFS tools, and the other way round


@pytest.mark.backend_only("mongomock")
async def test_pymongo_sync_gridfs_reads_the_embedded_bucket(backend: Backend) -> None:
    import gridfs
    from mongomock_motor import enabled_gridfs_integration

    payload = os.urandom(10_000)
    info = await bucket(chunk_size=1024).upload(payload, filename="r.bin", metadata={"a": 1})
    with enabled_gridfs_integration():
        sync_bucket = gridfs.GridFSBucket(backend.db.delegate)
        out = sync_bucket.open_download_stream(info.file_id)
        assert out.read() == payload
        assert out.filename == "r.bin" and out.metadata == {"a": 1} and out.length == 10_000
        # ...and a file the sync driver wrote reads back here
        other = sync_bucket.upload_from_stream("s.bin", payload[:3000], chunk_size_bytes=700)
    assert await bucket().download(other) == payload[:3000]
    found = await bucket().find_one(other)
    assert found is not None and found.filename == "s.bin" and found.chunk_size == 700


@pytest.mark.needs("gridfs_async")
async def test_the_drivers_bucket_reads_files_written_here_and_back(backend: Backend) -> None:
    payload = os.urandom(300_000)
    ours = await bucket(chunk_size=64 * 1024).upload(payload, filename="ours.bin")
    driver = bucket().driver
    out = await driver.open_download_stream(ours.file_id)
    assert await out.read() == payload
    assert out.filename == "ours.bin" and out.length == len(payload)
    theirs = await driver.upload_from_stream("theirs.bin", payload[:100_000])
    assert await bucket().download(theirs) == payload[:100_000]


@pytest.mark.needs("gridfs_async")
async def test_driver_gridout_needs_no_query(backend: Backend) -> None:
    info = await bucket().upload(b"driver side", filename="d")
    gridout = bucket().driver_gridout(info)
    assert type(gridout).__module__.startswith(("gridfs", "motor"))
    assert await gridout.read() == b"driver side"


# --------------------------------------------------------------------------------------------
# sources


async def agen(pieces: list[bytes]) -> AsyncIterator[bytes]:
    for piece in pieces:
        yield piece


def sgen(pieces: list[bytes]) -> Iterator[bytes]:
    yield from pieces


TEXT = "naïve café ☕ " * 50  # multi-byte characters straddle the chunk boundaries


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        pytest.param(lambda: b"0123456789", b"0123456789", id="bytes"),
        pytest.param(lambda: bytearray(b"0123456789"), b"0123456789", id="bytearray"),
        pytest.param(lambda: memoryview(b"0123456789"), b"0123456789", id="memoryview"),
        pytest.param(lambda: TEXT, TEXT.encode(), id="str"),
        pytest.param(lambda: io.BytesIO(b"0123456789"), b"0123456789", id="BytesIO"),
        pytest.param(lambda: io.StringIO(TEXT), TEXT.encode(), id="StringIO"),
        pytest.param(lambda: agen([b"01", b"", b"234567", b"89"]), b"0123456789", id="async-gen"),
        pytest.param(lambda: sgen([b"0123", b"456789"]), b"0123456789", id="generator"),
        pytest.param(lambda: b"", b"", id="empty"),
    ],
)
async def test_every_source_kind_uploads(backend: Backend, make: Any, expected: bytes) -> None:
    info = await bucket(chunk_size=3).upload(make(), filename="s")
    assert info.length == len(expected)
    assert await bucket().download(info.file_id) == expected
    assert len(await raw_chunks(backend, info.file_id)) == -(-len(expected) // 3)


async def test_files_and_paths_are_read_off_the_loop(backend: Backend, tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    payload = os.urandom(5000)
    path.write_bytes(payload)
    from_path = await bucket(chunk_size=512).upload(path, filename="p")
    with path.open("rb") as handle:
        from_handle = await bucket(chunk_size=512).upload(handle, filename="h")
    text = tmp_path / "t.txt"
    text.write_text(TEXT, encoding="utf-8")
    with text.open(encoding="utf-8") as handle:
        from_text = await bucket(chunk_size=100).upload(handle, filename="t")
    assert await bucket().download(from_path.file_id) == payload
    assert await bucket().download(from_handle.file_id) == payload
    assert await bucket().download(from_text.file_id) == TEXT.encode()


async def test_an_unknown_source_is_a_type_error(backend: Backend) -> None:
    with pytest.raises(TypeError, match="cannot upload a int"):
        await bucket().upload(42, filename="x")


async def test_a_failing_source_leaves_nothing_behind(backend: Backend) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield b"x" * 100
        raise RuntimeError("disk gone")

    file_id = ObjectId()
    with pytest.raises(RuntimeError, match="disk gone"):
        await bucket(chunk_size=10).upload(broken(), filename="b", file_id=file_id)
    assert await raw_chunks(backend, file_id) == []
    assert await raw_file(backend, file_id) is None


# --------------------------------------------------------------------------------------------
# reading


@pytest.mark.parametrize("length", [0, 1, 6, 7, 8, 21])
async def test_chunk_boundaries_round_trip(backend: Backend, length: int) -> None:
    payload = os.urandom(length)
    info = await bucket(chunk_size=7).upload(payload, filename="b")
    stream = await bucket().open_download_stream(info.file_id)
    assert [len(c) async for c in stream] == [len(payload[i : i + 7]) for i in range(0, length, 7)]
    assert await bucket().download(info.file_id) == payload


async def test_gridout_reads_like_a_file(backend: Backend) -> None:
    payload = bytes(range(50))
    info = await bucket(chunk_size=8).upload(payload, filename="f", metadata={"m": 1})
    out = await bucket().open_download_stream(info.file_id)
    assert (out._id, out.filename, out.length, out.chunk_size) == (info.file_id, "f", 50, 8)
    assert out.metadata == {"m": 1} and out.content_type is None
    assert await out.read(3) == payload[:3] and out.tell() == 3
    assert await out.readchunk() == payload[3:8]
    out.seek(45)
    assert await out.read() == payload[45:] and await out.read() == b""
    out.seek(-10, os.SEEK_END)
    assert await out.read(4) == payload[40:44]
    out.seek(2, os.SEEK_CUR)
    assert await out.read(100) == payload[46:]
    with pytest.raises(OSError, match="invalid seek"):
        out.seek(-1)


async def test_a_missing_chunk_is_reported(backend: Backend) -> None:
    info = await bucket(chunk_size=4).upload(b"0123456789", filename="c")
    await backend.db["fs.chunks"].delete_one({"files_id": info.file_id, "n": 1})
    with pytest.raises(CorruptFile, match=r"is corrupt: chunk n=\d should hold 4 bytes, found"):
        await bucket().download(info.file_id)


async def test_find_and_find_one(backend: Backend) -> None:
    a = await bucket().upload(b"a", filename="one")
    await bucket().upload(b"bb", filename="two")
    found = await bucket().find_one(a.file_id)
    assert found is not None and (found.file_id, found.filename, found.length) == (
        a.file_id,
        "one",
        1,
    )
    assert await bucket().find_one(ObjectId()) is None
    names = sorted([f.filename async for f in bucket().find()])
    assert names == ["one", "two"]
    assert [f.length async for f in bucket().find({"filename": "two"})] == [2]


async def test_a_missing_file_is_no_file(backend: Backend) -> None:
    with pytest.raises(NoFile, match="no file with _id") as info:
        await bucket().open_download_stream(ObjectId())
    assert isinstance(info.value, DoesNotExist)


# --------------------------------------------------------------------------------------------
# writing with a stream, deleting


async def test_upload_stream_write_close(backend: Backend) -> None:
    async with bucket(chunk_size=5).open_upload_stream("w.txt", content_type="text/plain") as gin:
        await gin.write(b"abc")
        await gin.write("déf")
        await gin.write(memoryview(b"0123456789"))
    assert gin.closed and gin.info is not None and gin.info.length == 17
    assert await bucket().download(gin.file_id) == "abcdéf0123456789".encode()
    with pytest.raises(ValueError, match="closed"):
        await gin.write(b"more")


async def test_upload_stream_aborts_on_error(backend: Backend) -> None:
    gin = bucket(chunk_size=2).open_upload_stream("x")

    async def fail_midway() -> None:
        async with gin:
            await gin.write(b"0123456789")
            raise KeyError("stop")

    with pytest.raises(KeyError):
        await fail_midway()
    assert await raw_chunks(backend, gin.file_id) == []
    assert await raw_file(backend, gin.file_id) is None


async def test_delete_removes_file_and_chunks(backend: Backend) -> None:
    info = await bucket().upload(b"0123456789", filename="d")
    keep = await bucket().upload(b"keep", filename="k")
    assert await bucket().delete(info.file_id) is True
    assert await raw_file(backend, info.file_id) is None
    assert await raw_chunks(backend, info.file_id) == []
    assert await bucket().download(keep.file_id) == b"keep"


@pytest.mark.xfail_backend("nx", reason=NX_DELETE_MISSING, raises=asyncodm.OperationError)
async def test_deleting_a_missing_file_is_not_an_error(backend: Backend) -> None:
    info = await bucket().upload(b"0123456789", filename="d")
    assert await bucket().delete(info.file_id) is True
    assert await bucket().delete(info.file_id) is False


async def test_buckets_are_separate(backend: Backend) -> None:
    info = await bucket("reports").upload(b"r", filename="r")
    assert await raw_file(backend, info.file_id, "reports") is not None
    assert await raw_file(backend, info.file_id, "fs") is None
    assert await bucket("fs").find_one(info.file_id) is None


# --------------------------------------------------------------------------------------------
# transactions: the drivers' GridFS refuses them; the seam's uploads and deletes join them


@pytest.mark.needs("transactions")
async def test_an_upload_in_an_aborted_transaction_is_rolled_back(backend: Backend) -> None:
    await bucket().ensure_indexes()
    await bucket().upload(b"before", filename="b")  # the collections exist before the txn
    file_id = ObjectId()

    async def upload_and_read() -> None:
        await bucket().upload(b"inside", filename="i", file_id=file_id)
        assert await bucket().download(file_id) == b"inside"  # read in the transaction

    with pytest.raises(Aborted):
        await in_aborted_transaction(upload_and_read)
    assert await raw_file(backend, file_id) is None
    assert await raw_chunks(backend, file_id) == []


@pytest.mark.needs("transactions")
@pytest.mark.xfail_backend("nx", reason=NX_GRIDFS_ROLLBACK, raises=NoFile)
async def test_a_delete_in_an_aborted_transaction_is_rolled_back(backend: Backend) -> None:
    info = await bucket().upload(b"survivor", filename="s")
    with pytest.raises(Aborted):
        await in_aborted_transaction(lambda: bucket().delete(info.file_id))
    assert await bucket().download(info.file_id) == b"survivor"
