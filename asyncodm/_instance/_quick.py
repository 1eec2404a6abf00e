"""The quick validity check of each document class, generated once when the class is defined.

Stage: instance. ``validate()``, ``save()`` and ``bulk_create()`` first ask this predicate
whether every value of a new document certainly passes its field's validation; only when it
cannot say so does the full validation run, which names every error by its dotted path. So it
must never be True for values the full validation would reject, and it runs for every document
written: it is straight-line code with each field's cheap test inlined (``type(v) is str and
len(v) <= 200``).

What would otherwise be calls is unrolled into the same function: the loop of a list check
(``fields._schemaless.compile_list_check`` says what it checks), the checks of embedded
documents (one level deep inside lists, the embedded class's own generated checks as
statements). Each unrolled part is the same test the called function makes, so the result is
the same; any other quick check keeps its call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asyncodm._codegen import compile_function
from asyncodm._codegen import constant_name as cname
from asyncodm.fields._base import InlineCheck

__all__ = ["compile_quick_valid", "never_valid"]

#: How many levels of embedded documents are written into a check as statements; deeper ones
#: are called (their own generated checks), which keeps the generated source small.
_INLINED_LEVELS = 2

#: The quick check ``EmbeddedDocumentField`` gives (``fields._embedded``): the exact class, then
#: that class's own generated check, which this module can write out instead of calling.
_EMBEDDED_EXPR = "type(v) is {T} and {valid}(v)"


def compile_quick_valid(cls: Any) -> Callable[[Any], bool]:
    """The straight-line quick validity check of the values of ``cls``: True when every value
    certainly passes its field's validation (False only means "run the full validation",
    which names the errors). A ``clean`` override is the caller's business."""
    if not _checkable(cls):
        return never_valid
    namespace: dict[str, Any] = {}
    lines = [
        "def check(doc):",
        "    try:",
        *_class_lines(cls, "doc", "", namespace, "        ", 0),
        "    except KeyError:",  # a required value is missing (``plain['title']``)
        "        return False",
        "    return True",
    ]
    hint = f"quick check {cls.__module__}.{cls.__qualname__}"
    check: Callable[[Any], bool] = compile_function("\n".join(lines), hint, namespace)
    # Which class's values it checks: a check of a class that holds these documents may write
    # the same statements out instead of calling it (``_embedded_class``).
    check.checks_class = cls  # type: ignore[attr-defined]
    return check


def never_valid(doc: Any) -> bool:
    """The quick check of a class whose values cannot be vouched for: always check properly."""
    return False


def _checkable(cls: Any) -> bool:
    return all(quick is not None for _, _, quick, _ in cls._schema.check_table)


def _class_lines(
    cls: Any, doc: str, prefix: str, ns: dict[str, Any], indent: str, level: int
) -> list[str]:
    """Statements that ``return False`` unless every value of ``doc`` (a new instance of
    exactly ``cls``) passes its quick check. ``prefix`` keeps the local and constant names of
    an embedded document's statements apart from those of the document holding it."""
    schema = cls._schema
    table = schema.check_table
    values, plain = f"{prefix}values", f"{prefix}plain"
    out = [f"{indent}if {doc}._son is not None: return False"]
    if schema.dynamic or not all(is_plain for *_, is_plain in table):
        out.append(f"{indent}{values} = {doc}._values")
    if any(is_plain for *_, is_plain in table):
        out.append(f"{indent}{plain} = {doc}.__dict__")
    if schema.dynamic:
        fields = f"{prefix}fields"
        ns[fields] = schema.fields
        out.append(f"{indent}if any(n not in {fields} for n in {values}): return False")
    for i, (name, field, quick, is_plain) in enumerate(table):
        suffix = f"{prefix}{i}"
        source = plain if is_plain else values
        # A required value is read by subscript, cheaper than ``get``: when it is missing,
        # the KeyError ends the check with False (``compile_quick_valid``).
        read = f"[{name!r}]" if field.required else f".get({name!r})"
        out.append(f"{indent}v = {source}{read}")
        block = _unrolled(quick, suffix, ns, indent + "    ", level)
        if block is not None:
            if field.required:
                out.append(f"{indent}if v is None: return False")
                out += [line[4:] for line in block]
            else:
                out.append(f"{indent}if v is not None:")
                out += block
            continue
        test = _expression(quick, suffix, ns)
        if field.required:
            out.append(f"{indent}if v is None or not {test}: return False")
        else:
            out.append(f"{indent}if v is not None and not {test}: return False")
    return out


def _expression(quick: Any, suffix: str, ns: dict[str, Any]) -> str:
    """The quick check of one value ``v`` as an expression."""
    if isinstance(quick, InlineCheck):
        return quick.inline(suffix, ns)
    ns[cname("quick", suffix)] = quick
    return f"{cname('quick', suffix)}(v)"


def _unrolled(
    quick: Any, suffix: str, ns: dict[str, Any], indent: str, level: int
) -> list[str] | None:
    """The quick check of a non-None ``v`` as statements (a list loop, an embedded document),
    or None when it is an expression."""
    if level < _INLINED_LEVELS:
        embedded = _embedded_class(quick)
        if embedded is not None:
            kind = cname("T", suffix)
            ns[kind] = embedded
            return [
                f"{indent}if type(v) is not {kind}: return False",
                *_class_lines(embedded, "v", f"e{suffix}_", ns, indent, level + 1),
            ]
    spec = getattr(quick, "list_check", None)
    if spec is None:
        return None
    item, low, high = spec
    items = cname("items", suffix)
    out = [f"{indent}if type(v) is not list: return False"]
    if low or high is not None:
        bounds = cname("low", suffix), cname("high", suffix)
        ns[bounds[0]], ns[bounds[1]] = low, high if high is not None else float("inf")
        out.append(f"{indent}if not {bounds[0]} <= len(v) <= {bounds[1]}: return False")
    out += [f"{indent}{items} = v", f"{indent}for v in {items}:"]
    inner = indent + "    "
    embedded = _embedded_class(item) if level < _INLINED_LEVELS else None
    if embedded is not None:
        kind = cname("T", f"{suffix}_item")
        ns[kind] = embedded
        out.append(f"{inner}if type(v) is not {kind}: return False")
        out += _class_lines(embedded, "v", f"e{suffix}_", ns, inner, level + 1)
    elif isinstance(item, InlineCheck):
        out.append(f"{inner}if not {item.inline(f'{suffix}_item', ns)}: return False")
    else:
        ns[cname("item", suffix)] = item
        out.append(f"{inner}if not {cname('item', suffix)}(v): return False")
    return out


def _embedded_class(check: Any) -> type | None:
    """The embedded document class whose generated check ``check`` (an
    ``EmbeddedDocumentField``'s quick check) calls, when its statements can be written out
    instead: a class with a generated check (no ``clean`` of its own, no dynamic values)."""
    if not isinstance(check, InlineCheck) or check.expr != _EMBEDDED_EXPR:
        return None
    kind, valid = check.env.get("T"), check.env.get("valid")
    if getattr(valid, "checks_class", None) is not kind or not isinstance(kind, type):
        return None
    if kind._schema.dynamic:  # type: ignore[attr-defined]
        return None
    return kind
