"""Aggregates (``Count``, ``Sum``, ``Avg``, ``Min``, ``Max``) and the ``$group`` pipeline of
``values(...).annotate(...)`` and ``aggregate_values(...)``.

Stage: compile (pure). ``values("status").annotate(n=Count(), total=Sum("views"))`` groups the
matches by the stored value of each named field and computes every aggregate per group:

    {"$group": {"_id": {"status": "$status"}, "n": {"$sum": 1}, "total": {"$sum": "$views"}}}
    {"$project": {"_id": 0, "status": "$_id.status", "n": 1, "total": 1}}

so each row comes back under the Python names (a group key written ``publisher.city`` is the
row key ``publisher__city``). What follows the grouping acts on those names: a filter is a
``$match`` on the aggregates (SQL's HAVING), an ordering a ``$sort`` on them, then ``$skip`` and
``$limit``. https://www.mongodb.com/docs/manual/reference/operator/aggregation/group/

Which fields each aggregate takes is decided here, before anything is sent: ``Sum`` and
``Avg`` want numbers (``IntField``, ``FloatField``, ``DecimalField`` ... or arithmetic over
them), ``Min`` and ``Max`` any scalar MongoDB orders (numbers, strings, dates, ids ...), never a
list, dict, embedded document, geometry or file; ``Count`` anything. A field past the declared
schema (dynamic data) is taken as it is. ``Count()`` counts rows, ``Count("f")`` the rows
where ``f`` is neither missing nor null, ``Count("f", distinct=True)`` the distinct non-null
values (``$addToSet``, then ``$size`` of the set without null).
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from bson import Decimal128

from asyncodm.errors import LookUpError, ValidationError
from asyncodm.fields._base import BaseField, describe
from asyncodm.queryset._compile import merge_and, split_sort_key
from asyncodm.queryset._expressions import (
    NUMERIC_KINDS,
    Expression,
    F,
    compile_expression,
    resolve_field,
)
from asyncodm.queryset._q import Q

__all__ = [
    "Aggregate",
    "Avg",
    "Count",
    "Grouping",
    "Max",
    "Min",
    "Output",
    "Sum",
    "compile_grouping",
    "compile_having",
    "compile_output_sort",
]

#: Kinds ``Min``/``Max`` refuse: values MongoDB compares only as whole documents or arrays.
_UNORDERED_KINDS = frozenset(
    {
        "list", "sorted_list", "dict", "map", "embedded", "generic_embedded", "file", "image",
        "geo_point", "point", "linestring", "polygon", "multipoint", "multilinestring",
        "multipolygon", "geometry_collection",
    }
)  # fmt: skip


class Aggregate:
    """One aggregate over the rows of a group (or of the whole query)."""

    __slots__ = ("distinct", "expression")

    #: The group accumulator (https://www.mongodb.com/docs/manual/reference/operator/aggregation/#accumulators---group-).
    accumulator: ClassVar[str]
    #: What the aggregate gives when no document matched (``aggregate_values``).
    empty: ClassVar[Any] = None

    def __init__(self, expression: str | Expression) -> None:
        given: object = expression  # checked at run time: built from loose input too
        if not isinstance(given, (str, Expression)):
            raise TypeError(
                f"{type(self).__name__}() takes a field name or an F() expression, found "
                f"{expression!r}"
            )
        self.expression: str | Expression | None = expression
        self.distinct = False

    def __repr__(self) -> str:
        arg = "" if self.expression is None else repr(self.expression)
        return f"{type(self).__name__}({arg}{', distinct=True' if self.distinct else ''})"

    def _operand(self, schema: Any) -> tuple[Any, BaseField[Any] | None, str]:
        """The compiled operand, the field it reads (None: an expression or dynamic data) and
        its label for messages."""
        expression = self.expression
        if isinstance(expression, str):
            expression = F(expression)
        if isinstance(expression, F):
            resolved = resolve_field(schema, expression.name, noun=f"{type(self).__name__}()")
            self._check(schema, resolved.field, resolved.label)
            return "$" + resolved.path, resolved.field, resolved.label
        return compile_expression(schema, expression), None, repr(expression)

    def _check(self, schema: Any, field: BaseField[Any] | None, label: str) -> None:
        """Refuse a field this aggregate cannot compute over (see the module docstring)."""

    def _refuse(self, schema: Any, field: BaseField[Any], label: str, wanted: str) -> LookUpError:
        return LookUpError(
            f"{schema.model.__name__} field {label!r} in {type(self).__name__}(): expected "
            f"{wanted}, found a {type(field).__name__}"
        )

    def compile(self, schema: Any, name: str) -> Output:
        """The ``$group`` accumulator, ``$project`` value and result conversion for ``name``."""
        operand, field, _ = self._operand(schema)
        return Output(
            name=name,
            accumulator={self.accumulator: operand},
            project=1,
            convert=_converter(field),
            field=field,
            numeric=False,
            empty=self.empty,
        )


class Count(Aggregate):
    """``Count()``: rows; ``Count("f")``: rows where ``f`` is set (not missing, not null);
    ``Count("f", distinct=True)``: distinct non-null values of ``f``."""

    __slots__ = ()
    accumulator = "$sum"
    empty = 0

    def __init__(
        self, expression: str | Expression | None = None, *, distinct: bool = False
    ) -> None:
        if expression is None:
            if distinct:
                raise TypeError("Count(distinct=True) needs a field: Count('tag', distinct=True)")
            self.expression = None
            self.distinct = False
            return
        super().__init__(expression)
        self.distinct = distinct

    def compile(self, schema: Any, name: str) -> Output:
        project: Any = 1
        if self.expression is None:
            accumulator: dict[str, Any] = {"$sum": 1}
        else:
            operand, _, _ = self._operand(schema)
            if self.distinct:
                accumulator = {"$addToSet": operand}
                project = {
                    "$size": {
                        "$filter": {"input": "$" + name, "as": "v", "cond": {"$ne": ["$$v", None]}}
                    }
                }
            else:
                is_null = {"$eq": [{"$ifNull": [operand, None]}, None]}
                accumulator = {"$sum": {"$cond": [is_null, 0, 1]}}
        return Output(name, accumulator, project, None, None, numeric=True, empty=0)


class _Numeric(Aggregate):
    __slots__ = ()

    def _check(self, schema: Any, field: BaseField[Any] | None, label: str) -> None:
        if field is not None and field.kind is not None and field.kind not in NUMERIC_KINDS:
            raise self._refuse(schema, field, label, "a numeric field")

    def compile(self, schema: Any, name: str) -> Output:
        out = super().compile(schema, name)
        return Output(out.name, out.accumulator, 1, out.convert, out.field, True, None)


class Sum(_Numeric):
    """The sum of a numeric field (or expression) over the rows; MongoDB sums no values to 0."""

    __slots__ = ()
    accumulator = "$sum"


class Avg(_Numeric):
    """The average of a numeric field (or expression); None where no row has a value."""

    __slots__ = ()
    accumulator = "$avg"


class _Ordered(Aggregate):
    __slots__ = ()

    def _check(self, schema: Any, field: BaseField[Any] | None, label: str) -> None:
        if field is not None and field.kind in _UNORDERED_KINDS:
            raise self._refuse(schema, field, label, "a field of scalar values")


class Min(_Ordered):
    """The smallest value of a field (numbers, strings, dates ...) or expression."""

    __slots__ = ()
    accumulator = "$min"


class Max(_Ordered):
    """The largest value of a field (numbers, strings, dates ...) or expression."""

    __slots__ = ()
    accumulator = "$max"


def _converter(field: BaseField[Any] | None) -> Callable[[Any], Any] | None:
    """How a stored value read back from a group becomes its Python value (None: as is)."""
    if field is None or field.identity_load:
        return None
    return field.to_python


@dataclass(frozen=True, slots=True)
class Output:
    """One column of a grouped row: a group key or an aggregate."""

    name: str
    accumulator: dict[str, Any] | None
    """The ``$group`` accumulator (None: a group key)."""
    project: Any
    """What ``$project`` writes under ``name``."""
    convert: Callable[[Any], Any] | None
    """Stored value -> Python value (None: as read; Decimal128 still becomes Decimal)."""
    field: BaseField[Any] | None
    """The field the values come from, to convert filter values after grouping."""
    numeric: bool
    """The values are numbers whatever the field (counts, sums, averages)."""
    empty: Any = None
    """The value when nothing matched (``aggregate_values``)."""

    def load(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, Decimal128):
            value = value.to_decimal()
        convert = self.convert
        return value if convert is None else convert(value)

    def prepare(self, op: str | None, value: Any, label: str) -> Any:
        """A filter value compared with this column, in its stored form."""
        if self.numeric:
            if isinstance(value, decimal.Decimal):
                return Decimal128(value)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, float, Decimal128))
            ):
                raise ValidationError(
                    errors={label: f"expected a number for {self.name!r}, found {describe(value)}"}
                )
            return value
        if self.field is None or value is None:
            return value
        return self.field.prepare_query_value(op, value)


@dataclass(frozen=True, slots=True)
class Grouping:
    """The compiled grouping: its stages and the columns of each row."""

    stages: list[dict[str, Any]]
    outputs: dict[str, Output]

    def load(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """A grouped row -> ``{python name: value}`` (a missing key reads None)."""
        return {name: out.load(raw.get(name)) for name, out in self.outputs.items()}


def _check_name(model: str, name: str) -> None:
    if not name.isidentifier() or name == "_id":
        raise LookUpError(
            f"invalid annotation name {name!r} on {model}: use a Python identifier other than '_id'"
        )


def compile_grouping(
    schema: Any, keys: Sequence[str], aggregates: Iterable[tuple[str, Aggregate]]
) -> Grouping:
    """``$group`` by ``keys`` (none: one group of everything) computing ``aggregates``, then
    ``$project`` back to the Python names.

    Raises:
        LookUpError: A key or aggregate naming no field, an aggregate over a field it cannot
            compute over, or an annotation name that is no identifier or repeats another.
    """
    model = schema.model.__name__
    outputs: dict[str, Output] = {}
    group_id: dict[str, Any] = {}
    for key in keys:
        resolved = resolve_field(schema, key, noun="values()")
        name = key.replace(".", "__")
        if name in outputs:
            raise LookUpError(f"values() names {key!r} twice on {model}")
        group_id[name] = "$" + resolved.path
        field = resolved.field
        outputs[name] = Output(name, None, "$_id." + name, _converter(field), field, False)
    group: dict[str, Any] = {"_id": group_id if keys else None}
    for name, aggregate in aggregates:
        _check_name(model, name)
        if not isinstance(aggregate, Aggregate):
            raise TypeError(
                f"annotation {name!r} on {model}: expected Count, Sum, Avg, Min or Max, found "
                f"{aggregate!r}"
            )
        if name in outputs:
            raise LookUpError(f"annotation {name!r} on {model} repeats a grouped field's name")
        out = aggregate.compile(schema, name)
        outputs[name] = out
        group[name] = out.accumulator
    project: dict[str, Any] = {"_id": 0}
    for name, out in outputs.items():
        project[name] = out.project
    return Grouping([{"$group": group}, {"$project": project}], outputs)


#: Lookups a filter after ``annotate`` takes (https://www.mongodb.com/docs/manual/reference/operator/query-comparison/).
_HAVING_OPS = {
    "exact": "$eq", "ne": "$ne", "lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte",
    "in": "$in", "nin": "$nin",
}  # fmt: skip


def _known(outputs: Mapping[str, Output]) -> str:
    return ", ".join(outputs) or "none"


def _having_condition(outputs: Mapping[str, Output], key: str, value: Any) -> dict[str, Any]:
    name, op = key, None
    if key not in outputs:
        head, _, tail = key.rpartition("__")
        if tail in _HAVING_OPS and head in outputs:
            name, op = head, tail
        else:
            raise LookUpError(
                f"filter {key!r} after annotate() names no grouped field or annotation; the "
                f"rows have: {_known(outputs)} (lookups: {', '.join(_HAVING_OPS)})"
            )
    if isinstance(value, Expression):
        raise LookUpError(f"filter {key!r} after annotate() cannot take an F() expression")
    out = outputs[name]
    if op in ("in", "nin"):
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
            raise ValidationError(
                errors={key: f"expected a list of values for {op!r}, found {describe(value)}"}
            )
        return {name: {_HAVING_OPS[op]: [out.prepare(op, v, key) for v in value]}}
    prepared = out.prepare(op, value, key)
    if op in (None, "exact"):
        # a dict is compared as a value: {"$ne": None} from a request never runs as an operator
        return {name: {"$eq": prepared} if isinstance(prepared, Mapping) else prepared}
    return {name: {_HAVING_OPS[op]: prepared}}


def compile_having(outputs: Mapping[str, Output], node: Q) -> dict[str, Any]:
    """A Q tree over the grouped rows' names -> the ``$match`` after ``$group``.

    Raises:
        LookUpError: A name that is neither a grouped field nor an annotation.
    """
    if node.op == "raw":
        out: dict[str, Any] = dict(node.raw or {})
    else:
        parts = [_having_condition(outputs, key, value) for key, value in node.lookups]
        children = [compile_having(outputs, child) for child in node.children]
        if node.op == "or":
            kept = [c for c in children if c]
            out = {} if len(kept) < len(children) else ({"$or": kept} if len(kept) > 1 else kept[0])
        else:
            out = merge_and([*children, *parts])
    if node.negated:
        return {"$nor": [out]}
    return out


def compile_output_sort(
    outputs: Mapping[str, Output], keys: Sequence[str | tuple[str, int]]
) -> dict[str, int]:
    """``("-total", "status", ("n", 1))`` over the grouped rows' names -> the ``$sort``.

    Raises:
        LookUpError: A name that is neither a grouped field nor an annotation.
    """
    sort: dict[str, int] = {}
    for key in keys:
        name, direction = split_sort_key(key)
        if direction not in (1, -1) or isinstance(direction, bool):
            raise LookUpError(f"expected a sort direction 1 or -1, found {direction!r}")
        name = name.replace(".", "__")
        if name not in outputs:
            raise LookUpError(
                f"order_by {key!r} after annotate() names no grouped field or annotation; the "
                f"rows have: {_known(outputs)}"
            )
        sort[name] = direction
    return sort
