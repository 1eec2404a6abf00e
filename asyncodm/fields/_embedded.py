"""Fields holding embedded documents: one, a list of them, or one of any registered kind.

Stage: fields. The embedded class converts and validates itself (``_from_son``, ``to_mongo``,
``_validate_into``); these fields only choose the class and the dotted path. A class may be
named by a string and is then looked up in the registry when first needed, so two embedded
classes can refer to each other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from asyncodm._registry import registry
from asyncodm.errors import InvalidDocumentError, ValidationError
from asyncodm.fields._base import BaseField, InlineCheck, NoPath, PathStep, describe
from asyncodm.fields._compound import ListField

__all__ = [
    "EmbeddedDocumentField",
    "EmbeddedDocumentListField",
    "GenericEmbeddedDocumentField",
    "document_field",
    "undeclared_step",
    "walk_document",
]

E = TypeVar("E")


def _embedded_class(value: Any) -> bool:
    schema = getattr(value, "_schema", None)
    return isinstance(value, type) and schema is not None and schema.is_embedded


def document_field(schema: Any, name: str) -> BaseField[Any] | None:
    """The field ``name`` names in a document (a compiled ``Schema``): by attribute name,
    ``pk``/``id`` for the primary key (``id`` unless a field is called that), or by stored
    name."""
    fields: Mapping[str, BaseField[Any]] = schema.fields
    found = fields.get(name)
    if found is not None:
        return found
    if schema.pk_name is not None and (name == "pk" or (name == "id" and "id" not in fields)):
        return fields[schema.pk_name]
    by_db: BaseField[Any] | None = schema.db_fields.get(name)
    return by_db


def undeclared_step(schema: Any, name: str) -> PathStep:
    """A name no field of ``schema`` declares: ``_cls`` where class names are stored, and any
    name of a dynamic document, lead to schemaless data.

    Raises:
        NoPath: the document cannot hold anything under ``name``.
    """
    if (name == "_cls" and schema.stores_cls) or schema.dynamic:
        return PathStep(name, None, name, schemaless=True)
    known = ", ".join(schema.fields) or "none"
    raise NoPath(f"{schema.model.__name__} has no field {name!r}; its fields are: {known}")


def walk_document(schema: Any, name: str) -> PathStep:
    """What ``name`` leads to in a document: its field, stored under the field's db name."""
    found = schema.fields.get(name) or document_field(schema, name)
    if found is None:
        return undeclared_step(schema, name)
    return found.member_step


