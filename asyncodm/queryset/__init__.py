"""Querying: lookups -> Q tree -> pure compile -> immutable QuerySet -> awaited terminals.

Stage: queryset. See ``_lookups`` (``"a__b__gte"`` -> stored path + operator), ``_q`` (the Q
tree), ``_compile`` (pure filter/update/sort/projection dicts), ``_join_plan`` / ``_joins``
(lookups through references: the pending semi-join, then its ids or ``$lookup``), ``_queryset``
(the frozen spec and its awaited terminals) and ``_manager`` (``Model.objects``);
``_expressions`` (``F``) and ``_annotate`` (``Count``, ``Sum`` ... and the ``$group`` pipeline)
compile grouping and expressions, ``_grouped`` runs them.
"""

from __future__ import annotations

from asyncodm.queryset._annotate import Avg, Count, Max, Min, Sum
from asyncodm.queryset._expressions import F
from asyncodm.queryset._grouped import GroupedQuerySet
from asyncodm.queryset._manager import Manager, QuerySetManager, queryset_manager
from asyncodm.queryset._q import Q
from asyncodm.queryset._queryset import QuerySet

__all__ = [
    "Avg",
    "Count",
    "F",
    "GroupedQuerySet",
    "Manager",
    "Max",
    "Min",
    "Q",
    "QuerySet",
    "QuerySetManager",
    "Sum",
    "queryset_manager",
]
