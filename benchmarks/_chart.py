"""The PNG bar chart of the ratios (``latest.png``), drawn with matplotlib when it is there.

One group of bars per workload, one bar per system, on a log scale (MongoEngine's CPU costs
are tens of times the baseline, asyncodm's end-to-end ones a few percent above it); error bars
span the paired ratios' min-max, the dotted line is the baseline (1x) and a red dash marks each
asyncodm target. The raw drivers are the 1x line itself, so they get no bars.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks._stats import CPU, E2E, LABELS, TARGETS

__all__ = ["draw"]

COLORS = {
    "asyncodm_pymongo": "#1b7837",
    "asyncodm_motor": "#5aae61",
    "beanie": "#2166ac",
    "odmantic": "#67a9cf",
    "mongoengine": "#b2182b",
}


def _ratio(data: dict[str, Any], name: str, key: str) -> tuple[float, float, float] | None:
    if key == "MEM":
        m = data["memory"].get(name)
        return (m["ratio"], m["ratio"], m["ratio"]) if m else None
    cell = data["summary"].get(name, {}).get("workloads", {}).get(key, {}).get("ratio")
    return (cell["median"], cell["min"], cell["max"]) if cell else None


def _panel(
    ax: Any, data: dict[str, Any], keys: tuple[str, ...], names: list[str], title: str
) -> None:
    width = 0.8 / max(1, len(names))
    for i, name in enumerate(names):
        xs, ys, lo, hi = [], [], [], []
        for j, key in enumerate(keys):
            r = _ratio(data, name, key)
            if r is None:
                continue
            xs.append(j - 0.4 + width * (i + 0.5))
            ys.append(r[0])
            lo.append(r[0] - r[1])
            hi.append(r[2] - r[0])
        if xs:
            ax.bar(
                xs, ys, width, yerr=[lo, hi], capsize=2, color=COLORS.get(name, "#999999"),
                label=data["labels"].get(name, name),
            )  # fmt: skip
            for x, y in zip(xs, ys, strict=True):
                ax.annotate(f"{y:.2g}", (x, y), textcoords="offset points", xytext=(0, 2),
                            ha="center", fontsize=6, rotation=90)  # fmt: skip
    for j, key in enumerate(keys):
        if key in TARGETS:  # the W2 variants have no target of their own
            ax.hlines(
                TARGETS[key], j - 0.45, j + 0.45, colors="red", linestyles="dashed", linewidth=1.2
            )
    ax.axhline(1.0, color="black", linestyle=":", linewidth=1)
    ax.set_yscale("log")
    ax.set_xticks(range(len(keys)))
    ax.set_xticklabels([LABELS[k].replace(" (", "\n(") for k in keys], fontsize=8, rotation=15)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel("ratio to baseline (log; lower is better)")
    ax.grid(axis="y", which="both", alpha=0.3)


def draw(path: Path, data: dict[str, Any]) -> bool:
    """Draw the chart; False (and no file) when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    names = [n for n in data["systems"] if n in data["summary"] and not n.startswith("raw_")]
    fig, axes = plt.subplots(1, 2, figsize=(17, 6), gridspec_kw={"width_ratios": [6, 4]})
    _panel(
        axes[0],
        data,
        (*CPU, "MEM"),
        names,
        "CPU only: vs plain dicts / bson (memory: vs raw dicts)",
    )
    _panel(axes[1], data, E2E, names, "End to end on the same server: vs the raw driver")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=len(labels), fontsize=9)
    meta = data["meta"]
    fig.text(
        0.5,
        0.01,
        f"N={meta['n']:,}, {meta['repeats']} rounds, {meta['server']}; "
        "bars: median of paired ratios, whiskers: min-max; red dashes: asyncodm targets",
        ha="center",
        fontsize=8,
    )
    fig.tight_layout(rect=(0, 0.03, 1, 0.93))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
