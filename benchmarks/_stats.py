"""From raw worker results to medians, spreads, paired ratios and the target verdicts.

Ratios are paired: every sample is divided by the baseline sample measured just before it in
the same process (the CPU baseline for W1-W3, the raw driver for W4-W6; the raw drivers' own
rows are divided by themselves). Pairing cancels what drifts over a run (other load on the
machine, the server's state); the median of the paired ratios is the headline, and their
min-max is the spread.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

__all__ = [
    "CPU",
    "E2E",
    "LABELS",
    "TARGETS",
    "WORKLOADS",
    "percentile",
    "spread",
    "summarize",
    "verdicts",
]

CPU = ("W1", "W2", "W2_renamed", "W2_from_son", "W3", "W3_loaded")
E2E = ("W4_single", "W4_bulk", "W5", "W6")
WORKLOADS = CPU + E2E

LABELS = {
    "W1": "W1 construct + validate",
    "W2": "W2 load + read fields",
    "W2_renamed": "W2 renamed fields (db_field)",
    "W2_from_son": "W2 via public from_son",
    "W3": "W3 to BSON-ready",
    "W3_loaded": "W3 of loaded, unchanged docs",
    "W4_single": "W4 insert one by one (N/10)",
    "W4_bulk": "W4 bulk insert (N)",
    "W5": "W5 query all (N)",
    "W6": "W6 change + save (N/10)",
    "MEM": "retained bytes / loaded doc",
}

#: Issue 13: the most each asyncodm variant may cost, as a multiple of its baseline (the W3
#: target, to_mongo() of a loaded unchanged document, applies to both W3 and W3_loaded).
TARGETS = {
    "W1": 3.0,
    "W2": 1.0,
    "W3": 1.0,
    "W3_loaded": 1.0,
    "W4_single": 1.10,
    "W4_bulk": 1.40,
    "W5": 1.15,
    "W6": 1.10,
    "MEM": 1.20,
}


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (the ODM benchmarking spec's: ``i = int(N * p / 100) - 1``)."""
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * p / 100) - 1)]


def spread(values: Sequence[float]) -> dict[str, float]:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "n": len(values),
    }


def _paired(
    rounds: Sequence[dict[str, Any]], system: str, key: str, base_system: str, base_key: str
) -> list[float]:
    ratios: list[float] = []
    for results in rounds:
        mine, base = results.get(system), results.get(base_system)
        if mine is None or base is None:
            continue
        a = mine["samples"].get(key, [])
        b = base["samples"].get(base_key, [])
        a = a if isinstance(a, list) else [a]
        b = b if isinstance(b, list) else [b]
        ratios.extend(x / y for x, y in zip(a, b, strict=False) if y > 0)
    return ratios


def summarize(rounds: Sequence[dict[str, Any]], baselines: dict[str, str]) -> dict[str, Any]:
    """Per system and workload: the time samples' spread and the paired ratios' spread.

    Args:
        rounds: one dict per round, system name -> that round's worker result.
        baselines: system name -> the system its W4-W6 are divided by.
    """
    names = [name for name in baselines if any(name in r for r in rounds)]
    out: dict[str, Any] = {}
    for name in names:
        workloads: dict[str, Any] = {}
        for key in WORKLOADS:
            times: list[float] = []
            for results in rounds:
                value = results.get(name, {}).get("samples", {}).get(key)
                if value is not None:
                    times.extend(value if isinstance(value, list) else [value])
            if not times:
                continue
            if key in CPU:
                ratios = _paired(rounds, name, key, name, f"{key}_base")
                vs = "baseline"
            else:
                # The raw driver timed in the same process; else its own worker of the round.
                ratios = _paired(rounds, name, key, name, f"{key}_base")
                if not ratios:
                    ratios = _paired(rounds, name, key, baselines[name], key)
                vs = baselines[name]
            workloads[key] = {"seconds": spread(times), "samples": times, "vs": vs}
            if ratios:
                workloads[key]["ratio"] = spread(ratios)
        out[name] = {"workloads": workloads}
    # The CPU baselines, pooled over every process that measured them.
    base: dict[str, Any] = {}
    for key in CPU:
        times = [
            t
            for results in rounds
            for result in results.values()
            for t in result.get("samples", {}).get(f"{key}_base", [])
        ]
        if times:
            base[key] = {"seconds": spread(times)}
    out["baseline"] = {"workloads": base}
    return out


def verdicts(
    summary: dict[str, Any], memory: dict[str, Any], systems: Sequence[str]
) -> list[dict[str, Any]]:
    """One row per (asyncodm system, target): the median ratio and whether it is met."""
    rows = []
    for name in systems:
        if not name.startswith("asyncodm"):
            continue
        for key, target in TARGETS.items():
            if key == "MEM":
                ratio = memory.get(name, {}).get("ratio")
            else:
                ratio = (
                    summary.get(name, {})
                    .get("workloads", {})
                    .get(key, {})
                    .get("ratio", {})
                    .get("median")
                )
            rows.append(
                {
                    "system": name,
                    "workload": key,
                    "target": target,
                    "ratio": ratio,
                    "met": None if ratio is None else ratio <= target,
                }
            )
    return rows
