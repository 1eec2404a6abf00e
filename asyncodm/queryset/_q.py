"""The Q tree: lookups combined with ``&``, ``|`` and ``~`` before compilation.

Stage: Q (pure). A ``Q`` holds keyword lookups (ANDed) or a combination of child Qs. It knows
nothing about models; ``_compile.compile_q`` turns it into a filter dict against a Schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Q"]


@dataclass(frozen=True, slots=True, init=False)
class Q:
    """A query node: ``Q(title__startswith="A") | ~Q(tags__size=0)`` (MongoEngine / Django).

    ``op`` is ``"and"`` / ``"or"`` for combinations of ``children``, ``"leaf"`` for keyword
    lookups; ``negated`` wraps the node in ``$nor`` when compiled.
    """

    lookups: tuple[tuple[str, Any], ...] = ()
    children: tuple[Q, ...] = ()
    op: str = "leaf"
    negated: bool = False
    raw: dict[str, Any] | None = field(default=None)

    def __init__(self, *children: Q, **lookups: Any) -> None:
        object.__setattr__(self, "lookups", tuple(lookups.items()))
        object.__setattr__(self, "children", tuple(children))
        object.__setattr__(self, "op", "and" if children else "leaf")
        object.__setattr__(self, "negated", False)
        object.__setattr__(self, "raw", None)

    @classmethod
    def _make(
        cls,
        *,
        op: str,
        children: tuple[Q, ...] = (),
        lookups: tuple[tuple[str, Any], ...] = (),
        negated: bool = False,
        raw: dict[str, Any] | None = None,
    ) -> Q:
        node = cls.__new__(cls)
        object.__setattr__(node, "lookups", lookups)
        object.__setattr__(node, "children", children)
        object.__setattr__(node, "op", op)
        object.__setattr__(node, "negated", negated)
        object.__setattr__(node, "raw", raw)
        return node

    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> Q:
        """A node holding a raw MongoDB filter (PyMODM ``raw()``); compiled as given."""
        return cls._make(op="raw", raw=dict(raw))

    @property
    def empty(self) -> bool:
        """True for ``Q()``: matches everything and vanishes when combined."""
        return (
            self.op in ("leaf", "and", "or")
            and not self.lookups
            and all(c.empty for c in self.children)
            and not self.negated
        )

    def _combine(self, other: object, op: str) -> Q:
        if not isinstance(other, Q):
            return NotImplemented  # type: ignore[no-any-return]
        if other.empty:
            return self
        if self.empty:
            return other
        parts: list[Q] = []
        for node in (self, other):
            if node.op == op and not node.negated:
                parts.extend(node.children)
            else:
                parts.append(node)
        return Q._make(op=op, children=tuple(parts))

    def __and__(self, other: Q) -> Q:
        return self._combine(other, "and")

    def __or__(self, other: Q) -> Q:
        return self._combine(other, "or")

    def __invert__(self) -> Q:
        return Q._make(
            op=self.op,
            children=self.children,
            lookups=self.lookups,
            negated=not self.negated,
            raw=self.raw,
        )

    def __repr__(self) -> str:
        neg = "~" if self.negated else ""
        if self.op == "raw":
            return f"{neg}Q.from_raw({self.raw!r})"
        if self.op == "leaf":
            args = ", ".join(f"{k}={v!r}" for k, v in self.lookups)
            return f"{neg}Q({args})"
        sep = " & " if self.op == "and" else " | "
        return f"{neg}({sep.join(repr(c) for c in self.children)})"
