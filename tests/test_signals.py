"""Lifecycle signals: sync and async receivers, called in order, with the right arguments."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from asyncodm import signals
from tests._backends import Backend
from tests.models.blog import Animal, BlogPage, Dog


async def test_save_and_delete_signals_run_in_order_and_are_awaited(backend: Backend) -> None:
    calls: list[tuple[str, Any]] = []

    def pre_save(sender: type, document: Any, **kwargs: Any) -> None:
        calls.append(("pre_save", document.title))

    async def post_save(sender: type, document: Any, created: bool, **kwargs: Any) -> None:
        await asyncio.sleep(0)
        calls.append(("post_save", created))

    def after_async(sender: type, document: Any, created: bool, **kwargs: Any) -> None:
        calls.append(("post_save_second", created))

    async def pre_delete(sender: type, document: Any, **kwargs: Any) -> None:
        stored = await backend.db["cms_page"].find_one({"_id": document.pk})
        calls.append(("pre_delete", stored is not None))

    def post_delete(sender: type, document: Any, **kwargs: Any) -> None:
        calls.append(("post_delete", kwargs.get("reason")))

    with (
        signals.pre_save.connected_to(pre_save, sender=BlogPage),
        signals.post_save.connected_to(post_save, sender=BlogPage),
        signals.post_save.connected_to(after_async, sender=BlogPage),
        signals.pre_delete.connected_to(pre_delete, sender=BlogPage),
        signals.post_delete.connected_to(post_delete, sender=BlogPage),
    ):
        page = await BlogPage(title="t").save()
        page.title = "u"
        await page.save()
        await page.delete(signal_kwargs={"reason": "test"})
    assert calls == [
        ("pre_save", "t"),
        ("post_save", True),
        ("post_save_second", True),
        ("pre_save", "u"),
        ("post_save", False),
        ("post_save_second", False),
        ("pre_delete", True),
        ("post_delete", "test"),
    ]
    # disconnected after the blocks
    await BlogPage(title="x").save()
    assert len(calls) == 8


async def test_sender_filter_includes_subclasses(backend: Backend) -> None:
    seen: list[str] = []

    def receiver(sender: type, document: Any, **kwargs: Any) -> None:
        seen.append(sender.__name__)

    with signals.post_save.connected_to(receiver, sender=Animal):
        await Dog(name="d").save()
        await BlogPage(title="p").save()
    assert seen == ["Dog"]


async def test_a_failing_pre_save_receiver_writes_nothing(backend: Backend) -> None:
    def refuse(sender: type, document: Any, **kwargs: Any) -> None:
        raise RuntimeError("no")

    with signals.pre_save.connected_to(refuse, sender=BlogPage), pytest.raises(RuntimeError):
        await BlogPage(title="t").save()
    assert await backend.db["cms_page"].count_documents({}) == 0


def test_init_signals_are_synchronous() -> None:
    seen: list[str] = []

    def pre_init(sender: type, document: Any, values: dict[str, Any], **kwargs: Any) -> None:
        values["title"] = values.get("title", "").upper()

    def post_init(sender: type, document: Any, **kwargs: Any) -> None:
        seen.append(document.title)

    async def not_allowed(sender: type, **kwargs: Any) -> None:
        return None

    with (
        signals.pre_init.connected_to(pre_init, sender=BlogPage),
        signals.post_init.connected_to(post_init, sender=BlogPage),
    ):
        BlogPage(title="abc")
    assert seen == ["ABC"]
    with pytest.raises(TypeError, match="plain function"):
        signals.post_init.connect(not_allowed)
