"""Self-test of the test machinery (tests/conftest.py, tests/_backends.py).

Proves that the ``backend`` fixture yields every variant, each in its own database that is
dropped afterwards; that ``needs()`` skips with a reason, ``xfail_backend()`` is strict and
``backend_only()`` deselects; that nx-27017 starts once and only when a test needs it; and that
commands are recorded for query counting.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests._backends import (
    CAPABILITIES,
    LACKS,
    SPECS,
    Backend,
    NxServer,
    backend_names,
    capabilities_of,
)

HERE = Path(__file__).parent
ROOT = HERE.parent

#: Filled by test_fresh_database, read by the tests after it (pytest keeps definition order).
SEEN: dict[str, Backend] = {}


async def test_fresh_database(backend: Backend) -> None:
    spec = SPECS[backend.name]
    assert (backend.driver, backend.server) == (spec.driver, spec.server)
    assert re.fullmatch(r"t_[0-9a-f]{12}", backend.db_name)
    assert backend.db.name == backend.db_name
    assert (backend.uri is None) == (backend.server == "mongomock")
    assert backend.capabilities == capabilities_of(backend.server)
    assert backend.has("core_crud")

    await backend.db.things.insert_one({"_id": "a", "n": 1})
    assert await backend.db.things.find_one({"_id": "a"}) == {"_id": "a", "n": 1}
    assert backend.db_name in await backend.client.list_database_names()
    SEEN[backend.name] = backend


def test_every_variant_ran() -> None:
    if set(SEEN) != set(backend_names()):
        pytest.skip("test_fresh_database did not run for every variant (-k or -x?)")
    assert len({b.db_name for b in SEEN.values()}) == len(SEEN)


async def test_database_dropped_after(backend: Backend) -> None:
    before = SEEN.get(backend.name)
    if before is None:
        pytest.skip("test_fresh_database did not run for this variant")
    assert before.db_name != backend.db_name
    # Same server: the previous test's database is gone. mongomock keeps data per client, so ask
    # the previous (closed, but in-process) client.
    client = before.client if backend.server == "mongomock" else backend.client
    assert before.db_name not in await client.list_database_names()


@pytest.mark.needs("transactions")
async def test_needs_runs_where_capable(backend: Backend) -> None:
    assert backend.server != "mongomock"
    assert backend.has("transactions")
    assert backend.has("transactions_commit_abort")  # README alias


@pytest.mark.xfail_backend(
    "nx", reason="nx-27017 cannot query an array index path (tags.0)", raises=AssertionError
)
async def test_xfail_backend_is_strict(backend: Backend) -> None:
    await backend.db.posts.insert_one({"_id": "p", "tags": ["red", "blue"]})
    assert await backend.db.posts.count_documents({"tags.0": "red"}) == 1


@pytest.mark.backend_only("nx")
async def test_nx_started_once(backend: Backend, nx_server: NxServer) -> None:
    nx_server.check_alive()
    assert backend.uri == nx_server.uri
    assert NxServer.launches == 1


@pytest.mark.needs("command_monitoring")
async def test_commands_are_recorded(backend: Backend) -> None:
    await backend.db.things.insert_one({"_id": 1})
    backend.reset_commands()
    with backend.query_counter() as q:
        await backend.db.things.find_one({"_id": 1})
        await backend.db.things.update_one({"_id": 1}, {"$set": {"x": 1}})
    assert q == 2
    assert q.names == ["find", "update"]
    name, collection, doc = backend.commands[0]
    assert (name, collection, doc["filter"]) == ("find", "things", {"_id": 1})
    async with backend.query_counter() as q2:
        pass
    assert q2 == 0


@pytest.mark.backend_only("mongomock")
async def test_query_counter_refuses_mongomock(backend: Backend) -> None:
    with pytest.raises(RuntimeError, match="command_monitoring"):
        backend.query_counter()
    assert backend.commands == []


def test_capability_table_is_consistent() -> None:
    for server, lacks in LACKS.items():
        assert set(lacks) <= set(CAPABILITIES), server
        assert all(lacks.values()), f"{server}: every missing capability needs a why"
    assert capabilities_of("mongodb") == frozenset(CAPABILITIES)


INNER_TESTS = """
import pytest

def test_pure():
    pass

@pytest.mark.backend_only("mongomock")
@pytest.mark.needs("transactions")
async def test_txn(backend):
    pass

@pytest.mark.backend_only("nx")
@pytest.mark.needs("core_crud", "geo")
async def test_geo(backend):
    pass

