"""A change-stream worker: keeps ``story_summaries`` in step with ``stories`` and, after a
restart, resumes from the resume token it stored, so no change is lost or applied twice.

Run it against a server with change streams (a replica set): ``MONGODB_URI=mongodb://...
python -m examples.worker``; write to ``stories`` from another shell and watch the summaries.

Why it is shaped this way:

* every change is applied idempotently (an upsert by the story's id, or a delete), then the
  event's token is stored; a crash between the two replays one change, harmlessly
  (at-least-once delivery, exactly-once effect).
* updates are watched with ``full_document="updateLookup"``, so the worker sees the whole
  story, not only the changed fields; deletes carry only the ``documentKey``.
* the story's id is read from ``change.document_key``, which every event has.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import asyncodm
from asyncodm import DictField, Document, IntField, ListField, ObjectIdField, StringField
from asyncodm.watch import Change

WORKER = "story-summaries"


class Story(Document):
    title = StringField(required=True)
    tags = ListField(StringField())
    meta = {"collection": "stories"}


class StorySummary(Document):
    """The derived collection: one summary per story."""

    story_id = ObjectIdField(primary_key=True)
    headline = StringField()
    n_tags = IntField(default=0)
    meta = {"collection": "story_summaries"}


class WorkerState(Document):
    """Where each worker stopped: the last applied event's resume token."""

    name = StringField(primary_key=True)
    token = DictField()
    applied = IntField(default=0)
    meta = {"collection": "worker_state"}


async def apply(change: Change[Story]) -> None:
    """Make the summary match the story after ``change`` (idempotent)."""
    key: Any = (change.document_key or {}).get("_id")
    if change.operation == "delete":
        await StorySummary.objects(pk=key).delete()
    elif change.document is not None:
        story = change.document
        await StorySummary(
            story_id=key, headline=story.title.upper(), n_tags=len(story.tags or [])
        ).save()


async def run_worker(*, stop_after: int | None = None, idle_ms: int = 500) -> int:
    """Apply changes until ``stop_after`` were applied (None: forever); the number applied."""
    state = await WorkerState.objects(pk=WORKER).first() or WorkerState(name=WORKER)
    applied = 0
    async with Story.watch(
        full_document="updateLookup",
        resume_after=state.token or None,
        operation_types=["insert", "update", "replace", "delete"],
        max_await_time_ms=idle_ms,
    ) as stream:
        while stop_after is None or applied < stop_after:
            change = await stream.try_next()
            if change is None:
                continue  # nothing new within idle_ms: ask again
            await apply(change)
            state.token = dict(change.resume_token or {})
            state.applied = (state.applied or 0) + 1
            await state.save()
            applied += 1
    return applied


async def main() -> None:
    asyncodm.connect(os.environ.get("MONGODB_URI", "mongodb://localhost:27017/worker_demo"))
    try:
        await run_worker()
    finally:
        await asyncodm.disconnect_all()


if __name__ == "__main__":
    asyncio.run(main())