class EmbeddedDocumentField(BaseField[E], Generic[E]):
    """One embedded document of a given class (or any of its subclasses)."""

    coerces = True
    dumps_embedded = True

    if TYPE_CHECKING:
        # A dict is accepted too: it becomes a document of the class on assignment.
        def __set__(self, instance: object, value: E | Mapping[str, Any] | None) -> None: ...

    def __init__(self, document_type: type[E] | str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(document_type, str) and not _embedded_class(document_type):
            raise InvalidDocumentError(
                f"EmbeddedDocumentField expects an EmbeddedDocument class or its name, found "
                f"{describe(document_type)}"
            )
        self._document_type = document_type

    kind = "embedded"

    def _describe(self) -> dict[str, Any]:
        doc_type = self.document_type  # a name is resolved now
        return {**super()._describe(), "python_type": doc_type, "document": doc_type}

    def _describe_stable(self) -> bool:
        return not isinstance(self._document_type, str)

    @property
    def document_type(self) -> type[E]:
        doc_type = self._document_type
        if isinstance(doc_type, str):
            found = registry.get(doc_type)
            if not _embedded_class(found):
                raise InvalidDocumentError(f"{doc_type!r} is not an EmbeddedDocument class")
            self._document_type = doc_type = found
        return doc_type

    @property
    def expected(self) -> str:  # type: ignore[override]
        name = (
            self._document_type
            if isinstance(self._document_type, str)
            else self._document_type.__name__
        )
        return f"a {name} embedded document"

    # --- self-description ---
    @property
    def embedded_model(self) -> type[E]:
        return self.document_type

    def walk(self, part: str) -> PathStep:
        doc_type = self._document_type
        if type(doc_type) is str:
            doc_type = self.document_type  # a forward reference, resolved once
        return walk_document(doc_type._schema, part)  # type: ignore[union-attr]

    def to_python(self, value: Any) -> Any:
        if type(value) is dict or isinstance(value, Mapping):
            return self._loader()(value)
        return value

    def to_mongo(self, value: Any) -> Any:
        if hasattr(value, "to_mongo"):
            return value.to_mongo()
        return value

    def coerce(self, value: Any) -> Any:
        if type(value) is self._document_type:
            return value
        if isinstance(value, Mapping):
            try:
                return self.document_type(**value)
            except (TypeError, ValidationError):
                return value  # validation reports it with the path
        return value

    def check(self, value: Any) -> str | None:
        if not isinstance(value, self.document_type):
            return f"expected {self.expected}, found {describe(value)}"
        return None

    def item_loader(self) -> Callable[[dict[str, Any]], Any] | None:
        return self._loader()

    def coerce_keeps_types(self) -> tuple[type, ...]:
        """An instance of exactly the declared class is kept (once the class is known)."""
        if type(self).coerce is not EmbeddedDocumentField.coerce:
            return ()
        doc_type = self._document_type
        return (doc_type,) if isinstance(doc_type, type) else ()

    def _loader(self) -> Callable[[Mapping[str, Any]], Any]:
        """The compiled loader of the document class (a forward reference resolved once)."""
        doc_type = self._document_type
        if type(doc_type) is str:
            doc_type = self.document_type
        return doc_type._from_son  # type: ignore[union-attr,no-any-return]

    def quick_check(self) -> Callable[[Any], bool] | None:
        doc_type = self._document_type
        if isinstance(doc_type, str):
            return None  # not resolvable yet at class definition
        return InlineCheck(
            "type(v) is {T} and {valid}(v)",
            T=doc_type,
            valid=doc_type._check_quick,  # type: ignore[attr-defined]
        )

    def _builtin_checks(self, value: Any, path: str, errors: dict[str, str]) -> None:
        before = len(errors)
        super()._builtin_checks(value, path, errors)
        if len(errors) == before and value is not None:
            value._validate_into(path, errors)

    def prepare_query_value(self, op: str | None, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, self.document_type):
            return value.to_mongo()  # type: ignore[attr-defined]
        return value


class EmbeddedDocumentListField(ListField[E]):
    """A list of embedded documents of one class (MongoEngine's shorthand)."""

    def __init__(self, document_type: type[E] | str, **kwargs: Any) -> None:
        super().__init__(EmbeddedDocumentField(document_type), **kwargs)

    @property
    def document_type(self) -> type[E]:
        item: EmbeddedDocumentField[E] = self.field  # type: ignore[assignment]
        return item.document_type

    coerces = True

    def coerce(self, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            item: EmbeddedDocumentField[E] = self.field  # type: ignore[assignment]
            return [item.coerce(v) if isinstance(v, Mapping) else v for v in value]
        return value


class GenericEmbeddedDocumentField(BaseField[Any]):
    """An embedded document of any registered class; ``_cls`` is always stored to find it."""

    expected = "an embedded document"
    is_schemaless = True  # any registered class: nothing declares the inside

    def __init__(self, choices: Iterable[type | str] | None = None, **kwargs: Any) -> None:
        self._allowed = tuple(choices) if choices is not None else None
        super().__init__(**kwargs)

    kind = "generic_embedded"

    def _describe(self) -> dict[str, Any]:
        return {**super()._describe(), "classes": self._allowed_classes()}

    def _describe_stable(self) -> bool:
        return not any(isinstance(c, str) for c in self._allowed or ())

    def _allowed_classes(self) -> tuple[type, ...] | None:
        if self._allowed is None:
            return None
        return tuple(registry.get(c) if isinstance(c, str) else c for c in self._allowed)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, Mapping):
            name = value.get("_cls")
            klass = registry.find(name) if isinstance(name, str) else None
            if klass is not None and _embedded_class(klass):
                return klass._from_son(value)  # type: ignore[attr-defined]
        return value

    def to_mongo(self, value: Any) -> Any:
        if hasattr(value, "to_mongo"):
            son = value.to_mongo()
            if "_cls" not in son:
                son = {"_cls": type(value)._schema.class_name, **son}
            return son
        return value

    def check(self, value: Any) -> str | None:
        if not _embedded_class(type(value)):
            return f"expected an embedded document, found {describe(value)}"
        allowed = self._allowed_classes()
        if allowed is not None and not isinstance(value, allowed):
            names = ", ".join(c.__name__ for c in allowed)
            return f"expected one of {names}, found {type(value).__name__}"
        return None

    def _builtin_checks(self, value: Any, path: str, errors: dict[str, str]) -> None:
        before = len(errors)
        super()._builtin_checks(value, path, errors)
        if len(errors) == before and value is not None:
            value._validate_into(path, errors)

    def prepare_query_value(self, op: str | None, value: Any) -> Any:
        return self.to_mongo(value) if value is not None else None
