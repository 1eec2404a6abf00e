"""The server every system is measured against: nx-27017 or the fast server on loopback, or
``MONGODB_URI``.

One server for the whole run, so every ratio divides two numbers measured against the same
process. nx-27017 is started from the running venv's console script with its own pid and log
files in a temporary folder; the fast server (``benchmarks/fast_server.py``, ``--server fast``)
is ``python -m benchmarks.fast_server --port 0``, which picks a free port itself and prints it.
Each is owned through its ``Popen`` handle only (never pkill, never a daemon mode), and stopped
with SIGTERM, then SIGKILL if it lingers.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["SERVERS", "FastServerProcess", "NxServer", "running_server"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class NxServer:
    """An nx-27017 ``--db memory`` process on 127.0.0.1 and a free port."""

    kind = "nx"

    def __init__(self, attempts: int = 3, ready_timeout: float = 20.0) -> None:
        self.attempts = attempts
        self.ready_timeout = ready_timeout
        self.workdir = Path(tempfile.mkdtemp(prefix="asyncodm-bench-nx-"))
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?serverSelectionTimeoutMS=10000"

    def start(self) -> NxServer:
        exe = Path(sys.executable).parent / "nx-27017"
        if not exe.exists():
            raise RuntimeError(
                f"{exe} not found: install nx-27017==0.8.1 in this venv or set MONGODB_URI"
            )
        problems = []
        for attempt in range(1, self.attempts + 1):
            self.port = _free_port()  # a small race with other processes: hence the retries
            run = self.workdir / f"run{attempt}"
            run.mkdir()
            args = [
                str(exe), "--db", "memory", "--host", "127.0.0.1", "-p", str(self.port),
                "--pid-file", str(run / "nx.pid"), "--log-file", str(run / "nx.log"),
            ]  # fmt: skip
            with (run / "nx.out").open("wb") as out:  # nx logs every command at INFO
                self.proc = subprocess.Popen(
                    args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
                )
            if self._ready():
                return self
            problems.append(
                f"attempt {attempt}: {(run / 'nx.out').read_text(errors='replace')[-800:]}"
            )
            self.stop()
        raise RuntimeError("nx-27017 did not start:\n" + "\n".join(problems))

    def _ready(self) -> bool:
        from pymongo import MongoClient
        from pymongo.errors import PyMongoError

        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                return False
            client: MongoClient[dict[str, object]] = MongoClient(
                f"mongodb://127.0.0.1:{self.port}/", serverSelectionTimeoutMS=200
            )
            try:
                client.admin.command("ping")
                return True
            except PyMongoError:
                time.sleep(0.05)
            finally:
                client.close()
        return False

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


class FastServerProcess(NxServer):
    """``benchmarks.fast_server`` in a process of its own on 127.0.0.1 and a port it chose.

    A process, not a thread of the runner: the workers are separate processes anyway, and the
    server must not share a GIL with anything it is measured against."""

    kind = "fast"

    def start(self) -> FastServerProcess:
        problems = []
        root = Path(__file__).resolve().parent.parent
        for attempt in range(1, self.attempts + 1):
            run = self.workdir / f"run{attempt}"
            run.mkdir()
            with (run / "fast.err").open("wb") as err:
                self.proc = subprocess.Popen(
                    [sys.executable, "-m", "benchmarks.fast_server", "--host", "127.0.0.1",
                     "--port", "0"],
                    cwd=root, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err,
                    env={**os.environ, "PYTHONHASHSEED": "0"},
                )  # fmt: skip
            port = self._read_port()
            if port is not None:
                self.port = port
                if self._ready():
                    return self
            problems.append(
                f"attempt {attempt}: {(run / 'fast.err').read_text(errors='replace')[-800:]}"
            )
            self.stop()
        raise RuntimeError("the fast server did not start:\n" + "\n".join(problems))

    def _read_port(self) -> int | None:
        """The port from the server's ``listening on HOST:PORT`` line (None if it never came)."""
        assert self.proc is not None
        assert self.proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            if not sel.select(self.ready_timeout):
                return None
        line = self.proc.stdout.readline().decode(errors="replace").strip()
        if not line.startswith("listening on "):
            return None
        return int(line.rsplit(":", 1)[1])


#: ``--server`` name -> the class that starts it.
SERVERS: dict[str, type[NxServer]] = {"nx": NxServer, "fast": FastServerProcess}


@contextlib.contextmanager
def running_server(uri: str | None, kind: str = "nx") -> Iterator[tuple[str, NxServer | None]]:
    """``uri`` as given, or a fresh server of ``kind`` (``nx``, ``fast``) for the block."""
    if uri:
        yield uri, None
        return
    server = SERVERS[kind]().start()
    try:
        yield server.uri, server
    finally:
        server.stop()
        shutil.rmtree(server.workdir, ignore_errors=True)
