"""Container fields: lists, sorted lists and dicts of another field, and the schemaless
``DynamicField`` (its conversions live in ``_schemaless``).

Stage: fields. A container converts and validates each item through its item field and reports
errors at dotted paths (``tags.2``, ``scores.math``). ``to_python`` always builds new containers,
so a document's loaded raw data is never mutated in place: that raw data is the baseline that
delta saves compare against.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

from typing_extensions import Self

from asyncodm._types import MISSING
from asyncodm.errors import InvalidDocumentError
from asyncodm.fields import _snapshots as snapshots
from asyncodm.fields._access import coerced_default, reading_through_items
from asyncodm.fields._base import (
    BaseField,
    Container,
    InlineCheck,
    PathStep,
    References,
    describe,
    is_position,
)
from asyncodm.fields._schemaless import (
    check_key,
    compile_list_check,
    copy_stored,
    dynamic_to_mongo,
    dynamic_to_python,
    quick_dynamic,
    validate_dynamic,
)
from asyncodm.fields._snapshots import Snapshot, all_immutable
from asyncodm.fields._spec import frozen_mapping

if TYPE_CHECKING:
    from asyncodm.fields._reference import Ref, RefDict, RefItem, RefList

__all__ = [
    "DictField",
    "DynamicField",
    "ListField",
    "MapField",
    "OrderedDictField",
    "SortedListField",
    "check_key",
    "copy_stored",
    "dynamic_to_mongo",
    "dynamic_to_python",
    "validate_dynamic",
]

T = TypeVar("T")
D = TypeVar("D")


class DynamicField(BaseField[Any]):
    """Any value MongoDB can store: what dynamic attributes and untyped dicts hold."""

    expected = "a value MongoDB can store"
    is_schemaless = True
    accepts_item_values = True

    kind = "dynamic"

    def quick_check(self) -> Callable[[Any], bool] | None:
        return quick_dynamic

    def to_python(self, value: Any) -> Any:
        return copy_stored(value)

    def to_mongo(self, value: Any) -> Any:
        return dynamic_to_mongo(value)

    def _builtin_checks(self, value: Any, path: str, errors: dict[str, str]) -> None:
        before = len(errors)
        validate_dynamic(value, path, errors)
        if len(errors) == before:
            super()._builtin_checks(value, path, errors)


class ListField(BaseField[list[T]]):
    """A list whose items are all of one field type (or anything, without an item field)."""

    expected = "a list"

    kind = "list"

    def _describe(self) -> dict[str, Any]:
        item = self.field.describe()
        constraints = frozen_mapping(min_length=self.min_length, max_length=self.max_length)
        return {
            **super()._describe(),
            "default": self._declared_default,
            "item": item,
            "document": item.document,
            "constraints": constraints,
        }

    def _describe_stable(self) -> bool:
        return self.field._describe_stable()

    if TYPE_CHECKING:
        # A list of references reads as an awaitable ``RefList`` (``await post.authors`` is a
        # ``list[User]``); other lists read as lists.

        @overload
        def __get__(self, instance: None, owner: type) -> Self: ...

        @overload
        def __get__(
            self: ListField[Ref[D]], instance: object, owner: type
        ) -> RefList[D] | None: ...

        @overload
        def __get__(self, instance: object, owner: type) -> list[T] | None: ...

        def __get__(self, instance: object | None, owner: type) -> Any: ...

        # One signature (checkers build constructors from it, and take no overloads here):
        # the items, or what reference and embedded items are assigned as (``RefItem``).
        def __set__(self, instance: object, value: Sequence[T | RefItem] | None) -> None: ...

    else:

        def __get__(self, instance: Any, owner: type) -> Any:
            """``BaseField.__get__`` with the first read of a stored list done inline: the
            read every loaded document pays once per list field, so no call is spent on it.

            A list of plain items is handed out as stored with its snapshot kept (a tuple of
            its items when they are immutable scalars, ``_snapshots.of_list``); a list of
            embedded documents loads each stored dict through the class's compiled loader.
            Anything else takes the general path."""
            if instance is None:
                return self
            values = instance._values
            value = values.get(self.name, MISSING)
            if value is not MISSING:
                return value
            son = instance._son
            if son is not None:
                raw = son.get(self.db_field)
                if type(raw) is list:
                    if self.shares_stored:
                        if instance._schema.is_document:
                            if all_immutable(map(type, raw)):
                                data: Any = tuple(raw)
                            else:
                                data = snapshots.take(raw)
                            if data is None:
                                value = values[self.name] = self.to_python(raw)  # a copy
                                return value
                            # Handed out as stored, no copy: the snapshot is the baseline.
                            orig = instance._orig
                            if orig is None:
                                instance._keep_snapshot(self.name, data)
                            else:
                                orig[self.snapshot_key] = data
                            values[self.name] = raw
                            return raw
                    elif self.loads_items:
                        load = self._item_load
                        if load is None:
                            load = self._item_load = self.field.item_loader()
                        to_python = self.field.to_python
                        items = [
                            load(v) if type(v) is dict else None if v is None else to_python(v)
                            for v in raw
                        ]
                        value = items if self._list_type is list else self._list_type(items)
                        values[self.name] = value
                        return value
            return BaseField.__get__(self, instance, owner)

    def __init__(
        self,
        field: BaseField[T] | None = None,
        *,
        max_length: int | None = None,
        min_length: int | None = None,
        **kwargs: Any,
    ) -> None:
        if field is not None and not isinstance(field, BaseField):
            raise InvalidDocumentError(
                f"ListField expects a field instance for its items, found {describe(field)}"
            )
        item: BaseField[Any] = field if field is not None else DynamicField()
        #: References read as an awaitable ``RefList``; everything else as a plain list.
        self._list_type: type = getattr(item, "list_type", list)
        kwargs.setdefault("default", self._list_type)
        super().__init__(**kwargs)
        self.field = item
        self.max_length = max_length
        self.min_length = min_length
        # A new document's list of references is awaitable from the start, like a loaded
        # one's, whatever the default is spelt as (``default=list``).
        self._declared_default = self.default
        self.default = coerced_default(self.default, list, self._list_type, self.coerce)
        #: References read as raw ids inside ``no_auto_dereference`` (never kept).
        self._read_view = getattr(self.field, "read_container", None)
        self.coerces = self.field.coerces
        self.shares_stored = self.field.identity_load and self._list_type is list
        self.plain_list = self._list_type is list
        #: The items are documents a compiled loader builds from stored dicts, and this
        #: class converts as ``ListField.to_python`` does: ``__get__`` loads them inline.
        self.loads_items = (
            not self.shares_stored
            and type(self).to_python is ListField.to_python
            and type(self.field).item_loader is not BaseField.item_loader
        )
        #: ``self.field.item_loader()``, asked at the first read (a class named by a string
        #: is known by then).
        self._item_load: Callable[[dict[str, Any]], Any] | None = None

    # --- self-description ---
    container = Container.LIST
    accepts_item_values = True

    @property
    def item_field(self) -> BaseField[Any]:
        return self.field

    def walk(self, part: str) -> PathStep:
        """An index or positional operator reaches one item; any other part is looked up in
        every item (``comments__author`` matches any comment's author)."""
        if is_position(part):
            return PathStep(part, self.field, part, position=True)
        return self.field.walk(part)

    def stored_snapshot(self, raw: Any) -> Snapshot | None:
        return snapshots.of_list(raw) if type(raw) is list else None

    # -- what this field says about itself ----------------------------------------------------

    def references(self) -> References | None:
        """A list of references, when its items are references (not lists of them)."""
        held = self.field.references()
        if held is None or held.container is not Container.NONE:
            return None
        return replace(held, container=Container.LIST)

    def __new__(cls, field: Any = None, *args: Any, **kwargs: Any) -> Self:
        return cast("Self", object.__new__(reading_through_items(cls, field)))

    def bind(self, owner: type | None, name: str) -> None:
        super().bind(owner, name)
        self.field.bind(owner, name)

    def to_python(self, value: Any) -> Any:
        if type(value) is not list:
            return value
        item = self.field
        if item.identity_load:
            return list(value)
        load = item.item_loader()
        to_python = item.to_python
        if load is not None:
            # Embedded documents: one compiled loader call per stored dict.
            items = [
                load(v) if type(v) is dict else None if v is None else to_python(v) for v in value
            ]
        else:
            items = [None if v is None else to_python(v) for v in value]
        return items if self._list_type is list else self._list_type(items)

    def coerce(self, value: Any) -> Any:
        if not isinstance(value, (list, tuple)):
            return value
        coerce = self.field.coerce
        items = [None if v is None else coerce(v) for v in value]
        return items if self._list_type is list else self._list_type(items)

    def to_mongo(self, value: Any) -> Any:
        if not isinstance(value, (list, tuple, set, frozenset)):
            return value
        item = self.field
        if item.identity_dump:
            return list(value)
        to_mongo = item.to_mongo
        if item.dumps_embedded:
            doc_type = item._document_type  # type: ignore[attr-defined]
            # Embedded documents: each class's compiled dumper, called directly.
            return [v._dump(v) if type(v) is doc_type else to_mongo(v) for v in value]
        return [None if v is None else to_mongo(v) for v in value]

    def quick_check(self) -> Callable[[Any], bool] | None:
        item = self.field.fast_validator()
        if item is None:
            return None
        return compile_list_check(item, self.min_length or 0, self.max_length)

    def check(self, value: Any) -> str | None:
        if not isinstance(value, (list, tuple)):
            return f"expected a list, found {describe(value)}"
        if self.max_length is not None and len(value) > self.max_length:
            return f"expected at most {self.max_length} items, found {len(value)}"
        if self.min_length is not None and len(value) < self.min_length:
            return f"expected at least {self.min_length} items, found {len(value)}"
        return None

    def _builtin_checks(self, value: Any, path: str, errors: dict[str, str]) -> None:
        if self.required and isinstance(value, (list, tuple)) and not value:
            errors[path] = "expected a non-empty list, found [] (the field is required)"
            return
        before = len(errors)
        super()._builtin_checks(value, path, errors)
        if len(errors) != before or value is None:
            return
        item = self.field
        for i, v in enumerate(value):
            item._collect_errors(v, f"{path}.{i}", errors)

    def _check_choices(self, value: Any) -> str | None:
        assert self.choices is not None
        bad = [v for v in value if v not in self.choices]
        if bad:
            return f"expected items among {list(self.choices)!r}, found {bad!r}"
        return None

    def prepare_query_value(self, op: str | None, value: Any) -> Any:
        """A list is a whole-list value (exact match, ``$set``); anything else is one item
        (membership match, ``push``, ``pull``)."""
        if value is None:
            return None
        if isinstance(value, (list, tuple, set, frozenset)):
            return self.to_mongo(value)
        return self.field.prepare_query_value(op, value)


class SortedListField(ListField[T]):
    """A list kept sorted when saved, by the items or by ``ordering`` (an item attribute)."""

    def __init__(
        self,
        field: BaseField[T] | None = None,
        *,
        ordering: str | None = None,
        reverse: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(field, **kwargs)
        self.ordering = ordering
        self.reverse = reverse

    kind = "sorted_list"

    def _describe(self) -> dict[str, Any]:
        options = frozen_mapping(ordering=self.ordering, reverse=self.reverse)
        return {**super()._describe(), "options": options}

    def to_mongo(self, value: Any) -> Any:
        son = super().to_mongo(value)
        if not isinstance(son, list):
            return son
        if self.ordering is not None:
            key = self.ordering

            def sort_key(item: Any) -> Any:
                return item.get(key) if isinstance(item, dict) else item

            return sorted(son, key=sort_key, reverse=self.reverse)
        return sorted(son, reverse=self.reverse)


class DictField(BaseField[dict[str, T]]):
    """A dict with string keys; values of one field type, or anything without one."""

    expected = "a dict"

    kind = "dict"

    def _describe(self) -> dict[str, Any]:
        item = self.field.describe()
        return {
            **super()._describe(),
            "default": self._declared_default,
            "item": item,
            "document": item.document,
        }

    def _describe_stable(self) -> bool:
        return self.field._describe_stable()

    if TYPE_CHECKING:
        # A dict of references reads as an awaitable ``RefDict`` (``await doc.refs`` is a
        # ``dict[str, User]``); other dicts read as dicts.

        @overload
        def __get__(self, instance: None, owner: type) -> Self: ...

        @overload
        def __get__(
            self: DictField[Ref[D]], instance: object, owner: type
        ) -> RefDict[D] | None: ...

        @overload
        def __get__(self, instance: object, owner: type) -> dict[str, T] | None: ...

        def __get__(self, instance: object | None, owner: type) -> Any: ...

        def __set__(self, instance: object, value: Mapping[str, T | RefItem] | None) -> None: ...

    else:

        def __get__(self, instance: Any, owner: type) -> Any:
            """``BaseField.__get__`` with the first read of a stored schemaless dict done
            inline (handed out as stored, its pickled snapshot kept): the read every loaded
            document pays once, so no call is spent on it. Anything else takes the general
            path."""
            if instance is None:
                return self
            values = instance._values
            value = values.get(self.name, MISSING)
            if value is not MISSING:
                return value
            son = instance._son
            if son is not None and self.shares_stored:
                raw = son.get(self.db_field)
                if type(raw) is dict and instance._schema.is_document:
                    data = snapshots.of_dict(raw)
                    if data is None:
                        value = values[self.name] = self.to_python(raw)  # a converted copy
                        return value
                    # Handed out as stored, no copy: the snapshot is the baseline.
                    orig = instance._orig
                    if orig is None:
                        instance._keep_snapshot(self.name, data)
                    else:
                        orig[self.snapshot_key] = data
                    values[self.name] = raw
                    return raw
            return BaseField.__get__(self, instance, owner)

    def __init__(self, field: BaseField[T] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("default", dict)
        super().__init__(**kwargs)
        if field is not None and not isinstance(field, BaseField):
            raise InvalidDocumentError(
                f"{type(self).__name__} expects a field instance for its values, found "
                f"{describe(field)}"
            )
        self.field: BaseField[Any] = field if field is not None else DynamicField()
        #: References read as an awaitable ``RefDict``; everything else as a plain dict.
        self._dict_type: type = getattr(self.field, "dict_type", dict)
        # A new document's dict of references is awaitable from the start, like a loaded one's.
        self._declared_default = self.default
        self.default = coerced_default(self.default, dict, self._dict_type, self.coerce)
        #: References read as raw ids inside ``no_auto_dereference`` (never kept).
        self._read_view = getattr(self.field, "read_container", None)
        self.coerces = self.field.coerces
        self.shares_stored = type(self) is DictField and type(self.field) is DynamicField

    # --- self-description ---
    container = Container.DICT

    @property
    def item_field(self) -> BaseField[Any]:
        return self.field

    def walk(self, part: str) -> PathStep:
        """Any key reaches the value stored under it, as written."""
        return PathStep(part, self.field, part)

    # -- what this field says about itself ----------------------------------------------------

    def references(self) -> References | None:
        """A dict of references, when its values are references (not lists of them)."""
        held = self.field.references()
        if held is None or held.container is not Container.NONE:
            return None
        return replace(held, container=Container.DICT)

    def stored_snapshot(self, raw: Any) -> Snapshot | None:
        return snapshots.of_dict(raw) if type(raw) is dict else None

    def __new__(cls, field: Any = None, *args: Any, **kwargs: Any) -> Self:
        return cast("Self", object.__new__(reading_through_items(cls, field)))

    def bind(self, owner: type | None, name: str) -> None:
        super().bind(owner, name)
        self.field.bind(owner, name)

    def _new(self) -> dict[str, Any]:
        return self._dict_type()  # type: ignore[no-any-return]

    def coerce(self, value: Any) -> Any:
        if not isinstance(value, Mapping):
            return value
        coerce = self.field.coerce
        out = self._new()
        for k, v in value.items():
            out[k] = None if v is None else coerce(v)
        return out

    def to_python(self, value: Any) -> Any:
        if type(value) is not dict:
            return value
        if type(self.field) is DynamicField and type(self) is DictField and "_cls" not in value:
            return copy_stored(value)
        to_python = self.field.to_python
        out = self._new()
        for k, v in value.items():
            out[k] = None if v is None else to_python(v)
        return out

    def to_mongo(self, value: Any) -> Any:
        if not isinstance(value, Mapping):
            return value
        if type(value) is dict and type(self.field) is DynamicField:
            return dynamic_to_mongo(value)
        to_mongo = self.field.to_mongo
        return {k: (None if v is None else to_mongo(v)) for k, v in value.items()}

    def check(self, value: Any) -> str | None:
        if not isinstance(value, Mapping):
            return f"expected a dict, found {describe(value)}"
        return None

    def quick_check(self) -> Callable[[Any], bool] | None:
        if type(self.field) is DynamicField and type(self) is DictField:
            return InlineCheck("type(v) is dict and {q}(v)", q=quick_dynamic)
        item = self.field.fast_validator()
        if item is None:
            return None

        def quick(v: Any) -> bool:
            if type(v) is not dict:
                return False
            for key, x in v.items():
                if type(key) is not str or key[:1] == "$" or "." in key or "\x00" in key:
                    return False
                if x is not None and not item(x):
                    return False
            return True

        return quick

    def _builtin_checks(self, value: Any, path: str, errors: dict[str, str]) -> None:
        if self.required and isinstance(value, Mapping) and not value:
            errors[path] = "expected a non-empty dict, found {} (the field is required)"
            return
        before = len(errors)
        super()._builtin_checks(value, path, errors)
        if len(errors) != before or value is None:
            return
        item = self.field
        for key, v in value.items():
            problem = check_key(key)
            if problem is not None:
                errors[f"{path}.{key}"] = problem
                continue
            item._collect_errors(v, f"{path}.{key}", errors)

    def prepare_query_value(self, op: str | None, value: Any) -> Any:
        if isinstance(value, Mapping):
            return self.to_mongo(value)
        return self.field.prepare_query_value(op, value)


class MapField(DictField[T]):
    """A dict whose values must all be of the given field type (MongoEngine)."""

    kind = "map"

    def __init__(self, field: BaseField[T], **kwargs: Any) -> None:
        if not isinstance(field, BaseField):
            raise InvalidDocumentError(
                f"MapField expects a field instance for its values, found {describe(field)}"
            )
        super().__init__(field, **kwargs)


class OrderedDictField(DictField[T]):
    """A dict that comes back as an ``OrderedDict`` in stored key order (PyMODM)."""

    def __init__(self, field: BaseField[T] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("default", OrderedDict)
        super().__init__(field, **kwargs)

    def _new(self) -> dict[str, Any]:
        return OrderedDict()

    def _describe(self) -> dict[str, Any]:
        return {**super()._describe(), "python_type": OrderedDict}  # kind "dict", ordered
