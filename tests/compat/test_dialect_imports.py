"""The dialects are built from asyncodm's public API only: their imports are parsed with
``ast`` and each must name ``asyncodm`` or a public asyncodm module (never an ``asyncodm._*``
module), a name those export, another dialect module, the standard library, or public
PyMongo/BSON API. So a dialect can never come to depend on an internal module (a second
engine), and what it needs from the core is visible in the core's public surface.
"""

from __future__ import annotations

import ast
import importlib
import sys
from pathlib import Path

import pytest

import asyncodm

COMPAT = Path(asyncodm.__file__).parent / "compat"
SOURCES = sorted(COMPAT.rglob("*.py"))
#: asyncodm's public modules (API.md): a dialect may import these and the names they export.
PUBLIC_MODULES = {
    "asyncodm.connection",
    "asyncodm.errors",
    "asyncodm.fields",
    "asyncodm.files",
    "asyncodm.queryset",
    "asyncodm.signals",
}
THIRD_PARTY = {"bson", "pymongo", "typing_extensions"}


def imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """``(line, module, names)`` for each import statement (names empty for ``import x``)."""
    tree = ast.parse(path.read_text(), str(path))
    out: list[tuple[int, str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: relative import"
            assert node.module is not None
            out.append((node.lineno, node.module, [a.name for a in node.names]))
    return out


def problem(module: str, names: list[str]) -> str | None:
    """Why importing ``names`` from ``module`` breaks the rule, or None."""
    top = module.split(".")[0]
    if module == "asyncodm":
        public = set(asyncodm.__all__) | {m.split(".")[1] for m in PUBLIC_MODULES}
        bad = [n for n in names if n not in public]
        return f"asyncodm does not export {bad}" if bad else None
    if module.startswith("asyncodm.compat"):
        importlib.import_module(module)
        return None
    if top == "asyncodm":
        if module not in PUBLIC_MODULES:
            return f"{module} is not a public asyncodm module"
        exported = set(getattr(importlib.import_module(module), "__all__", ()))
        bad = [n for n in names if n not in exported]
        return f"{module} does not export {bad}" if bad else None
    if top in THIRD_PARTY:
        private = [p for p in module.split(".") + names if p.startswith("_") and p != "*"]
        return f"{module}: private name(s) {private}" if private else None
    if top in sys.stdlib_module_names or top == "__future__":
        return None
    return f"{module} is neither asyncodm's public API, PyMongo/BSON nor the standard library"


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(COMPAT)) for p in SOURCES])
def test_dialect_imports_only_public_api(path: Path) -> None:
    problems = []
    for line, module, names in imports(path):
        why = problem(module, names)
        if why is not None:
            problems.append(f"{path.name}:{line}: {why}")
    assert not problems, "\n".join(problems)


def test_the_rule_catches_internal_imports() -> None:
    assert problem("asyncodm._instance._base", ["BaseDocument"]) is not None
    assert problem("asyncodm.fields._base", ["BaseField"]) is not None
    assert problem("asyncodm", ["registry"]) is not None
    assert problem("asyncodm.errors", ["ValidationError"]) is None
    assert problem("pymongo._csot", []) is not None
    assert problem("pymongo", ["IndexModel"]) is None


@pytest.mark.parametrize(
    "module",
    [
        "asyncodm.compat.pymodm",
        "asyncodm.compat.pymodm.fields",
        "asyncodm.compat.pymodm.errors",
        "asyncodm.compat.pymodm.queryset",
        "asyncodm.compat.pymodm.manager",
        "asyncodm.compat.pymodm.context_managers",
        "asyncodm.compat.pymodm.files",
        "asyncodm.compat.pymodm.validators",
        "asyncodm.compat.pymodm.connection",
        "asyncodm.compat.mongokit",
        "asyncodm.compat.mongomotor",
        "asyncodm.compat.mongomotor.connection",
        "asyncodm.compat.mongomotor.context_managers",
        "asyncodm.compat.mongomotor.document",
        "asyncodm.compat.mongomotor.errors",
        "asyncodm.compat.mongomotor.fields",
        "asyncodm.compat.mongomotor.queryset",
        "asyncodm.compat.mongomotor.signals",
        "asyncodm.compat.minimongo",
    ],
)
def test_dialect_exports_resolve(module: str) -> None:
    loaded = importlib.import_module(module)
    missing = [name for name in loaded.__all__ if not hasattr(loaded, name)]
    assert not missing
