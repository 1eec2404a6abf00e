"""Every documentation page runs: its ```python blocks are executed top to bottom.

Only ```python blocks run (use ```py or ```text for fragments that should not). A page's
blocks share one namespace and run inside one async function, so they may ``await``; each
line keeps its line number in the page, so a failure points at the Markdown line.

Each page runs twice: as written, on the embedded database its ``mongomock://localhost/<db>``
URIs name, and on the nx-27017 wire server (the same URIs pointed at it; the databases they
name are dropped before and after), so no example works only on an in-process fake. Where
nx-27017 cannot run a page, ``NX_DEVIATIONS`` says why and what it raises.

An example that shows an error must fail when the error is not raised: every ``try`` with
``except`` handlers and neither ``else`` nor ``finally`` outside the page's own function
definitions gets an ``else`` that raises ``AssertionError`` naming the line. The registry and
connections are reset around each page so pages cannot leak into each other or into other
tests.

The site itself (mkdocs.yml, ``make docs``) is checked here too: every page is in its
navigation, the README links every guide, tutorial and migration page, the landing page is the
README's quick start, and the site builds with ``--strict`` and no warning.
"""

from __future__ import annotations

import ast
import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient

import asyncodm
from asyncodm._registry import registry
from asyncodm.errors import OperationError
from tests._backends import NxServer

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(
    p for p in [*(ROOT / "docs").rglob("*.md"), ROOT / "README.md"] if "```python" in p.read_text()
)
FENCE = re.compile(r"^```(\w*)\s*$")
MOCK_URI = re.compile(r"""(["'])mongomock://localhost/(\w+)""")

#: Pages nx-27017 cannot run as written: page -> (what nx lacks, the exception it raises).
NX_DEVIATIONS: dict[str, tuple[str, type[BaseException]]] = {
    "docs/files.md": (
        "GridFS files keep no contentType (the page reads it back)",
        AssertionError,
    ),
    "docs/indexes.md": (
        "DuplicateKeyError has no keyPattern/keyValue, so the error cannot name index and value",
        AssertionError,
    ),
    "docs/querying.md": ("queries on an array index (tags__0) match nothing", AssertionError),
    "docs/references.md": ("DBRef values cannot be stored (WriteError 8)", OperationError),
    "docs/tutorials/first-app.md": (
        "equality on an ObjectId-valued field other than _id matches nothing (books by author)",
        AssertionError,
    ),
    "docs/migrating/minimongo.md": (
        "collection names containing a dot are rejected",
        OperationError,
    ),
}


def page_source(text: str) -> str:
    """The page's python blocks as one coroutine function, each line at its Markdown line."""
    lines = ["async def __page__():"]
    inside = False
    for number, line in enumerate(text.splitlines(), start=1):
        fence = FENCE.match(line)
        if fence is not None:
            inside = not inside and fence.group(1) == "python"
            code = ""
        else:
            code = "    " + line if inside and line.strip() else ""
        if number == 1:
            continue  # the function header takes line 1, which is never inside a block
        lines.append(code)
    lines.append("    return locals()")
    return "\n".join(lines) + "\n"


class _ErrorExamples(ast.NodeTransformer):
    """Give every error example (``try``/``except`` without ``else``/``finally``) an ``else``
    that fails, so an example whose error is no longer raised fails the page."""

    def __init__(self, page: str) -> None:
        self.page = page

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AST:
        if node.name == "__page__":
            return self.generic_visit(node)
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        return node

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        return node

    def visit_Try(self, node: ast.Try) -> ast.AST:
        self.generic_visit(node)
        if node.handlers and not node.orelse and not node.finalbody:
            caught = ", ".join(ast.unparse(h.type) if h.type else "an error" for h in node.handlers)
            message = f"{self.page}:{node.lineno}: the example expects {caught}, nothing was raised"
            failure = ast.Raise(
                exc=ast.Call(ast.Name("AssertionError", ast.Load()), [ast.Constant(message)], [])
            )
            node.orelse = [ast.copy_location(failure, node.body[-1])]
        return node


def compile_page(text: str, filename: str) -> Any:
    tree = _ErrorExamples(filename).visit(ast.parse(page_source(text), filename))
    # dont_inherit: a page runs as its reader would run it, not with this module's
    # `from __future__ import annotations` (FastAPI reads a page's annotations as types).
    return compile(ast.fix_missing_locations(tree), filename, "exec", dont_inherit=True)


def run_page(text: str, filename: str) -> None:
    namespace: dict[str, object] = {"__name__": f"docs_{Path(filename).stem}"}
    saved = registry.snapshot()
    registry.clear()  # other suites' models (and their delete rules) stay out of the page
    try:
        exec(compile_page(text, filename), namespace)

        async def run() -> None:
            try:
                await namespace["__page__"]()  # type: ignore[operator]
            finally:
                await asyncodm.disconnect_all()

        asyncio.run(run())
    finally:
        registry.restore(saved)


def on_server(text: str, server: NxServer) -> tuple[str, list[str]]:
    """The page with its embedded-database URIs pointed at ``server``, and the databases used."""
    names: list[str] = []

    def point(match: re.Match[str]) -> str:
        names.append(match.group(2))
        return f"{match.group(1)}mongodb://127.0.0.1:{server.port}/{names[-1]}"

    return MOCK_URI.sub(point, text), names


