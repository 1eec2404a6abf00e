"""asyncodm over Motor's ``AsyncIOMotorClient``; its end-to-end ratios are against raw Motor."""

from __future__ import annotations

from benchmarks.systems._asyncodm import AsyncodmSystem

__all__ = ["SYSTEM"]


class AsyncodmMotor(AsyncodmSystem):
    name = "asyncodm_motor"
    driver = "motor"


SYSTEM = AsyncodmMotor
