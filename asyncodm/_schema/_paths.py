"""The one path resolver: ``author__name`` / ``size.width`` -> stored path and fields.

Stage: schema (pure; definition time and query compile time). Query and update keywords, sort
keys, projections, ``values``/``distinct``/aggregation paths, index keys and shard keys all name
a place inside a stored document by Python names. Each is resolved here, one part at a time: the
first part in the document's ``Schema`` (attribute name, ``pk``/``id``, or stored name), every
later part by asking the field reached so far (``BaseField.walk``): an embedded document enters
its class, a list takes an index or positional operator or looks into every item, a dict takes
any key, a DBRef reference its ``$id``/``$ref``, and dynamic data takes the rest as written.
What differs between queries and index keys is stated once, as ``PathRules``.

A part that names nothing raises ``LookUpError`` naming the model, the path up to that part
and the whole path as written, so a typo never silently becomes a query that matches nothing
or an index nobody uses. (MongoEngine's ``BaseDocument._lookup_field`` is the model for what
this covers.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from asyncodm._registry import registry
from asyncodm.errors import LookUpError
from asyncodm.fields._base import BaseField, Container, NoPath, PathStep, References, is_position
from asyncodm.fields._embedded import document_field, undeclared_step

__all__ = ["LOOKUP", "STORED", "Crossing", "PathRules", "ResolvedPath", "find_crossing", "resolve"]

#: The wildcard index key (``"$**"``, ``"attributes.$**"``): every path below.
WILDCARD = "$**"


@dataclass(frozen=True, slots=True)
class PathRules:
    """How one kind of path is read."""

    position_alias: bool
    """MongoEngine's ``S`` means the positional ``$`` in a list (and in schemaless data)."""
    opaque_tails: bool
    """A path may go on inside a field that declares no inner structure (an index key may
    name ``loc.coordinates``; a query on ``title__0`` is a mistake)."""
    subclass_fields: bool
    """The first part may name a field of a registered subclass sharing the collection
    (MongoEngine lets a parent be queried for a child's field)."""
    noun: str
    """What the path is called in messages."""


#: Query and update keywords, sort keys, projections, values and aggregation paths.
LOOKUP = PathRules(position_alias=True, opaque_tails=False, subclass_fields=True, noun="lookup")
#: Index keys and shard keys: compiled at class definition, before any subclass exists.
STORED = PathRules(position_alias=False, opaque_tails=True, subclass_fields=False, noun="path")


class ResolvedPath(NamedTuple):
    """A resolved path: what each part led to, and the stored dotted path (a named tuple:
    one is made for every keyword of every query)."""

    path: str
    """The stored dotted path (``comments.0.a``)."""
    field: BaseField[Any] | None
    """The field whose values sit at ``path`` (None: past a schemaless point)."""
    steps: tuple[PathStep, ...]
    """One per part, in order."""
    schemaless: bool
    """The path left the declared schema (dynamic data, ``_cls``, a DBRef's ``$id``...)."""

    @property
    def label(self) -> str:
        """The dotted attribute path, for validation messages (``author.name``)."""
        steps = self.steps
        if len(steps) == 1:
            return steps[0].label
        return ".".join([step.label for step in steps])

    @property
    def fields(self) -> tuple[BaseField[Any] | None, ...]:
        """The field each part reached."""
        return tuple([step.field for step in self.steps])

    @property
    def positions(self) -> tuple[int, ...]:
        """The indices of the parts that are list indexes or positional operators."""
        return tuple([i for i, step in enumerate(self.steps) if step.position])


def resolve(
    schema: Any,
    parts: Sequence[str],
    *,
    written: str | None = None,
    sep: str = "__",
    rules: PathRules = LOOKUP,
) -> ResolvedPath:
    """Walk ``parts`` through ``schema``.

    Args:
        schema: The compiled ``Schema`` of the document the path starts in.
        parts: The path's parts (``["comments", "0", "author"]``).
        written: The path as the user wrote it, for messages (default: ``parts`` joined).
        sep: The separator the user wrote between parts, for messages.
        rules: ``LOOKUP`` for queries and updates, ``STORED`` for index and shard keys.

    Raises:
        LookUpError: a part names nothing, naming the model, the path up to that part and
            why.
    """
    steps: list[PathStep] = []
    stored: list[str] = []
    field: BaseField[Any] | None = None
    free = False  # past a schemaless point: the rest is taken as written
    last = len(parts) - 1
    for i, part in enumerate(parts):
        if not part:
            raise _error(schema, parts, i, written, sep, rules, "an empty part")
        if part[0] == "$" and not _dollar_path(part, i == last):
            operator = f"{part!r} starts with '$', which MongoDB reads as an operator, not a name"
            raise _error(schema, parts, i, written, sep, rules, operator)
        if free:
            if part == "S" and rules.position_alias:
                part = "$"
            steps.append(PathStep(part, None, part, is_position(part), True))
            stored.append(part)
            continue
        try:
            if field is None:
                step = _WHOLE if part == WILDCARD and i == last else _first(schema, part, rules)
            else:
                if (
                    part == "S"
                    and rules.position_alias
                    and (field.container is Container.LIST or field.is_schemaless)
                ):
                    part = "$"
                step = _WHOLE if part == WILDCARD and i == last else field.walk(part)
        except NoPath as exc:
            why = None if i == 0 else str(exc)
            raise _error(schema, parts, i, written, sep, rules, why) from None
        segment, field, _, _, free, opaque = step
        if opaque is not None and not rules.opaque_tails:
            raise _error(schema, parts, i, written, sep, rules, opaque)
        steps.append(step)
        stored.append(segment)
    return _new_path(ResolvedPath, (".".join(stored), field, tuple(steps), free))


