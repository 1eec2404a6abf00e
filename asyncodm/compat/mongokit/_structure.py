"""A MongoKit ``structure``: checked at class definition, then used to build, convert and
validate documents.

Stage: compat (pure, synchronous). A structure is MongoKit's plain description of a document:
Python types, nested dicts (``{}`` allows no keys, ``dict`` any), typed keys (``{str: int}``),
lists (``[int]``, ``[{...}]``, ``list``), tuples (fixed-length lists), ``None`` (any
authorized type), the ``OR``/``NOT``/``IS`` operators and ``CustomType`` instances.

Validation reproduces MongoKit's order and wording, so the first problem is the one MongoKit
would have raised: ``validators``, then custom types' ``python_type``, then the structure
(checked on the stored form), then ``required_fields``. Each problem is
``(exception class, key, message)``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from asyncodm.compat.mongokit._types import (
    IS,
    AuthorizedTypeError,
    BadKeyError,
    CustomType,
    DuplicateRequiredError,
    RequireFieldError,
    SchemaOperator,
    SchemaTypeError,
    StructureError,
    ValidationError,
)
from asyncodm.errors import ValidationError as _ValidationError

__all__ = [
    "STRUCTURE_KEYWORDS",
    "DotedDict",
    "Problem",
    "apply_default",
    "check_descriptors",
    "check_structure",
    "convert",
    "custom_type_problems",
    "dotted_get",
    "namespaces",
    "required_problems",
    "skeleton",
    "structure_problems",
    "validator_problems",
]

#: Keys a document may hold without the structure naming them.
STRUCTURE_KEYWORDS = ("_id", "_ns", "_revision", "_version")

Problem = tuple[type[_ValidationError], "str | None", str]


class DotedDict(dict[str, Any]):
    """A dict whose keys read and write as attributes too (``use_dot_notation``)."""

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key: str, value: Any) -> None:
        self[key] = value


# --- at class definition ---------------------------------------------------------------------


def check_structure(structure: Any, name: str, authorized: tuple[Any, ...]) -> None:
    """Reject a structure MongoKit would reject (bad keys, unauthorized types)."""
    if not isinstance(structure, dict):
        raise StructureError(f"{name}.structure must be a dict instance")

    def walk(spec: Any) -> None:
        if spec is None or isinstance(spec, CustomType):
            return
        if isinstance(spec, SchemaOperator):
            for operand in spec:
                ok = type(operand) in authorized if isinstance(spec, IS) else operand in authorized
                if not ok:
                    raise StructureError(
                        f"{name}: {operand} in {spec} is not an authorized type "
                        f"({type(operand).__name__} found)"
                    )
            return
        if isinstance(spec, dict):
            for key, value in spec.items():
                if isinstance(key, str):
                    if "." in key:
                        raise BadKeyError(f"{name}: {key} must not contain '.'")
                    if key.startswith("$"):
                        raise BadKeyError(f"{name}: {key} must not start with '$'")
                elif not (isinstance(key, type) and key in authorized):
                    raise StructureError(f"{name}: {key} must be a basestring or a type")
                walk(value)
            return
        if isinstance(spec, (list, tuple)):
            for item in spec:
                walk(item)
            return
        if isinstance(spec, type) and any(issubclass(spec, t) for t in authorized):
            return
        raise StructureError(f"{name}: {spec} is not an authorized type")

    walk(structure)


def namespaces(structure: Mapping[Any, Any], prefix: str = "") -> list[str]:
    """Every dotted path the structure names (``balance``, ``balance.foo``...)."""
    out: list[str] = []
    for key, value in structure.items():
        part = f"${key.__name__}" if isinstance(key, type) else str(key)
        path = f"{prefix}.{part}" if prefix else part
        out.append(path)
        if isinstance(value, dict) and value:
            out.extend(namespaces(value, path))
    return out


def check_descriptors(
    name: str, known: Iterable[str], required: Iterable[str], defaults: Iterable[str],
    validators: Iterable[str],
) -> None:  # fmt: skip
    """``required_fields``, ``default_values`` and ``validators`` must name structure paths."""
    names = set(known)
    for what, keys in (("default_values", defaults), ("required_fields", required),
                       ("validators", validators)):  # fmt: skip
        for key in keys:
            if key not in names:
                raise ValueError(f"Error in {what}: can't find {key} in structure")
    listed = list(required)
    if len(listed) != len(set(listed)):
        raise DuplicateRequiredError(f"duplicate required_fields : {listed}")


# --- building and converting -----------------------------------------------------------------


def skeleton(spec: Any, dotted: bool = False) -> Any:
    """The value of a new document for ``spec``: None, empty containers, ``[None] * n`` for a
    tuple, a custom type's ``init_type()``."""
    if isinstance(spec, dict):
        out: dict[str, Any] = DotedDict() if dotted else {}
        for key, value in spec.items():
            if not isinstance(key, type):
                out[key] = skeleton(value, dotted)
        return out
    if spec is dict:
        return {}
    if spec is list or isinstance(spec, list):
        return []
    if isinstance(spec, tuple):
        return [None] * len(spec)
    if isinstance(spec, CustomType):
        return spec.init_type() if spec.init_type is not None else None
    return None


