"""Writes a run's results as Markdown tables (``latest.md``) and JSON (``latest.json``).

The Markdown leads with the verdicts (each issue-6 target met or not), then the ratios the
verdicts come from, then the raw times, so a reader can always trace a verdict back to
measured seconds. The JSON holds every sample as well, for later comparison.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks._stats import CPU, LABELS, TARGETS, WORKLOADS

__all__ = ["write_json", "write_markdown"]


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(
        json.dumps(data, indent=1, sort_keys=False, default=str) + "\n", encoding="utf-8"
    )


def _ratio(cell: dict[str, Any] | None) -> str:
    if not cell or "ratio" not in cell:
        return "-"
    r = cell["ratio"]
    return f"{r['median']:.2f}x [{r['min']:.2f}-{r['max']:.2f}]"


def _ms(cell: dict[str, Any] | None) -> str:
    if not cell:
        return "-"
    s = cell["seconds"]
    return f"{s['median'] * 1e3:,.1f} [{s['min'] * 1e3:,.1f}-{s['max'] * 1e3:,.1f}]"


def _verdict_table(data: dict[str, Any]) -> list[str]:
    names = [n for n in data["systems"] if any(r["system"] == n for r in data["verdicts"])]
    if not names:
        return ["(no asyncodm system was measured)", ""]
    labels = data["labels"]
    lines = [
        "| workload | target | " + " | ".join(labels.get(n, n) for n in names) + " |",
        "|---|---|" + "---|" * len(names),
    ]
    for key, target in TARGETS.items():
        cells = []
        for name in names:
            row = next(r for r in data["verdicts"] if r["system"] == name and r["workload"] == key)
            if row["ratio"] is None:
                cells.append("not measured")
            else:
                mark = "**met**" if row["met"] else "**NOT met**"
                cells.append(f"{row['ratio']:.2f}x {mark}")
        vs = "raw dicts" if key == "MEM" else ("CPU baseline" if key in CPU else "raw driver")
        lines.append(f"| {LABELS[key]} (vs {vs}) | <= {target:g}x | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _systems_table(data: dict[str, Any], cell: Any, with_memory: bool) -> list[str]:
    heads = [LABELS[k] for k in WORKLOADS] + ([LABELS["MEM"]] if with_memory else [])
    lines = ["| system | " + " | ".join(heads) + " |", "|---|" + "---|" * len(heads)]
    summary, memory, labels = data["summary"], data["memory"], data["labels"]
    rows = [n for n in data["systems"] if n in summary]
    if not with_memory:
        rows.append("baseline")
    for name in rows:
        workloads = summary[name]["workloads"]
        cells = [cell(workloads.get(k)) for k in WORKLOADS]
        if with_memory:
            m = memory.get(name)
            cells.append(
                f"{m['ratio']:.2f}x ({m['bytes_per_doc']:,.0f} B vs {m['raw_bytes_per_doc']:,.0f} B)"
                if m
                else "-"
            )
        label = "CPU baseline (dicts / bson)" if name == "baseline" else labels.get(name, name)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _spec_table(spec: dict[str, Any]) -> list[str]:
    systems = [s for s, r in spec.get("systems", {}).items() if r.get("tasks")]
    if not systems:
        return []
    tasks: list[str] = []
    for name in systems:
        tasks.extend(t for t in spec["systems"][name]["tasks"] if t not in tasks)
    lines = [
        "## MongoDB ODM Performance Benchmark (spec tasks)",
        "",
        spec.get("description", ""),
        "",
        "MB/s = task size / median iteration time (higher is better); [p10-p90] of the MB/s.",
        "",
        "| task | " + " | ".join(systems) + " |",
        "|---|" + "---|" * len(systems),
    ]
    for task in tasks:
        cells = []
        for name in systems:
            t = spec["systems"][name]["tasks"].get(task)
            if not t:
                cells.append("-")
            elif "error" in t:
                cells.append("error")
            else:
                cells.append(
                    f"{t['mb_per_s']:.3f} [{t['mb_per_s_p10']:.3f}-{t['mb_per_s_p90']:.3f}]"
                )
        lines.append(f"| {task} | " + " | ".join(cells) + " |")
    lines.append("")
    for name in systems:
        for task, t in spec["systems"][name]["tasks"].items():
            if "error" in t:
                lines.append(f"- {name} / {task}: {t['error']}")
    seen: list[str] = []
    for r in spec.get("systems", {}).values():
        seen.extend(note for note in r.get("notes", []) if note not in seen)
    lines.extend(f"- {note}" for note in seen)
    return [*lines, ""]


def _files_table(files: dict[str, Any]) -> list[str]:
    """GridFS upload/download of one file (``bench_files.py``): asyncodm vs the driver's bucket."""
    if not files:
        return []
    lines = ["## GridFS files (`bench_files.py`)", ""]
    if "error" in files:
        return [*lines, f"Not measured: {files['error']}", ""]
    systems = files["systems"]
    lines += [
        f"One {files['size_bytes'] / 1e6:.0f} MB file, {files['repeats']} repeats; median seconds, "
        "MB/s and peak traced memory; ratio = asyncodm / the driver's own GridFS bucket.",
        "",
        "| driver | step | asyncodm | raw bucket | ratio |",
        "|---|---|---|---|---|",
    ]
    for driver, ratios in files.get("asyncodm_over_raw", {}).items():
        mine, raw = systems[f"asyncodm_{driver}"], systems[f"raw_{driver}"]
        for step, ratio in ratios.items():
            cells = [
                f"{r[f'{step}_median_s']:.3f} s, {r[f'{step}_mb_per_s']:.0f} MB/s, "
                f"peak {r[f'{step}_peak_bytes'] / 1e6:.0f} MB"
                for r in (mine, raw)
            ]
            lines.append(f"| {driver} | {step} | {cells[0]} | {cells[1]} | {ratio:.2f}x |")
    return [*lines, ""]


