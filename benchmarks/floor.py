"""What the cheapest possible designs cost on W1, W4 one by one and W4 bulk: the floors.

``python -m benchmarks.floor [--n 10000] [--rounds 5]`` (any venv with asyncodm installed;
it starts its own fast server). Issue 13 asks, for a target that cannot be met, for the
profile that proves the remaining cost and why no design of the ODM can remove it. This is
that measurement: the same ``Post`` workload (``benchmarks/_data``) built by hand-written
classes that do strictly less than an ODM must, each measured exactly as ``run.py`` measures
(W1 with ``_worker.timed``, collector on, every document kept; W4 against the fast server
with ``_worker.atimed``), paired with its baseline in the same round:

* ``dicts``: the baseline itself (``plain_post``).
* ``namespace``: ``types.SimpleNamespace`` subclasses: objects built in C, no Python frame
  per instance and no check at all. The cheapest object CPython has without a compiled
  extension; a design built on it cannot coerce a value or refuse an unknown field name when
  the object is made.
* ``python_init``: ``def __init__(self, **kw): self.__dict__ = kw`` and nothing else: the
  cheapest object whose construction runs any Python, which an ODM needs as soon as it
  refuses an unknown keyword or coerces a value at construction (MongoEngine's contract,
  and asyncodm's).
* ``checks_only``: ``python_init`` plus every check W1's ``validate()`` makes (19 typed
  values with their length and range limits, the tags list, the comments' class, the
  schemaless ``extra`` dict's keys and values, recursively), hand-inlined into ``__init__``
  and stopping at the first failure, after the one check the contract requires at
  construction (an unknown keyword raises ``FieldDoesNotExist``, API.md): no error messages,
  no defaults, no change-tracking state, no second pass. Less than any ODM that validates
  and keeps that contract can do.
* ``lazy_checks``: ``namespace`` objects and one ``validate()`` pass with the same checks: the
  cheapest split between construction and validation (it gives up coercion and unknown-name
  errors at construction).
* ``asyncodm``: the benchmark's own ``build()`` + ``validate()`` (``systems/_asyncodm``).

For W4 the hand-written designs dump with the least a driver accepts: a copy of the top-level
dict (the driver writes ``_id`` into it) with the comments' own dicts, and keep no baseline
for later delta saves. asyncodm keeps one, which is what makes its next ``save()`` send only
the changed paths.

It is a diagnostic, like ``gc_effect``: the tables in ``results/`` come from ``run.py``; this
prints its own table (and writes it to ``results/floor.md`` with ``--write``).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import statistics
import sys
import time
import types
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bson import ObjectId
from bson import encode as _encode
from bson.raw_bson import RawBSONDocument
from pymongo import AsyncMongoClient

import asyncodm
from benchmarks._data import PostData, make_posts, plain_post
from benchmarks._machine import describe
from benchmarks._server import running_server
from benchmarks._worker import atimed, timed
from benchmarks.systems._asyncodm import Post, build

__all__ = ["DESIGNS", "main"]

_DT = datetime.datetime
_INT64 = (-(2**63), 2**63 - 1)
_SCALARS = frozenset({str, float, bool, type(None), ObjectId, _DT})


def _schemaless_ok(value: Any) -> bool:
    """The least check of schemaless data: string keys free of ``$``/``.``/NUL, values that
    BSON stores as they are (scalars, 64-bit ints, nested dicts and lists of those)."""
    kind = type(value)
    if kind is dict:
        for key in value:
            if type(key) is not str or key[:1] == "$" or "." in key or "\x00" in key:
                return False
        items: Any = value.values()
    elif kind is list:
        items = value
    else:
        return kind in _SCALARS or (kind is int and _INT64[0] <= value <= _INT64[1])
    for item in items:
        kind = type(item)
        if kind in _SCALARS or (kind is int and _INT64[0] <= item <= _INT64[1]):
            continue
        if not _schemaless_ok(item):
            return False
    return True


# --- the designs ----------------------------------------------------------------------------


class _NsComment(types.SimpleNamespace):
    pass


class _NsPost(types.SimpleNamespace):
    pass


class _InitComment:
    def __init__(self, **kw: Any) -> None:
        self.__dict__ = kw


class _InitPost:
    def __init__(self, **kw: Any) -> None:
        self.__dict__ = kw


def _comment_ok(d: dict[str, Any]) -> bool:
    a, t, c = d.get("author"), d.get("text"), d.get("created")
    return type(a) is str and len(a) <= 50 and type(t) is str and len(t) <= 1000 and type(c) is _DT


def _post_ok(d: dict[str, Any], comment_class: type) -> bool:
    t, tags, v, r = d.get("title"), d.get("tags"), d.get("views"), d.get("rating")
    comments, extra = d.get("comments"), d.get("extra")
    if not (
        type(t) is str
        and len(t) <= 200
        and type(d.get("body")) is str
        and type(d.get("author")) is ObjectId
        and type(d.get("created")) is _DT
        and type(v) is int
        and 0 <= v <= _INT64[1]
        and type(r) is float
        and 0 <= r <= 5
        and type(d.get("published")) is bool
        and type(tags) is list
        and type(comments) is list
        and type(extra) is dict
    ):
        return False
    for tag in tags:
        if type(tag) is not str or len(tag) > 50:
            return False
    for c in comments:
        if type(c) is not comment_class:
            return False
    return _schemaless_ok(extra)


_COMMENT_NAMES = frozenset({"author", "text", "created"}).issuperset
_POST_NAMES = frozenset(
    {"title", "body", "author", "tags", "created", "views", "rating", "published", "comments",
     "extra"}
).issuperset  # fmt: skip


class _CheckedComment:
    def __init__(self, **kw: Any) -> None:
        if not _COMMENT_NAMES(kw):  # the contract: an unknown keyword raises at construction
            raise TypeError("unknown field")
        self.__dict__ = kw
        if not _comment_ok(kw):
            raise ValueError("invalid comment")


class _CheckedPost:
    def __init__(self, **kw: Any) -> None:
        if not _POST_NAMES(kw):
            raise TypeError("unknown field")
        self.__dict__ = kw
        if not _post_ok(kw, _CheckedComment):
            raise ValueError("invalid post")


class _LazyComment(types.SimpleNamespace):
    def validate(self) -> None:
        if not _comment_ok(self.__dict__):
            raise ValueError("invalid comment")


class _LazyPost(types.SimpleNamespace):
    def validate(self) -> None:
        d = self.__dict__
        if not _post_ok(d, _LazyComment):
            raise ValueError("invalid post")
        for c in d["comments"]:
            c.validate()


def _builder(post: Callable[..., Any], comment: Callable[..., Any]) -> Callable[[PostData], Any]:
    def make(p: PostData) -> Any:
        return post(
            title=p["title"],
            body=p["body"],
            author=p["author"],
            tags=p["tags"],
            created=p["created"],
            views=p["views"],
            rating=p["rating"],
            published=p["published"],
            comments=[
                comment(author=c["author"], text=c["text"], created=c["created"])
                for c in p["comments"]
            ],
            extra=p["extra"],
        )

    return make


def _lazy(p: PostData) -> Any:
    doc = _lazy_build(p)
    doc.validate()
    return doc


def _asyncodm(p: PostData) -> Any:
    doc = build(p)
    doc.validate()
    return doc


_lazy_build = _builder(_LazyPost, _LazyComment)

#: name -> one validated document from one ``PostData`` (``dicts`` is the baseline).
DESIGNS: dict[str, Callable[[PostData], Any]] = {
    "dicts": plain_post,
    "namespace": _builder(_NsPost, _NsComment),
    "python_init": _builder(_InitPost, _InitComment),
    "checks_only": _builder(_CheckedPost, _CheckedComment),
    "lazy_checks": _lazy,
    "asyncodm": _asyncodm,
}


def _hand_dump(doc: Any) -> dict[str, Any]:
    """The least a driver accepts: the top-level dict copied (the driver adds ``_id`` to it),
    the comments' own dicts shared, nothing kept."""
    son = dict(doc.__dict__)
    son["comments"] = [c.__dict__ for c in son["comments"]]
    return son


