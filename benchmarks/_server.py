"""The server every system is measured against: an nx-27017 on loopback, or ``MONGODB_URI``.

One server for the whole run, so every ratio divides two numbers measured against the same
process. nx-27017 is started from the running venv's console script with its own pid and log
files in a temporary folder, owned through its ``Popen`` handle only (never pkill, never its
daemon mode), and stopped with SIGTERM, then SIGKILL if it lingers.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["NxServer", "running_server"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class NxServer:
    """An nx-27017 ``--db memory`` process on 127.0.0.1 and a free port."""

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


@contextlib.contextmanager
def running_server(uri: str | None) -> Iterator[tuple[str, NxServer | None]]:
    """``uri`` as given, or a fresh nx-27017 for the duration of the block."""
    if uri:
        yield uri, None
        return
    server = NxServer().start()
    try:
        yield server.uri, server
    finally:
        server.stop()
        shutil.rmtree(server.workdir, ignore_errors=True)
