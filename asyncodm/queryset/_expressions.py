"""``F`` expressions: a field's value inside the query, and arithmetic over such values.

Stage: compile (pure). ``F("price") * F("qty")`` is a small tree that names fields by their
Python names; ``compile_expression`` turns it into a MongoDB aggregation expression
(``{"$multiply": ["$price", "$qty"]}``) against a model's Schema, with every path resolved by
the one path resolver (``db_field`` renames, ``a__b`` -> ``"$a.b"``). Three places read one:
filters (``views__gt=F("likes")`` -> ``$expr``), pipeline updates
(``update(set__total=F("price") * F("qty"))``) and aggregates (``Sum(F("price") * F("qty"))``).

User data stays data: a constant that MongoDB could read as a field path or an operator (a
string, since ``"$x"`` is a path; a dict; a list) is sent as ``{"$literal": value}``, and a
field name may never start with ``$``.
https://www.mongodb.com/docs/manual/reference/operator/aggregation/literal/
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from typing import Any, Union

from bson import Decimal128

from asyncodm._schema._paths import LOOKUP, ResolvedPath, resolve
from asyncodm.errors import LookUpError
from asyncodm.queryset._lookups import Lookup

__all__ = [
    "NUMERIC_KINDS",
    "Arithmetic",
    "Expression",
    "F",
    "compile_expression",
    "expression_condition",
    "family",
    "literal",
    "resolve_field",
    "value_family",
]

#: Field kinds (``BaseField.kind``) whose values are numbers: arithmetic, ``Sum``, ``Avg``.
NUMERIC_KINDS = frozenset({"int", "long", "float", "decimal", "sequence"})
#: Kinds that also take ``+``/``-`` (a date plus milliseconds is a date).
_DATE_KINDS = frozenset({"date", "datetime"})
#: Kinds whose values are stored as plain text.
_TEXT_KINDS = frozenset({"string", "email", "url", "ip"})
#: What a value family is: "number", "text", "date", or a field class (only its own values).
Family = str | type

#: Python operator -> aggregation operator (https://www.mongodb.com/docs/manual/reference/operator/aggregation/#arithmetic-expression-operators).
_OPERATORS = {"+": "$add", "-": "$subtract", "*": "$multiply", "/": "$divide"}
#: Operators whose operands may be flattened (``a + b + c`` -> one ``$add`` of three).
_ASSOCIATIVE = frozenset({"+", "*"})
_NUMBERS = (int, float, decimal.Decimal, Decimal128)
#: What arithmetic takes on either side of an expression.
Operand = Union["Expression", int, float, decimal.Decimal, Decimal128]


class Expression:
    """An expression over a document's fields; ``+ - * /`` combine it with numbers and other
    expressions. Comparisons are written as lookups (``views__gt=F("likes")``), so ``==``
    keeps its ordinary meaning and expressions stay hashable."""

    __slots__ = ()

    def _combine(self, op: str, other: object, reflected: bool = False) -> Arithmetic:
        if not isinstance(other, Expression) and (
            isinstance(other, bool) or not isinstance(other, _NUMBERS)
        ):
            raise TypeError(
                f"F() arithmetic takes numbers or F() expressions, found {type(other).__name__} "
                f"{other!r}"
            )
        return Arithmetic(op, other, self) if reflected else Arithmetic(op, self, other)

    def __add__(self, other: Operand) -> Arithmetic:
        return self._combine("+", other)

    def __radd__(self, other: Operand) -> Arithmetic:
        return self._combine("+", other, reflected=True)

    def __sub__(self, other: Operand) -> Arithmetic:
        return self._combine("-", other)

    def __rsub__(self, other: Operand) -> Arithmetic:
        return self._combine("-", other, reflected=True)

    def __mul__(self, other: Operand) -> Arithmetic:
        return self._combine("*", other)

    def __rmul__(self, other: Operand) -> Arithmetic:
        return self._combine("*", other, reflected=True)

    def __truediv__(self, other: Operand) -> Arithmetic:
        if isinstance(other, _NUMBERS) and not isinstance(other, (bool, Decimal128)) and other == 0:
            # as in Python: the server would refuse every document ("can't $divide by zero")
            raise ZeroDivisionError(f"{self!r} / {other!r} divides by zero")
        return self._combine("/", other)

    def __rtruediv__(self, other: Operand) -> Arithmetic:
        return self._combine("/", other, reflected=True)

    def __neg__(self) -> Arithmetic:
        return Arithmetic("*", -1, self)


class F(Expression):
    """The value of a field in the same document: ``F("likes")``, ``F("author__name")``."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        given: object = name  # checked at run time: an F() may be built from loose input
        if not isinstance(given, str) or not given:
            raise TypeError(f"F() takes a field name, found {name!r}")
        self.name = name

    def __repr__(self) -> str:
        return f"F({self.name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, F) and other.name == self.name

    def __hash__(self) -> int:
        return hash((F, self.name))


class Arithmetic(Expression):
    """``left <op> right``, each an expression or a number."""

    __slots__ = ("left", "op", "right")

    def __init__(self, op: str, left: Any, right: Any) -> None:
        self.op = op
        self.left = left
        self.right = right

    def __repr__(self) -> str:
        return f"({self.left!r} {self.op} {self.right!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Arithmetic) and (other.op, other.left, other.right) == (
            self.op,
            self.left,
            self.right,
        )

    def __hash__(self) -> int:
        return hash((Arithmetic, self.op, self.left, self.right))