def drop_databases(server: NxServer, names: list[str]) -> None:
    async def drop() -> None:
        client: AsyncMongoClient[Any] = AsyncMongoClient(server.uri)
        try:
            for name in set(names):
                await client.drop_database(name)
        finally:
            await client.close()

    asyncio.run(drop())


def page_id(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", PAGES, ids=[page_id(p) for p in PAGES])
def test_page_runs(path: Path) -> None:
    run_page(path.read_text(), str(path))


def wire_server_params() -> list[Any]:
    params = []
    for path in PAGES:
        deviation = NX_DEVIATIONS.get(page_id(path))
        marks = (
            [pytest.mark.xfail(reason=f"nx-27017: {deviation[0]}", raises=deviation[1])]
            if deviation
            else []
        )
        params.append(pytest.param(path, id=page_id(path), marks=marks))
    return params


@pytest.mark.parametrize("path", wire_server_params())
def test_page_runs_on_the_wire_server(path: Path, nx_server: NxServer) -> None:
    text, names = on_server(path.read_text(), nx_server)
    drop_databases(nx_server, names)
    try:
        run_page(text, str(path))
    finally:
        drop_databases(nx_server, names)


# -- the runner itself ------------------------------------------------------------------------


def test_an_error_example_fails_when_the_error_is_not_raised() -> None:
    page = "# Page\n\n```python\ntry:\n    x = 1\nexcept ValueError:\n    pass\n```\n"
    with pytest.raises(AssertionError, match=r"page\.md:4: the example expects ValueError"):
        run_page(page, "page.md")


def test_an_error_example_passes_when_the_error_is_raised() -> None:
    page = "```python\ntry:\n    int('x')\nexcept ValueError as error:\n    assert 'x' in str(error)\n```\n"
    run_page(page, "page.md")


def test_try_blocks_inside_functions_and_with_else_are_left_as_written() -> None:
    page = (
        "```python\ndef f():\n    try:\n        return 1\n    except ValueError:\n"
        "        return 2\n\nassert f() == 1\ntry:\n    y = 1\nexcept ValueError:\n    pass\n"
        "else:\n    y = 2\nassert y == 2\n```\n"
    )
    run_page(page, "page.md")


def test_failures_point_at_the_markdown_line() -> None:
    page = "Intro\n\n```python\nx = 1\n```\n\ntext\n\n```python\nassert x == 2\n```\n"
    with pytest.raises(AssertionError) as info:
        run_page(page, "page.md")
    frames = [f for f in info.traceback if str(f.path) == "page.md"]
    assert frames and frames[-1].lineno + 1 == 10


# -- the site ----------------------------------------------------------------------------------

NAV_PAGE = re.compile(r"^\s*- .*?([\w/.-]+\.md)\s*$", re.MULTILINE)


def nav_pages() -> list[str]:
    """The pages mkdocs.yml's nav lists, relative to docs/."""
    return NAV_PAGE.findall((ROOT / "mkdocs.yml").read_text())


def test_every_page_is_in_the_site_navigation() -> None:
    pages = {str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md")}
    listed = nav_pages()
    assert len(listed) == len(set(listed)), "a page is listed twice in mkdocs.yml"
    assert set(listed) == pages


def test_the_readme_links_every_guide_tutorial_and_migration_page() -> None:
    readme = (ROOT / "README.md").read_text()
    pages = [p for p in nav_pages() if p != "index.md" and not p.startswith("reference/")]
    missing = [p for p in pages if f"](docs/{p})" not in readme]
    assert not missing, f"README.md does not link {missing}"
    assert "](docs/reference/asyncodm.md)" in readme


def test_the_landing_page_is_the_readme_quick_start() -> None:
    readme = (ROOT / "README.md").read_text()
    index = (ROOT / "docs" / "index.md").read_text()
    for section in ("intro", "install", "quickstart"):
        start, end = f"<!-- --8<-- [start:{section}] -->", f"<!-- --8<-- [end:{section}] -->"
        assert readme.count(start) == 1 and readme.count(end) == 1
        assert readme.index(start) < readme.index(end)
        assert f'--8<-- "README.md:{section}"' in index
    quick = readme.split("[start:quickstart]")[1].split("[end:quickstart]")[0]
    assert "```python" in quick and "await post.save()" in quick  # the executed example


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    """`make docs`: mkdocs --strict fails on a broken link or anchor, a page missing from the
    navigation, an unresolved reference and a docstring the API reference cannot parse."""
    pytest.importorskip("mkdocs", reason="the docs extra is not installed")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stderr + done.stdout
    assert (tmp_path / "reference" / "asyncodm" / "index.html").exists()
    assert "Paste this into the asyncio REPL" in (tmp_path / "index.html").read_text()
    # Every public name has its entry in the API reference (an alias may share its target's).
    documented = {
        anchor.rsplit(".", 1)[-1]
        for page in (tmp_path / "reference").rglob("*.html")
        for anchor in re.findall(r'id="(asyncodm[.\w]*)"', page.read_text())
    }
    aliases = {"switch_connection"}  # switch_db's PyMODM name
    missing = sorted(set(asyncodm.__all__) - documented - aliases)
    assert not missing, f"the API reference has no entry for {missing}"
