"""One measurement round of one system, in a process of its own; writes a JSON result.

Why a process per system and round: an ODM's imports and the garbage it leaves (pydantic
schemas, MongoEngine's registries, millions of freed objects) change how fast the next system
runs, and every ratio is only as good as the two numbers in it. For the same reason each
baseline runs in the same process, interleaved with the system: the CPU baselines before each
W1-W3 sample, and the raw driver (in a database of its own) before each W4-W6 workload, so a
ratio divides two times taken seconds apart, under the same load.

Usage (by the runner): ``python -m benchmarks._worker --system NAME --uri URI --db DB --n N --out FILE``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import time
import traceback
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import bson

from benchmarks import _memory
from benchmarks._data import (
    PostData,
    base_build,
    base_decode_read,
    base_decode_read_renamed,
    base_encode,
    make_posts,
    stored_docs,
    stored_docs_renamed,
)
from benchmarks.systems import SYSTEMS, System, Unsupported, load

T = TypeVar("T")

#: Documents used to warm each code path up before anything is timed.
WARMUP = 300
#: A CPU sample lasts at least this long (short calls are repeated, see ``timed``).
MIN_SAMPLE = 0.1


def timed(fn: Callable[..., T], *args: Any) -> tuple[float, T]:
    """Seconds per call of ``fn(*args)``, after a full collection so each sample starts from
    the same heap; calls repeat until ``MIN_SAMPLE`` seconds have passed, so a fast baseline
    (20 ms) is not at the mercy of one scheduler hiccup more than a slow ODM is."""
    gc.collect()
    calls = 0
    start = time.perf_counter()
    while True:
        out = fn(*args)
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= MIN_SAMPLE:
            return elapsed / calls, out
        del out


async def atimed(fn: Callable[..., Awaitable[T]], *args: Any) -> tuple[float, T]:
    gc.collect()
    start = time.perf_counter()
    out = await fn(*args)
    return time.perf_counter() - start, out


def _decode_all(blobs: Sequence[bytes]) -> list[dict[str, Any]]:
    decode = bson.decode
    return [decode(b) for b in blobs]


def _variant(
    system: System,
    key: str,
    load: Callable[[Sequence[dict[str, Any]]], list[Any]],
    blobs: Sequence[bytes],
    samples: dict[str, list[float]],
) -> None:
    """One sample of a W2 variant, or a note (once) if the system cannot express it."""
    raws = _decode_all(blobs)
    try:
        t, loaded = timed(load, raws)
    except Unsupported as e:
        note = f"{key}: not measured: {e}"
        if note not in system.runtime_notes:
            system.runtime_notes.append(note)
        return
    samples[key].append(t)
    del loaded


def cpu_round(
    system: System,
    posts: Sequence[PostData],
    blobs: Sequence[bytes],
    renamed: Sequence[bytes],
    samples: dict[str, list[float]],
) -> None:
    """W1-W3 (and the W2 variants) with their baselines once each, interleaved (fresh raw
    dicts for every load). W2_from_son loads the same dicts as W2, so it shares W2's baseline
    sample; W2_renamed's baseline decodes and reads the renamed documents."""
    t, dicts = timed(base_build, posts)
    samples["W1_base"].append(t)
    t, _ = timed(base_decode_read, blobs)
    samples["W2_base"].append(t)
    samples["W2_from_son_base"].append(t)
    t, _ = timed(base_decode_read_renamed, renamed)
    samples["W2_renamed_base"].append(t)
    t, _ = timed(base_encode, dicts)
    samples["W3_base"].append(t)
    del dicts
    if not system.has_cpu_workloads:
        return
    t, docs = timed(system.construct, posts)
    samples["W1"].append(t)
    raws = _decode_all(blobs)
    t, loaded = timed(system.load, raws)
    samples["W2"].append(t)
    del raws, loaded
    _variant(system, "W2_renamed", system.load_renamed, renamed, samples)
    _variant(system, "W2_from_son", system.load_public, blobs, samples)
    t, _ = timed(system.to_mongo, docs)
    samples["W3"].append(t)
    del docs
    raws = _decode_all(blobs)
    t, _ = timed(base_encode, raws)  # what a driver sends for the same unchanged dicts
    samples["W3_loaded_base"].append(t)
    loaded = system.load_untouched(raws)
    t, _ = timed(system.to_mongo, loaded)
    samples["W3_loaded"].append(t)


