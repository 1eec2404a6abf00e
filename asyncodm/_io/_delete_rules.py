"""Reverse delete rules: what deleting a document does to the documents that refer to it.

Stage: delete rules (awaits). The rules live in the registry's rule graph: each class record
declares its own (``_schema._compile`` builds them, refusing any rule that cannot apply: inside
an embedded document, nested deeper than a list or dict, PULL without a list) and registering
the class adds them, so rules on abstract parents, subclasses and classes defined after their
target all apply. Rules apply to reference and generic reference fields of documents and to
lists and dicts of them (``field.references()`` says which). A delete first *plans*,
reading only: it finds the whole CASCADE closure (cycle-safe), then checks every DENY against
the referrers outside that closure, then collects NULLIFY / PULL updates, so the outcome never
depends on declaration order. Nothing is written unless the whole plan is allowed. Then it applies the plan — in one transaction when
the connection supports transactions and the caller is not in one already; otherwise referrers
are changed and cascaded documents deleted before the documents they refer to, so no step
leaves a reference that a DENY rule should have prevented.

Versioned documents (``meta = {"versioned": True}``): a stale document given to
``doc.delete()`` raises ``ConcurrencyError`` before any referrer is changed (and its own delete
is a compare-and-set, so in a transaction a change in between undoes everything); documents a
queryset delete or a CASCADE reaches are deleted whatever their version, as they match now. The
NULLIFY / PULL updates of versioned referrers move their version on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from asyncodm._context import current_session
from asyncodm._drivers._tracing import odm_scope
from asyncodm._io._collection import alias_for, collection_for
from asyncodm._io._persistence import delete_document, ensure_current
from asyncodm._io._transactions import transaction
from asyncodm._registry import RuleEntry, registry
from asyncodm._schema._rules import SUPPORTED, check_rule
from asyncodm._schema._versioning import bump
from asyncodm._types import DeleteRule
from asyncodm.connection import get_client_adapter
from asyncodm.errors import DeleteDenied, InvalidDocumentError
from asyncodm.fields._base import BaseField, Container, References

__all__ = [
    "DeletePlan",
    "delete_documents",
    "has_rules",
    "plan_delete",
    "register_delete_rule",
]


def _references_of(referrer: type, name: str, field: BaseField[Any]) -> References:
    held = field.references()
    if held is None:
        raise InvalidDocumentError(f"{referrer.__name__}.{name} holds no references; {SUPPORTED}")
    return held


def register_delete_rule(
    target: type, referrer: type, field_name: str, rule: DeleteRule | int
) -> None:
    """``Target.register_delete_rule(Referrer, "field", NULLIFY)``: add a rule by hand."""
    schema = referrer._schema  # type: ignore[attr-defined]
    field = schema.fields.get(field_name)
    if field is None:
        raise InvalidDocumentError(f"{referrer.__name__} has no field {field_name!r}")
    held = _references_of(referrer, field_name, field)
    rule = DeleteRule(int(rule))
    check_rule(referrer, field_name, held.container, rule)
    registry.add_rule(
        RuleEntry(
            target.__name__,
            referrer,
            field_name,
            field.db_field,
            rule,
            held.container is Container.LIST,
            target,
        )
    )


@dataclass
class DeletePlan:
    """Everything a delete will do, found before anything is written."""

    cascade: list[Any] = field(default_factory=list)
    """Documents deleted because of CASCADE, in the order found (deleted in reverse)."""
    updates: list[tuple[type, dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    """``(model, filter, update)`` for NULLIFY and PULL."""


Key = tuple[str | None, Any]


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return ("unhashable", repr(value))
    return value


def _key(model: type, stored_id: Any) -> Key:
    return (model._schema.collection, _hashable(stored_id))  # type: ignore[attr-defined]


def _doc_key(doc: Any) -> Key:
    pk_field = doc._schema.pk_field
    stored = pk_field.to_mongo(doc.pk) if pk_field is not None and doc.pk is not None else doc.pk
    return _key(type(doc), stored)


def _by_model(documents: Sequence[Any]) -> dict[type, list[Any]]:
    out: dict[type, list[Any]] = {}
    for doc in documents:
        out.setdefault(type(doc), []).append(doc)
    return out


class _Match:
    """How to find and change the referrers of ``targets`` (documents of one class) that one
    rule watches, whatever the field holds: a reference, a list or a dict of them."""

    def __init__(self, rule: RuleEntry, targets: Sequence[Any]) -> None:
        field = rule.referrer._schema.fields[rule.field]  # type: ignore[attr-defined]
        held = _references_of(rule.referrer, rule.field, field)
        self.kind = held.container
        self.rule = rule
        self.path = rule.path
        self.stored = [held.field.to_mongo(t) for t in targets]
        self.generic = held.generic
        schema = rule.referrer._schema  # type: ignore[attr-defined]
        self.cls_filter: dict[str, Any] = {}
        if schema.stores_cls and "." in schema.class_name:
            self.cls_filter = {"_cls": {"$in": registry.class_names_under(rule.referrer)}}

    def _generic_item(self) -> dict[str, Any]:
        """A generic reference is stored as ``{"_cls": name, "_ref": DBRef}``: match both."""
        return {
            "_cls": {"$in": sorted({s["_cls"] for s in self.stored})},
            "_ref": {"$in": [s["_ref"] for s in self.stored]},
        }

    def filter(self) -> dict[str, Any]:
        """The referrers: documents whose field holds one of the targets."""
        if self.kind is Container.DICT:
            # Any value of the dict, whatever its key ($objectToArray turns it into k/v pairs).
            pairs = {"$ifNull": [{"$objectToArray": "$" + self.path}, []]}
            held = {"$filter": {"input": pairs, "cond": {"$in": ["$$this.v", self.stored]}}}
            return {**self.cls_filter, "$expr": {"$gt": [{"$size": held}, 0]}}
        if not self.generic:
            return {**self.cls_filter, self.path: {"$in": self.stored}}
        item = self._generic_item()
        if self.kind is Container.LIST:
            return {**self.cls_filter, self.path: {"$elemMatch": item}}
        return {**self.cls_filter, **{f"{self.path}.{k}": v for k, v in item.items()}}

    async def updates(self, session: Any) -> list[tuple[type, dict[str, Any], dict[str, Any]]]:
        """NULLIFY and PULL as ``(model, filter, update)``: unset a single reference, pull the
        targets out of a list, unset the keys of a dict that hold them."""
        model = self.rule.referrer
        if self.kind is Container.NONE:
            return [(model, self.filter(), {"$unset": {self.path: ""}})]
        if self.kind is Container.LIST:
            item = self._generic_item() if self.generic else {"$in": self.stored}
            return [(model, self.filter(), {"$pull": {self.path: item}})]
        # A dict: which keys hold a target is known only by reading the referrers.
        keys: set[str] = set()
        collection = collection_for(model)
        cursor = collection.find(self.filter(), {self.path: 1}, session=session)
        async for batch in cursor.batches():
            for raw in batch:
                held = raw.get(self.path)
                if isinstance(held, dict):
                    keys.update(k for k, v in held.items() if v in self.stored)
        return [
            (
                model,
                {**self.cls_filter, f"{self.path}.{k}": {"$in": self.stored}},
                {"$unset": {f"{self.path}.{k}": ""}},
            )
            for k in sorted(keys)
        ]


async def plan_delete(documents: Sequence[Any], session: Any = None) -> DeletePlan:
    """Walk the rules from ``documents``; raise ``OperationError`` on any DENY, writing nothing.

    Three passes, so the outcome never depends on the order rules were declared in: first the
    whole CASCADE closure (each document once, so cycles end), then every DENY of every
    document in it, counting only referrers outside it (a referrer deleted by the same
    operation does not block it), then the NULLIFY / PULL updates."""
    plan = DeletePlan()
    planned = {_doc_key(d) for d in documents}
    frontier = list(documents)
    while frontier:
        found: list[Any] = []
        for model, targets in _by_model(frontier).items():
            for rule in registry.rules_for(model):
                if rule.rule != DeleteRule.CASCADE:
                    continue
                referrer = rule.referrer
                cursor = collection_for(referrer).find(
                    _Match(rule, targets).filter(), session=session
                )
                async for batch in cursor.batches():
                    for raw in batch:
                        key = _key(referrer, raw["_id"])
                        if key in planned:
                            continue
                        planned.add(key)
                        doc = referrer._from_son(raw)  # type: ignore[attr-defined]
                        plan.cascade.append(doc)
                        found.append(doc)
        frontier = found

    groups = _by_model([*documents, *plan.cascade])
    cascaded = {id(d) for d in plan.cascade}
    for model, targets in groups.items():
        for rule in registry.rules_for(model):
            if rule.rule == DeleteRule.DENY:
                blockers = await _outside(rule, targets, planned, session)
                if blockers:
                    raise DeleteDenied(
                        _deny_message(documents, model, targets, rule, blockers, cascaded),
                        referrer=rule.referrer.__name__,
                        field=rule.field,
                    )
    for model, targets in groups.items():
        for rule in registry.rules_for(model):
            if rule.rule in (DeleteRule.NULLIFY, DeleteRule.PULL):
                plan.updates.extend(await _Match(rule, targets).updates(session))
    return plan


async def _outside(
    rule: RuleEntry, targets: Sequence[Any], planned: set[Key], session: Any
) -> list[Any]:
    """The ids of the referrers of ``targets`` through ``rule`` that this delete keeps."""
    referrer = rule.referrer
    flt = _Match(rule, targets).filter()
    out: list[Any] = []
    async for batch in collection_for(referrer).find(flt, {"_id": 1}, session=session).batches():
        out.extend(raw["_id"] for raw in batch if _key(referrer, raw["_id"]) not in planned)
    return out


def _deny_message(
    documents: Sequence[Any],
    model: type,
    targets: Sequence[Any],
    rule: RuleEntry,
    blockers: list[Any],
    cascaded: set[int],
) -> str:
    name = rule.referrer.__name__
    asked = ", ".join(
        f"{m.__name__} {_ids([d.pk for d in docs])}" for m, docs in _by_model(documents).items()
    )
    reached = " (reached through CASCADE)" if any(id(t) in cascaded for t in targets) else ""
    count = f"{len(blockers)} {name} document{'s' if len(blockers) != 1 else ''}"
    verb = "refers" if len(blockers) == 1 else "refer"
    return (
        f"cannot delete {asked}: {count} {_ids(blockers)} {verb} to {model.__name__} "
        f"{_ids([t.pk for t in targets])}{reached} through {name}.{rule.field} "
        f"(reverse_delete_rule=DENY); nothing was deleted"
    )


def _ids(values: list[Any], shown: int = 5) -> str:
    if len(values) <= shown:
        return repr(values)
    return "[" + ", ".join(map(repr, values[:shown])) + f", ... ({len(values)} in all)]"


def has_rules(model: type) -> bool:
    return bool(registry.rules_for(model))


async def delete_documents(
    documents: Sequence[Any],
    *,
    session: Any = None,
    signal_kwargs: dict[str, Any] | None = None,
    write_concern: Any = None,
    check_version: bool = True,
) -> int:
    """Delete ``documents`` and apply the delete rules of the documents referring to them.

    ``check_version``: a stale versioned document raises ``ConcurrencyError`` (``doc.delete()``);
    a queryset delete passes False, deleting what matched whatever its version."""
    if not documents:
        return 0
    model = type(documents[0])
    if not any(has_rules(type(d)) for d in documents):
        for doc in documents:
            await delete_document(
                doc,
                session=session,
                signal_kwargs=signal_kwargs,
                write_concern=write_concern,
                check_version=check_version,
            )
        return len(documents)
    with odm_scope("cascade", model):
        await _delete_with_rules(
            documents, model, session, signal_kwargs, write_concern, check_version
        )
    return len(documents)


async def _delete_with_rules(
    documents: Sequence[Any],
    model: type,
    session: Any,
    signal_kwargs: dict[str, Any] | None,
    write_concern: Any,
    check_version: bool,
) -> None:
    """Plan (every DENY first), then apply the rules and delete, in one transaction where the
    server runs them. A stale versioned document stops it before anything is written."""
    async with _atomic(alias_for(model), session) as txn:
        if check_version:
            for doc in documents:
                await ensure_current(doc, txn)
        plan = await plan_delete(documents, txn)
        for referrer, flt, update in plan.updates:
            if referrer._schema.versioned:  # type: ignore[attr-defined]
                update = bump(update)
            await collection_for(referrer).update_many(flt, update, session=txn)
        for doc in reversed(plan.cascade):
            await delete_document(
                doc, session=txn, signal_kwargs=signal_kwargs, check_version=False
            )
        for doc in documents:
            await delete_document(
                doc,
                session=txn,
                signal_kwargs=signal_kwargs,
                write_concern=write_concern,
                check_version=check_version,
            )


@asynccontextmanager
async def _atomic(alias: str, session: Any) -> AsyncIterator[Any]:
    """The caller's session, else a new transaction where the server supports one, else none.

    The adapter is asked on every delete, never remembered: a replica set in an election (or a
    ``replicaSet=`` client before its first answer) must not switch cascades to non-atomic for
    the client's lifetime. A known topology answers without a round trip.
    """
    if session is not None or current_session(alias) is not None:
        yield session
        return
    if await get_client_adapter(alias).supports_transactions():
        async with transaction(alias) as txn:
            yield txn
        return
    yield None
