"""pyinstrument profiles of asyncodm's W1, W2, W3 and W5 paths, as text, for optimising the core.

``python -m benchmarks.profile --uri URI`` (the runner calls it after the rounds) writes
``results/profiles/<workload>.txt``: pyinstrument's call tree, then the functions with the
most self time (time spent in the function's own code, not in what it calls), which is
where optimisation pays. ``summary.md`` collects the top of each.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import bson
from pyinstrument import Profiler
from pyinstrument.frame import Frame

from benchmarks._data import make_posts, stored_docs
from benchmarks.systems import load

__all__ = ["main", "top_self_time"]

INTERVAL = 0.0002  # seconds between samples: fine enough for ~1 µs functions called 10^5 times


def top_self_time(root: Frame, limit: int = 15) -> list[tuple[str, float]]:
    """Functions by self time summed over every call site, largest first (fraction of all)."""
    totals: dict[str, float] = {}
    stack = [root]
    while stack:
        frame = stack.pop()
        stack.extend(frame.children)
        if frame.is_synthetic:
            continue
        where = f"{frame.function}  ({frame.file_path_short}:{frame.line_no})"
        totals[where] = totals.get(where, 0.0) + frame.total_self_time
    total = root.time or 1.0
    ranked = sorted(totals.items(), key=lambda kv: kv[1], reverse=True)[:limit]
    return [(where, t / total) for where, t in ranked]


def _write(out_dir: Path, name: str, title: str, profiler: Profiler) -> list[tuple[str, float]]:
    session = profiler.last_session
    assert session is not None
    root = session.root_frame()
    assert root is not None
    top = top_self_time(root)
    lines = [
        title,
        "",
        profiler.output_text(unicode=False, color=False, show_all=False),
        "",
        "Top functions by self time (share of the whole profile):",
    ]
    lines += [f"  {share:6.1%}  {where}" for where, share in top]
    (out_dir / f"{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return top


def _profile(fn: Callable[[Any], Any], inputs: list[Any]) -> Profiler:
    """Profile ``fn`` on each input after a warm-up call (the results are dropped inside the
    profile: freeing 10^4 documents is part of what a workload costs)."""
    fn(inputs[0])
    profiler = Profiler(interval=INTERVAL)
    profiler.start()
    for item in inputs[1:]:
        fn(item)
    profiler.stop()
    return profiler


async def _profile_async(fn: Callable[[], Awaitable[Any]], repeat: int) -> Profiler:
    await fn()
    profiler = Profiler(interval=INTERVAL, async_mode="enabled")
    profiler.start()
    for _ in range(repeat):
        await fn()
    profiler.stop()
    return profiler


async def run(uri: str, n: int, out_dir: Path) -> dict[str, list[tuple[str, float]]]:
    posts = make_posts(n)
    blobs = stored_docs(posts)
    system = load("asyncodm_pymongo")
    results: dict[str, list[tuple[str, float]]] = {}
    await system.connect(uri, "bench_profile")
    try:
        docs = system.construct(posts)
        raws = [[bson.decode(b) for b in blobs] for _ in range(4)]  # decoded outside the profile
        cpu: dict[str, tuple[str, Callable[[Any], Any], list[Any]]] = {
            "w1_construct": ("W1: Post(**kwargs) + validate()", system.construct, [posts] * 4),
            "w2_load": ("W2: Post._from_son(raw) + read every field", system.load, raws),
            "w3_to_mongo": ("W3: doc.to_mongo() of new documents", system.to_mongo, [docs] * 4),
        }
        for name, (title, fn, inputs) in cpu.items():
            profiler = _profile(fn, inputs)
            results[name] = _write(out_dir, name, f"{title}, N={n:,} x 3", profiler)
            del inputs
        del raws
        await system.reset()
        await system.insert_bulk(posts)
        profiler = await _profile_async(system.find_all, repeat=2)
        title = f"W5: await Post.objects().to_list() of N={n:,} (PyMongo async, same server) x 2"
        results["w5_query_all"] = _write(out_dir, "w5_query_all", title, profiler)
        await system.reset()
    finally:
        await system.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uri", required=True)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument(
        "--out-dir", type=Path, default=Path(__file__).parent / "results" / "profiles"
    )
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    results = asyncio.run(run(args.uri, args.n, args.out_dir))
    lines = ["# Where asyncodm's time goes (pyinstrument, self time)", ""]
    for name, top in results.items():
        lines += [
            f"## {name} (full tree: `{name}.txt`)",
            "",
            "| self time | function |",
            "|---|---|",
        ]
        lines += [f"| {share:.1%} | `{where}` |" for where, share in top[:10]]
        lines.append("")
    (args.out_dir / "summary.md").write_text("\n".join(lines), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
