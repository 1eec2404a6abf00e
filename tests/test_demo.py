"""``examples/demo.py`` (what ``make demo`` runs) works and prints what it promises.

It runs as ``make demo`` runs it: ``python -m examples.demo`` in a subprocess with the venv's
Python, its database taken from ``MONGODB_URI``: the embedded ``mongomock://`` database, and
the nx-27017 wire server through PyMongo.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests._backends import NxServer

ROOT = Path(__file__).resolve().parent.parent

#: The demo's transcript; ``<id>`` stands for the page's generated ObjectId.
EXPECTED = """\
asyncodm demo on {where}

1. Documents are saved with await
  saved User(email='ann@example.com', name='Ann')
  saved User(email='bob@example.com', name='Bob')
  page id <id> with 1 comment(s)
  stored as ['_id', 'author', 'comments', 'created', 'tags', 'title', 'views']

2. Queries are async
  2 pages tagged 'async'
  found 'Hello, asyncodm' by ann@example.com
  first by title: 'Hello, asyncodm'

3. A loaded document sends only what changed
  comment now 'Very nice!', views 1

4. Atomic updates
  views 11, tags ['intro', 'async', 'popular']

5. Dynamic documents keep whatever you give them
  event signup from newsletter for ann@example.com

6. Bad data is refused with every problem named
  title: expected at most 200 characters, found 300 characters
  tags.1: expected at most 30 characters, found 40 characters
  comments.0.content: expected a string, found None (the field is required)
  views: expected an integer >= 0, found -1
  nothing was written: 2 pages

7. Deleting
  deleted 1 page(s); 1 left

done
"""


def run_demo(uri: str | None) -> subprocess.CompletedProcess[str]:
    """``python -m examples.demo`` with ``MONGODB_URI=uri`` (None: unset)."""
    env = {k: v for k, v in os.environ.items() if k != "MONGODB_URI"}
    if uri is not None:
        env["MONGODB_URI"] = uri
    return subprocess.run(
        [sys.executable, "-m", "examples.demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def transcript(stdout: str) -> str:
    return re.sub(r"page id [0-9a-f]{24} ", "page id <id> ", stdout)


def test_demo_runs_on_the_embedded_database() -> None:
    uri = "mongomock://localhost/asyncodm_demo"
    done = run_demo(uri)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert transcript(done.stdout) == EXPECTED.format(where=uri)


def run_on_nx(nx_server: NxServer) -> tuple[str, str, list[dict[str, Any]], int]:
    """The demo on nx-27017 in a fresh database: (uri shown, stdout, stored pages, users)."""
    from pymongo import MongoClient

    nx_server.check_alive()
    db = f"t_demo_{uuid.uuid4().hex[:12]}"
    uri = f"mongodb://127.0.0.1:{nx_server.port}/{db}?serverSelectionTimeoutMS=5000"
    client: MongoClient[dict[str, Any]] = MongoClient(nx_server.uri)
    try:
        done = run_demo(uri)
        assert done.returncode == 0, done.stderr
        pages = list(client[db]["demo_pages"].find({}))
        users = client[db]["user"].count_documents({})
    finally:
        client.drop_database(db)
        client.close()
        nx_server.check_alive()
    return uri.split("@")[-1], done.stdout, pages, users


COMMENT_LINE = "  comment now 'Very nice!', views 1"


def test_demo_runs_on_a_wire_server(nx_server: NxServer) -> None:
    where, stdout, pages, users = run_on_nx(nx_server)
    # every line but the comment edit, which the next test covers (nx deviates there)
    expected = EXPECTED.format(where=where).splitlines()
    got = transcript(stdout).splitlines()
    at = expected.index(COMMENT_LINE)
    assert got[:at] + got[at + 1 :] == expected[:at] + expected[at + 1 :]
    assert got[at].startswith("  comment now ") and got[at].endswith(", views 1")
    # the demo's data is really in the server's database
    assert [p["title"] for p in pages] == ["Hello, asyncodm"]
    assert pages[0]["views"] == 11 and pages[0]["tags"] == ["intro", "async", "popular"]
    assert users == 2


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="nx-27017 ignores $set on array-index paths (comments.0.content): the demo's "
    "comment edit is lost there (tests/_backends.py: array_index_paths)",
)
def test_demo_comment_edit_on_a_wire_server(nx_server: NxServer) -> None:
    _, stdout, pages, _ = run_on_nx(nx_server)
    assert COMMENT_LINE in stdout.splitlines()
    assert pages[0]["comments"][0]["content"] == "Very nice!"


def test_demo_without_mongodb_uri_uses_the_embedded_database() -> None:
    """``make demo`` with no MONGODB_URI: the demo's own default, the embedded database."""
    done = run_demo(None)
    assert done.returncode == 0, done.stderr
    uri = "mongomock://localhost/asyncodm_demo"
    assert transcript(done.stdout) == EXPECTED.format(where=uri)
