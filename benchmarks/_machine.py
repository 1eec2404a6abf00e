"""What the numbers were measured on: CPU, cores, Python, load, and every package's version.

Benchmarks are only comparable on the same machine and versions, and this machine is shared
(2 cores, other work may run): the load average before and after a run says how quiet it was.
"""

from __future__ import annotations

import os
import platform
from importlib import metadata
from typing import Any

__all__ = ["PACKAGES", "describe", "load_average", "tree_state", "versions"]

PACKAGES = (
    "asyncodm",
    "pymongo",
    "motor",
    "beanie",
    "odmantic",
    "mongoengine",
    "pydantic",
    "pydantic-core",
    "nx-27017",
    "neosqlite",
    "matplotlib",
    "pyinstrument",
)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def describe() -> dict[str, Any]:
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
    }


def tree_state(root: str) -> str:
    """Which asyncodm was measured: the commit, and how many files under asyncodm/ differ from
    it (the tree is shared, so the core may be mid-change while the benchmarks run)."""
    import subprocess

    def git(*args: str) -> str:
        proc = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=False, timeout=30
        )
        return proc.stdout.strip() if proc.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return "not a git checkout"
    changed = [line for line in git("status", "--porcelain", "--", "asyncodm").splitlines() if line]
    return f"commit {commit}" + (
        f" + {len(changed)} uncommitted change(s) under asyncodm/" if changed else ""
    )


def versions(packages: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    out = {}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out
