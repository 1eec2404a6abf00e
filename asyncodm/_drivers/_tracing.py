"""The seam's one tracing slot: what ``asyncodm.telemetry.instrument()`` plugs into.

Stage: drivers. Every collection call and every cursor fetch already runs inside an error
scope (``map_driver_errors``); ``operation_scope`` returns exactly that scope unless a tracer
is installed, so an uninstrumented process pays one module attribute read per operation. When
one is installed, the scope also opens the tracer's span around the driver call (so spans a
driver emits nest under it) and closes it with the *translated* error, which is what the
application sees.

The same tracer also opens the spans of the ODM operations made of several driver calls
(``save``, ``dereference``, ``cascade``: ``odm_scope``), so the driver calls a save makes
appear as its children.

A single slot, set and cleared by ``set_tracer``, not a list of hooks: there is one tracer
per process, and reading what happens around a call means reading this module only.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from types import TracebackType
from typing import Any, Protocol

from asyncodm._drivers._errors import map_driver_errors

__all__ = ["SpanFactory", "current_tracer", "odm_scope", "operation_scope", "set_tracer"]


class SpanFactory(Protocol):
    """What ``asyncodm.telemetry`` installs: span context managers, or None for no span."""

    def __call__(
        self, operation: str, namespace: str | None, fetch: bool
    ) -> AbstractContextManager[Any] | None:
        """A span around one driver call; ``fetch`` is True for a cursor's round trips,
        False for the collection call that builds it."""

    def odm(self, operation: str, model: type) -> AbstractContextManager[Any] | None:
        """A span around one ODM operation of ``model`` made of several driver calls."""


_NO_SPAN: AbstractContextManager[None] = nullcontext()

_tracer: SpanFactory | None = None


def set_tracer(factory: SpanFactory | None) -> SpanFactory | None:
    """Install (or, with None, remove) the span factory; returns the previous one."""
    global _tracer
    previous, _tracer = _tracer, factory
    return previous


def current_tracer() -> SpanFactory | None:
    """The installed span factory, if any."""
    return _tracer


class _Traced:
    """A span around the error scope: the span ends with the error the caller will see."""

    __slots__ = ("_errors", "_span")

    def __init__(self, span: AbstractContextManager[Any], errors: map_driver_errors) -> None:
        self._span = span
        self._errors = errors

    def __enter__(self) -> _Traced:
        self._span.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._errors.__exit__(exc_type, exc, tb)
        except BaseException as translated:
            self._span.__exit__(type(translated), translated, translated.__traceback__)
            raise
        self._span.__exit__(exc_type, exc, tb)


def operation_scope(
    alias: str, operation: str, namespace: str | None, *, fetch: bool = False
) -> AbstractContextManager[Any]:
    """The error scope of one driver call, traced when a tracer is installed."""
    errors = map_driver_errors(alias, operation, namespace)
    factory = _tracer
    if factory is None:
        return errors
    span = factory(operation, namespace, fetch)
    return errors if span is None else _Traced(span, errors)


def odm_scope(operation: str, model: type) -> AbstractContextManager[Any]:
    """The span of one ODM operation (``save``, ``dereference``, ``cascade``) of ``model``,
    parent of its driver calls' spans; nothing when no tracer is installed."""
    factory = _tracer
    if factory is None:
        return _NO_SPAN
    return factory.odm(operation, model) or _NO_SPAN
