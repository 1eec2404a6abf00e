"""Delete-rule declarations: what a class's reference fields declare, checked at definition.

Stage: schema (pure). The class-record builder (``_compile.compile_class``) turns each
``reverse_delete_rule`` of a class into rule-graph edges (``RuleEntry``) kept on the record;
registering the class adds them to the registry's graph (``_io._delete_rules`` applies them).
A rule asyncodm cannot apply is refused here, when the class is defined, rather than ignored
when a document is deleted. Fields say how they hold references (``field.references()``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from asyncodm._registry import RuleEntry
from asyncodm._schema._record import ClassRecord
from asyncodm._types import DeleteRule
from asyncodm.errors import InvalidDocumentError
from asyncodm.fields._base import BaseField, Container

__all__ = ["SUPPORTED", "check_rule", "rule_declarations"]

SUPPORTED = (
    "a rule applies to a ReferenceField or GenericReferenceField of a document, or to a "
    "ListField or DictField of them"
)


def _nested_rule(declared: BaseField[Any]) -> BaseField[Any] | None:
    """A reference field with a rule held deeper than a list or dict of references, if any."""
    item: Any = getattr(declared, "field", None)
    while isinstance(item, BaseField):
        held = item.references()
        if held is not None and held.container is Container.NONE:
            return held.field if held.rule != DeleteRule.DO_NOTHING else None
        item = getattr(item, "field", None)
    return None


def check_rule(cls: type, name: str, container: Container, rule: DeleteRule) -> None:
    """PULL needs a list to pull from."""
    if rule == DeleteRule.PULL and container is Container.NONE:
        raise InvalidDocumentError(
            f"{cls.__name__}.{name}: PULL removes items from a list, so it needs "
            f"ListField(ReferenceField(...)); use NULLIFY for a single reference"
        )
    if rule == DeleteRule.PULL and container is Container.DICT:
        raise InvalidDocumentError(
            f"{cls.__name__}.{name}: PULL removes items from a list, and a DictField holds no "
            f"list; use NULLIFY, which removes the keys that refer to the deleted document"
        )


def rule_declarations(
    cls: type,
    fields: Mapping[str, BaseField[Any]],
    is_embedded: bool,
    is_document: bool,
    collection: str | None,
) -> tuple[RuleEntry, ...]:
    """The delete rules ``cls`` declares on its reference fields, as rule-graph edges.

    A rule asyncodm cannot apply is refused here, when the class is defined, rather than
    ignored when a document is deleted: on a reference inside an embedded document, on one
    nested deeper than a list or dict, and PULL where there is no list. An abstract class
    declares none itself (each concrete subclass does), nor does a subclass for a field it
    inherits from a parent in the same collection (the parent's rule covers it)."""
    out: list[RuleEntry] = []
    for name, declared in fields.items():
        held = declared.references()
        nested = None if held is not None else _nested_rule(declared)
        if held is not None and held.rule == DeleteRule.DO_NOTHING:
            held = None
        if held is None and nested is None:
            continue
        if is_embedded:
            raise InvalidDocumentError(
                f"{cls.__name__}.{name}: reverse_delete_rule is not supported inside an "
                f"EmbeddedDocument (the rule cannot find the documents that embed it); "
                f"{SUPPORTED}"
            )
        if nested is not None:
            raise InvalidDocumentError(
                f"{cls.__name__}.{name}: reverse_delete_rule on a reference nested this deep "
                f"in {type(declared).__name__} is not supported; {SUPPORTED}"
            )
        assert held is not None
        if not is_document:
            continue
        check_rule(cls, name, held.container, held.rule)
        if _declared_by_parent_in_same_collection(cls, name, declared, collection):
            continue
        many = held.container is Container.LIST
        classes = _declared_classes(held.field)
        out.extend(
            RuleEntry(target, cls, name, declared.db_field, held.rule, many, classes.get(target))
            for target in held.targets
        )
    return tuple(out)


def _declared_classes(field: BaseField[Any]) -> dict[str, type]:
    """The target classes a reference field was given as classes (not as names), by name."""
    given = getattr(field, "_allowed", None) or (getattr(field, "_document_type", None),)
    return {c.__name__: c for c in given if isinstance(c, type)}


def _declared_by_parent_in_same_collection(
    cls: type, name: str, declared: BaseField[Any], collection: str | None
) -> bool:
    for parent in cls.__mro__[1:]:
        record = parent.__dict__.get("_schema")
        if (
            isinstance(record, ClassRecord)
            and record.is_document
            and record.fields.get(name) is declared
        ):
            return record.collection == collection
    return False