def _copy_schemaless(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {k: _copy_schemaless(v) for k, v in value.items()}
    if kind is list:
        return [_copy_schemaless(v) for v in value]
    return value


def _baseline_dump(doc: Any) -> dict[str, Any]:
    """``_hand_dump`` plus what a delta save needs: the dict sent is kept as the document's
    baseline, so it may share nothing the application can still change in place (copies of
    the tags, the comments' dicts and the schemaless dict)."""
    d = doc.__dict__
    son = dict(d)
    son["tags"] = list(d["tags"])
    son["comments"] = [dict(c.__dict__) for c in d["comments"]]
    son["extra"] = _copy_schemaless(d["extra"])
    doc._baseline = son
    return son


def _bytes_baseline_dump(doc: Any) -> Any:
    """``_hand_dump`` encoded at once: the BSON bytes sent are the baseline (immutable, and not
    a container the collector tracks), and the driver sends them as they are
    (``RawBSONDocument``); the id is generated here, as the driver would have."""
    son = dict(doc.__dict__)
    son["_id"] = ObjectId()
    son["comments"] = [c.__dict__ for c in son["comments"]]
    raw = RawBSONDocument(_encode(son))
    doc._baseline = raw
    return raw


#: The W4 variants: a design and the dump it sends (``checks_only+baseline`` keeps a baseline
#: for delta saves, as asyncodm does).
_INSERTABLE = ("dicts", "checks_only", "checks_only+baseline", "checks_only+bytes", "asyncodm")
_DUMPS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "dicts": lambda d: d,  # type: ignore[no-any-return]
    "checks_only": _hand_dump,
    "checks_only+baseline": _baseline_dump,
    "checks_only+bytes": _bytes_baseline_dump,
}


# --- measuring ------------------------------------------------------------------------------


