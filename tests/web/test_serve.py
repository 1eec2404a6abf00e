"""``make serve``: uvicorn serves the FastAPI example (``examples.fastapi_app:app``) on the
embedded database, as a user starts it.

The server runs in a subprocess on a free loopback port, owned through its Popen handle, and is
stopped at the end of the test whatever happens.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_make_serve_runs_uvicorn_on_the_example() -> None:
    plan = subprocess.run(
        ["make", "-n", "serve", "SERVE_PORT=9999"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "uvicorn examples.fastapi_app:app --port 9999" in plan
    assert "MONGODB_URI='mongomock://" in plan


def test_uvicorn_serves_the_example() -> None:
    port = free_port()
    env = {**os.environ, "MONGODB_URI": "mongomock://localhost/serve_test"}
    args = [sys.executable, "-m", "uvicorn", "examples.fastapi_app:app", "--port", str(port)]
    proc = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"{base}/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                assert time.monotonic() < deadline, "uvicorn did not answer within 30 s"
                time.sleep(0.2)
        assert r.status_code == 200 and r.json()["info"]["title"] == "Blog"
        r = httpx.post(f"{base}/users", json={"email": "ann@example.com", "name": "Ann"})
        assert r.status_code == 201
        uid = r.json()["id"]
        assert httpx.get(f"{base}/users/{uid}").json()["name"] == "Ann"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
