"""Managers: ``Model.objects`` and its custom kin.

Stage: queryset. A manager is a descriptor on a document class; reading it from the class (or
an instance) gives a manager bound to that class, which hands out QuerySets and forwards every
queryset method (``Page.objects.filter(...)``, ``await Page.objects.count()``). Customise it
the ways the older ODMs do:

* ``Manager.from_queryset(MyQuerySet)`` (Django/PyMODM) or ``meta["queryset_class"]``
  (MongoEngine) to give querysets your own methods;
* subclass ``Manager`` and override ``get_queryset()`` for a filtered default;
* ``@queryset_manager`` (MongoEngine): a function ``(doc_cls, queryset) -> queryset``;
* any ``mongo_<method>`` calls the driver collection's ``<method>`` (Djongo), awaited if the
  driver returns an awaitable: ``await Entry.objects.mongo_insert_one({...})``.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, Generic, Literal, overload
from weakref import WeakKeyDictionary

from typing_extensions import Self, TypeVar

from asyncodm._io._persistence import identity_filter
from asyncodm.queryset._q import Q
from asyncodm.queryset._queryset import QuerySet

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from asyncodm._instance._base import BaseDocument
    from asyncodm.queryset._aggregate import AggregationResult
    from asyncodm.queryset._annotate import Aggregate

    class Unbound(BaseDocument):
        """For type checkers only: the model of a manager created without one
        (``live = PublishedManager()``), which reading it from a class fills in."""


__all__ = ["Manager", "QuerySetManager", "queryset_manager"]

#: The model a manager's querysets query; ``Unbound`` until a type checker knows it.
D = TypeVar("D", bound="BaseDocument", default="Unbound")
M = TypeVar("M", bound="BaseDocument")


class Manager(Generic[D]):
    """Hands out QuerySets for the document class it is bound to.

    To type checkers ``Post.objects`` is a ``Manager[Post]`` (``Document`` declares it with
    ``Self``), and so is a manager declared without a parameter (``live = PublishedManager()``)
    when read from ``Post``; declare ``live: ClassVar[PublishedManager[Post]]`` to keep its
    own methods typed too.

    Example:
        ```python
        class PublishedManager(Manager):
            def get_queryset(self):
                return super().get_queryset().filter(published=True)


        class Post(Document):
            published = BooleanField(default=False)
            objects = Manager()
            live = PublishedManager()
        ```
    """

    #: The QuerySet class this manager's querysets use (``from_queryset`` sets it); None: the
    #: model's ``meta["queryset_class"]``, else ``QuerySet``.
    queryset_class: type[QuerySet[Any, Any]] | None = None

    def __init__(self) -> None:
        self.model: type[D] | None = None
        self.name: str | None = None
        self._bound: WeakKeyDictionary[type, Self] = WeakKeyDictionary()

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self: Manager[Unbound], instance: object, owner: type[M]) -> Manager[M]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> Self: ...

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        cls = owner if owner is not None else type(instance)
        bound: Any = self._bound.get(cls)
        if bound is None:
            bound = self._bind(cls)
            self._bound[cls] = bound
        return bound

    def _bind(self, model: type) -> Self:
        bound = object.__new__(type(self))
        bound.__dict__.update(self.__dict__)
        bound.model = model
        bound._bound = WeakKeyDictionary()
        return bound

    # --- querysets -------------------------------------------------------------------------

    def _model(self) -> type[D]:
        if self.model is None:
            raise TypeError(
                f"{type(self).__name__} is not bound to a document class: declare it on one "
                "and read it from the class (Model.objects)"
            )
        return self.model

    def _queryset_class(self) -> type[QuerySet[Any, Any]]:
        if self.queryset_class is not None:
            return self.queryset_class
        model = self._model()
        found = model._schema.meta.get("queryset_class") if hasattr(model, "_schema") else None
        return found if isinstance(found, type) and issubclass(found, QuerySet) else QuerySet

    def get_queryset(self) -> QuerySet[D]:
        """The queryset every call starts from; override to change the default."""
        return self._queryset_class()(self._model())

    def __call__(self, *queries: Q | dict[str, Any], **lookups: Any) -> QuerySet[D]:
        """``Page.objects(title="x")``: a filtered queryset (MongoEngine)."""
        return self.get_queryset().filter(*queries, **lookups)

    def _for_instance(self, document: Any) -> QuerySet[D]:
        """A queryset selecting exactly ``document`` (``doc.update()``/``doc.modify()``); it
        ignores any custom default filter, which must not hide the document from itself."""
        base = self._queryset_class()(type(document))
        return base.raw(identity_filter(document))

    @classmethod
    def from_queryset(
        cls, queryset_class: type[QuerySet[M, Any]], class_name: str | None = None
    ) -> type[Manager[M]]:
        """A Manager subclass whose querysets are ``queryset_class`` (Django/PyMODM); to type
        checkers a manager of ``queryset_class``'s model."""
        name = class_name or f"{cls.__name__}From{queryset_class.__name__}"
        return type(name, (cls,), {"queryset_class": queryset_class})

    # --- forwarding ------------------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("model", "name", "_bound"):
            raise AttributeError(name)
        if name.startswith("mongo_") and len(name) > 6:
            return self._driver_method(name[6:])
        return getattr(self.get_queryset(), name)

    def _driver_method(self, method: str) -> Callable[..., Any]:
        """``mongo_<method>``: the driver collection's method, its result awaited if needed."""
        collection = self.get_queryset()._collection().raw
        if method.startswith("_") or not callable(getattr(type(collection), method, None)):
            # checked on the type: driver collections turn unknown attributes into
            # sub-collections (``coll.foo`` is the collection "name.foo")
            raise AttributeError(
                f"the driver collection ({type(collection).__name__}) has no method {method!r}"
            )
        target = getattr(collection, method)

        async def call(*args: Any, **kwargs: Any) -> Any:
            result = target(*args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
            return result

        call.__name__ = f"mongo_{method}"
        call.__doc__ = f"The driver collection's ``{method}`` (awaited if it is a coroutine)."
        return call

    def __aiter__(self) -> AsyncIterator[D]:
        return self.get_queryset().__aiter__()

    @overload
    def __getitem__(self, key: int) -> Awaitable[D]: ...

    @overload
    def __getitem__(self, key: slice) -> QuerySet[D]: ...

    def __getitem__(self, key: int | slice) -> Awaitable[D] | QuerySet[D]:
        return self.get_queryset()[key]

    def __repr__(self) -> str:
        model = self.model.__name__ if self.model is not None else "unbound"
        return f"<{type(self).__name__} {model}.{self.name or '?'}>"

    # Typed entry points for the most used queryset methods (the rest arrive via __getattr__).

    def filter(self, *queries: Q | dict[str, Any], **lookups: Any) -> QuerySet[D]:
        return self.get_queryset().filter(*queries, **lookups)

    def all(self) -> QuerySet[D]:
        return self.get_queryset()

    def none(self) -> QuerySet[D]:
        return self.get_queryset().none()

    def raw(self, query: dict[str, Any]) -> QuerySet[D]:
        return self.get_queryset().raw(query)

    def order_by(self, *keys: Any) -> QuerySet[D]:
        return self.get_queryset().order_by(*keys)

    async def get(self, *queries: Q | dict[str, Any], **lookups: Any) -> D:
        return await self.get_queryset().get(*queries, **lookups)

    async def first(self) -> D | None:
        return await self.get_queryset().first()

    async def count(self, with_limit_and_skip: bool = False) -> int:
        return await self.get_queryset().count(with_limit_and_skip)

    async def create(self, **values: Any) -> D:
        return await self.get_queryset().create(**values)

    async def to_list(self, length: int | None = None) -> list[D]:
        return await self.get_queryset().to_list(length)

    if TYPE_CHECKING:
        # Typed for type checkers; at run time these arrive through ``__getattr__``.

        def only(self, *fields: str) -> QuerySet[D]: ...
        def exclude(self, *fields: str) -> QuerySet[D]: ...
        def select_related(self, *paths: str, max_depth: int = 1) -> QuerySet[D]: ...
        def no_dereference(self) -> QuerySet[D]: ...
        def using_lookup(self) -> QuerySet[D]: ...
        def skip(self, n: int | None) -> QuerySet[D]: ...
        def limit(self, n: int | None) -> QuerySet[D]: ...
        def using(self, alias: str) -> QuerySet[D]: ...
        def as_pymongo(self) -> QuerySet[D, dict[str, Any]]: ...
        def values(self, *fields: str) -> QuerySet[D, dict[str, Any]]: ...
        @overload
        def values_list(
            self, *fields: str, flat: Literal[False] = ...
        ) -> QuerySet[D, tuple[Any, ...]]: ...
        @overload
        def values_list(self, *fields: str, flat: bool) -> QuerySet[D, Any]: ...
        def values_list(self, *fields: str, flat: bool = False) -> QuerySet[D, Any]: ...
        async def exists(self) -> bool: ...
        async def distinct(self, field: str) -> list[Any]: ...
        async def in_bulk(self, ids: Iterable[Any]) -> dict[Any, D]: ...
        async def bulk_create(
            self, documents: Any, retrieve: bool = False, full_clean: bool = False, **kwargs: Any
        ) -> list[Any]: ...
        async def update(self, *raw: Any, upsert: bool = False, **operations: Any) -> Any: ...
        async def update_one(self, *raw: Any, upsert: bool = False, **operations: Any) -> Any: ...
        async def delete(self, write_concern: Any = None) -> int: ...
        async def modify(
            self, *raw: Any, upsert: bool = False, remove: bool = False, new: bool = False,
            **operations: Any,
        ) -> D | None: ...  # fmt: skip
        async def upsert_one(self, *raw: Any, **operations: Any) -> D: ...
        async def insert(self, documents: Any, load_bulk: bool = True, **kwargs: Any) -> Any: ...
        def scalar(self, *fields: str) -> QuerySet[D, Any]: ...
        def all_fields(self) -> QuerySet[D]: ...
        def batch_size(self, n: int) -> QuerySet[D]: ...
        def hint(self, index: Any) -> QuerySet[D]: ...
        def comment(self, text: Any) -> QuerySet[D]: ...
        def max_time_ms(self, ms: int | None) -> QuerySet[D]: ...
        def collation(self, collation: Any) -> QuerySet[D]: ...
        def read_preference(self, read_preference: Any) -> QuerySet[D]: ...
        def read_concern(self, read_concern: Any) -> QuerySet[D]: ...
        def aggregate(
            self,
            pipeline: Sequence[Mapping[str, Any]] | Mapping[str, Any],
            *stages: Mapping[str, Any],
            **kwargs: Any,
        ) -> AggregationResult: ...
        async def sum(self, field: str) -> Any: ...
        async def average(self, field: str) -> Any: ...
        async def item_frequencies(self, field: str, normalize: bool = False) -> dict[Any, Any]: ...
        async def aggregate_values(self, **aggregates: Aggregate) -> dict[str, Any]: ...
        async def explain(self) -> dict[str, Any]: ...
        def explain_filter(self) -> dict[str, Any]: ...


class QuerySetManager(Manager[D]):
    """The default ``objects`` manager; given a function, it is a ``@queryset_manager``.

    The function takes ``(doc_cls, queryset)`` (or just ``queryset``) and returns the queryset
    the manager starts from (MongoEngine).
    """

    def __init__(self, get_queryset: Callable[..., QuerySet[Any, Any]] | None = None) -> None:
        super().__init__()
        self._func = get_queryset
        self._arity = 0
        if get_queryset is not None:
            self._arity = len(inspect.signature(get_queryset).parameters)
            self.__doc__ = get_queryset.__doc__

    def get_queryset(self) -> QuerySet[D]:
        queryset = super().get_queryset()
        func = self._func
        if func is None:
            return queryset
        if self._arity == 1:
            return func(queryset)
        return func(self._model(), queryset)


def queryset_manager(func: Callable[..., QuerySet[Any, Any]]) -> QuerySetManager:
    """Decorator (MongoEngine): a function ``(doc_cls, queryset) -> queryset`` becomes a manager
    attribute named after it.

    Example:
        ```python
        class BlogPost(Document):
            published = BooleanField()

            @queryset_manager
            def live_posts(doc_cls, queryset):
                return queryset.filter(published=True)


        await BlogPost.live_posts.count()
        ```
    """
    return QuerySetManager(func)
