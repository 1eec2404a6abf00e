"""W1-W3 against their baselines with the garbage collector on and off, in one process.

``python -m benchmarks.gc_effect`` (any venv with asyncodm installed). The CPU workloads of
``benchmarks/run.py`` are dominated, beyond the work itself, by how many objects each side
leaves for the collector to track; this shows how much, by measuring both ways (see
docs/performance.md). It is a diagnostic, not a result: the tables in results/ come from run.py.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable, Sequence
from typing import Any

import bson

from benchmarks._data import (
    PostData,
    base_build,
    base_decode_read,
    base_encode,
    make_posts,
    read_doc,
    stored_docs,
)
from benchmarks.systems._asyncodm import Post, build

__all__ = ["main"]


def _timed(fn: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - start, out


def _construct(posts: Sequence[PostData]) -> list[Any]:
    out = []
    for p in posts:
        doc = build(p)
        doc.validate()
        out.append(doc)
    return out


def _load(raws: Sequence[dict[str, Any]]) -> list[Any]:
    load = Post._from_son
    out = []
    for raw in raws:
        doc = load(raw)
        read_doc(doc)
        out.append(doc)
    return out


def _dump(docs: Sequence[Any]) -> list[Any]:
    return [doc.to_mongo() for doc in docs]


def measure(n: int, samples: int) -> dict[str, dict[str, float]]:
    """Median milliseconds of each workload and baseline, with the collector on and off."""
    posts = make_posts(n)
    blobs = stored_docs(posts)
    results: dict[str, dict[str, float]] = {}
    for mode in ("on", "off"):
        if mode == "off":
            gc.disable()
        times: dict[str, list[float]] = {k: [] for k in ("b1", "w1", "b2", "w2", "b3", "w3")}
        try:
            for _ in range(samples):
                t, dicts = _timed(base_build, posts)
                times["b1"].append(t)
                t, _ = _timed(base_decode_read, blobs)
                times["b2"].append(t)
                t, _ = _timed(base_encode, dicts)
                times["b3"].append(t)
                t, docs = _timed(_construct, posts)
                times["w1"].append(t)
                raws = [bson.decode(b) for b in blobs]
                t, loaded = _timed(_load, raws)
                times["w2"].append(t)
                del raws, loaded
                t, _ = _timed(_dump, docs)
                times["w3"].append(t)
                del docs, dicts
        finally:
            gc.enable()
        results[mode] = {k: sorted(v)[len(v) // 2] * 1000 for k, v in times.items()}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=4)
    args = parser.parse_args()
    for mode, ms in measure(args.n, args.samples).items():
        ratios = "  ".join(
            f"W{i} {ms[f'w{i}'] / ms[f'b{i}']:.2f}x ({ms[f'w{i}']:.0f} / {ms[f'b{i}']:.0f} ms)"
            for i in (1, 2, 3)
        )
        print(f"gc {mode:3}  {ratios}")


if __name__ == "__main__":
    main()
