"""Change streams: ``QuerySet.watch()`` / ``Model.watch()`` (API.md §13).

The ``$match`` compilation is pinned as dicts in ``tests/unit/test_watch_match.py``; here the
streams run on the backends that have them. nx-27017 offers change streams through both drivers
(with stringified ``documentKey`` ids and no ``updateDescription``: ``change_stream_fidelity``),
mongomock has none, which must be a clear ``OperationError`` before anything is read.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import asyncodm
from asyncodm import OperationError, switch_collection
from asyncodm.queryset._watch import Change
from tests._backends import Backend
from tests.models.feeds import Story


async def _take(stream: Any, n: int, timeout: float = 10.0) -> list[Change[Story]]:
    async def read() -> list[Change[Story]]:
        return [await stream.__anext__() for _ in range(n)]

    return await asyncio.wait_for(read(), timeout)


@pytest.mark.needs("change_streams")
async def test_watch_yields_inserts_updates_and_deletes(backend: Backend) -> None:
    async with Story.watch(max_await_time_ms=200) as stream:
        story = await Story(title="hello", tags=["a"]).save()
        await story.update(inc__views=2)
        await story.delete()
        changes = await _take(stream, 3)
    assert [c.operation for c in changes] == ["insert", "update", "delete"]
    inserted = changes[0]
    assert isinstance(inserted.document, Story)
    assert inserted.document.title == "hello" and inserted.document.tags == ["a"]

    assert all(c.resume_token for c in changes)
    assert changes[0].raw["operationType"] == "insert"


@pytest.mark.needs("change_streams", "change_stream_fidelity")
async def test_change_keys_and_update_description(backend: Backend) -> None:
    async with Story.watch() as stream:
        story = await Story(title="x", views=1, byline={"name": "ann"}).save()
        await Story.objects(pk=story.pk).update_one(set__views=5, unset__byline=True)
        changes = await _take(stream, 2)
    assert changes[0].document_key == {"_id": story.pk}
    assert changes[0].document is not None and changes[0].document.pk == story.pk
    assert changes[1].document is None  # no full_document: an update carries none
    assert changes[1].updated_fields == {"views": 5}
    assert changes[1].removed_fields == ("byline",)


@pytest.mark.needs("change_streams")
@pytest.mark.xfail_backend(
    "nx",
    reason="update and delete events carry a fullDocument even without full_document",
    raises=AssertionError,
)
async def test_updates_and_deletes_carry_no_document_unless_asked(backend: Backend) -> None:
    async with Story.watch() as stream:
        story = await Story(title="x").save()
        await story.update(set__views=3)
        await story.delete()
        changes = await _take(stream, 3)
    assert [c.document is None for c in changes] == [False, True, True]


@pytest.mark.needs("change_streams")
async def test_equality_filter_on_a_stored_name(backend: Backend) -> None:
    qs = Story.objects(title="keep")
    assert qs.watch().pipeline == [{"$match": {"fullDocument.t": "keep"}}]
    async with qs.watch(max_await_time_ms=200) as stream:
        await Story(title="drop").save()
        await Story(title="keep", views=4).save()
        (change,) = await _take(stream, 1)
        assert await stream.try_next() is None
    assert change.document is not None and change.document.views == 4


@pytest.mark.needs("change_streams")
async def test_an_empty_queryset_watches_nothing(backend: Backend) -> None:
    qs = Story.objects.none()
    assert qs.watch().pipeline == [{"$match": {"_id": {"$exists": False}}}]
    async with qs.watch(max_await_time_ms=200) as stream, Story.watch() as everything:
        await Story(title="unseen").save()
        (seen,) = await _take(everything, 1)  # the event happened
        assert await stream.try_next() is None  # and the empty queryset's stream skipped it
    assert seen.document is not None and seen.document.title == "unseen"


@pytest.mark.needs("change_streams")
@pytest.mark.xfail_backend(
    "nx",
    reason="a change stream $match evaluates only scalar equality ($regex, arrays, $and "
    "match nothing)",
    raises=TimeoutError,
)
async def test_queryset_filter_selects_events_by_stored_path(backend: Backend) -> None:
    qs = Story.objects(title__startswith="keep", tags="t")
    assert qs.watch().pipeline == [
        {"$match": {"fullDocument.t": {"$regex": "^keep"}, "fullDocument.tags": "t"}}
    ]
    async with qs.watch(max_await_time_ms=200) as stream:
        await Story(title="drop me", tags=["t"]).save()
        await Story(title="keep 1", tags=["u"]).save()
        kept = await Story(title="keep 2", tags=["t"]).save()
        changes = await _take(stream, 1)
        assert await stream.try_next() is None
    assert [c.document.title for c in changes if c.document] == ["keep 2"]
    assert changes[0].document is not None and changes[0].document.title == kept.title


@pytest.mark.needs("change_streams")
async def test_full_document_update_lookup_and_operation_types(backend: Backend) -> None:
    story = await Story(title="a").save()
    async with Story.watch(
        full_document="updateLookup", operation_types=["update"], max_await_time_ms=200
    ) as stream:
        await Story(title="b").save()  # an insert: not asked for
        await story.update(set__views=7)
        (change,) = await _take(stream, 1)
    assert change.operation == "update"
    assert change.document is not None and change.document.views == 7


@pytest.mark.needs("change_streams")
async def test_resume_after_a_token_once_the_stream_was_closed(backend: Backend) -> None:
    async with Story.watch() as stream:
        await Story(title="one").save()
        (first,) = await _take(stream, 1)
    token = first.resume_token
    assert token is not None
    await Story(title="two").save()  # while nobody watches
    await Story(title="three").save()
    async with Story.watch(resume_after=token) as resumed:
        later = await _take(resumed, 2)
    assert [c.document.title for c in later if c.document] == ["two", "three"]


@pytest.mark.needs("change_streams")
async def test_watch_inside_switch_collection(backend: Backend) -> None:
    with switch_collection(Story, "stories_archive"):
        stream = Story.watch()
    async with stream:
        await Story(title="main").save()
        with switch_collection(Story, "stories_archive"):
            await Story(title="archived").save()
        (change,) = await _take(stream, 1)
    assert change.document is not None and change.document.title == "archived"
    raw = await backend.db["stories_archive"].find_one({"t": "archived"})
    assert raw is not None


@pytest.mark.backend_only("mongomock")
async def test_no_change_streams_is_a_clear_operation_error(backend: Backend) -> None:
    stream = Story.objects(title="x").watch()
    with pytest.raises(OperationError, match="no change streams"):
        async with stream:
            pass
    with pytest.raises(OperationError, match="no change streams"):
        async for _ in Story.watch():
            pass
    assert await backend.db["stories"].count_documents({}) == 0  # nothing was written


def test_change_is_frozen() -> None:
    change: Change[Story] = Change(operation="delete", document=None, document_key={"_id": 1})
    with pytest.raises(AttributeError):
        change.operation = "insert"  # type: ignore[misc]
    assert asyncodm.OperationError is OperationError
