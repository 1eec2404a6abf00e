"""Every documentation page runs: its ```python blocks are executed top to bottom.

Only ```python blocks run (use ```py or ```text for fragments that should not). A page's
blocks share one namespace and run inside one async function, so they may ``await``.
Pages connect themselves (usually to ``mongomock://``); the registry and connections are reset
around each page so pages cannot leak into each other or into other tests.
"""

from __future__ import annotations

import asyncio
import re
import textwrap
from pathlib import Path

import pytest

import asyncodm
from asyncodm._registry import registry

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(
    p for p in [*(ROOT / "docs").rglob("*.md"), ROOT / "README.md"] if "```python" in p.read_text()
)
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def page_source(path: Path) -> str:
    body = "\n".join(BLOCK.findall(path.read_text()))
    return "async def __page__():\n" + textwrap.indent(body, "    ") + "\n    return locals()\n"


@pytest.mark.parametrize("path", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_page_runs(path: Path) -> None:
    source = page_source(path)
    namespace: dict[str, object] = {"__name__": f"docs_{path.stem}"}
    saved = registry.snapshot()
    registry.clear()  # other suites' models (and their delete rules) stay out of the page
    try:
        exec(compile(source, str(path), "exec"), namespace)

        async def run() -> None:
            try:
                await namespace["__page__"]()  # type: ignore[operator]
            finally:
                await asyncodm.disconnect_all()

        asyncio.run(run())
    finally:
        registry.restore(saved)
