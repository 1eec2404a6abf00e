"""The registry: every document class by name, so stored ``_cls`` values and string references
find their class.

Stage: schema/registry. One object (``registry``) that tests can reset: ``reset()`` forgets
every class and every delete rule, and nothing else holds per-class state (each class's own
record holds the rest, and leaves with the class). Defining a class again under the same name
(a REPL session, a reloaded module, a test) replaces the earlier one, and its rules.
String references (forward references) are resolved through this table when used, so they
need no table of their own. Registering a class adds the delete rules its record declares
(``ClassRecord.delete_rules``) to the rule graph: no listeners, no import order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from asyncodm._types import DeleteRule
from asyncodm.errors import NotRegistered

__all__ = ["Registry", "RuleEntry", "registry"]


@dataclass(frozen=True, slots=True)
class RuleEntry:
    """One edge of the delete-rule graph: deleting a ``target`` affects ``referrer.field``."""

    target: str
    """The referenced class's registry name (resolved when a delete happens, so the target
    may be defined after the referrer, or redefined); ``"*"`` for every document class (a
    ``GenericReferenceField`` without ``choices``)."""
    referrer: type
    field: str
    """The attribute name on the referrer."""
    path: str
    """The stored path that holds the reference."""
    rule: DeleteRule
    many: bool
    """The path holds a list of references (PULL removes items; NULLIFY pulls them too)."""
    target_class: type | None = None
    """The referenced class itself, when the reference was declared with the class (not its
    name): another class defined later under the same name (in another module, a test, a
    REPL) must not take this rule over, nor hide it."""


class Registry:
    """Document classes by ``_cls`` name (``"Page.SpecialPage"``) and by plain class name."""

    def __init__(self) -> None:
        self._by_class_name: dict[str, type] = {}
        self._by_name: dict[str, type] = {}
        self._rules: list[RuleEntry] = []
        #: Bumped whenever the registered classes change: what caches of per-hierarchy
        #: answers (``_io._batches``) compare to know they are still right.
        self.generation = 0

    def register(self, cls: type) -> None:
        """Add ``cls`` (its record is built) and the delete rules it declares."""
        record = cls._schema  # type: ignore[attr-defined]
        class_name: str = record.class_name
        old = self._by_class_name.get(class_name)
        if old is not None and old is not cls:
            # A redefinition replaces the old class, and the rules it declared, everywhere.
            self._rules = [r for r in self._rules if r.referrer is not old]
        self._by_class_name[class_name] = cls
        self._by_name[cls.__name__] = cls
        self.generation += 1
        for entry in record.delete_rules:
            self.add_rule(entry)

    def get(self, name: str) -> type:
        """The class registered as ``name`` (a ``_cls`` value or a plain class name)."""
        found = self._by_class_name.get(name) or self._by_name.get(name)
        if found is None:
            raise NotRegistered(
                f"no document class named {name!r} is registered; define (import) it first"
            )
        return found

    def find(self, name: str) -> type | None:
        return self._by_class_name.get(name) or self._by_name.get(name)

    def by_class_name(self, class_name: str) -> type | None:
        return self._by_class_name.get(class_name)

    def class_names_under(self, cls: type) -> list[str]:
        """The ``_cls`` names of ``cls`` and every registered subclass (for queries)."""
        root: str = cls._schema.class_name  # type: ignore[attr-defined]
        prefix = root + "."
        return [n for n in self._by_class_name if n == root or n.startswith(prefix)]

    def __iter__(self) -> Iterator[type]:
        return iter(list(self._by_class_name.values()))

    def documents(self) -> list[type]:
        return list(self._by_class_name.values())

    # --- the delete-rule graph ---------------------------------------------------------------

    def add_rule(self, entry: RuleEntry) -> None:
        self._rules = [
            r
            for r in self._rules
            if not (
                r.referrer is entry.referrer and r.field == entry.field and r.target == entry.target
            )
        ]
        self._rules.append(entry)

    def rules_for(self, model: type) -> list[RuleEntry]:
        """Rules that apply when a document of ``model`` is deleted (rules on its parents too)."""
        if not self._rules:
            return []
        names = {klass.__name__ for klass in model.__mro__}
        out = []
        for rule in self._rules:
            if rule.target == "*":
                out.append(rule)
            elif rule.target in names:
                target = rule.target_class or self.find(rule.target)
                if target is not None and issubclass(model, target):
                    out.append(rule)
        return out

    @property
    def rules(self) -> list[RuleEntry]:
        return list(self._rules)

    def reset(self) -> None:
        """Forget every class and every delete rule: nothing registered before applies."""
        self._by_class_name.clear()
        self._by_name.clear()
        self._rules.clear()
        self.generation += 1

    clear = reset

    def snapshot(self) -> dict[str, Any]:
        return {
            "by_class_name": dict(self._by_class_name),
            "by_name": dict(self._by_name),
            "rules": list(self._rules),
        }

    def restore(self, state: dict[str, Any]) -> None:
        self._by_class_name = dict(state["by_class_name"])
        self._by_name = dict(state["by_name"])
        self._rules = list(state["rules"])
        self.generation += 1


registry = Registry()
