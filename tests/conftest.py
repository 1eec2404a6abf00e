"""Test machinery: the nx-27017 server, the ``backend`` fixture and the capability markers.

* ``backend``: every integration test runs once per variant (``mongomock``, ``nx-pymongo``,
  ``nx-motor``, and ``mongodb-*`` when ``ASYNCODM_TEST_MONGODB_URI`` is set), each in its own
  ``t_<hex>`` database, dropped afterwards; ``asyncodm`` is connected to it as alias "default".
* ``@pytest.mark.needs("transactions", ...)``: skipped where a capability is missing, with the
  reason ("mongomock lacks transactions: ...").
* ``@pytest.mark.xfail_backend("nx", reason="...", raises=AssertionError)``: a strict xfail on
  the matching variants. ``raises=`` is required, here and on plain ``pytest.mark.xfail``: only
  that exception counts as the expected failure, so an xfail never hides a different one.
* ``@pytest.mark.backend_only("nx")``: the other variants are deselected.

The markers act on tests that use ``backend`` (directly or through another fixture); on other
tests they do nothing. A mistake in one (an unknown capability or selector, an xfail without a
reason or without ``raises=``) makes that test error at setup.

Selectors name a variant, a server (``nx``, ``mongomock``, ``mongodb``) or a driver
(``pymongo``, ``motor``). nx-27017 starts once per session, and only if a selected test that is
not skipped uses ``backend``; tests without it never start it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Iterator

import pytest

from tests._backends import (
    REAL_MONGODB_ENV,
    SPECS,
    Backend,
    BackendSpec,
    CommandRecorder,
    NxServer,
    backend_names,
    canonical_capability,
    capabilities_of,
    close_client,
    drop_database,
    make_client,
    new_db_name,
    running_nx,
)

_NX_KEY = pytest.StashKey[NxServer]()
_PROBLEMS_KEY = pytest.StashKey[list[str]]()


@pytest.fixture(scope="session")
def nx_server(
    tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Iterator[NxServer]:
    """One nx-27017 per session (per xdist worker); stopping it fails loudly if it had died."""
    with running_nx(tmp_path_factory.mktemp("nx")) as server:
        pytestconfig.stash[_NX_KEY] = server
        yield server


@pytest.fixture(params=backend_names())
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    """A connected backend in a fresh database; see tests/_backends.py."""
    spec = SPECS[request.param]
    server: NxServer | None = None
    uri: str | None = None
    if spec.server == "nx":
        server = request.getfixturevalue("nx_server")
        server.check_alive()
        uri = server.uri
    elif spec.server == "mongodb":
        uri = os.environ[REAL_MONGODB_ENV]

    import asyncodm  # lazily: the package may be incomplete while the suite is collected

    recorder = CommandRecorder()
    client = make_client(spec, uri, recorder)
    db_name = new_db_name()
    b = Backend(
        name=spec.name,
        driver=spec.driver,
        server=spec.server,
        client=client,
        db=client[db_name],
        db_name=db_name,
        uri=uri,
        capabilities=capabilities_of(spec.server),
        recorder=recorder,
    )

    async def drop() -> None:
        if server is not None:
            server.check_alive()  # a dead server: fail with its log, not a selection timeout
        await drop_database(b)

    # Teardown runs in reverse: disconnect the ODM, drop the database, close the client; each
    # step runs even if an earlier one raised.
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(close_client, client)
        stack.push_async_callback(drop)
        asyncodm.connect(client=client, db=db_name)
        stack.push_async_callback(asyncodm.disconnect_all)
        yield b


# --------------------------------------------------------------------------------------------
# Markers


def _spec_of(item: pytest.Item) -> BackendSpec | None:
    callspec = getattr(item, "callspec", None)
    name = callspec.params.get("backend") if callspec is not None else None
    return SPECS.get(name) if isinstance(name, str) else None


def _known_selector(selector: object) -> bool:
    return isinstance(selector, str) and any(s.matches(selector) for s in SPECS.values())


def _marker_problems(item: pytest.Item) -> list[str]:
    problems = []
    for m in item.iter_markers("needs"):
        if not m.args:
            problems.append("needs() names no capability")
        problems += [
            f"unknown capability {c!r} in needs() (see tests/_backends.py)"
            for c in m.args
            if not isinstance(c, str) or canonical_capability(c) is None
        ]
    for m in [*item.iter_markers("xfail_backend"), *item.iter_markers("backend_only")]:
        if not m.args:
            problems.append(f"{m.name}() names no backend")
        problems += [f"unknown backend selector {s!r} in {m.name}()" for s in m.args if not _known_selector(s)]  # fmt: skip
        if m.name == "xfail_backend" and not m.kwargs.get("reason"):
            problems.append("xfail_backend() needs reason=: say how the backend deviates")
        if m.name == "xfail_backend":
            problems += _raises_problems(m)
    for m in item.iter_markers("xfail"):
        problems += _raises_problems(m)
    return problems


def _raises_problems(mark: pytest.Mark) -> list[str]:
    """An xfail must name the exception its deviation raises, so it cannot hide another one."""
    raises = mark.kwargs.get("raises")
    if raises is None:
        return [f"{mark.name}() needs raises=: the exception class the deviation raises"]
    if not _exception_classes(raises):
        return [f"{mark.name}(raises=...) takes an exception class or a tuple of them"]
    return []


def _exception_classes(raises: object) -> bool:
    """Whether ``raises`` is what ``pytest.mark.xfail(raises=...)`` accepts."""
    classes = raises if isinstance(raises, tuple) else (raises,)
    return bool(classes) and all(
        isinstance(c, type) and issubclass(c, BaseException) for c in classes
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    kept: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    for item in items:
        problems = _marker_problems(item)
        spec = _spec_of(item)
        if problems:
            item.stash[_PROBLEMS_KEY] = problems
        elif spec is not None:
            if not all(
                any(spec.matches(s) for s in m.args) for m in item.iter_markers("backend_only")
            ):
                deselected.append(item)
                continue
            _apply_needs(item, spec)
            _apply_xfail(item, spec)
        kept.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


def _apply_needs(item: pytest.Item, spec: BackendSpec) -> None:
    for m in item.iter_markers("needs"):
        for cap in m.args:
            canonical = canonical_capability(cap)
            assert canonical is not None
            why = spec.lacks(canonical)
            if why is not None:
                item.add_marker(pytest.mark.skip(reason=f"{spec.name} lacks {canonical}: {why}"))
                return


def _apply_xfail(item: pytest.Item, spec: BackendSpec) -> None:
    for m in item.iter_markers("xfail_backend"):
        if any(spec.matches(s) for s in m.args):
            reason = f"{spec.name}: {m.kwargs['reason']}"
            raises = m.kwargs.get("raises")
            item.add_marker(pytest.mark.xfail(strict=True, reason=reason, raises=raises))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    problems = item.stash.get(_PROBLEMS_KEY, None)
    if problems:
        pytest.fail(f"{item.nodeid}: " + "; ".join(problems), pytrace=False)


def pytest_report_header(config: pytest.Config) -> str:
    real = "set" if os.environ.get(REAL_MONGODB_ENV) else "not set"
    return f"asyncodm backends: {', '.join(backend_names())} ({REAL_MONGODB_ENV} {real})"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    server = terminalreporter.config.stash.get(_NX_KEY, None)
    if server is not None:
        terminalreporter.write_line(
            f"nx-27017: {NxServer.launches} server(s) started this session, "
            f"ready in {server.startup_seconds:.2f}s, output in {server.output}"
        )
