"""``asyncodm.telemetry.instrument()``: a span per ODM operation, read back from the SDK's
in-memory exporter; filter values never appear in a span."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from asyncodm import NotUniqueError, telemetry
from tests._backends import Backend
from tests.models.feeds import Event, Purchase, Story, TagCount

SECRET = "s3cr3t-value"


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
    assert names(spans) == ["insert Event", "count Event"]


async def test_errors_set_the_status_without_the_message(
    backend: Backend, spans: InMemorySpanExporter
) -> None:
    await TagCount(tag=SECRET).save(force_insert=True)
    with pytest.raises(NotUniqueError):
        await TagCount(tag=SECRET).save(force_insert=True)
    failed = spans.get_finished_spans()[-1]
    assert failed.name == "insert TagCount"
    assert failed.status.status_code == StatusCode.ERROR
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
