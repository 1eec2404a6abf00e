"""The benchmark runner: ``python -m benchmarks.run [--n N] [--repeats R] [--systems S] [--quick]``.

Starts one server on loopback (``--server nx``, the default: nx-27017; ``--server fast``: the
near-zero-cost ``benchmarks.fast_server``; ``--server both``: one whole run on each, nx first),
or uses ``--uri`` / ``MONGODB_URI``, runs every system once per round, each in a fresh process
(``benchmarks._worker``), in an order that rotates every round, then the ODM Performance
Benchmark tasks (``benchmarks.odm_spec``), the GridFS file benchmark (``benchmarks.bench_files``)
and the profiles (``benchmarks.profile``), and writes ``benchmarks/results/latest.{md,json,png}``
(nx-27017 or ``--uri``) or ``latest-fast.{md,json,png}`` (the fast server).

``--quick`` is the CI smoke run (``make test``): one round, no spec tasks, no file benchmark,
no profiles, no chart, results in ``quick[-fast].{md,json}`` so the committed full results stay as they are. It needs
only the main venv's packages. The exit status is 0 unless the harness breaks: a target that
is not met is a result, not a failure; a crash of asyncodm or of a raw driver adapter (the
systems the smoke run exists to exercise) is a failure.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import _machine, _report
from benchmarks._server import running_server
from benchmarks._stats import summarize, verdicts
from benchmarks.systems import SYSTEMS, expand, missing_packages

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
#: A worker that takes longer than this has hung (MongoEngine's full round takes about a minute).
WORKER_TIMEOUT = 900


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--n", type=int, default=10_000, help="posts per workload (default 10,000)")
    p.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="rounds: processes per system (default 3; 1 with --quick)",
    )
    p.add_argument(
        "--inner",
        type=int,
        default=None,
        help="W1-W3 samples per round (default 5; 2 with --quick)",
    )
    p.add_argument(
        "--systems",
        default="all",
        help="comma-separated names or groups: asyncodm, raw, peers, all; or " + ", ".join(SYSTEMS),
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 1 round, no spec tasks, no profiles, no chart, quick.* files",
    )
    p.add_argument(
        "--uri",
        default=os.environ.get("MONGODB_URI"),
        help="server to use instead of starting nx-27017 (default: $MONGODB_URI)",
    )
    p.add_argument(
        "--server",
        choices=("nx", "fast", "both"),
        default="nx",
        help="the server the runner starts when there is no --uri: nx-27017 (default), the "
        "fast in-memory server, or both (a whole run on each)",
    )
    p.add_argument("--out-dir", type=Path, default=RESULTS)
    p.add_argument("--no-spec", action="store_true", help="skip the ODM benchmark spec tasks")
    p.add_argument(
        "--spec-systems",
        default="asyncodm_pymongo,raw_pymongo,peers",
        help="systems for the spec tasks (default: asyncodm_pymongo,raw_pymongo,peers)",
    )
    p.add_argument("--spec-ops", type=int, default=500, help="operations per spec iteration")
    p.add_argument("--spec-iterations", type=int, default=3, help="iterations per spec task")
    p.add_argument("--no-profile", action="store_true", help="skip the pyinstrument profiles")
    p.add_argument("--no-files", action="store_true", help="skip the GridFS file benchmark")
    args = p.parse_args(argv)
    if args.repeats is None:
        args.repeats = 1 if args.quick else 3
    if args.inner is None:
        args.inner = 2 if args.quick else 4
    return args


def _python(module: str, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_worker(
    name: str, uri: str, args: argparse.Namespace, rnd: int, memory: bool
) -> dict[str, Any]:
    """One round of one system in its own process; a crash becomes an ``errors`` entry."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        argv = [
            "--system",
            name,
            "--uri",
            uri,
            "--db",
            f"bench_{name}_{rnd}_{os.getpid()}",
            "--n",
            str(args.n),
            "--inner",
            str(args.inner),
            "--out",
            str(out),
        ]
        if memory:
            argv.append("--memory")
        try:
            proc = _python("benchmarks._worker", *argv, timeout=WORKER_TIMEOUT)
        except subprocess.TimeoutExpired:
            return {
                "system": name,
                "samples": {},
                "notes": [],
                "errors": {"worker": f"timed out after {WORKER_TIMEOUT} s"},
            }
        if proc.returncode != 0 or not out.exists():
            tail = (proc.stderr or proc.stdout)[-2000:]
            return {
                "system": name,
                "samples": {},
                "notes": [],
                "errors": {"worker": f"exit {proc.returncode}\n{tail}"},
            }
        result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        return result