#: The parts of a path that may start with '$': a DBRef's own keys.
_DBREF_KEYS = frozenset({"$id", "$ref", "$db"})


def _dollar_path(part: str, last: bool) -> bool:
    """Whether a part starting with '$' is a path and not an operator: a positional operator
    (``$``, ``$[]``, ``$[id]``), a DBRef key, or the wildcard index key at the end. Any other
    (``$where``, ``$gt``) is refused even on a dynamic document, whose undeclared names are
    otherwise taken as written."""
    return is_position(part) or part in _DBREF_KEYS or (last and part == WILDCARD)


#: Builds a ResolvedPath without the named tuple's Python-level ``__new__`` (the hot path).
_new_path = tuple.__new__
#: A wildcard index key (``"$**"``, ``"attributes.$**"``): everything below.
_WHOLE = PathStep(WILDCARD, None, WILDCARD, False, True)


def _first(schema: Any, part: str, rules: PathRules) -> PathStep:
    """The first part, in the document itself (or, by the rules, in a subclass)."""
    found = schema.fields.get(part) or document_field(schema, part)
    if found is None and rules.subclass_fields:
        found = _subclass_field(schema, part)
    if found is None:
        return undeclared_step(schema, part)
    return found.member_step


def _subclass_field(schema: Any, name: str) -> BaseField[Any] | None:
    """A field declared on a registered subclass sharing this collection."""
    if not schema.stores_cls:
        return None
    for class_name in registry.class_names_under(schema.model):
        sub = registry.by_class_name(class_name)
        found = None if sub is None else document_field(sub._schema, name)  # type: ignore[attr-defined]
        if found is not None:
            return found
    return None


def _error(
    schema: Any,
    parts: Sequence[str],
    index: int,
    written: str | None,
    sep: str,
    rules: PathRules,
    why: str | None,
) -> LookUpError:
    """The error for part ``index``: model, path up to it, whole path, and why.

    ``Book has no field 'publisher__country' in lookup 'publisher__country__ne': ...``
    """
    bad = sep.join(parts[: index + 1])
    whole = written if written is not None else sep.join(parts)
    head = f"{schema.model.__name__} has no field {bad!r} in {rules.noun} {whole!r}"
    if why is None:
        known = ", ".join(schema.fields) or "none"
        return LookUpError(f"{head}; its fields are: {known}")
    return LookUpError(f"{head}: {why}")


class Crossing(NamedTuple):
    """A lookup path that walks through a reference into the referenced document
    (``author__name``): where the reference is stored, what it refers to, and the rest."""

    local: ResolvedPath
    """The path up to and including the reference (``author``, ``meta.owner``, ``editors``)."""
    references: References
    """What the reference field says about itself (its target, DBRef or not)."""
    rest: tuple[str, ...]
    """The parts after the reference, to be resolved in the target (``("name",)``)."""


def find_crossing(
    schema: Any, parts: Sequence[str], *, written: str | None = None, sep: str = "__"
) -> Crossing | None:
    """Where a lookup path that ``resolve`` refuses crosses a reference, if it does.

    Only asked after ``resolve`` failed (the path walks on past a reference field), so the
    common path pays nothing. A reference reached directly or as the items of a list is
    crossed; a list index (``editors__0__name``) or a dict key (``by_role__lead__name``)
    first picks the one reference.

    Raises:
        LookUpError: the path crosses a generic reference, whose documents live in several
            collections.
    """
    for i in range(1, len(parts)):
        if is_position(parts[i]):
            continue
        try:
            local = resolve(schema, parts[:i], written=written, sep=sep, rules=LOOKUP)
        except LookUpError:
            return None
        field = local.field
        held = None if field is None or local.schemaless else field.references()
        if held is None or held.container is Container.DICT:
            continue
        if held.generic:
            bad = sep.join(parts[: i + 1])
            whole = written if written is not None else sep.join(parts)
            raise LookUpError(
                f"{schema.model.__name__} has no field {bad!r} in lookup {whole!r}: "
                f"{sep.join(parts[:i])!r} is a generic reference, which cannot be crossed "
                "(its documents live in several collections); filter on the reference "
                "itself, with a document or its DBRef"
            )
        return Crossing(local, held, tuple(parts[i:]))
    return None