@pytest.mark.needs("no_such_capability")
async def test_typo(backend):
    pass

@pytest.mark.xfail_backend("nx")
async def test_no_reason(backend):
    pass

@pytest.mark.xfail_backend("nx", reason="deviates", raises="AssertionError")
async def test_raises_not_a_class(backend):
    pass

@pytest.mark.xfail_backend("nx", reason="deviates")
async def test_raises_missing(backend):
    pass

@pytest.mark.xfail(strict=True, reason="a plain xfail names its exception too")
def test_plain_xfail_without_raises():
    assert False

@pytest.mark.backend_only("mongomock")
@pytest.mark.xfail_backend("mongomock", reason="deviates", raises=KeyError)
async def test_raises_the_expected(backend):
    raise KeyError("the deviation")

@pytest.mark.backend_only("mongomock")
@pytest.mark.xfail_backend("mongomock", reason="deviates", raises=KeyError)
async def test_raises_something_else(backend):
    raise AssertionError("not the deviation the marker names")
"""


def test_markers_in_a_separate_session(tmp_path: Path) -> None:
    """Run the markers in a separate pytest session, where nothing else starts nx-27017.

    needs() skips with its reason, backend_only() deselects, mistakes in markers fail, and a
    session whose backend tests are all skipped never starts the server.
    """
    (tmp_path / "tests").mkdir()
    for name in ("__init__.py", "conftest.py", "_backends.py"):
        shutil.copy(HERE / name, tmp_path / "tests" / name)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "tests" / "test_inner.py").write_text(INNER_TESTS)
    basetemp = tmp_path / "basetemp"
    env = {k: v for k, v in os.environ.items() if k != "ASYNCODM_TEST_MONGODB_URI"}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rsE", "-q",
         f"--basetemp={basetemp}", "tests/test_inner.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    out = run.stdout + run.stderr
    assert run.returncode == 1, out  # the marker mistakes are errors
    assert "mongomock lacks transactions: no sessions or transactions" in out, out
    assert "nx-pymongo lacks geo:" in out, out
    assert "nx-motor lacks geo:" in out, out
    assert "unknown capability 'no_such_capability'" in out, out
    assert "xfail_backend() needs reason=" in out, out
    assert "xfail_backend(raises=...) takes an exception class" in out, out
    assert "xfail_backend() needs raises=: the exception class the deviation raises" in out, out
    assert "xfail() needs raises=" in out, out
    assert "AssertionError: not the deviation the marker names" in out, out  # it failed
    summary = out.strip().splitlines()[-1]
    assert re.search(
        r"1 failed, 1 passed, 3 skipped, 7 deselected, 1 xfailed, 13 errors", summary
    ), out
    assert not list(basetemp.glob("nx*")), "nx-27017 was started although no test needed it"


AUDIT_PLUGIN = """
import json, os
from pathlib import Path

def pytest_collection_finish(session):
    found, bad = 0, []
    for item in session.items:
        for mark in item.iter_markers():
            if mark.name in ("xfail", "xfail_backend"):
                found += 1
                if mark.kwargs.get("raises") is None:
                    bad.append(f"{item.nodeid}: {mark.name}({mark.kwargs.get('reason')!r})")
    Path(os.environ["XFAIL_AUDIT"]).write_text(json.dumps({"found": found, "bad": bad}))
"""


def test_every_xfail_in_the_suite_names_its_exception(tmp_path: Path) -> None:
    """Collect the whole suite (nothing runs) and read every xfail mark, parametrized ones too.

    The conftest refuses an xfail without ``raises=`` at setup, which only helps for the tests
    a run selects; this audit covers all of them, and imperative ``pytest.xfail()`` calls,
    which cannot name an exception at all, are not allowed anywhere in the suite.
    """
    (tmp_path / "xfail_audit.py").write_text(AUDIT_PLUGIN)
    out_file = tmp_path / "audit.json"
    env = {**os.environ, "XFAIL_AUDIT": str(out_file), "PYTHONPATH": str(tmp_path)}
    env.pop("ASYNCODM_TEST_MONGODB_URI", None)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "xfail_audit",
         "--collect-only", "-q", "tests"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    audit = json.loads(out_file.read_text())
    assert audit["found"] > 40, audit  # the audit did see the suite's xfails
    assert audit["bad"] == [], "xfail without raises=:\n" + "\n".join(audit["bad"])
    imperative = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in sorted(HERE.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "xfail"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "pytest"
    ]
    assert imperative == [], f"pytest.xfail() names no exception; use a mark: {imperative}"
