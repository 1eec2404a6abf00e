"""``asyncodm.telemetry.instrument()``: a span per ODM operation, read back from the SDK's
in-memory exporter; filter values never appear in a span."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from asyncodm import CASCADE, Document, NotUniqueError, ReferenceField, StringField, telemetry
from tests._backends import Backend
from tests.models.feeds import Event, Purchase, Story, TagCount

SECRET = "s3cr3t-value"


class TelAuthor(Document):
    name = StringField()


class TelPost(Document):
    title = StringField()
    author = ReferenceField(TelAuthor, reverse_delete_rule=CASCADE)


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    telemetry.instrument(tracer_provider=provider)
    try:
        yield exporter
    finally:
        telemetry.uninstrument()


def names(exporter: InMemorySpanExporter) -> list[str]:
    return [s.name for s in exporter.get_finished_spans()]


async def test_one_span_per_operation_with_semconv_attributes(
    backend: Backend, spans: InMemorySpanExporter
) -> None:
    story = await Story(title=SECRET, tags=["a"]).save()
    await Story.objects(title=SECRET).count()
    found = await Story.objects(title=SECRET).to_list()
    await story.update(inc__views=1)
    await Story.objects(title=SECRET).delete()
    assert [f.pk for f in found] == [story.pk]
    assert names(spans) == [
        "insert Story",
        "save Story",  # the ODM operation, parent of its insert (spans end child first)
        "count Story",
        "find Story",  # one span for the find, not one per batch
        "update Story",
        "delete Story",
    ]
    first = spans.get_finished_spans()[0]
    assert first.kind == SpanKind.CLIENT
    assert dict(first.attributes or {}) == {
        "db.system.name": "mongodb",
        "db.collection.name": "stories",
        "db.namespace": backend.db_name,
        "db.operation.name": "insert_one",
    }
    for span in spans.get_finished_spans():
        shown = repr(dict(span.attributes or {})) + span.name + repr(span.status.description)
        assert SECRET not in shown


async def test_subclasses_are_named_after_the_collection_root(
    backend: Backend, spans: InMemorySpanExporter
) -> None:
    await Purchase(kind="click", amount=2.0).save()
    await Event.objects.count()
    assert names(spans) == ["insert Event", "save Event", "count Event"]


async def test_errors_set_the_status_without_the_message(
    backend: Backend, spans: InMemorySpanExporter
) -> None:
    await TagCount(tag=SECRET).save(force_insert=True)
    with pytest.raises(NotUniqueError):
        await TagCount(tag=SECRET).save(force_insert=True)
    *_, failed, failed_save = spans.get_finished_spans()
    assert (failed.name, failed_save.name) == ("insert TagCount", "save TagCount")
    assert failed.status.status_code == StatusCode.ERROR
    assert failed_save.status.status_code == StatusCode.ERROR
    assert failed.attributes is not None
    assert failed.attributes["error.type"] == "asyncodm.errors.NotUniqueError"
    assert SECRET not in repr(failed.status.description) and not failed.events


async def test_uninstrumented_makes_no_spans(backend: Backend) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    telemetry.instrument(tracer_provider=provider)
    telemetry.uninstrument()
    assert not telemetry.is_instrumented()
    await Story(title="x").save()
    assert exporter.get_finished_spans() == ()


async def test_odm_operations_are_the_parents_of_their_driver_calls(
    backend: Backend, spans: InMemorySpanExporter
) -> None:
    ann = await TelAuthor(name="Ann").save()
    await TelPost(title=SECRET, author=ann).save()
    post = await TelPost.objects.get(title=SECRET)
    assert (await post.author).name == "Ann"
    [loaded] = await TelPost.objects.select_related("author").to_list()
    assert loaded.author.pk == ann.pk
    await ann.delete()
    assert await backend.db["tel_post"].count_documents({}) == 0  # the CASCADE ran
    finished = spans.get_finished_spans()
    by_id = {s.context.span_id: s for s in finished}

    def parent(name: str) -> str | None:
        [span] = [s for s in finished if s.name == name][:1]
        return by_id[span.parent.span_id].name if span.parent is not None else None

    assert parent("insert TelAuthor") == "save TelAuthor"
    derefs = [s for s in finished if s.name.startswith("dereference")]
    # await post.author fetches a TelAuthor; select_related fills the page of TelPosts
    assert [s.name for s in derefs] == ["dereference TelAuthor", "dereference TelPost"]
    assert all(s.kind == SpanKind.INTERNAL for s in derefs)
    finds = [s for s in finished if s.name == "find TelAuthor"]
    assert len(finds) == 2
    assert [by_id[s.parent.span_id].name for s in finds if s.parent] == [d.name for d in derefs]
    cascade = next(s for s in finished if s.name == "cascade TelAuthor")
    assert dict(cascade.attributes or {}) == {
        "db.system.name": "mongodb",
        "db.collection.name": "tel_author",
        "db.namespace": backend.db_name,
        "db.operation.name": "cascade",
    }
    deletes = [s for s in finished if s.name in ("delete TelPost", "delete TelAuthor")]
    assert deletes and all(
        s.parent is not None and s.parent.span_id == cascade.context.span_id for s in deletes
    )
    for span in finished:
        assert SECRET not in span.name + repr(dict(span.attributes or {}))
