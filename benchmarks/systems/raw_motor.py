"""Motor's ``AsyncIOMotorClient``, no ODM: the baseline of the Motor variants' W4-W6."""

from __future__ import annotations

from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient

from benchmarks.systems._raw import CLIENT_OPTIONS, RawSystem

__all__ = ["SYSTEM"]


class RawMotor(RawSystem):
    name = "raw_motor"

    def make_client(self, uri: str) -> Any:
        return AsyncIOMotorClient(uri, **CLIENT_OPTIONS)


SYSTEM = RawMotor
