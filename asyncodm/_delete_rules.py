"""Reverse delete rules: what deleting a document does to the documents that refer to it.

Stage: delete rules (awaits). The rules live in the registry's rule graph, filled when classes
are defined (``register_rules``), so rules on abstract parents, subclasses and classes defined
after their target all apply. A delete first *plans*: it walks CASCADE chains (cycle-safe),
checks every DENY for the whole plan and collects NULLIFY / PULL updates, reading only. Nothing
is written unless the whole plan is allowed. Then it applies the plan — in one transaction when
the connection supports transactions and the caller is not in one already; otherwise referrers
are changed and cascaded documents deleted before the documents they refer to, so no step
leaves a reference that a DENY rule should have prevented.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from asyncodm._collection import alias_for, collection_for
from asyncodm._context import current_session
from asyncodm._persistence import delete_document
from asyncodm._registry import RuleEntry, registry
from asyncodm._transactions import transaction
from asyncodm.connection import get_client_adapter
from asyncodm.errors import InvalidDocumentError, OperationError
from asyncodm.fields._compound import ListField
from asyncodm.fields._reference import DENY, DO_NOTHING, NULLIFY, PULL, DeleteRule, ReferenceField

__all__ = [
    "DeletePlan",
    "delete_documents",
    "plan_delete",
    "register_delete_rule",
    "register_rules",
]


def _reference_of(field: Any) -> tuple[ReferenceField[Any] | None, bool]:
    if isinstance(field, ReferenceField):
        return field, False
    if isinstance(field, ListField) and isinstance(field.field, ReferenceField):
        return field.field, True
    return None, False


def register_rules(cls: type) -> None:
    """Add the rules ``cls`` declares on its reference fields (a class-definition hook)."""
    schema = cls._schema  # type: ignore[attr-defined]
    if not schema.is_document:
        return
    for name, field in schema.fields.items():
        ref, many = _reference_of(field)
        if ref is None or ref.reverse_delete_rule == DO_NOTHING:
            continue
        if ref.reverse_delete_rule == PULL and not many:
            raise InvalidDocumentError(
                f"{cls.__name__}.{name}: PULL removes items from a list, so it needs "
                f"ListField(ReferenceField(...)); use NULLIFY for a single reference"
            )
        if _declared_by_parent_in_same_collection(cls, name, field):
            continue
        registry.add_rule(
            RuleEntry(
                ref.target_name, cls, name, field.db_field, int(ref.reverse_delete_rule), many
            )
        )


def _declared_by_parent_in_same_collection(cls: type, name: str, field: Any) -> bool:
    for parent in cls.__mro__[1:]:
        schema = parent.__dict__.get("_schema")
        if schema is not None and schema.is_document and schema.fields.get(name) is field:
            return bool(schema.collection == cls._schema.collection)  # type: ignore[attr-defined]
    return False


def register_delete_rule(
    target: type, referrer: type, field_name: str, rule: DeleteRule | int
) -> None:
    """``Target.register_delete_rule(Referrer, "field", NULLIFY)``: add a rule by hand."""
    schema = referrer._schema  # type: ignore[attr-defined]
    field = schema.fields.get(field_name)
    if field is None:
        raise InvalidDocumentError(f"{referrer.__name__} has no field {field_name!r}")
    _, many = _reference_of(field)
    registry.add_rule(
        RuleEntry(target.__name__, referrer, field_name, field.db_field, int(rule), many)
    )


@dataclass
class DeletePlan:
    """Everything a delete will do, found before anything is written."""

    cascade: list[Any] = field(default_factory=list)
    """Documents deleted because of CASCADE, in the order found (deleted in reverse)."""
    updates: list[tuple[type, dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    """``(model, filter, update)`` for NULLIFY and PULL."""


def _key(doc: Any) -> tuple[str | None, Any]:
    return (doc._schema.collection, doc.pk)


def _referrer_filter(rule: RuleEntry, targets: Sequence[Any]) -> dict[str, Any]:
    field = rule.referrer._schema.fields[rule.field]  # type: ignore[attr-defined]
    ref, _ = _reference_of(field)
    assert ref is not None
    stored = [ref.to_mongo(t) for t in targets]
    flt: dict[str, Any] = {rule.path: {"$in": stored}}
    schema = rule.referrer._schema  # type: ignore[attr-defined]
    if schema.stores_cls and "." in schema.class_name:
        flt["_cls"] = {"$in": registry.class_names_under(rule.referrer)}
    return flt


async def plan_delete(documents: Sequence[Any], session: Any = None) -> DeletePlan:
    """Walk the rules from ``documents``; raise ``OperationError`` on any DENY, writing nothing."""
    plan = DeletePlan()
    planned = {_key(d) for d in documents}
    frontier = list(documents)
    while frontier:
        by_model: dict[type, list[Any]] = {}
        for doc in frontier:
            by_model.setdefault(type(doc), []).append(doc)
        frontier = []
        for model, targets in by_model.items():
            for rule in registry.rules_for(model):
                flt = _referrer_filter(rule, targets)
                referrer = rule.referrer
                collection = collection_for(referrer)
                if rule.rule == DENY:
                    mine = [pk for coll, pk in planned if coll == referrer._schema.collection]  # type: ignore[attr-defined]
                    check = {**flt, "_id": {"$nin": mine}} if mine else flt
                    found = await collection.find_one(check, {"_id": 1}, session=session)
                    if found is not None:
                        raise OperationError(
                            f"cannot delete {model.__name__} {[t.pk for t in targets]!r}: "
                            f"{referrer.__name__} {found['_id']!r} refers to it through "
                            f"{referrer.__name__}.{rule.field} (reverse_delete_rule=DENY)"
                        )
                elif rule.rule == DeleteRule.CASCADE:
                    async for batch in collection.find(flt, session=session).batches():
                        for raw in batch:
                            doc = referrer._from_son(raw)  # type: ignore[attr-defined]
                            if _key(doc) not in planned:
                                planned.add(_key(doc))
                                plan.cascade.append(doc)
                                frontier.append(doc)
                elif rule.rule == NULLIFY and not rule.many:
                    plan.updates.append((referrer, flt, {"$unset": {rule.path: ""}}))
                elif rule.rule in (NULLIFY, PULL):
                    values = flt[rule.path]["$in"]
                    plan.updates.append((referrer, flt, {"$pull": {rule.path: {"$in": values}}}))
    return plan


def has_rules(model: type) -> bool:
    return bool(registry.rules_for(model))


async def delete_documents(
    documents: Sequence[Any],
    *,
    session: Any = None,
    signal_kwargs: dict[str, Any] | None = None,
    write_concern: Any = None,
) -> int:
    """Delete ``documents`` and apply the delete rules of the documents referring to them."""
    if not documents:
        return 0
    model = type(documents[0])
    if not any(has_rules(type(d)) for d in documents):
        for doc in documents:
            await delete_document(
                doc, session=session, signal_kwargs=signal_kwargs, write_concern=write_concern
            )
        return len(documents)
    async with _atomic(alias_for(model), session) as txn:
        plan = await plan_delete(documents, txn)
        for referrer, flt, update in plan.updates:
            await collection_for(referrer).update_many(flt, update, session=txn)
        for doc in reversed(plan.cascade):
            await delete_document(doc, session=txn, signal_kwargs=signal_kwargs)
        for doc in documents:
            await delete_document(
                doc, session=txn, signal_kwargs=signal_kwargs, write_concern=write_concern
            )
    return len(documents)


@asynccontextmanager
async def _atomic(alias: str, session: Any) -> AsyncIterator[Any]:
    """The caller's session, else a new transaction where the server supports one, else none."""
    if session is not None or current_session(alias) is not None:
        yield session
        return
    if await transactions_supported(alias):
        async with transaction(alias) as txn:
            yield txn
        return
    yield None


_TRANSACTION_TOPOLOGIES = frozenset({"ReplicaSetWithPrimary", "Sharded", "LoadBalanced"})


async def transactions_supported(alias: str) -> bool:
    """Whether ``alias``'s server runs multi-document transactions.

    MongoDB runs them on replica sets, sharded clusters and behind load balancers, never on a
    standalone server; the driver's view of the topology says which (no round trip). The answer
    is kept on the client adapter, where ``transactions_ok`` may also be set by hand for a
    server that supports transactions while reporting itself standalone."""
    client = get_client_adapter(alias)
    if not client.supports_sessions:
        return False
    if client.transactions_ok is not None:
        return client.transactions_ok
    description = getattr(client.raw, "topology_description", None)
    topology = getattr(description, "topology_type_name", "")
    if topology == "Unknown":
        return False  # not connected yet: decide again next time
    client.transactions_ok = topology in _TRANSACTION_TOPOLOGIES
    return client.transactions_ok


def describe_rules(model: type) -> list[str]:
    """Human-readable rules that apply when ``model`` is deleted (for errors and admins)."""
    return [
        f"{r.referrer.__name__}.{r.field}: {DeleteRule(r.rule).name}"
        for r in registry.rules_for(model)
    ]


registry.on_register(register_rules)