def run_cpu(
    system: System,
    posts: Sequence[PostData],
    blobs: Sequence[bytes],
    renamed: Sequence[bytes],
    inner: int,
    budget: float,
) -> dict[str, list[float]]:
    """``inner`` CPU rounds, but no new round past ``budget`` seconds once two are done: the
    slowest peer (MongoEngine, ~5 s a round) must not eat the run's time, and two samples per
    process are still a median across the run's rounds."""
    keys = [f"{k}{suffix}" for k in ("W1", "W2", "W2_renamed", "W2_from_son", "W3", "W3_loaded")
            for suffix in ("_base", "")]  # fmt: skip
    samples: dict[str, list[float]] = {k: [] for k in keys}
    cpu_round(system, posts[:WARMUP], blobs[:WARMUP], renamed[:WARMUP], {k: [] for k in keys})
    began = time.perf_counter()
    for done in range(inner):
        if done >= 2 and time.perf_counter() - began > budget:
            break
        cpu_round(system, posts, blobs, renamed, samples)
    return {k: v for k, v in samples.items() if v}


def _views(doc: Any) -> int:
    return int(doc["views"] if isinstance(doc, dict) else doc.views)


async def _e2e_pair(
    pair: Sequence[tuple[str, System]], posts: Sequence[PostData], out: dict[str, float]
) -> None:
    """Each end-to-end workload for every system of ``pair`` in turn (baseline first), so a
    system and its raw driver are timed seconds apart, under the same load."""
    n = len(posts)
    tenth = max(1, n // 10)
    for _, system in pair:
        await system.reset()
        await system.insert_each(posts[:20])  # warm-up: connection pool, code paths
        await system.find_all()
    for suffix, system in pair:
        await system.reset()
        out[f"W4_single{suffix}"], _ = await atimed(system.insert_each, posts[:tenth])
    for suffix, system in pair:
        await system.reset()
        out[f"W4_bulk{suffix}"], _ = await atimed(system.insert_bulk, posts)
    for suffix, system in pair:
        out[f"W5{suffix}"], docs = await atimed(system.find_all)
        if len(docs) != n:
            raise AssertionError(f"W5 found {len(docs)} documents, expected {n}")
        del docs
    for suffix, system in pair:
        some = await system.find_some(tenth)
        before = _views(some[0])
        out[f"W6{suffix}"], _ = await atimed(system.update_each, some)
        again = await system.find_some(1)
        if _views(again[0]) != before + 1:
            raise AssertionError("W6: the saved change is not in the database")
    for _, system in pair:
        await system.reset()


async def run_e2e(
    system: System, baseline: System | None, posts: Sequence[PostData]
) -> dict[str, float]:
    """W4 single, W4 bulk, W5, W6 once each on a clean collection, with sanity checks; with a
    ``baseline`` (the raw driver, in its own database) interleaved as ``<workload>_base``."""
    out: dict[str, float] = {}
    pair = [("", system)] if baseline is None else [("_base", baseline), ("", system)]
    await _e2e_pair(pair, posts, out)
    return out


async def session(args: argparse.Namespace, result: dict[str, Any]) -> None:
    """Everything for one system in one event loop: some ODMs (Beanie) cannot even construct
    a document before they are connected, and async clients are bound to their loop."""
    posts = make_posts(args.n, args.seed)
    blobs = stored_docs(posts, args.seed)
    renamed = stored_docs_renamed(posts, args.seed)
    system = load(args.system)
    base_name = SYSTEMS[args.system].baseline
    baseline = None if base_name == args.system else load(base_name)
    samples, errors = result["samples"], result["errors"]
    await system.connect(args.uri, args.db)
    if baseline is not None:
        await baseline.connect(args.uri, f"{args.db}_base")
    try:
        try:
            samples.update(run_cpu(system, posts, blobs, renamed, args.inner, args.cpu_budget))
        except Exception:
            errors["cpu"] = traceback.format_exc()
        if not args.no_e2e:
            try:
                samples.update(await run_e2e(system, baseline, posts))
            except Exception:
                errors["e2e"] = traceback.format_exc()
        if args.memory and system.has_cpu_workloads:
            try:
                result["memory"] = _memory.measure(system.load, blobs)
            except Exception:
                errors["memory"] = traceback.format_exc()
    finally:
        await system.close()
        if baseline is not None:
            await baseline.close()
    result["notes"] = [*system.notes, *system.runtime_notes]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--system", required=True)
    parser.add_argument("--uri", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--inner", type=int, default=3, help="CPU rounds in this process")
    parser.add_argument("--cpu-budget", type=float, default=8.0, help="seconds (see run_cpu)")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--memory", action="store_true", help="also measure retained memory")
    parser.add_argument("--no-e2e", action="store_true", help="CPU workloads only")
    parser.add_argument("--out", required=True, help="where to write the JSON result")
    args = parser.parse_args(argv)

    result: dict[str, Any] = {"system": args.system, "samples": {}, "errors": {}, "notes": []}
    try:
        asyncio.run(session(args, result))
    except Exception:
        result["errors"]["connect"] = traceback.format_exc()
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
