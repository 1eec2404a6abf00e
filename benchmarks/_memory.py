"""Retained memory per loaded document, measured with tracemalloc.

What an application keeps after loading N documents and reading every field, divided by N,
against keeping the N raw dicts the driver decoded. Lazy ODMs keep the raw dict plus what was
converted on read; eager ones keep their own objects and let the raw dict go.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any

import bson

from benchmarks._data import base_decode_read

__all__ = ["measure", "retained_per_doc"]


def retained_per_doc(build: Callable[[], list[Any]], n: int) -> float:
    """Bytes still allocated after ``build()`` (whose result is kept), per document."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = build()
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(kept) == n
    del kept
    return (after - before) / n


def measure(
    load: Callable[[list[dict[str, Any]]], list[Any]], blobs: Sequence[bytes]
) -> dict[str, float]:
    """Raw dicts vs the system's documents, both decoded from the same bytes inside the trace."""
    decode = bson.decode
    raw = retained_per_doc(lambda: base_decode_read(blobs), len(blobs))
    docs = retained_per_doc(lambda: load([decode(b) for b in blobs]), len(blobs))
    return {"raw_bytes_per_doc": raw, "bytes_per_doc": docs, "ratio": docs / raw}
