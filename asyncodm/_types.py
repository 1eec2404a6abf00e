"""Shared aliases, the MISSING sentinel and the Protocols lower layers use to reach higher ones.

Stage: foundation. Imports nothing internal.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, Final, Literal, TypeAlias

__all__ = ["MISSING", "SON", "Filter", "Missing", "Update"]

SON: TypeAlias = dict[str, Any]
"""A BSON-ready document: what the driver sends and returns."""

Filter: TypeAlias = Mapping[str, Any]
Update: TypeAlias = Mapping[str, Any]


class Missing(enum.Enum):
    """``MISSING`` keeps "absent" (the default applies, nothing is stored) apart from ``None``."""

    MISSING = enum.auto()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> Literal[False]:
        return False


MISSING: Final = Missing.MISSING
