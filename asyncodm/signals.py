"""Document lifecycle signals: pre/post init, save and delete.

Stage: signals. Receivers may be plain functions or coroutine functions; ``send`` calls them in
the order they were connected and awaits those that return awaitables, so an async receiver
finishes before the next one starts (and before ``save()`` returns). ``pre_init`` and
``post_init`` run inside the synchronous constructor and therefore accept only synchronous
receivers.

Receivers are called as ``receiver(sender, document=doc, **kwargs)`` (MongoEngine's shape);
``post_save`` adds ``created=True/False``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = [
    "Signal",
    "post_bulk_insert",
    "post_delete",
    "post_init",
    "post_save",
    "pre_bulk_insert",
    "pre_delete",
    "pre_init",
    "pre_save",
]

Receiver = Callable[..., Any]


class Signal:
    """A named hook; receivers are kept strongly, in connection order."""

    def __init__(self, name: str, *, sync_only: bool = False) -> None:
        self.name = name
        self.sync_only = sync_only
        self._receivers: list[tuple[Receiver, type | None]] = []

    def connect(self, receiver: Receiver, sender: type | None = None) -> Receiver:
        """Call ``receiver`` for documents of ``sender`` (and its subclasses), or for all."""
        if self.sync_only and inspect.iscoroutinefunction(receiver):
            raise TypeError(
                f"{self.name} runs inside the synchronous constructor; connect a plain function"
            )
        if (receiver, sender) not in self._receivers:
            self._receivers.append((receiver, sender))
        return receiver

    def connect_via(self, sender: type | None = None) -> Callable[[Receiver], Receiver]:
        """Decorator form of ``connect``."""

        def decorate(receiver: Receiver) -> Receiver:
            return self.connect(receiver, sender)

        return decorate

    def disconnect(self, receiver: Receiver, sender: type | None = None) -> None:
        # In place: the load path holds a reference to this list to test it without a call.
        self._receivers[:] = [
            (r, s)
            for r, s in self._receivers
            if not (r == receiver and (sender is None or s is sender))
        ]

    @contextmanager
    def connected_to(self, receiver: Receiver, sender: type | None = None) -> Iterator[Receiver]:
        self.connect(receiver, sender)
        try:
            yield receiver
        finally:
            self.disconnect(receiver, sender)

    @property
    def receivers(self) -> list[tuple[Receiver, type | None]]:
        return list(self._receivers)

    def has_receivers_for(self, sender: type) -> bool:
        return any(s is None or issubclass(sender, s) for _, s in self._receivers)

    def _matching(self, sender: type) -> list[Receiver]:
        return [r for r, s in self._receivers if s is None or issubclass(sender, s)]

    def send_sync(self, sender: type, **kwargs: Any) -> list[Any]:
        """Call receivers synchronously (the init signals)."""
        return [receiver(sender, **kwargs) for receiver in self._matching(sender)]

    async def send(self, sender: type, **kwargs: Any) -> list[Any]:
        """Call receivers in order, awaiting each awaitable result before the next receiver."""
        results = []
        for receiver in self._matching(sender):
            result = receiver(sender, **kwargs)
            if inspect.isawaitable(result):
                result = await result
            results.append(result)
        return results

    def __bool__(self) -> bool:
        return bool(self._receivers)

    def __repr__(self) -> str:
        return f"<Signal {self.name}: {len(self._receivers)} receivers>"


pre_init = Signal("pre_init", sync_only=True)
post_init = Signal("post_init", sync_only=True)
pre_save = Signal("pre_save")
post_save = Signal("post_save")
pre_delete = Signal("pre_delete")
post_delete = Signal("post_delete")
pre_bulk_insert = Signal("pre_bulk_insert")
post_bulk_insert = Signal("post_bulk_insert")
