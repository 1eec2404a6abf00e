"""GridFS: a 20 MB file uploaded and downloaded through asyncodm and through the raw drivers.

``run(uri, repeats)`` is what the benchmark runner calls; ``python -m benchmarks.bench_files
[--uri URI] [--repeats N]`` runs it alone (starting nx-27017 when no URI is given). Not part of
the test suite.

For each driver (PyMongo's async client, Motor) it times, ``repeats`` times:

* ``asyncodm``: ``doc.attachment = File(BytesIO(data))`` + ``await doc.save()`` (the upload,
  then the document insert), and ``async for chunk in doc.attachment.chunks()`` on a loaded
  document;
* ``raw``: the driver's own bucket, ``upload_from_stream`` and ``open_download_stream`` +
  ``readchunk()`` until the end.

Then one more, untimed pass of each under ``tracemalloc`` gives the peak memory each held:
asyncodm streams in ~1 MB windows while the drivers' buckets buffer up to 48 MB of chunks
before their first insert and read through 16 MB cursor batches (the reason asyncodm's seam
streams chunks itself; see ``asyncodm/_gridfs/_streams.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import statistics
import time
import tracemalloc
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncodm
from asyncodm import Document, File, FileField

__all__ = ["SIZE", "run"]

SIZE = 20 * 1024 * 1024
CLIENT_OPTIONS: dict[str, Any] = {"uuidRepresentation": "standard", "tz_aware": False}


class BenchFile(Document):
    attachment = FileField()
    meta = {"collection": "bench_files", "db_alias": "bench_files"}


async def _timed(action: Callable[[], Awaitable[None]]) -> float:
    began = time.perf_counter()
    await action()
    return time.perf_counter() - began


async def _peak(action: Callable[[], Awaitable[None]]) -> int:
    tracemalloc.start()
    try:
        await action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


class _Asyncodm:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.doc: BenchFile | None = None

    async def upload(self) -> None:
        doc = BenchFile(attachment=File(io.BytesIO(self.data), name="big.bin"))
        await doc.save()
        self.doc = doc

    async def download(self) -> None:
        assert self.doc is not None
        loaded = await BenchFile.objects.get(id=self.doc.pk)
        received = 0
        async for chunk in loaded.attachment.chunks():
            received += len(chunk)
        assert received == len(self.data)

    async def cleanup(self) -> None:
        if self.doc is not None:
            await self.doc.delete()


class _Raw:
    def __init__(self, data: bytes, bucket: Any) -> None:
        self.data = data
        self.bucket = bucket
        self.file_id: Any = None

    async def upload(self) -> None:
        self.file_id = await self.bucket.upload_from_stream("big.bin", io.BytesIO(self.data))

    async def download(self) -> None:
        out = await self.bucket.open_download_stream(self.file_id)
        received = 0
        while chunk := await out.readchunk():
            received += len(chunk)
        assert received == len(self.data)

    async def cleanup(self) -> None:
        if self.file_id is not None:
            await self.bucket.delete(self.file_id)


async def _measure(system: _Asyncodm | _Raw, repeats: int) -> dict[str, Any]:
    uploads, downloads = [], []
    for _ in range(repeats):
        uploads.append(await _timed(system.upload))
        downloads.append(await _timed(system.download))
        await system.cleanup()
    upload_peak = await _peak(system.upload)
    download_peak = await _peak(system.download)
    await system.cleanup()
    return {
        "upload_s": uploads,
        "download_s": downloads,
        "upload_median_s": statistics.median(uploads),
        "download_median_s": statistics.median(downloads),
        "upload_mb_per_s": SIZE / 1e6 / statistics.median(uploads),
        "download_mb_per_s": SIZE / 1e6 / statistics.median(downloads),
        "upload_peak_bytes": upload_peak,
        "download_peak_bytes": download_peak,
    }


async def _run_driver(uri: str, driver: str, repeats: int, data: bytes) -> dict[str, Any]:
    db_name = f"bench_files_{uuid.uuid4().hex[:8]}"
    client = asyncodm.connect(uri, alias="bench_files", db=db_name, driver=driver, **CLIENT_OPTIONS)
    results: dict[str, Any] = {}
    try:
        results[f"asyncodm_{driver}"] = await _measure(_Asyncodm(data), repeats)
        database = client[db_name]
        if driver == "pymongo":
            from gridfs.asynchronous import AsyncGridFSBucket

            bucket: Any = AsyncGridFSBucket(database)
        else:
            from motor.motor_asyncio import AsyncIOMotorGridFSBucket

            bucket = AsyncIOMotorGridFSBucket(database)
        results[f"raw_{driver}"] = await _measure(_Raw(data, bucket), repeats)
    finally:
        dropped = client.drop_database(db_name)
        if asyncio.iscoroutine(dropped):
            await dropped
        await asyncodm.disconnect("bench_files")
    return results


def run(uri: str, repeats: int = 3) -> dict[str, Any]:
    """Time a 20 MB upload and download through asyncodm and each raw driver's bucket."""
    data = os.urandom(SIZE)
    systems: dict[str, Any] = {}
    for driver in ("pymongo", "motor"):
        systems.update(asyncio.run(_run_driver(uri, driver, repeats, data)))
    ratios = {
        driver: {
            step: systems[f"asyncodm_{driver}"][f"{step}_median_s"]
            / systems[f"raw_{driver}"][f"{step}_median_s"]
            for step in ("upload", "download")
        }
        for driver in ("pymongo", "motor")
    }
    return {
        "benchmark": "files",
        "size_bytes": SIZE,
        "repeats": repeats,
        "systems": systems,
        "asyncodm_over_raw": ratios,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_files", description=__doc__)
    parser.add_argument("--uri", default=os.environ.get("MONGODB_URI"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from benchmarks._server import running_server

    with running_server(args.uri) as (uri, _server):
        print(json.dumps(run(uri, args.repeats), indent=2))


if __name__ == "__main__":
    main()
