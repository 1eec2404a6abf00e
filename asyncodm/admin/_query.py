"""The list page's search box, filter builder and sort links, as asyncodm queries.

Stage: integration (admin). Everything compiles to ``Q`` objects and ``order_by`` keys of the
public query API (API.md §4), never to hand-written filter documents: the ODM's lookups translate
Python names to stored names, convert values to their stored form (an ObjectId, an enum's
value, a reference's id) and regex-escape user text in string lookups, so a search for
``a.b*`` matches those four characters and a value such as ``{"$ne": null}`` is only ever data.
The pure functions here are tested as dicts, without a database.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from functools import reduce
from typing import Any

import starlette_admin.fields as sa
from bson import ObjectId
from bson.errors import InvalidId
from starlette_admin.filters import (
    FilterApplyContext,
    FilterGroup,
    FilterRegistry,
    FilterRule,
    FilterValidationError,
    filters,
)
from starlette_admin.filters import array as array_filters
from starlette_admin.filters import boolean as boolean_filters
from starlette_admin.filters import date as date_filters
from starlette_admin.filters import enum as enum_filters
from starlette_admin.filters import generic as generic_filters
from starlette_admin.filters import numeric as numeric_filters
from starlette_admin.filters import string as string_filters
from starlette_admin.filters.base import BaseFilter

from asyncodm import Q
from asyncodm.admin._convert import ObjectIdInput

__all__ = [
    "SEARCHABLE_FIELD_TYPES",
    "AsyncODMFilterRegistry",
    "filter_query",
    "lookup",
    "order_keys",
    "search_query",
]

#: The admin fields the search box looks in: those holding text.
SEARCHABLE_FIELD_TYPES: tuple[type[sa.BaseField], ...] = (
    sa.StringField,
    sa.TextAreaField,
    sa.EmailField,
    sa.URLField,
)


def lookup(field_name: str, operator: str | None = None) -> str:
    """An admin field name (``author_info.name`` for a nested one) as a query keyword."""
    path = field_name.replace(".", "__")
    return f"{path}__{operator}" if operator else path


def _q(field_name: str, operator: str | None, value: Any) -> Q:
    return Q(**{lookup(field_name, operator): value})


def search_query(fields: Iterable[sa.BaseField], term: str) -> Q | None:
    """Case-insensitive containment of ``term`` in any searchable text field, OR-ed.

    ``icontains`` escapes the term (API.md §4), so regex characters match themselves. The
    primary key, choice selects and non-text fields are left out: a select's stored value is
    not what the user reads.
    """
    parts = [
        _q(f.name, "icontains", term)
        for f in fields
        if f.searchable
        and type(f) in SEARCHABLE_FIELD_TYPES
        and not isinstance(f, (sa.EnumField, ObjectIdInput))
    ]
    if not parts:
        return None
    return reduce(lambda a, b: a | b, parts)


def order_keys(sorts: Sequence[tuple[str, str]]) -> list[str]:
    """``[("title", "desc")]`` -> ``["-title"]``: the list page's sort as ``order_by`` keys."""
    return [
        ("-" if direction.lower() == "desc" else "+") + lookup(name) for name, direction in sorts
    ]


def filter_query(
    group: FilterGroup,
    fields_by_name: Mapping[str, sa.BaseField],
    registry: FilterRegistry,
) -> Q | None:
    """The filter builder's tree (AND/OR groups of rules) as one ``Q``; None when empty."""
    parts: list[Q] = []
    for rule in group.rules:
        part = (
            filter_query(rule, fields_by_name, registry)
            if isinstance(rule, FilterGroup)
            else _rule_query(rule, fields_by_name, registry)
        )
        if part is not None:
            parts.append(part)
    if not parts:
        return None
    if group.logic == "or":
        return reduce(lambda a, b: a | b, parts)
    return reduce(lambda a, b: a & b, parts)


def _rule_query(
    rule: FilterRule, fields_by_name: Mapping[str, sa.BaseField], registry: FilterRegistry
) -> Q | None:
    field = fields_by_name.get(rule.field)
    if field is None:
        return None
    cls = registry.get_filter(field, rule.filter)
    if cls is None:
        return None
    ctx = FilterApplyContext(
        query=None, field_name=rule.field, value=rule.value, value2=rule.value2
    )
    result = cls().apply(ctx)
    return result if isinstance(result, Q) else None


# --- the filters: starlette-admin's declarations, applied as Q objects --------------------------


class EqualFilter(generic_filters.EqualFilter):
    def apply(self, ctx: FilterApplyContext) -> Any:
        return _q(ctx.field_name, None, ctx.value)


