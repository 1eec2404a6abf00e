"""PyMongo's own ``AsyncMongoClient``, no ODM: the baseline of W4-W6."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient

from benchmarks.systems._raw import CLIENT_OPTIONS, RawSystem

__all__ = ["SYSTEM"]


class RawPyMongo(RawSystem):
    name = "raw_pymongo"

    def make_client(self, uri: str) -> Any:
        return AsyncMongoClient(uri, **CLIENT_OPTIONS)


SYSTEM = RawPyMongo
