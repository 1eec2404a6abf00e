"""The admin in a real browser: Debian's chromium driven by Playwright, against uvicorn.

These are the only browser tests of the suite (``-m browser`` selects them; ``-m "not
browser"`` leaves them out). The server runs in a thread on the embedded database; checks of
what was stored run on the server's own event loop, where its client lives. The list page's
screenshot is taken on every run; with ``ASYNCODM_UPDATE_SCREENSHOTS=1`` it is written to
docs/img/admin-list.png (shown in docs/admin.md), so a plain test run leaves the tree clean.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
import time
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

import asyncodm

pytest.importorskip("starlette_admin")  # the "admin" extra (Python >= 3.11)
pytest.importorskip("uvicorn")
pytest.importorskip("playwright.sync_api")

import uvicorn
from playwright import sync_api

from tests.web._admin_blog import Contributor, NewsStory, make_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "img" / "admin-list.png"
T = TypeVar("T")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="chromium is not installed (make test installs it)"
    ),
]


class _Server:
    """uvicorn on 127.0.0.1 and a free port, in a thread with its own event loop."""

    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(make_app(), host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")  # fmt: skip
        self.server = uvicorn.Server(config)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.server.serve())

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the server's loop (its database client lives there)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=10)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture(scope="module")
def server() -> Iterator[_Server]:
    asyncodm.connect("mongomock://localhost/admin_browser")
    srv = _Server()
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()
        asyncodm.connect("mongomock://localhost/admin_browser_done")


@pytest.fixture(scope="module")
def page(server: _Server) -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1600, "height": 720})
        pg = context.new_page()
        pg.set_default_timeout(10_000)
        yield pg
        browser.close()


async def _raw_stories() -> list[dict[str, Any]]:
    return list(await NewsStory.objects.as_pymongo().to_list())


async def _add_contributor(name: str) -> Any:
    c = Contributor(name=name, email=f"{name.lower()}@example.com")
    await c.save()
    return c.pk


def test_create_edit_search_validate_and_denied_delete(server: _Server, page: Any) -> None:
    ann = server.run(_add_contributor("Ann"))

    # Create: two embedded notes (the list's "Add item"), a reference picked in its select.
    page.goto(f"{server.url}/admin/news-story/create")
    page.fill("#title", "Browser launch")
    notes = page.locator("#notes")
    notes.locator(".field-list-btn-add").click()
    notes.locator(".field-list-btn-add").click()
    bodies = notes.locator(".list-container input[name$='.body']")
    bodies.nth(0).fill("first note")
    bodies.nth(1).fill("second note")
    page.locator("#author + .select2 .select2-selection").click()
    page.locator(".select2-results__option").filter(has_text="Ann").first.click()
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/admin/news-story/list**")
    (raw,) = server.run(_raw_stories())
    assert raw["title"] == "Browser launch"
    assert [n["body"] for n in raw["notes"]] == ["first note", "second note"]
    assert raw["author"] == ann

    # Edit it.
    page.goto(f"{server.url}/admin/news-story/edit?pk={raw['_id']}")
    page.fill("#title", "Browser launch, edited")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/admin/news-story/list**")
    assert server.run(_raw_stories())[0]["title"] == "Browser launch, edited"

    # Search it.
    page.goto(f"{server.url}/admin/news-story/list")
    search = page.locator("input[name=q], #search-input").first
    search.fill("LAUNCH, ed")
    search.press("Enter")
    page.wait_for_url("**q=**")
    assert page.get_by_text("Browser launch, edited").first.is_visible()

    # A validation error shows at its field; nothing is stored.
    page.goto(f"{server.url}/admin/news-story/create")
    page.evaluate("document.querySelector('#title').removeAttribute('maxlength')")
    page.fill("#title", "x" * 61)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_selector("#title.is-invalid")
    feedback = page.locator("#title-error")
    assert "60" in feedback.inner_text()
    assert len(server.run(_raw_stories())) == 1

    # Deleting Ann (who wrote the story, DENY) shows the refusal; nothing is deleted.
    page.goto(f"{server.url}/admin/contributor/detail?pk={ann}")
    page.locator("a, button").filter(has_text="Delete").first.click()
    page.locator(".modal.show button").filter(has_text="Yes").first.click()
    alert = page.locator(".alert-danger, .toast, #modal-action-error, .alert").filter(has_text="NewsStory")  # fmt: skip
    alert.first.wait_for()
    assert server.run(Contributor.objects(pk=ann).count()) == 1


def test_list_screenshot(server: _Server, page: Any, tmp_path: Path) -> None:
    async def seed() -> None:
        bob = Contributor(name="Bob", email="bob@example.com")
        await bob.save()
        for i, title in enumerate(["Release notes", "Indexing tips", "Async all the way"]):
            await NewsStory(title=title, status="live", views=10 * i, tags=["odm"], author=bob).save()  # fmt: skip

    server.run(seed())
    page.goto(f"{server.url}/admin/news-story/list")
    page.get_by_text("Indexing tips").first.wait_for()
    target = SCREENSHOT if os.environ.get("ASYNCODM_UPDATE_SCREENSHOTS") else tmp_path / "list.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target))
    assert target.stat().st_size > 10_000
