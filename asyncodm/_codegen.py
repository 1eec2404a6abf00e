"""One way to compile generated source, so debuggers, tracebacks and ``inspect`` can read it.

Stage: foundation (imports nothing internal). The per-class fast paths (``__init__``, loader,
dumper, quick check), the schemaless converters and the inline field checks are generated as
Python source. ``compile_function`` compiles each under a unique filename such as
``"<asyncodm generated __init__ blog.Post>"`` and registers the source in ``linecache``
(after attrs' ``_make._linecache_and_compile``), so a traceback from generated code names the
class and shows the generated line, and ``inspect.getsource`` works on the function.

Constants a generated function needs are bound in its namespace under ``constant_name(role,
key)`` (``"coerce_3"``, ``"T_7"``): one naming scheme for every generator.
"""

from __future__ import annotations

import itertools
import linecache
import re
from collections.abc import Callable
from typing import Any

__all__ = ["compile_function", "constant_name"]

_DEF = re.compile(r"^def (\w+)\(", re.MULTILINE)
_serial = itertools.count(1)


def constant_name(role: str, key: int | str) -> str:
    """The namespace name of a generated function's constant: ``<role>_<key>``."""
    return f"{role}_{key}"


def _unique_filename(hint: str) -> str:
    """``<asyncodm generated HINT>``; a hint seen before (a class defined again, in a test or a
    REPL) gets a serial number, so each generated function keeps its own source."""
    filename = f"<asyncodm generated {hint}>"
    while filename in linecache.cache:
        filename = f"<asyncodm generated {hint} #{next(_serial)}>"
    return filename


def compile_function(
    source: str, filename_hint: str, namespace: dict[str, Any]
) -> Callable[..., Any]:
    """Compile ``source`` (one ``def``) into ``namespace`` and return the function.

    Args:
        source: The generated code; its first top-level ``def`` is the function returned.
        filename_hint: What the filename says, e.g. ``"__init__ blog.Post"``.
        namespace: The function's globals: the constants it uses, bound by the caller.
    """
    match = _DEF.search(source)
    if match is None:
        raise ValueError(f"generated source defines no function: {source[:60]!r}")
    if not source.endswith("\n"):
        source += "\n"
    filename = _unique_filename(filename_hint)
    code = compile(source, filename, "exec")
    # mtime None: linecache.checkcache() never evicts an entry it cannot stat.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(code, namespace)
    function: Callable[..., Any] = namespace[match.group(1)]
    return function
