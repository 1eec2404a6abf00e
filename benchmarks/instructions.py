"""Instructions per post of asyncodm's CPU workloads and their baselines, under callgrind.

Wall-clock ratios on the shared 2-core machine move by 10-20% between runs; the number of
instructions a workload executes does not. ``python -m benchmarks.instructions`` runs each
workload below once in a child process under ``valgrind --tool=callgrind``, collecting only
inside one ``functools.reduce`` call that wraps the workload (``--toggle-collect``), so the
imports, the data generation and the decoding of the inputs are not counted; it prints
instructions per post (collector on, as in the benchmark, unless ``--gc off``).

``python -m benchmarks.instructions --child W2 --n 2000`` runs one workload without valgrind
(what the parent runs under it).
"""

from __future__ import annotations

import argparse
import functools
import gc
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["WORKLOADS", "main"]

#: Workload name -> what it measures (the keys ``--only`` accepts).
WORKLOADS = {
    "W1": "Post(**kwargs) with 3 Comment(...)s + validate()",
    "W1_base": "building the same plain dicts",
    "W2": "Post._from_son(raw) + reading every field (the query path's loader)",
    "W2_renamed": "the same for RenamedPost (db_field renames, a stored key 'meta')",
    "W2_from_son": "the same through the public Post.from_son(raw)",
    "W2_base": "bson.decode + reading every key",
    "W3": "to_mongo() of new documents (the W1 documents)",
    "W3_loaded": "to_mongo() of loaded, untouched documents (straight from the loader)",
    "W3_loaded_read": "to_mongo() of loaded documents after reading every field (unchanged)",
    "W3_base": "bson.encode of the plain dicts",
    "load_only": "Post._from_son(raw), reading nothing",
    "W4a": "build(p).save() of new posts, one by one, driver stubbed (_stub_driver)",
    "W4a_base": "insert_one(plain_post(p)) one by one on the same stub",
    "W4b": "bulk insert: build every post, Post.objects.bulk_create(docs), driver stubbed",
    "W4b_base": "insert_many([plain_post(p) ...]) on the same stub",
    "W6": "doc.views += 1; await doc.save() on loaded posts, driver stubbed",
    "W6_base": "doc['views'] += 1; update_one({'_id'}, {'$set'}) on the same stub",
}

#: The workloads that write, through the stubbed driver (``_writes``).
WRITES = ("W4a", "W4a_base", "W4b", "W4b_base", "W6", "W6_base")


def _child(name: str, n: int, gc_on: bool) -> None:
    import bson

    from benchmarks._data import (
        base_build,
        base_decode_read,
        base_encode,
        make_posts,
        plain_post,
        stored_docs,
        stored_docs_renamed,
    )
    from benchmarks.systems import load

    posts = make_posts(n)
    if name in WRITES:
        fn, args = _writes(name, posts)
        fn(args[:50])
        gc.collect()
        if not gc_on:
            gc.disable()
        functools.reduce(lambda _acc, _x: fn(args), [0], None)
        return
    system: Any = load("asyncodm_pymongo")
    from benchmarks.systems._asyncodm import Post

    args: Any
    fn: Callable[[Any], Any]
    if name == "W1":
        fn, args = system.construct, posts
    elif name == "W1_base":
        fn, args = base_build, posts
    elif name in ("W2", "W2_from_son", "W2_renamed", "load_only"):
        blobs = stored_docs_renamed(posts) if name == "W2_renamed" else stored_docs(posts)
        args = [bson.decode(b) for b in blobs]
        fn = {
            "W2": system.load,
            "W2_from_son": system.load_public,
            "W2_renamed": system.load_renamed,
            "load_only": lambda raws: [Post._from_son(r) for r in raws],
        }[name]
    elif name == "W2_base":
        fn, args = base_decode_read, stored_docs(posts)
    elif name == "W3":
        fn, args = system.to_mongo, system.construct(posts)
    elif name == "W3_loaded":
        fn, args = system.to_mongo, [Post._from_son(bson.decode(b)) for b in stored_docs(posts)]
    elif name == "W3_loaded_read":
        fn, args = system.to_mongo, system.load([bson.decode(b) for b in stored_docs(posts)])
    elif name == "W3_base":
        fn, args = base_encode, [plain_post(p) for p in posts]
    else:
        raise SystemExit(f"unknown workload {name!r}; known: {', '.join(WORKLOADS)}")
    fn(args[:50])  # warm-up: first-call caches (specialisation) are not the per-post cost
    gc.collect()
    if not gc_on:
        gc.disable()
    # The measured region: callgrind collects only inside this reduce() call.
    functools.reduce(lambda _acc, _x: fn(args), [0], None)


