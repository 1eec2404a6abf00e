"""Querying: lookups -> Q tree -> pure compile -> immutable QuerySet -> awaited terminals.

Stage: queryset. See ``_lookups`` (``"a__b__gte"`` -> stored path + operator), ``_q`` (the Q
tree), ``_compile`` (pure filter/update/sort/projection dicts), ``_join_plan`` / ``_joins``
(lookups through references: the pending semi-join, then its ids or ``$lookup``), ``_queryset``
(the frozen spec and its awaited terminals) and ``_manager`` (``Model.objects``).
"""

from __future__ import annotations

from asyncodm.queryset._manager import Manager, QuerySetManager, queryset_manager
from asyncodm.queryset._q import Q
from asyncodm.queryset._queryset import QuerySet

__all__ = ["Manager", "Q", "QuerySet", "QuerySetManager", "queryset_manager"]
