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


def _foreign_names(tree: ast.Module) -> frozenset[str]:
    """Names a module binds from other libraries (``from starlette_admin.fields import
    ListField``, ``import starlette_admin.fields as sf``): their ``...Field`` classes are not
    asyncodm's fields, so checking them asks nothing of a field."""
    foreign: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if not node.module.startswith("asyncodm"):
                foreign.update(a.asname or a.name for a in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if not alias.name.startswith("asyncodm"):
                    foreign.add(alias.asname or alias.name.partition(".")[0])
    return frozenset(foreign)


def _names(node: ast.expr, foreign: frozenset[str]) -> Iterator[str]:
    """The asyncodm class names in the second argument of ``isinstance`` (a name,
    ``mod.Name`` or a tuple of them)."""
    if isinstance(node, ast.Name):
        if node.id not in foreign:
            yield node.id
    elif isinstance(node, ast.Attribute):
        root = node.value
        while isinstance(root, ast.Attribute):
            root = root.value
        if not (isinstance(root, ast.Name) and root.id in foreign):
            yield node.attr
    elif isinstance(node, ast.Tuple):
        for element in node.elts:
            yield from _names(element, foreign)


def _is_type_call(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "type"


def field_class_checks(source: str) -> list[tuple[int, str]]:
    """``(line, class name)`` of every ``isinstance``/``issubclass`` on a ``...Field`` class
    and every ``type(x) is ...Field`` in ``source``."""
    found: list[tuple[int, str]] = []
    tree = ast.parse(source)
    foreign = _foreign_names(tree)
    for node in ast.walk(tree):
        classes: list[str] = []
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("isinstance", "issubclass")
            and len(node.args) == 2
        ):
            classes = list(_names(node.args[1], foreign))
        elif isinstance(node, ast.Compare) and (
            _is_type_call(node.left) or any(_is_type_call(c) for c in node.comparators)
        ):
            for side in (node.left, *node.comparators):
                if not _is_type_call(side):
                    classes.extend(_names(side, foreign))
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


def test_another_librarys_field_classes_are_not_asyncodm_fields() -> None:
    source = """
from starlette_admin.fields import ListField
import starlette_admin.fields as sf
from asyncodm.fields import DictField
isinstance(f, ListField)
isinstance(f, sf.EnumField)
isinstance(f, DictField)
"""
    assert field_class_checks(source) == [(7, "DictField")]