def _writes(name: str, posts: Any) -> tuple[Callable[[Any], Any], Any]:
    """A write workload on the stubbed driver: each call runs the whole batch in one
    ``asyncio.run`` (the stub never suspends, so the loop adds a constant, not a per-post
    cost)."""
    import asyncio

    import bson

    import asyncodm
    from asyncodm import connection
    from benchmarks._data import plain_post, stored_docs
    from benchmarks._stub_driver import StubCollection
    from benchmarks.systems._asyncodm import Post, build

    stub = StubCollection()

    async def setup() -> None:
        asyncodm.connect("mongodb://127.0.0.1:1", db="bench", driver="pymongo")
        adapter = connection.get_database().collection("bench_post")
        adapter._raw = stub  # type: ignore[attr-defined]

    async def w4a(batch: Any) -> None:
        for p in batch:
            await build(p).save()

    async def w4a_base(batch: Any) -> None:
        insert_one = stub.insert_one
        for p in batch:
            await insert_one(plain_post(p))

    async def w4b(batch: Any) -> None:
        await Post.objects.bulk_create([build(p) for p in batch])

    async def w4b_base(batch: Any) -> None:
        await stub.insert_many([plain_post(p) for p in batch])

    async def w6(batch: Any) -> None:
        for doc in batch:
            doc.views += 1
            await doc.save()

    async def w6_base(batch: Any) -> None:
        update_one = stub.update_one
        for doc in batch:
            doc["views"] += 1
            await update_one({"_id": doc["_id"]}, {"$set": {"views": doc["views"]}})

    loop = asyncio.new_event_loop()
    loop.run_until_complete(setup())
    body = {
        "W4a": w4a,
        "W4a_base": w4a_base,
        "W4b": w4b,
        "W4b_base": w4b_base,
        "W6": w6,
        "W6_base": w6_base,
    }[name]
    args: Any = posts
    if name == "W6":
        args = [Post._from_son(bson.decode(b)) for b in stored_docs(posts)]
    elif name == "W6_base":
        args = [bson.decode(b) for b in stored_docs(posts)]
    return (lambda batch: loop.run_until_complete(body(batch))), args


def measure(name: str, n: int, gc_on: bool) -> int:
    """Instructions (Ir) executed inside the workload's ``reduce`` call, under callgrind."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cg.out")
        cmd = [
            "valgrind",
            "--tool=callgrind",
            "--collect-atstart=no",
            "--toggle-collect=functools_reduce",
            f"--callgrind-out-file={out}",
            sys.executable,
            "-m",
            "benchmarks.instructions",
            "--child",
            name,
            "--n",
            str(n),
            "--gc",
            "on" if gc_on else "off",
        ]
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"{name}: callgrind failed:\n{proc.stderr[-2000:]}")
        match = re.search(r"Collected\s*:\s*(\d+)", proc.stderr)
        if match is None:
            with open(out, encoding="utf-8") as f:
                text = f.read()
            summary = re.search(r"^(?:summary|totals):\s*(\d+)", text, re.MULTILINE)
            if summary is None:
                raise RuntimeError(f"{name}: no instruction count in callgrind's output")
            return int(summary.group(1))
        return int(match.group(1))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--gc", choices=("on", "off"), default="on")
    parser.add_argument("--only", default=",".join(WORKLOADS), help="comma-separated workloads")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, args.n, args.gc == "on")
        return 0
    print(f"instructions per post (callgrind Ir), N = {args.n:,}, gc {args.gc}")
    print("| workload | instructions / post | what |")
    print("|---|---|---|")
    for name in args.only.split(","):
        ir = measure(name, args.n, args.gc == "on")
        print(f"| {name} | {ir / args.n / 1000:.1f}k | {WORKLOADS[name]} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
