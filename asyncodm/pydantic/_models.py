"""``pydantic_model()``: a document's ``ModelSpec`` built into a pydantic model, cached.

Stage: integration (``asyncodm.pydantic``). Which fields, required or not, with which defaults,
in which direction (input models forbid unknown keys), under which names (the pk as ``id``);
the type of each value comes from the kind table (``_kinds``).
"""

from __future__ import annotations

import weakref
from collections.abc import Collection
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    create_model,
)
from pydantic.fields import FieldInfo

from asyncodm import MISSING, FieldSpec, describe
from asyncodm.pydantic._kinds import _OUTPUT_ONLY, _Context, _type_of
from asyncodm.pydantic._scalars import Mode, _AnyValue


def _field_definition(spec: FieldSpec, ctx: _Context, *, partial: bool, is_pk: bool) -> Any:
    """``(annotation, FieldInfo)`` for one field: required-ness from the spec and the mode."""
    tp = _type_of(spec, ctx)
    docs: dict[str, Any] = {}
    if spec.metadata.get("verbose_name"):
        docs["title"] = str(spec.metadata["verbose_name"])
    if spec.metadata.get("help_text"):
        docs["description"] = str(spec.metadata["help_text"])
    optional = tp if tp is _AnyValue else tp | None  # Any already takes None
    if ctx.mode == "output":
        if spec.required or is_pk:
            return tp, Field(**docs)
        return optional, Field(None, **docs)
    if partial:
        return optional, Field(None, **docs)
    default = spec.default
    if default is not MISSING:
        annotation = tp if spec.required else optional
        if callable(default):
            return annotation, Field(default_factory=default, **docs)
        return annotation, Field(default, **docs)
    if spec.required and not spec.auto:
        return tp, Field(**docs)
    return optional, Field(None, **docs)


_RESERVED = frozenset(dir(BaseModel))


def _python_name(name: str) -> tuple[str, dict[str, Any]]:
    """A pydantic-safe attribute name for a field: one that shadows a ``BaseModel`` attribute
    (``json``, ``copy``, ``model_*``) gets a trailing underscore and keeps its name as alias."""
    if name in _RESERVED or name.startswith("model_"):
        return f"{name}_", {"alias": name}
    return name, {}


def _config(mode: Mode, dynamic: bool) -> ConfigDict:
    extra: Literal["allow", "forbid", "ignore"] = "ignore"
    if dynamic:
        extra = "allow"
    elif mode == "input":
        extra = "forbid"
    config = ConfigDict(
        from_attributes=True,
        extra=extra,
        populate_by_name=True,
        regex_engine="python-re",  # field regexes are Python's (look-arounds included)
        ser_json_bytes="base64",
    )
    if "serialize_by_alias" in ConfigDict.__annotations__:  # pydantic >= 2.11
        config["serialize_by_alias"] = True
    if "val_json_bytes" in ConfigDict.__annotations__:  # pydantic >= 2.8
        config["val_json_bytes"] = "base64"
    return config


def _build(
    model: type,
    *,
    include: frozenset[str] | None,
    exclude: frozenset[str],
    partial: bool,
    name: str | None,
    mode: Mode,
) -> type[BaseModel]:
    spec = describe(model)
    names = ["id" if n == spec.pk else n for n in spec.fields]
    unknown = sorted(((include or frozenset()) | exclude) - set(names))
    if unknown:
        raise ValueError(f"{spec.name} has no field {', '.join(map(repr, unknown))}")
    definitions: dict[str, Any] = {}
    ctx = _Context(mode, _nested_model)
    for field_name, field_spec in spec.fields.items():
        is_pk = field_name == spec.pk
        public = "id" if is_pk else field_name
        if public in exclude or (include is not None and public not in include):
            continue
        if mode == "input" and field_spec.kind in _OUTPUT_ONLY:
            continue
        tp, info = _field_definition(field_spec, ctx, partial=partial, is_pk=is_pk)
        attr, alias = _python_name(public)
        if public != field_name and mode == "input":
            # A declared pk (``email``) is ``id`` in JSON; ``model_dump()`` gives the name the
            # document's constructor takes, so ``Model(**body.model_dump())`` works.
            alias["serialization_alias"] = field_name
        if alias:
            info = FieldInfo.merge_field_infos(info, Field(**alias))
        definitions[attr] = (tp, info)
    default_name = spec.name
    if mode == "input":
        default_name += "Patch" if partial else "In"
    generated: type[BaseModel] = create_model(
        name or default_name,
        __config__=_config(mode, spec.dynamic),
        __doc__=f"{spec.name} ({mode} model generated from asyncodm.describe()).",
        __module__=model.__module__,
        **definitions,
    )
    return generated


_Key = tuple[frozenset[str] | None, frozenset[str], bool, str | None, Mode]

#: Generated models per document class and arguments: the same call gives the same class
#: (FastAPI's OpenAPI schema then names it once), and a redefined document class is a new key.
_CACHE: weakref.WeakKeyDictionary[type, dict[_Key, type[BaseModel]]] = weakref.WeakKeyDictionary()

#: Embedded classes being generated: a recursive embedded document (a comment with replies)
#: is typed as a plain object one level down instead of recursing for ever.
_IN_PROGRESS: set[tuple[type, Mode]] = set()


def _nested_model(document: type, mode: Mode) -> Any:
    if (document, mode) in _IN_PROGRESS:
        return dict[str, _AnyValue]
    return pydantic_model(document, mode=mode)


def pydantic_model(
    model: type,
    *,
    include: Collection[str] | None = None,
    exclude: Collection[str] | None = None,
    partial: bool = False,
    name: str | None = None,
    mode: Mode | None = None,
) -> type[BaseModel]:
    """The pydantic model of a document class, generated from ``describe(model)``.

    Args:
        model: A ``Document`` or ``EmbeddedDocument`` class.
        include: Only these fields (the pk is called ``id``).
        exclude: Leave these fields out (``{"id", "views"}`` for a create body).
        partial: Every field optional with a None default, for PATCH bodies: use
            ``model_dump(exclude_unset=True)`` to get what the client sent.
        name: The model's class name, which is its name in the OpenAPI schema (default: the
            document's name; ``In`` or ``Patch`` appended for input models). Two models of
            one class with the same name in one schema (an embedded document's nested
            ``CommentIn`` and a ``CommentIn`` without some field) are told apart by pydantic
            with long qualified names: name one of them.
        mode: ``"output"`` (responses: unknown attributes ignored) or ``"input"`` (request
            bodies: unknown fields are a 422, file fields left out, generated pks and fields
            with defaults optional). Default: input when ``exclude`` or ``partial`` is given.

    Returns:
        The same class for the same arguments (cached per document class).

    Raises:
        ValueError: ``include`` or ``exclude`` names a field the document does not have.
    """
    chosen: Mode = mode or ("input" if exclude is not None or partial else "output")
    key: _Key = (
        frozenset(include) if include is not None else None,
        frozenset(exclude or ()),
        partial,
        name,
        chosen,
    )
    per_class = _CACHE.setdefault(model, {})
    found = per_class.get(key)
    if found is not None:
        return found
    _IN_PROGRESS.add((model, chosen))
    try:
        built = _build(
            model, include=key[0], exclude=key[1], partial=partial, name=name, mode=chosen
        )
    finally:
        _IN_PROGRESS.discard((model, chosen))
    per_class[key] = built
    return built
