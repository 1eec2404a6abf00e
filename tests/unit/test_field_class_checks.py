"""Fields answer questions about themselves: no module outside ``asyncodm/fields/`` asks
whether a field is of some concrete class.

The source is read with ``ast``, so a new ``isinstance(field, ListField)`` anywhere in the
package fails here; ask the field instead (``container``, ``item_field``, ``walk``,
``is_schemaless``...; see ``fields/_base.py``). ``BaseField`` itself may be checked (is this
attribute a field at all?), and so may values (``isinstance(value, FieldFile)``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import asyncodm

PACKAGE = Path(asyncodm.__file__).parent

#: Class names that may be checked: "is this a field at all?"
ALLOWED = frozenset({"BaseField"})


def _names(node: ast.expr) -> Iterator[str]:
    """The class names in the second argument of ``isinstance`` (a name, ``mod.Name`` or a
    tuple of them)."""
    if isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, ast.Attribute):
        yield node.attr
    elif isinstance(node, ast.Tuple):
        for element in node.elts:
            yield from _names(element)


def _is_type_call(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "type"


def field_class_checks(source: str) -> list[tuple[int, str]]:
    """``(line, class name)`` of every ``isinstance``/``issubclass`` on a ``...Field`` class
    and every ``type(x) is ...Field`` in ``source``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        classes: list[str] = []
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("isinstance", "issubclass")
            and len(node.args) == 2
        ):
            classes = list(_names(node.args[1]))
        elif isinstance(node, ast.Compare) and (
            _is_type_call(node.left) or any(_is_type_call(c) for c in node.comparators)
        ):
            for side in (node.left, *node.comparators):
                if not _is_type_call(side):
                    classes.extend(_names(side))
        found += [
            (node.lineno, name)
            for name in classes
            if name.endswith("Field") and name not in ALLOWED
        ]
    return found


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if not relative.startswith("fields/"):
            yield relative, path


def test_no_module_outside_fields_checks_a_field_class() -> None:
    offenders = [
        f"asyncodm/{relative}:{line}: {name}"
        for relative, path in _modules()
        for line, name in field_class_checks(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], "ask the field instead:\n" + "\n".join(offenders)


def test_the_scan_finds_every_spelling() -> None:
    source = """
isinstance(f, ListField)
isinstance(f, (fields.DictField, int))
issubclass(k, EmbeddedDocumentField)
type(f) is DynamicField
DynamicField != type(f)
isinstance(f, BaseField)
isinstance(v, FieldFile)
type(v) is dict
"""
    assert field_class_checks(source) == [
        (2, "ListField"),
        (3, "DictField"),
        (4, "EmbeddedDocumentField"),
        (5, "DynamicField"),
        (6, "DynamicField"),
    ]
