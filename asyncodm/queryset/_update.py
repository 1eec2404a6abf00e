"""Compile update keywords (``inc__views=1``, ``push__tags="x"``) to an update document.

Stage: compile (pure). Each keyword is ``<operator>__<path>`` (no operator means ``set``); the
path resolves through the Schema like a filter's, and each value is validated by the field
*before anything is sent* (``set__views="x"`` on an ``IntField`` raises ``ValidationError``
naming ``views``) and converted to its stored form. Operators:
https://www.mongodb.com/docs/manual/reference/operator/update/
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from typing import Any

from asyncodm.errors import OperationError, ValidationError
from asyncodm.fields._base import BaseField, describe
from asyncodm.fields._compound import DynamicField
from asyncodm.queryset._compile import compile_lookups, schema_of, stored_path
from asyncodm.queryset._expressions import (
    Expression,
    F,
    Family,
    compile_expression,
    family,
    literal,
    resolve_field,
    value_family,
)
from asyncodm.queryset._lookups import UpdateKey, parse_update_key
from asyncodm.queryset._operators import document_to_pk

__all__ = ["compile_pipeline_update", "compile_update", "merge_updates", "uses_expressions"]

_dynamic = DynamicField()
_LISTLIKE = (list, tuple, set, frozenset)

#: Keyword operator -> MongoDB operator.
_OPERATORS = {
    "set": "$set", "unset": "$unset", "inc": "$inc", "dec": "$inc", "mul": "$mul", "max": "$max",
    "min": "$min", "push": "$push", "push_all": "$push", "pull": "$pull", "pull_all": "$pullAll",
    "add_to_set": "$addToSet", "pop": "$pop", "rename": "$rename",
    "set_on_insert": "$setOnInsert", "current_date": "$currentDate",
}  # fmt: skip


def _fail(label: str, message: str) -> ValidationError:
    return ValidationError(errors={label: message})


def _refers(field: BaseField[Any] | None) -> bool:
    """Whether ``field`` holds references to top-level documents (it takes documents)."""
    target = getattr(field, "document_type", None)
    schema = getattr(target, "_schema", None)
    return schema is not None and bool(schema.is_document)


def _validate(field: BaseField[Any] | None, value: Any, label: str) -> None:
    if field is not None and value is not None:
        field.validate_value(value if _refers(field) else document_to_pk(value), label)


def _convert(field: BaseField[Any] | None, op: str, value: Any) -> Any:
    if not _refers(field):
        value = document_to_pk(value)
    prepared = (field or _dynamic).prepare_query_value(op, value)
    return document_to_pk(prepared)


def _item_field(field: BaseField[Any] | None, key: UpdateKey) -> BaseField[Any] | None:
    """The field of one list item, for push/pull/add_to_set on a list (None: untyped items)."""
    if field is None:
        return None
    if field.accepts_item_values:
        return field.item_field
    raise _fail(key.label, f"expected a list field for {key.op!r}, found {type(field).__name__}")


def _number(key: UpdateKey, value: Any) -> None:
    """Increments are checked for type only: bounds apply to the result, which is unknown."""
    if isinstance(value, bool) or not isinstance(value, (int, float, decimal.Decimal)):
        raise _fail(key.label, f"expected a number for {key.op!r}, found {describe(value)}")
    integral = key.field is not None and key.field.integer_only
    if integral and not (isinstance(value, int) or value == int(value)):
        raise _fail(key.label, f"expected an integer for {key.op!r}, found {describe(value)}")


def _items(key: UpdateKey, value: Any) -> list[Any]:
    if not isinstance(value, _LISTLIKE):
        raise _fail(key.label, f"expected a list for {key.op!r}, found {describe(value)}")
    return list(value)


def _each(key: UpdateKey, item: BaseField[Any] | None, values: list[Any]) -> list[Any]:
    for i, v in enumerate(values):
        _validate(item, v, f"{key.label}.{i}")
    return [_convert(item, key.op, v) for v in values]


def _value(schema: Any, key: UpdateKey, value: Any) -> tuple[str, Any]:
    """The MongoDB operator and the converted value for one keyword."""
    op, field = key.op, key.field
    if op in ("set", "set_on_insert", "max", "min"):
        if value is None and op == "set" and not (field is not None and field.null):
            return "$unset", ""
        _validate(field, value, key.label)
        return _OPERATORS[op], _convert(field, op, value)
    if op == "unset":
        return "$unset", ""
    if op in ("inc", "dec", "mul"):
        _number(key, value)
        if op == "dec":
            value = -value
        return _OPERATORS[op], _convert(field, op, value)
    if op == "push":
        item = _item_field(field, key)
        if isinstance(value, _LISTLIKE) or key.position is not None:
            values = list(value) if isinstance(value, _LISTLIKE) else [value]
            each: dict[str, Any] = {"$each": _each(key, item, values)}
            if key.position is not None:
                each["$position"] = key.position
            return "$push", each
        _validate(item, value, key.label)
        return "$push", _convert(item, op, value)
    if op in ("push_all", "pull_all"):
        item = _item_field(field, key)
        values = _each(key, item, _items(key, value))
        return _OPERATORS[op], ({"$each": values} if op == "push_all" else values)
    if op == "add_to_set":
        item = _item_field(field, key)
        if isinstance(value, _LISTLIKE):
            return "$addToSet", {"$each": _each(key, item, list(value))}
        _validate(item, value, key.label)
        return "$addToSet", _convert(item, op, value)
    if op == "pull":
        item = _item_field(field, key)
        if isinstance(value, _LISTLIKE):
            return "$pull", {"$in": [_convert(item, op, v) for v in value]}
        if isinstance(value, Mapping) and not isinstance(value, _LISTLIKE):
            return "$pull", _pull_condition(item, value)
        return "$pull", _convert(item, op, value)
    if op == "pop":
        if value not in (1, -1) or isinstance(value, bool):
            raise _fail(
                key.label, f"expected 1 (last) or -1 (first) for 'pop', found {describe(value)}"
            )
        return "$pop", value
    if op == "rename":
        if not isinstance(value, str):
            raise _fail(
                key.label, f"expected the new field name for 'rename', found {describe(value)}"
            )
        try:
            return "$rename", stored_path(schema, value)
        except LookupError:
            return "$rename", value
    if op == "current_date":
        if value is True or value in ("date", None):
            return "$currentDate", True
        if value == "timestamp":
            return "$currentDate", {"$type": "timestamp"}
        if isinstance(value, Mapping):
            return "$currentDate", dict(value)
        raise _fail(key.label, f"expected True, 'date' or 'timestamp', found {describe(value)}")
    raise OperationError(f"unknown update operator {op!r}")  # pragma: no cover


def _pull_condition(item: BaseField[Any] | None, value: Mapping[str, Any]) -> Any:
    """``pull__comments={"author": "bob"}``: a condition on the items' fields (stored names)."""
    doc_type = getattr(item, "document_type", None)
    schema = getattr(doc_type, "_schema", None) if doc_type is not None else None
    if schema is None or any(str(k).startswith("$") for k in value):
        return dict(value)
    return compile_lookups(schema, value.items())