class NotEqualFilter(generic_filters.NotEqualFilter):
    def apply(self, ctx: FilterApplyContext) -> Any:
        return _q(ctx.field_name, "ne", ctx.value)


class IsNullFilter(generic_filters.IsNullFilter):
    def apply(self, ctx: FilterApplyContext) -> Any:
        return _q(ctx.field_name, None, None)


class IsNotNullFilter(generic_filters.IsNotNullFilter):
    def apply(self, ctx: FilterApplyContext) -> Any:
        return _q(ctx.field_name, "ne", None)


class ContainsFilter(string_filters.ContainsFilter):
    def apply(self, ctx: FilterApplyContext) -> Any:
        return _q(ctx.field_name, "icontains", ctx.value)


class NotContainsFilter(string_filters.NotContainsFilter):
    def apply(self, ctx: FilterApplyContext) -> Any:
        return ~_q(ctx.field_name, "icontains", ctx.value)


class StartsWithFilter(string_filters.StartsWithFilter):
    def apply(self, ctx: FilterApplyContext) -> Any:
        return _q(ctx.field_name, "istartswith", ctx.value)


class EndsWithFilter(string_filters.EndsWithFilter):
    def apply(self, ctx: FilterApplyContext) -> Any:
        return _q(ctx.field_name, "iendswith", ctx.value)


class NumericEqualFilter(numeric_filters.EqualFilter):
    def apply(self, ctx: FilterApplyContext) -> Any:
        return _q(ctx.field_name, None, ctx.value)


class NumericNotEqualFilter(numeric_filters.NotEqualFilter):
    def apply(self, ctx: FilterApplyContext) -> Any:
        return _q(ctx.field_name, "ne", ctx.value)


class GreaterThanFilter(numeric_filters.GreaterThanFilter):
    def apply(self, ctx: FilterApplyContext) -> Any:
        return _q(ctx.field_name, "gt", ctx.value)


class GreaterThanOrEqualFilter(numeric_filters.GreaterThanOrEqualFilter):
    def apply(self, ctx: FilterApplyContext) -> Any:
        return _q(ctx.field_name, "gte", ctx.value)


class LessThanFilter(numeric_filters.LessThanFilter):
    def apply(self, ctx: FilterApplyContext) -> Any:
        return _q(ctx.field_name, "lt", ctx.value)


class LessThanOrEqualFilter(numeric_filters.LessThanOrEqualFilter):
    def apply(self, ctx: FilterApplyContext) -> Any:
        return _q(ctx.field_name, "lte", ctx.value)


class BetweenFilter(numeric_filters.BetweenFilter):
    def apply(self, ctx: FilterApplyContext) -> Any:
        return _q(ctx.field_name, "gte", ctx.value) & _q(ctx.field_name, "lte", ctx.value2)


class DateEqualFilter(date_filters.DateEqualFilter):
    def apply(self, ctx: FilterApplyContext) -> Any:
        return _q(ctx.field_name, None, ctx.value)


class DateTimeEqualFilter(date_filters.DateTimeEqualFilter):
    def apply(self, ctx: FilterApplyContext) -> Any:
        return _q(ctx.field_name, None, ctx.value)


class DateBetweenFilter(date_filters.DateBetweenFilter):
    def apply(self, ctx: FilterApplyContext) -> Any:
        return _q(ctx.field_name, "gte", ctx.value) & _q(ctx.field_name, "lte", ctx.value2)


class DateTimeBetweenFilter(date_filters.DateTimeBetweenFilter):
    def apply(self, ctx: FilterApplyContext) -> Any:
        return _q(ctx.field_name, "gte", ctx.value) & _q(ctx.field_name, "lte", ctx.value2)


def _now() -> datetime.datetime:
    # Stored datetimes are naive UTC (PyMongo's default), so compare with naive UTC.
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class DateInPastFilter(date_filters.DateInPastFilter):
    def apply(self, ctx: FilterApplyContext) -> Any:
        return _q(ctx.field_name, "lt", _now())


class DateInFutureFilter(date_filters.DateInFutureFilter):
    def apply(self, ctx: FilterApplyContext) -> Any:
        return _q(ctx.field_name, "gt", _now())


class IsTrueFilter(boolean_filters.IsTrueFilter):
    def apply(self, ctx: FilterApplyContext) -> Any:
        return _q(ctx.field_name, None, True)


class IsFalseFilter(boolean_filters.IsFalseFilter):
    def apply(self, ctx: FilterApplyContext) -> Any:
        return _q(ctx.field_name, None, False)


