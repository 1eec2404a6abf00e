"""The measured systems: one small adapter module each, loaded by name in its own process.

``expand("asyncodm,raw")`` turns the ``--systems`` option into names; ``missing_packages``
says why a system cannot run in this interpreter (the main venv has no peers), so the runner
can skip it with the reason instead of failing.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import NamedTuple

from benchmarks.systems._base import System, Unsupported

__all__ = [
    "GROUPS",
    "SYSTEMS",
    "Entry",
    "System",
    "Unsupported",
    "expand",
    "load",
    "missing_packages",
]


class Entry(NamedTuple):
    label: str
    #: The raw driver its W4-W6 times are divided by: the driver it runs on (MongoEngine's
    #: sync PyMongo is compared with PyMongo async, as the issue asks).
    baseline: str
    #: Top-level packages it imports (what must be installed to run it).
    packages: tuple[str, ...]


SYSTEMS: dict[str, Entry] = {
    "asyncodm_pymongo": Entry("asyncodm (PyMongo async)", "raw_pymongo", ("asyncodm", "pymongo")),
    "asyncodm_motor": Entry("asyncodm (Motor)", "raw_motor", ("asyncodm", "motor")),
    "raw_pymongo": Entry("raw PyMongo async", "raw_pymongo", ("pymongo",)),
    "raw_motor": Entry("raw Motor", "raw_motor", ("motor",)),
    "beanie": Entry("Beanie", "raw_pymongo", ("beanie", "pydantic")),
    "odmantic": Entry("ODMantic", "raw_motor", ("odmantic", "motor")),
    "mongoengine": Entry("MongoEngine (sync)", "raw_pymongo", ("mongoengine",)),
}

GROUPS: dict[str, list[str]] = {
    "asyncodm": ["asyncodm_pymongo", "asyncodm_motor"],
    "raw": ["raw_pymongo", "raw_motor"],
    "peers": ["beanie", "odmantic", "mongoengine"],
    "all": list(SYSTEMS),
}


def expand(spec: str) -> list[str]:
    """``"asyncodm,raw,beanie"`` -> system names, in registry order, without duplicates."""
    wanted: set[str] = set()
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        if part in GROUPS:
            wanted.update(GROUPS[part])
        elif part in SYSTEMS:
            wanted.add(part)
        else:
            known = ", ".join([*GROUPS, *SYSTEMS])
            raise ValueError(f"unknown system {part!r} (known: {known})")
    return [name for name in SYSTEMS if name in wanted]


def missing_packages(name: str) -> list[str]:
    """The packages ``name`` needs that this interpreter cannot import."""
    return [pkg for pkg in SYSTEMS[name].packages if importlib.util.find_spec(pkg) is None]


def load(name: str) -> System:
    """A fresh adapter for ``name`` (imports its ODM: call it in the worker process only)."""
    module = importlib.import_module(f"benchmarks.systems.{name}")
    system: System = module.SYSTEM()
    return system