def resolve_field(schema: Any, name: str, *, noun: str = "F()") -> ResolvedPath:
    """Resolve a field name used inside an expression, aggregate or group key.

    Raises:
        LookUpError: A part starting with ``$`` (never a path here, even on a dynamic
            document: it would read as an operator or variable), or a part naming nothing.
    """
    parts = name.replace(".", "__").split("__")
    for part in parts:
        if not part or part.startswith("$"):
            raise LookUpError(
                f"invalid field name {name!r} in {noun}: names are field paths such as "
                "'author__name', with no empty part and no part starting with '$'"
            )
    resolved = resolve(schema, parts, written=name, rules=LOOKUP)
    for step in resolved.steps[:-1]:
        if step.field is not None and step.field.references() is not None:
            raise LookUpError(
                f"{schema.model.__name__} field {name!r} in {noun}: it walks into a reference "
                f"({step.label!r}); an expression reads only the document's own fields"
            )
    if any(step.position for step in resolved.steps):
        raise LookUpError(
            f"{schema.model.__name__} field {name!r} in {noun}: a list index or positional "
            "operator has no meaning inside an expression"
        )
    return resolved


def literal(value: Any) -> Any:
    """A constant inside an aggregation expression, never read as a path or operator."""
    if isinstance(value, decimal.Decimal):
        return Decimal128(value)
    if isinstance(value, (str, Mapping, list, tuple)):
        return {"$literal": list(value) if isinstance(value, tuple) else value}
    return value


def _kind(resolved: ResolvedPath) -> str | None:
    field = resolved.field
    return None if field is None else field.kind


def compile_expression(schema: Any, expression: Any) -> Any:
    """An expression (or a constant) -> the aggregation expression MongoDB evaluates.

    Raises:
        LookUpError: A field that does not exist, or arithmetic over a field that holds no
            numbers (dates take ``+`` and ``-``), naming the field path.
    """
    schema = getattr(schema, "_schema", schema)  # a model class or its Schema
    if isinstance(expression, F):
        return "$" + resolve_field(schema, expression.name).path
    if isinstance(expression, Arithmetic):
        operands: list[Any] = []
        for side in (expression.left, expression.right):
            if isinstance(side, F):
                _check_numeric(schema, side, expression.op)
            compiled = compile_expression(schema, side)
            if (
                expression.op in _ASSOCIATIVE
                and isinstance(side, Arithmetic)
                and side.op == expression.op
            ):
                operands.extend(compiled[_OPERATORS[expression.op]])
            else:
                operands.append(compiled)
        return {_OPERATORS[expression.op]: operands}
    return literal(expression)


def _check_numeric(schema: Any, f: F, op: str) -> None:
    resolved = resolve_field(schema, f.name)
    kind = _kind(resolved)
    if kind is None or kind in NUMERIC_KINDS or (op in "+-" and kind in _DATE_KINDS):
        return
    raise LookUpError(
        f"{schema.model.__name__} field {resolved.label!r} in F() arithmetic ({op!r}): expected "
        f"a numeric field, found a {type(resolved.field).__name__}"
    )


def family(field: Any) -> Family | None:
    """The family of values a field holds, for checking what an F() update may store in it
    (None: anything, an undeclared or dynamic field). Numbers, texts and dates each form one
    family whatever their field class; any other field holds only its own class's values."""
    if field is None:
        return None
    kind = field.kind
    if kind == "dynamic":
        return None
    if kind in NUMERIC_KINDS:
        return "number"
    if kind in _TEXT_KINDS:
        return "text"
    if kind in _DATE_KINDS:
        return "date"
    return type(field)


def value_family(schema: Any, expression: Any) -> Family | None:
    """The family of what an expression yields (None: not known, an undeclared field).

    A field's value is of that field's family; arithmetic gives a number, except that a date
    plus (or minus) a number is a date (``$add``/``$subtract`` on dates).
    """
    if isinstance(expression, F):
        return family(resolve_field(schema, expression.name).field)
    if not isinstance(expression, Arithmetic):
        return "number"  # arithmetic constants are numbers (``_combine``)
    sides = [value_family(schema, side) for side in (expression.left, expression.right)]
    if expression.op == "+" and "date" in sides:
        return "date"
    if expression.op == "-" and sides[0] == "date" and sides[1] != "date":
        return "date"
    if expression.op in "+-" and None in sides:
        return None  # an undeclared field may hold a date
    return "number"


#: Lookups that compare with an expression, and their aggregation operators.
_COMPARISONS = {
    None: "$eq", "exact": "$eq", "ne": "$ne", "lt": "$lt", "lte": "$lte", "gt": "$gt",
    "gte": "$gte",
}  # fmt: skip


def expression_condition(schema: Any, lookup: Lookup, value: Expression) -> dict[str, Any]:
    """``views__gt=F("likes")`` -> ``{"$expr": {"$gt": ["$views", "$likes"]}}``.

    A comparison between two fields of one document is an aggregation expression, so it runs
    inside ``$expr`` (https://www.mongodb.com/docs/manual/reference/operator/query/expr/);
    ``__not__`` wraps it in ``$not``.

    Raises:
        LookUpError: A lookup other than exact/ne/lt/lte/gt/gte, or a bad field in ``value``.
    """
    operator = _COMPARISONS.get(lookup.op)
    if operator is None:
        raise LookUpError(
            f"lookup {lookup.name!r} cannot compare with an F() expression: F() works with "
            "exact, ne, lt, lte, gt and gte"
        )
    if any(part.startswith("$") or part.isdigit() for part in lookup.path.split(".")):
        raise LookUpError(
            f"lookup {lookup.name!r} cannot compare with an F() expression: a list index or "
            "positional operator has no meaning inside an expression"
        )
    condition: dict[str, Any] = {operator: ["$" + lookup.path, compile_expression(schema, value)]}
    if lookup.negated:
        condition = {"$not": [condition]}
    return {"$expr": condition}