def _build_all(make: Callable[[PostData], Any], posts: Sequence[PostData]) -> list[Any]:
    return [make(p) for p in posts]


def _w1(posts: Sequence[PostData], rounds: int) -> dict[str, list[float]]:
    """Seconds per post of each design, W1's way; round by round, baseline first."""
    for make in DESIGNS.values():  # warm every path up
        [make(p) for p in posts[:300]]
    out: dict[str, list[float]] = {name: [] for name in DESIGNS}
    for _ in range(rounds):
        for name, make in DESIGNS.items():
            t, docs = timed(_build_all, make, posts)
            out[name].append(t / len(posts))
            del docs
    return out


async def _w4(uri: str, posts: Sequence[PostData], rounds: int) -> dict[str, list[float]]:
    """Seconds per post of one-by-one (N/10) and bulk inserts (N) of the insertable designs
    on a fresh collection each, W4's way; ``raw`` is the driver given plain dicts."""
    client: Any = AsyncMongoClient(uri, uuidRepresentation="standard", tz_aware=False)
    asyncodm.connect(uri, db="asyncodm_floor")
    coll = client["asyncodm_floor"]["bench_post"]
    tenth = posts[: max(1, len(posts) // 10)]

    async def each(name: str, batch: Sequence[PostData]) -> None:
        if name == "asyncodm":
            for p in batch:
                await build(p).save()
            return
        make, dump = DESIGNS[name.split("+")[0]], _DUMPS[name]
        for p in batch:
            await coll.insert_one(dump(make(p)))

    async def bulk(name: str, batch: Sequence[PostData]) -> None:
        if name == "asyncodm":
            await Post.objects.bulk_create([build(p) for p in batch])
            return
        make, dump = DESIGNS[name.split("+")[0]], _DUMPS[name]
        await coll.insert_many([dump(make(p)) for p in batch])

    out: dict[str, list[float]] = {f"{w}:{n}": [] for w in ("each", "bulk") for n in _INSERTABLE}
    try:
        for name in _INSERTABLE:  # warm-up: pool, code paths
            await each(name, posts[:20])
        for _ in range(rounds):
            for work, batch, run in (("each", tenth, each), ("bulk", posts, bulk)):
                for name in _INSERTABLE:
                    await coll.drop()
                    t, _ = await atimed(run, name, batch)
                    out[f"{work}:{name}"].append(t / len(batch))
    finally:
        await coll.drop()
        await asyncodm.disconnect_all()
        await client.close()
    return out


def _ratios(samples: dict[str, list[float]], base: str, keys: Sequence[str]) -> dict[str, float]:
    """Median of the per-round ratios ``key / base``."""
    return {
        k: statistics.median(a / b for a, b in zip(samples[k], samples[base], strict=True))
        for k in keys
    }


def _table(w1: dict[str, list[float]], w4: dict[str, list[float]]) -> list[str]:
    r1 = _ratios(w1, "dicts", list(DESIGNS))
    each = _ratios(w4, "each:dicts", [f"each:{n}" for n in _INSERTABLE])
    bulk = _ratios(w4, "bulk:dicts", [f"bulk:{n}" for n in _INSERTABLE])
    lines = [
        "| design | W1 us/post | W1 (target <= 3.0x) | W4 one by one (<= 1.10x) | W4 bulk (<= 1.40x) |",
        "|---|---|---|---|---|",
    ]
    for name in dict.fromkeys([*DESIGNS, *_INSERTABLE]):
        design = name.split("+")[0]
        us = f"{statistics.median(w1[design]) * 1e6:.2f}"
        w1_ratio = f"{r1[design]:.2f}x"
        if name != design:
            us = w1_ratio = "(as above)"
        e = f"{each[f'each:{name}']:.2f}x" if name in _INSERTABLE else "-"
        b = f"{bulk[f'bulk:{name}']:.2f}x" if name in _INSERTABLE else "-"
        lines.append(f"| {name} | {us} | {w1_ratio} | {e} | {b} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.floor", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--n", type=int, default=10_000, help="posts per sample (run.py's N)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="also write results/floor.md")
    args = parser.parse_args(argv)
    posts = make_posts(args.n)
    began = time.perf_counter()
    w1 = _w1(posts, args.rounds)
    with running_server(None, "fast") as (uri, _):
        w4 = asyncio.run(_w4(uri, posts, args.rounds))
    machine = describe()
    lines = [
        "# The floors: the cheapest designs on W1 and W4 (`python -m benchmarks.floor`)",
        "",
        f"N = {args.n:,} posts, {args.rounds} rounds, medians of paired ratios to `dicts` "
        f"(W1: the plain dicts; W4: the raw driver inserting them, on the fast server); "
        f"{time.perf_counter() - began:.0f} s; {machine.get('cpu', '?')}, "
        f"CPython {sys.version.split()[0]}. What each design is: `benchmarks/floor.py`.",
        "",
        *_table(w1, w4),
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        (Path(__file__).parent / "results" / "floor.md").write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