class InFilter(enum_filters.InFilter):
    def apply(self, ctx: FilterApplyContext) -> Any:
        return _q(ctx.field_name, "in", list(ctx.value))


class NotInFilter(enum_filters.NotInFilter):
    def apply(self, ctx: FilterApplyContext) -> Any:
        return _q(ctx.field_name, "nin", list(ctx.value))


class ArrayInFilter(array_filters.InFilter):
    def apply(self, ctx: FilterApplyContext) -> Any:
        return _q(ctx.field_name, "in", list(ctx.value))


class ArrayNotInFilter(array_filters.NotInFilter):
    def apply(self, ctx: FilterApplyContext) -> Any:
        return _q(ctx.field_name, "nin", list(ctx.value))


def _object_id(raw: Any) -> ObjectId:
    try:
        return ObjectId(str(raw).strip())
    except (InvalidId, TypeError):
        raise FilterValidationError(f"Invalid ObjectId: {raw}") from None


class ObjectIdEqualFilter(generic_filters.EqualFilter):
    """An ObjectId field equal to the given id (a malformed id is a 400, not a scan)."""

    def parse_value(self, raw: Any) -> ObjectId:
        return _object_id(raw)

    def apply(self, ctx: FilterApplyContext) -> Any:
        return _q(ctx.field_name, None, ctx.value)


class ObjectIdNotEqualFilter(generic_filters.NotEqualFilter):
    def parse_value(self, raw: Any) -> ObjectId:
        return _object_id(raw)

    def apply(self, ctx: FilterApplyContext) -> Any:
        return _q(ctx.field_name, "ne", ctx.value)


class AsyncODMFilterRegistry(FilterRegistry):
    """Which filters the filter builder offers for each admin field type, applied as ``Q``s."""

    @filters(sa.BaseField)
    def fallback_filters(self, field: sa.BaseField) -> list[type[BaseFilter]]:
        return [IsNullFilter, IsNotNullFilter]

    @filters(sa.StringField)
    def string_filters(self, field: sa.BaseField) -> list[type[BaseFilter]]:
        return [
            ContainsFilter,
            NotContainsFilter,
            StartsWithFilter,
            EndsWithFilter,
            EqualFilter,
            NotEqualFilter,
            IsNullFilter,
            IsNotNullFilter,
        ]

    @filters(sa.EnumField)
    def enum_filters(self, field: sa.BaseField) -> list[type[BaseFilter]]:
        return [EqualFilter, NotEqualFilter, InFilter, NotInFilter, IsNullFilter, IsNotNullFilter]

    @filters(sa.NumberField, sa.FloatField)
    def numeric_filters(self, field: sa.BaseField) -> list[type[BaseFilter]]:
        return [
            NumericEqualFilter,
            NumericNotEqualFilter,
            GreaterThanFilter,
            LessThanFilter,
            GreaterThanOrEqualFilter,
            LessThanOrEqualFilter,
            BetweenFilter,
            IsNullFilter,
            IsNotNullFilter,
        ]

    @filters(sa.DateField)
    def date_filters(self, field: sa.BaseField) -> list[type[BaseFilter]]:
        return [
            DateEqualFilter,
            DateBetweenFilter,
            DateInPastFilter,
            DateInFutureFilter,
            IsNullFilter,
            IsNotNullFilter,
        ]

    @filters(sa.DateTimeField)
    def datetime_filters(self, field: sa.BaseField) -> list[type[BaseFilter]]:
        return [
            DateTimeEqualFilter,
            DateTimeBetweenFilter,
            DateInPastFilter,
            DateInFutureFilter,
            IsNullFilter,
            IsNotNullFilter,
        ]

    @filters(sa.BooleanField)
    def boolean_filters(self, field: sa.BaseField) -> list[type[BaseFilter]]:
        return [IsTrueFilter, IsFalseFilter, IsNullFilter, IsNotNullFilter]

    @filters(sa.RelationField)
    def relation_filters(self, field: sa.BaseField) -> list[type[BaseFilter]]:
        return [IsNullFilter, IsNotNullFilter]

    @filters(sa.TagsField)
    def tags_filters(self, field: sa.BaseField) -> list[type[BaseFilter]]:
        return [ArrayInFilter, ArrayNotInFilter, IsNullFilter, IsNotNullFilter]

    @filters(ObjectIdInput)
    def object_id_filters(self, field: sa.BaseField) -> list[type[BaseFilter]]:
        return [ObjectIdEqualFilter, ObjectIdNotEqualFilter, IsNullFilter, IsNotNullFilter]