def apply_default(doc: dict[str, Any], path: str, default: Any) -> None:
    """Set ``default_values[path]`` into ``doc`` where the skeleton left None or empty."""
    if callable(default):
        default = default()
    else:
        default = copy.deepcopy(default)
    *parents, leaf = path.split(".")
    target: Any = doc
    for part in parents:
        target = target.get(part) if isinstance(target, dict) else None
        if target is None:
            return
    if isinstance(target, dict) and target.get(leaf) in (None, [], {}):
        target[leaf] = default


def convert(spec: Any, value: Any, to_bson: bool, dotted: bool = False) -> Any:
    """A converted copy of ``value``: custom types to their stored form (``to_bson``) or back;
    containers are copied, so the result never shares state with its input."""
    if value is None:
        return None
    if isinstance(spec, CustomType):
        if to_bson:
            python_type = spec.python_type
            if python_type is not None and not isinstance(value, python_type):
                return _copy(value, False)  # the python_type check reports it
            return spec.to_bson(value)
        return spec.to_python(value)
    if isinstance(spec, dict) and isinstance(value, dict):
        typed = next((v for k, v in spec.items() if isinstance(k, type)), None)
        out: dict[str, Any] = DotedDict() if dotted and not to_bson else {}
        for key, item in value.items():
            if key in spec:
                out[key] = convert(spec[key], item, to_bson, dotted)
            elif typed is not None:
                out[key] = convert(typed, item, to_bson, dotted)
            else:
                out[key] = _copy(item, to_bson)
        return out
    if isinstance(spec, list) and isinstance(value, (list, tuple)):
        item_spec = spec[0] if spec else None
        return [convert(item_spec, item, to_bson, dotted) for item in value]
    if isinstance(spec, tuple) and isinstance(value, (list, tuple)):
        return [
            convert(spec[i] if i < len(spec) else None, item, to_bson, dotted)
            for i, item in enumerate(value)
        ]
    return _copy(value, to_bson)


def _copy(value: Any, to_bson: bool) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v, to_bson) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and (to_bson or isinstance(value, list)):
        return [_copy(v, to_bson) for v in value]
    return value


def dotted_get(doc: Mapping[str, Any], path: str) -> tuple[bool, Any]:
    """``(found, value)`` at a dotted path of nested dicts."""
    current: Any = doc
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return False, None
        current = current[part]
    return True, current


def _spec_at(structure: Mapping[Any, Any], path: str) -> Any:
    current: Any = structure
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return None
        current = current[part]
    return current


# --- validation --------------------------------------------------------------------------------


def validator_problems(
    doc: Mapping[str, Any], validators: Mapping[str, Any], out: list[Problem]
) -> None:
    """Run ``validators`` (dotted path -> callable or list of callables) on present values."""
    for key, checks in validators.items():
        found, value = dotted_get(doc, key)
        if not found or value is None:
            continue
        for check in checks if isinstance(checks, (list, tuple)) else [checks]:
            name = getattr(check, "__name__", type(check).__name__)
            try:
                if not check(value):
                    out.append((ValidationError, key, f"{key} does not pass the validator {name}"))
            except Exception as exc:
                message = str(exc)
                if "%s" in message:
                    message = message.replace("%s", key, 1)
                out.append((ValidationError, key, message))


def custom_type_problems(spec: Any, value: Any, path: str, out: list[Problem]) -> None:
    """A custom type's value must be an instance of its ``python_type``."""
    if value is None:
        return
    if isinstance(spec, CustomType):
        python_type = spec.python_type
        if python_type is not None and not isinstance(value, python_type):
            out.append((SchemaTypeError, path, f"{path} must be an instance of "
                        f"{python_type.__name__} not {type(value).__name__}"))  # fmt: skip
    elif isinstance(spec, dict) and isinstance(value, dict):
        typed = next((v for k, v in spec.items() if isinstance(k, type)), None)
        for key, item in value.items():
            sub = spec.get(key, typed)
            if sub is not None:
                custom_type_problems(sub, item, _join(path, key), out)
    elif isinstance(spec, list) and spec and isinstance(value, (list, tuple)):
        for item in value:
            custom_type_problems(spec[0], item, path, out)


