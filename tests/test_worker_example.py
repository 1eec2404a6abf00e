"""``examples/worker.py`` end to end: the derived collection follows inserts, updates and
deletes, and a restarted worker resumes from its stored token (change streams: nx, MongoDB)."""

from __future__ import annotations

import asyncio

import pytest

from examples.worker import WORKER, Story, run_worker
from tests._backends import Backend


async def summaries(backend: Backend) -> dict[str, tuple[str, int]]:
    docs = await backend.db["story_summaries"].find({}).to_list(None)
    return {str(d["_id"]): (d["headline"], d["n_tags"]) for d in docs}


async def _worker_for(n: int) -> int:
    return await asyncio.wait_for(run_worker(stop_after=n, idle_ms=100), timeout=20)


@pytest.mark.needs("change_streams")
async def test_worker_keeps_summaries_and_resumes_after_restart(backend: Backend) -> None:
    worker = asyncio.create_task(_worker_for(3))
    await asyncio.sleep(0.3)  # let it open its stream
    a = await Story(title="alpha", tags=["x", "y"]).save()
    b = await Story(title="beta").save()
    await a.update(push__tags="z")
    assert await worker == 3
    assert await summaries(backend) == {str(a.pk): ("ALPHA", 3), str(b.pk): ("BETA", 0)}

    # The worker is stopped: these changes happen while nobody watches.
    await b.delete()
    c = await Story(title="gamma", tags=["q"]).save()
    state = await backend.db["worker_state"].find_one({"_id": WORKER})
    assert state is not None and state["applied"] == 3 and state["token"]

    # Restarted, it resumes from the stored token: exactly the two missed changes.
    assert await _worker_for(2) == 2
    assert await summaries(backend) == {str(a.pk): ("ALPHA", 3), str(c.pk): ("GAMMA", 1)}
    state = await backend.db["worker_state"].find_one({"_id": WORKER})
    assert state is not None and state["applied"] == 5
