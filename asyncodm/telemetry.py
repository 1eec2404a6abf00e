"""OpenTelemetry spans for ODM operations: ``asyncodm.telemetry.instrument()`` (API.md §13).

Stage: integration (extra ``otel``: ``pip install 'asyncodm[otel]'``, opentelemetry-api).
``instrument()`` installs one span factory in the driver seam's tracing slot
(``_drivers._tracing``); every collection call and cursor round trip then runs inside a span
named ``"{operation} {Model}"`` (``"insert Post"``, ``"find Post"``), of kind CLIENT, with the
database semantic-convention attributes
(https://opentelemetry.io/docs/specs/semconv/database/mongodb/): ``db.system.name`` =
``"mongodb"``, ``db.collection.name``, ``db.namespace`` (the database), ``db.operation.name``
(the driver call: ``insert_one``, ``find``, ``aggregate`` ...). The span is current while the
driver works, so spans a driver or its instrumentation emits are its children.

The ODM operations made of several driver calls get a span of their own, the parent of
those calls' spans: ``"save Post"`` (validation, save-time field work and the insert or
update), ``"dereference Post"`` (fetching referenced documents of that class, or
``select_related`` over a page of them) and ``"cascade Author"`` (a delete that applies delete
rules: the referrers' updates and cascaded deletes), of kind INTERNAL with the same
attributes (``db.operation.name`` is the ODM operation).

Filter values never reach a span: no filter, document or update is read at all, and an error
sets the span's status and ``error.type`` to the exception's class, never its message (a
duplicate-key message quotes the value). Building a ``find`` cursor sends nothing and makes no
span; its round trips do. ``Model`` is the class stored in that collection (the root of an
inheritance hierarchy), or the collection's name when no defined model uses it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any

from asyncodm._document import Document
from asyncodm._drivers._tracing import current_tracer, set_tracer
from asyncodm._io._collection import collection_for

try:
    from opentelemetry import context as otel_context
    from opentelemetry import trace
    from opentelemetry.trace import SpanKind, Status, StatusCode
except ImportError as exc:  # pragma: no cover - the otel extra is not installed
    raise ImportError(
        "asyncodm.telemetry needs OpenTelemetry: pip install 'asyncodm[otel]'"
    ) from exc

__all__ = ["OPERATIONS", "instrument", "is_instrumented", "uninstrument"]

#: Driver call -> the ODM operation a span is named after.
OPERATIONS: Mapping[str, str] = {
    "insert_one": "insert",
    "insert_many": "insert",
    "find": "find",
    "find_one": "find",
    "update_one": "update",
    "update_many": "update",
    "replace_one": "update",
    "find_one_and_update": "update",
    "delete_one": "delete",
    "delete_many": "delete",
    "find_one_and_delete": "delete",
    "aggregate": "aggregate",
    "count_documents": "count",
    "estimated_document_count": "count",
    "distinct": "distinct",
    "create_indexes": "create_indexes",
    "list_indexes": "list_indexes",
    "drop_index": "drop_index",
    "drop": "drop",
    "watch": "watch",
}
_LAZY = frozenset({"find", "aggregate"})  # building the cursor sends nothing


def _document_classes() -> list[type]:
    """Every defined document class: the subclass tree of ``Document``, which (unlike the
    registry, which tests and reloads reset) holds every class still in use."""
    out: list[type] = []
    todo: list[type] = [Document]
    while todo:
        cls = todo.pop()
        out.append(cls)
        todo.extend(cls.__subclasses__())
    return out


def _model_name(collection: str) -> str:
    """The root document class stored in ``collection`` (its name as a fallback)."""
    best: str | None = None
    for cls in _document_classes():
        schema = cls.__dict__.get("_schema")
        if schema is None or not schema.is_document or schema.collection != collection:
            continue
        name = schema.class_name.split(".")[0]
        if best is None or len(name) < len(best):
            best = name
    return best or collection


class _Span:
    """One span around one driver call, made current while the call runs."""

    __slots__ = ("_attributes", "_kind", "_name", "_span", "_token", "_tracer")

    def __init__(
        self,
        tracer: trace.Tracer,
        name: str,
        attributes: dict[str, Any],
        *,
        kind: SpanKind = SpanKind.CLIENT,
    ) -> None:
        self._tracer = tracer
        self._name = name
        self._attributes = attributes
        self._kind = kind
        self._span: trace.Span | None = None
        self._token: object = None

    def __enter__(self) -> _Span:
        self._span = self._tracer.start_span(
            self._name, kind=self._kind, attributes=self._attributes
        )
        self._token = otel_context.attach(trace.set_span_in_context(self._span))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        span = self._span
        assert span is not None
        if exc_type is not None:
            error = f"{exc_type.__module__}.{exc_type.__qualname__}"
            span.set_attribute("error.type", error)
            span.set_status(Status(StatusCode.ERROR, exc_type.__name__))
        span.end()
        otel_context.detach(self._token)  # type: ignore[arg-type]


class _Factory:
    def __init__(self, tracer: trace.Tracer) -> None:
        self.tracer = tracer

    def odm(self, operation: str, model: type) -> _Span | None:
        """The span of one ODM operation of ``model`` (``save``, ``dereference``, ``cascade``)."""
        schema = model._schema  # type: ignore[attr-defined]
        database = collection = ""
        if schema.is_document:
            raw = collection_for(model).raw  # under the current switch_* blocks
            database, collection = raw.database.name, raw.name
        attributes: dict[str, Any] = {
            "db.system.name": "mongodb",
            "db.collection.name": collection,
            "db.namespace": database,
            "db.operation.name": operation,
        }
        name = f"{operation} {schema.class_name.split('.')[0]}"
        return _Span(self.tracer, name, attributes, kind=SpanKind.INTERNAL)

    def __call__(self, operation: str, namespace: str | None, fetch: bool) -> _Span | None:
        if operation in _LAZY and not fetch:
            return None
        database, _, collection = (namespace or "").partition(".")
        odm = OPERATIONS.get(operation, operation)
        attributes: dict[str, Any] = {
            "db.system.name": "mongodb",
            "db.collection.name": collection,
            "db.namespace": database,
            "db.operation.name": operation,
        }
        return _Span(self.tracer, f"{odm} {_model_name(collection)}", attributes)


def instrument(tracer_provider: trace.TracerProvider | None = None) -> None:
    """Trace every ODM operation from now on (with the global tracer provider by default).

    Calling it again replaces the provider; ``uninstrument()`` stops tracing.
    """
    tracer = trace.get_tracer("asyncodm", tracer_provider=tracer_provider)
    set_tracer(_Factory(tracer))


def uninstrument() -> None:
    """Stop tracing: operations pay one attribute read again."""
    set_tracer(None)


def is_instrumented() -> bool:
    return current_tracer() is not None