def compile_update(model: Any, operations: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword update operations -> an update document.

    Raises:
        ValidationError: A value the field rejects, naming its dotted path.
        LookUpError: A path that names no field.
    """
    schema = schema_of(model)
    update: dict[str, dict[str, Any]] = {}
    for name, value in operations.items():
        key = parse_update_key(schema, name)
        operator, converted = _value(schema, key, value)
        update.setdefault(operator, {})[key.path] = converted
    return update


def merge_updates(*documents: Mapping[str, Any]) -> dict[str, Any]:
    """Merge update documents operator by operator (raw ``{"$set": ...}`` plus keywords).

    Raises:
        OperationError: A key that is not an update operator (that would replace the document).
    """
    out: dict[str, dict[str, Any]] = {}
    for document in documents:
        for operator, fields in document.items():
            if not str(operator).startswith("$") or not isinstance(fields, Mapping):
                raise OperationError(
                    f"an update document maps update operators to fields ({{'$set': {{...}}}}); "
                    f"found key {operator!r}: use replace or save to replace a whole document"
                )
            out.setdefault(operator, {}).update(fields)
    return out


def uses_expressions(operations: Mapping[str, Any]) -> bool:
    """Whether any update keyword takes an ``F()`` expression (then the update is a pipeline)."""
    return any(isinstance(value, Expression) for value in operations.values())


#: The keyword operators an F() value may take (their pipeline forms are below).
_EXPRESSION_OPERATORS = frozenset({"set", "inc", "dec", "mul", "max", "min"})


def _current(path: str, default: Any) -> dict[str, Any]:
    """The stored value at ``path``, or ``default`` where it is missing or null (as ``$inc``
    and ``$mul`` treat a missing field)."""
    return {"$ifNull": ["$" + path, default]}


def _pipeline_value(schema: Any, key: UpdateKey, value: Any) -> Any:
    """The ``$set`` stage value for one keyword: what the operator would have stored."""
    if isinstance(value, Expression):
        expression = compile_expression(schema, value)
        if key.op not in _EXPRESSION_OPERATORS:
            raise OperationError(
                f"update {key.op}__{key.label}: F() expressions work with set, inc, dec, mul, "
                "max and min"
            )
        _check_expression(schema, key, value)
        return _combined("$" + key.op, key.path, expression)
    operator, converted = _value(schema, key, value)  # validated and converted as usual
    if operator == "$unset":
        return "$$REMOVE"
    if operator == "$currentDate" and converted is True:
        return "$$NOW"
    stored = _combined(operator, key.path, literal(converted))
    if stored is None:
        raise OperationError(
            f"update {key.op}__{key.label} cannot join an update that uses F(): a pipeline "
            "update takes set, unset, inc, dec, mul, max, min and current_date; run it as a "
            "separate update"
        )
    return stored


def _combined(operator: str, path: str, operand: Any) -> Any:
    """What ``operator`` stores at ``path`` given ``operand`` (an aggregation expression), as
    a pipeline ``$set`` value; None for an operator with no pipeline form."""
    if operator == "$set":
        return operand
    if operator in ("$max", "$min"):
        return {operator: ["$" + path, operand]}
    combine = _ARITHMETIC.get(operator)
    return None if combine is None else {combine: [_current(path, 0), operand]}


#: Update operators as the arithmetic on the current value they stand for.
_ARITHMETIC = {"$inc": "$add", "$dec": "$subtract", "$mul": "$multiply"}


def _shown(wanted: Family) -> str:
    """A value family in a message: "a number", "text", "a date", "a ListField value"."""
    if isinstance(wanted, type):
        return f"a {wanted.__name__} value"
    return "text" if wanted == "text" else f"a {wanted}"


def _check_expression(schema: Any, key: UpdateKey, value: Expression) -> None:
    """An F() value must fit the field it is stored in, as a plain value is validated: the
    server stores whatever the expression yields (``set__label=F("qty")`` would put a number
    in a StringField). ``inc``/``dec``/``mul`` need a numeric field, arithmetic gives a number
    (a date plus a number is a date), a bare ``F()`` copy gives its field's family
    (``family``); undeclared fields are not checked.

    Raises:
        ValidationError: naming the field path, what it takes and what the expression gives.
    """
    wanted = family(key.field)
    if wanted is None:
        return
    target = type(key.field).__name__
    if key.op in ("inc", "dec", "mul") and wanted != "number":
        raise _fail(key.label, f"expected a numeric field for {key.op!r}, found {target}")
    found = value_family(schema, value)
    if found is None or found == wanted:
        return
    if isinstance(value, F):
        source = type(resolve_field(schema, value.name).field).__name__
        given = f"{value!r} ({source}: {_shown(found)})"
    else:
        given = f"{value!r}, which gives {_shown(found)}"
    raise _fail(key.label, f"expected {_shown(wanted)} for {key.op!r} ({target}), found {given}")


def compile_pipeline_update(model: Any, operations: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Update keywords with ``F()`` expressions -> a one-stage update pipeline.

    ``update(set__total=F("price") * F("qty"))`` is
    ``[{"$set": {"total": {"$multiply": ["$price", "$qty"]}}}]``: every expression in one
    ``$set`` stage reads the document as it was before the update, as update operators do.
    Plain values join the stage as ``$literal`` constants (validated by their fields first),
    ``inc``/``mul`` start from 0 where the field is missing, ``unset`` (and ``set`` to None) is
    ``$$REMOVE``. https://www.mongodb.com/docs/manual/tutorial/update-documents-with-aggregation-pipeline/

    Raises:
        OperationError: An operator with no pipeline form (push, pull, rename ...), or a path
            through a list index or positional operator.
        ValidationError: A plain value the field rejects.
        LookUpError: A path that names no field.
    """
    schema = schema_of(model)
    stage: dict[str, Any] = {}
    for name, value in operations.items():
        key = parse_update_key(schema, name)
        if any(part.startswith("$") or part.isdigit() for part in key.path.split(".")):
            raise OperationError(
                f"update {name!r}: a pipeline update (one using F()) cannot address list items "
                "by index or position"
            )
        stage[key.path] = _pipeline_value(schema, key, value)
    return [{"$set": stage}]