def structure_problems(
    spec: Any,
    value: Any,
    path: str,
    out: list[Problem],
    *,
    schemaless: bool,
    authorized: tuple[Any, ...],
) -> None:
    """MongoKit's ``_validate_doc``: check a stored-form ``value`` against ``spec``."""

    def walk(spec: Any, value: Any, path: str) -> None:
        if spec is None:
            if value is not None and not isinstance(value, authorized):
                kind = type(value).__name__
                out.append((AuthorizedTypeError, kind, f"{kind} is not an authorized types"))
        elif isinstance(spec, CustomType):
            if value is not None and not isinstance(value, spec.mongo_type):
                out.append((SchemaTypeError, path, f"{path} must be an instance of "
                            f"{spec.mongo_type.__name__} not {type(value).__name__}"))  # fmt: skip
            try:
                spec.validate(value, path)
            except _ValidationError as exc:  # MongoKit let it escape: its class is kept
                out.append((type(exc), path, str(exc)))
            except Exception as exc:  # MongoKit let these escape; they become type errors here
                out.append((SchemaTypeError, path, str(exc)))
        elif isinstance(spec, SchemaOperator):
            if value is not None and not spec.validate(value):
                if isinstance(spec, IS):
                    message = f"{path} must be in {spec._operands!r} not {value}"
                else:
                    message = f"{path} must be an instance of {spec} not {type(value).__name__}"
                out.append((SchemaTypeError, path, message))
        elif isinstance(spec, dict):
            if not isinstance(value, dict):
                out.append((SchemaTypeError, path, f"{path} must be an instance of dict "
                            f"not {type(value).__name__}"))  # fmt: skip
                return
            _keys(spec, value, path)
            typed = [(k, v) for k, v in spec.items() if isinstance(k, type)]
            for key, sub in spec.items():
                if isinstance(key, type):
                    continue
                if key in value:
                    walk(sub, value[key], _join(path, key))
            for key_type, sub in typed:
                sub_path = _join(path, f"${key_type.__name__}")
                for key, item in value.items():
                    if key in spec:
                        continue
                    if not isinstance(key, key_type):
                        out.append((SchemaTypeError, path, f"key of {path} must be an instance "
                                    f"of {key_type.__name__} not {type(key).__name__}"))  # fmt: skip
                    walk(sub, item, sub_path)
        elif isinstance(spec, list):
            if not isinstance(value, (list, tuple)):
                out.append((SchemaTypeError, path, f"{path} must be an instance of list "
                            f"not {type(value).__name__}"))  # fmt: skip
                return
            for item in value:
                walk(spec[0] if spec else None, item, path)
        elif isinstance(spec, tuple):
            if not isinstance(value, (list, tuple)):
                out.append((SchemaTypeError, path, f"{path} must be an instance of list "
                            f"not {type(value).__name__}"))  # fmt: skip
                return
            if len(value) != len(spec):
                out.append((SchemaTypeError, path,
                            f"{path} must have {len(spec)} items not {len(value)}"))  # fmt: skip
            for item_spec, item in zip(spec, value, strict=False):
                walk(item_spec, item, path)
        elif isinstance(spec, type) and value is not None and not isinstance(value, spec):
            out.append((SchemaTypeError, path, f"{path} must be an instance of "
                        f"{spec.__name__} not {type(value).__name__}"))  # fmt: skip

    def _keys(spec: Mapping[Any, Any], value: Mapping[str, Any], path: str) -> None:
        if schemaless:
            return
        named = [k for k in spec if not isinstance(k, type) and k != "_id"]
        missing = [k for k in named if k not in value]
        if missing:
            out.append((StructureError, None, f"missed fields : {missing}"))
            return
        if any(isinstance(k, type) for k in spec):
            return
        unknown = [k for k in value if k not in spec and k not in STRUCTURE_KEYWORDS]
        if unknown:
            out.append((StructureError, None, f"unknown fields : {unknown}"))

    walk(spec, value, path)


def required_problems(
    doc: Mapping[str, Any],
    structure: Mapping[Any, Any],
    required: Iterable[str],
    out: list[Problem],
    *,
    schemaless: bool,
) -> None:
    """Each required path must hold a value that is not None, ``[]`` or ``{}``; a required
    field missing from a schemaless document is reported as a missed field, as MongoKit does."""
    absent = [req for req in required if not dotted_get(doc, req)[0]]
    if schemaless and absent:
        out.append((StructureError, None, f"missed fields : {absent}"))
    for req in required:
        found, value = dotted_get(doc, req)
        if schemaless and not found:
            continue
        spec = _spec_at(structure, req)
        if value is None:
            if spec is dict or (isinstance(spec, CustomType) and spec.mongo_type is dict):
                continue
            out.append((RequireFieldError, req, f"{req} is required"))
        elif value == [] or value == {}:
            out.append((RequireFieldError, req, f"{req} is required"))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