#: What each server is, for the title and the line that points at the other server's report.
SERVER_TITLES = {
    "nx": "nx-27017 (pure Python, ~0.5-1 ms a round trip)",
    "fast": "the fast server (`benchmarks/fast_server.py`, near-zero cost a round trip)",
    "uri": "the server at MONGODB_URI",
}


def _other_report(meta: dict[str, Any]) -> list[str]:
    kind = meta.get("server_kind", "nx")
    if kind == "uri":
        return []
    stem = "quick" if meta["quick"] else "latest"
    other, file = ("fast", f"{stem}-fast.md") if kind == "nx" else ("nx", f"{stem}.md")
    return [
        f"Every table below comes from {SERVER_TITLES[kind]}; the same workloads on "
        f"{SERVER_TITLES[other]} are in `{file}`.",
        "",
    ]


def write_markdown(path: Path, data: dict[str, Any]) -> None:
    meta = data["meta"]
    machine = meta["machine"]
    kind = meta.get("server_kind", "nx")
    lines = [
        f"# asyncodm benchmarks: {'quick smoke run' if meta['quick'] else 'latest run'} "
        f"on {SERVER_TITLES[kind].split(' (')[0]}",
        "",
        *_other_report(meta),
        f"- When: {meta['started']} UTC, {meta['duration_s']:.0f} s; command: `{meta['command']}`",
        f"- N = {meta['n']:,} posts; {meta['repeats']} round(s) (one process per system per round, "
        f"order rotating); W1-W3: up to {meta['inner']} samples per round",
        f"- Server: {meta['server']}",
        f"- asyncodm measured: {meta.get('tree', '?')}",
        f"- Machine: {machine['cpu']}, {machine['cores']} cores, {machine['python']}, "
        f"{machine['platform']}; load average before {meta['load_before']}, after "
        f"{meta['load_after']}",
        "",
        "How to read this: see `benchmarks/README.md`. Ratios are medians of paired ratios "
        "measured in this run, with [min-max] over the pairs; lower is better; 1.00x is the "
        "baseline.",
        "",
        "## Targets (issue 13)",
        "",
        *_verdict_table(data),
        "## Ratios to the baseline: median [min-max]",
        "",
        "W1-W3 are divided by the CPU baselines (plain dicts; `bson.decode` + read; "
        "`bson.encode`) measured in the same process; W4-W6 by the raw driver the system "
        "runs on (PyMongo async; Motor for the Motor variants and ODMantic).",
        "",
        *_systems_table(data, _ratio, with_memory=True),
        "## Times: median ms [min-max]",
        "",
        *_systems_table(data, _ms, with_memory=False),
        *_spec_table(data.get("odm_spec", {})),
        *_files_table(data.get("files", {})),
        "## Notes",
        "",
    ]
    for name, notes in data["notes"].items():
        lines.extend(f"- {data['labels'].get(name, name)}: {note}" for note in notes)
    for name, reason in data["skipped"].items():
        lines.append(f"- skipped {name}: {reason}")
    for name, errors in data["errors"].items():
        for phase, text in errors.items():
            last = text.strip().splitlines()[-1] if text.strip() else "?"
            lines.append(f"- ERROR {name} ({phase}): {last}")
    lines += [
        "",
        "## Versions",
        "",
        "| package | version |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in meta["versions"].items()),
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
