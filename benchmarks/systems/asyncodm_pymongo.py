"""asyncodm over PyMongo's ``AsyncMongoClient`` (the default driver)."""

from __future__ import annotations

from benchmarks.systems._asyncodm import AsyncodmSystem

__all__ = ["SYSTEM"]


class AsyncodmPyMongo(AsyncodmSystem):
    name = "asyncodm_pymongo"
    driver = "pymongo"


SYSTEM = AsyncodmPyMongo