def run_rounds(names: list[str], uri: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    rounds: list[dict[str, Any]] = []
    for rnd in range(args.repeats):
        order = names[rnd % len(names) :] + names[: rnd % len(names)]
        results: dict[str, Any] = {}
        for name in order:
            began = time.monotonic()
            results[name] = result = run_worker(name, uri, args, rnd, memory=rnd == 0)
            status = "errors: " + ", ".join(result["errors"]) if result["errors"] else "ok"
            print(
                f"  round {rnd + 1}/{args.repeats} {name:<17} {time.monotonic() - began:6.1f} s  {status}",
                flush=True,
            )
        rounds.append(results)
    return rounds


def run_spec(uri: str, args: argparse.Namespace) -> dict[str, Any]:
    from benchmarks import odm_spec

    description = odm_spec.DESCRIPTION.format(ops=args.spec_ops, iterations=args.spec_iterations)
    out: dict[str, Any] = {"description": description, "systems": {}}
    for name in expand(args.spec_systems):
        if name not in odm_spec.ADAPTERS or missing_packages(name):
            continue
        began = time.monotonic()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "spec.json"
            try:
                proc = _python(
                    "benchmarks.odm_spec",
                    "--system",
                    name,
                    "--uri",
                    uri,
                    "--ops",
                    str(args.spec_ops),
                    "--iterations",
                    str(args.spec_iterations),
                    "--out",
                    str(path),
                    timeout=WORKER_TIMEOUT,
                )
                if path.exists():
                    out["systems"][name] = json.loads(path.read_text(encoding="utf-8"))
                else:
                    out["systems"][name] = {"tasks": {}, "error": proc.stderr[-2000:]}
            except subprocess.TimeoutExpired:
                out["systems"][name] = {"tasks": {}, "error": f"timed out after {WORKER_TIMEOUT} s"}
        print(f"  spec {name:<17} {time.monotonic() - began:6.1f} s", flush=True)
    return out


def run_files(uri: str) -> dict[str, Any]:
    """The GridFS benchmark (``bench_files.py``, another module's), when it is there."""
    if not (ROOT / "benchmarks" / "bench_files.py").exists():
        return {}
    began = time.monotonic()
    proc = _python("benchmarks.bench_files", "--uri", uri, "--repeats", "3", timeout=WORKER_TIMEOUT)
    print(
        f"  files (GridFS)      {time.monotonic() - began:6.1f} s  exit {proc.returncode}",
        flush=True,
    )
    if proc.returncode != 0:
        return {"error": proc.stderr.strip()[-1000:]}
    try:
        result: dict[str, Any] = json.loads(proc.stdout)
    except ValueError:
        return {"error": f"no JSON on stdout: {proc.stdout[-300:]!r}"}
    return result


def run_profiles(uri: str, args: argparse.Namespace, kind: str) -> str | None:
    """Profile asyncodm's W1, W2, W3 and W5 paths into results/profiles/ (needs pyinstrument);
    on the fast server into results/profiles-fast/, so the nx-27017 profiles stay."""
    if missing_packages("asyncodm_pymongo") or not _has("pyinstrument"):
        return "pyinstrument is not installed in this venv"
    proc = _python(
        "benchmarks.profile",
        "--uri",
        uri,
        "--n",
        str(args.n),
        "--out-dir",
        str(args.out_dir / ("profiles-fast" if kind == "fast" else "profiles")),
        timeout=WORKER_TIMEOUT,
    )
    print(f"  profiles: exit {proc.returncode}", flush=True)
    return None if proc.returncode == 0 else proc.stderr[-2000:]


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


SERVER_DESCRIPTIONS = {
    "fast": "benchmarks.fast_server (in-memory raw BSON, near-zero cost per round trip) on "
    "127.0.0.1, started by the runner",
}


def _stem(args: argparse.Namespace, kind: str) -> str:
    """``latest`` / ``quick`` for nx-27017 or ``--uri``; ``-fast`` appended for the fast server."""
    stem = "quick" if args.quick else "latest"
    return f"{stem}-fast" if kind == "fast" else stem


def _server_meta(args: argparse.Namespace, kind: str) -> str:
    if args.uri is not None:
        return "MONGODB_URI"
    if kind == "fast":
        return SERVER_DESCRIPTIONS["fast"]
    version = _machine.versions(("nx-27017",))["nx-27017"]
    return f"nx-27017 {version} --db memory on 127.0.0.1, started by the runner"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wanted = expand(args.systems)
    skipped = {
        n: f"not installed here: {', '.join(missing_packages(n))}"
        for n in wanted
        if missing_packages(n)
    }
    names = [n for n in wanted if n not in skipped]
    if not names:
        print("no system can run in this venv:", skipped, file=sys.stderr)
        return 1
    kinds = ["nx", "fast"] if args.server == "both" else [args.server]
    if args.uri:
        kinds = ["uri"]
    status = 0
    for kind in kinds:
        status = max(status, run_on(kind, args, argv, names, skipped))
    return status


def run_on(
    kind: str,
    args: argparse.Namespace,
    argv: list[str] | None,
    names: list[str],
    skipped: dict[str, str],
) -> int:
    """One whole run against one server (``nx``, ``fast``, or ``uri``); its report files."""
    started = datetime.datetime.now(datetime.timezone.utc)
    began = time.monotonic()
    load_before = _machine.load_average()
    tree = _machine.tree_state(str(ROOT))
    spec: dict[str, Any] = {}
    files: dict[str, Any] = {}
    profile_problem: str | None = None
    with running_server(args.uri, "nx" if kind == "uri" else kind) as (uri, server):
        where = "MONGODB_URI / --uri" if server is None else _server_meta(args, kind)
        print(
            f"benchmarks: {', '.join(names)}; N={args.n}; {args.repeats} rounds; server: {where}",
            flush=True,
        )
        rounds = run_rounds(names, uri, args)
        if not args.quick and not args.no_spec:
            spec = run_spec(uri, args)
        if not args.quick and not args.no_files:
            files = run_files(uri)
        if not args.quick and not args.no_profile:
            profile_problem = run_profiles(uri, args, kind)
        if server is not None and not server.alive():
            print(f"the {kind} server died during the run; its numbers are not trustworthy",
                  file=sys.stderr)  # fmt: skip
            return 1

    errors = {n: r["errors"] for rs in rounds for n, r in rs.items() if r.get("errors")}
    notes: dict[str, list[str]] = {}
    for rs in rounds:
        for n, r in rs.items():
            notes.setdefault(n, [])
            notes[n].extend(x for x in r.get("notes", []) if x not in notes[n])
    if profile_problem:
        notes.setdefault("profiles", []).append(f"not produced: {profile_problem.strip()[-300:]}")
    baselines = {n: SYSTEMS[n].baseline for n in names}
    summary = summarize(rounds, baselines)
    memory = {n: r["memory"] for n, r in rounds[0].items() if r.get("memory")}
    data: dict[str, Any] = {
        "meta": {
            "started": started.strftime("%Y-%m-%d %H:%M"),
            "duration_s": time.monotonic() - began,
            "command": " ".join(
                ["python -m benchmarks.run", *(sys.argv[1:] if argv is None else argv)]
            ),
            "n": args.n,
            "repeats": args.repeats,
            "inner": args.inner,
            "quick": args.quick,
            "server": _server_meta(args, kind),
            "server_kind": kind,
            "machine": _machine.describe(),
            "tree": tree,
            "load_before": load_before,
            "load_after": _machine.load_average(),
            "versions": _machine.versions(),
        },
        "systems": names,
        "labels": {n: SYSTEMS[n].label for n in names},
        "baselines": baselines,
        "skipped": skipped,
        "errors": errors,
        "notes": notes,
        "summary": summary,
        "memory": memory,
        "verdicts": verdicts(summary, memory, names),
        "odm_spec": spec,
        "files": files,
        "rounds": rounds,
    }
    args.out_dir.mkdir(parents=True, exist_ok=True)
    stem = _stem(args, kind)
    _report.write_json(args.out_dir / f"{stem}.json", data)
    _report.write_markdown(args.out_dir / f"{stem}.md", data)
    if not args.quick:
        from benchmarks import _chart

        if not _chart.draw(args.out_dir / f"{stem}.png", data):
            print("matplotlib is not installed: no chart", file=sys.stderr)
    print(f"wrote {args.out_dir / stem}.md ({time.monotonic() - began:.0f} s)")
    for row in data["verdicts"]:
        if row["ratio"] is not None:
            print(
                f"  {row['system']:<17} {row['workload']:<10} {row['ratio']:6.2f}x "
                f"(target <= {row['target']:g}x) {'met' if row['met'] else 'NOT met'}"
            )
    broken = [n for n in errors if n.startswith(("asyncodm", "raw_"))]
    for n in errors:
        for phase, text in errors[n].items():
            print(f"ERROR {n} ({phase}):\n{text}", file=sys.stderr)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
