"""The ``Post`` workload data and the CPU-only baselines every system is measured against.

Every system gets byte-for-byte the same input: ``make_posts(n, seed)`` is deterministic, and
the raw documents (``stored_docs``) are what any driver returns for the stored posts. The
baselines are the cheapest plain-Python way to do each CPU workload (build dicts, decode BSON
and read each key, encode BSON), so a ratio of 1.0 means "as cheap as no ODM at all".
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from typing import Any, TypedDict

import bson
from bson import ObjectId

__all__ = [
    "RENAMED",
    "CommentData",
    "PostData",
    "base_build",
    "base_decode_read",
    "base_decode_read_renamed",
    "base_encode",
    "make_posts",
    "plain_post",
    "read_doc",
    "read_raw",
    "read_raw_renamed",
    "stored_docs",
    "stored_docs_renamed",
]

_WORDS = [
    "mongo",
    "document",
    "index",
    "query",
    "shard",
    "replica",
    "cursor",
    "field",
    "schema",
    "python",
    "async",
    "await",
    "driver",
    "object",
    "mapper",
    "value",
    "record",
    "batch",
    "commit",
    "write",
    "read",
    "lookup",
    "filter",
    "update",
    "insert",
    "delete",
    "embedded",
    "array",
    "string",
    "number",
    "date",
    "binary",
    "model",
    "codec",
    "network",
    "latency",
    "throughput",
    "memory",
]
_TAGS = [f"tag{i}" for i in range(30)]
_NAMES = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"]
_EPOCH = datetime.datetime(2024, 1, 1)


class CommentData(TypedDict):
    author: str
    text: str
    created: datetime.datetime


class PostData(TypedDict):
    """The keyword arguments of one ``Post``: what an application hands the ODM."""

    title: str
    body: str
    author: ObjectId
    tags: list[str]
    created: datetime.datetime
    views: int
    rating: float
    published: bool
    comments: list[CommentData]
    extra: dict[str, Any]


def _text(rng: random.Random, length: int) -> str:
    words: list[str] = []
    size = 0
    while size < length:
        word = rng.choice(_WORDS)
        words.append(word)
        size += len(word) + 1
    return " ".join(words)[:length]


def _when(rng: random.Random) -> datetime.datetime:
    # Millisecond precision: BSON keeps milliseconds, so values survive a round trip unchanged.
    return _EPOCH + datetime.timedelta(milliseconds=rng.randrange(0, 365 * 86_400_000))


def make_posts(n: int, seed: int = 6) -> list[PostData]:
    """``n`` realistic posts: ~500-char body, 5 tags, 3 comments, a free-form dict."""
    rng = random.Random(seed)
    authors = [ObjectId(rng.randbytes(12)) for _ in range(50)]
    return [
        PostData(
            title=f"Post {i}: {_text(rng, 40)}",
            body=_text(rng, 500),
            author=rng.choice(authors),
            tags=rng.sample(_TAGS, 5),
            created=_when(rng),
            views=rng.randrange(0, 100_000),
            rating=round(rng.uniform(0, 5), 2),
            published=rng.random() < 0.8,
            comments=[
                CommentData(author=rng.choice(_NAMES), text=_text(rng, 100), created=_when(rng))
                for _ in range(3)
            ],
            extra={
                "source": rng.choice(["web", "api", "import"]),
                "lang": "en",
                "reading_minutes": rng.randrange(1, 20),
                "score": round(rng.random(), 3),
                "flags": ["featured"] if rng.random() < 0.2 else [],
                "seo": {"slug": f"post-{i}", "index": True},
            },
        )
        for i in range(n)
    ]


def plain_post(p: PostData) -> dict[str, Any]:
    """The plain dict equivalent of constructing one ``Post`` (the W1 baseline unit).

    Comments become new dicts, as an ODM builds new embedded objects; lists and the free-form
    dict are referenced, as every ODM here stores the objects it was given."""
    return {
        "title": p["title"],
        "body": p["body"],
        "author": p["author"],
        "tags": p["tags"],
        "created": p["created"],
        "views": p["views"],
        "rating": p["rating"],
        "published": p["published"],
        "comments": [
            {"author": c["author"], "text": c["text"], "created": c["created"]}
            for c in p["comments"]
        ],
        "extra": p["extra"],
    }


def stored_docs(posts: Sequence[PostData], seed: int = 6) -> list[bytes]:
    """The BSON of each post as stored (``_id`` first), as the server sends it back."""
    rng = random.Random(seed + 1)
    return [bson.encode({"_id": ObjectId(rng.randbytes(12)), **plain_post(p)}) for p in posts]


#: The W2_renamed schema's stored names: a renamed field, and ``extra`` stored as ``meta``, a
#: name every Document class already has as a class attribute (its ``meta`` options), so a
#: loader that uses the stored document as the instance dict must not let the two meet.
RENAMED = {"author": "author_id", "extra": "meta"}


def stored_docs_renamed(posts: Sequence[PostData], seed: int = 6) -> list[bytes]:
    """``stored_docs`` with the ``RENAMED`` keys, in the same places (the W2_renamed input)."""
    rng = random.Random(seed + 1)
    out = []
    for p in posts:
        doc = {"_id": ObjectId(rng.randbytes(12)), **plain_post(p)}
        out.append(bson.encode({RENAMED.get(k, k): v for k, v in doc.items()}))
    return out


def read_raw_renamed(d: dict[str, Any]) -> None:
    """``read_raw`` of a document stored with the ``RENAMED`` keys."""
    _ = (d["_id"], d["title"], d["body"], d["author_id"], d["tags"], d["created"], d["views"])
    _ = (d["rating"], d["published"], d["meta"])
    for c in d["comments"]:
        _ = (c["author"], c["text"], c["created"])


def read_raw(d: dict[str, Any]) -> None:
    """Read every field of a raw document once (each comment's fields too)."""
    _ = (d["_id"], d["title"], d["body"], d["author"], d["tags"], d["created"], d["views"])
    _ = (d["rating"], d["published"], d["extra"])
    for c in d["comments"]:
        _ = (c["author"], c["text"], c["created"])


def read_doc(doc: Any) -> None:
    """Read every field of a document object once: the same reads as ``read_raw``."""
    _ = (doc.id, doc.title, doc.body, doc.author, doc.tags, doc.created, doc.views)
    _ = (doc.rating, doc.published, doc.extra)
    for c in doc.comments:
        _ = (c.author, c.text, c.created)


# --- the CPU baselines ------------------------------------------------------------------------


def base_build(posts: Sequence[PostData]) -> list[dict[str, Any]]:
    """W1 baseline: the plain dicts an application would build without an ODM."""
    return [plain_post(p) for p in posts]


def base_decode_read(blobs: Sequence[bytes]) -> list[dict[str, Any]]:
    """W2 baseline: ``bson.decode`` of the raw bytes plus reading every key."""
    out = []
    decode = bson.decode
    for blob in blobs:
        d = decode(blob)
        read_raw(d)
        out.append(d)
    return out


def base_decode_read_renamed(blobs: Sequence[bytes]) -> list[dict[str, Any]]:
    """W2_renamed baseline: as ``base_decode_read``, reading the stored (renamed) keys."""
    out = []
    decode = bson.decode
    for blob in blobs:
        d = decode(blob)
        read_raw_renamed(d)
        out.append(d)
    return out


def base_encode(dicts: Sequence[dict[str, Any]]) -> list[bytes]:
    """W3 baseline: ``bson.encode`` of each plain dict."""
    encode = bson.encode
    return [encode(d) for d in dicts]
