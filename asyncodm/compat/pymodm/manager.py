"""PyMODM's ``Manager`` (``pymodm.manager``) over asyncodm's.

Stage: compat. ``Model.objects`` hands out PyMODM ``QuerySet`` instances (with the model's
``Meta.collation`` applied); ``Manager.from_queryset(MyQuerySet)`` makes a manager for a custom
queryset class, and overriding ``get_queryset()`` gives every queryset a default filter, both
exactly as in PyMODM. Queryset methods are reached through the manager
(``await Post.objects.published().count()``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from typing_extensions import TypeVar

from asyncodm import queryset as _qs
from asyncodm.compat.pymodm.queryset import QuerySet

if TYPE_CHECKING:
    from asyncodm import Document

__all__ = ["BaseManager", "Manager"]

D = TypeVar("D", bound="Document", default=Any)


class Manager(_qs.Manager[D]):
    """The default manager of ``MongoModel`` classes (``Model.objects``)."""

    queryset_class: type[_qs.QuerySet[Any, Any]] | None = QuerySet

    def get_queryset(self) -> _qs.QuerySet[D]:
        """A new queryset over every document of the model; override to filter by default."""
        queryset = super().get_queryset()
        collation = getattr(self._model(), "_pymodm_collation", None)
        return queryset.collation(collation) if collation is not None else queryset


#: PyMODM's abstract base; here the default manager already is the base to derive from.
BaseManager = Manager
