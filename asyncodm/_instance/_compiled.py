"""Per-class fast paths, generated once when a document class is defined.

Stage: instance. Loading, constructing, dumping and quick validation run for every document
an application touches, so each class gets them as straight-line code with every per-class
decision (which fields are plain, which coerce, which have defaults) taken here, once. Each
generated function handles the common case only and hands anything unusual (positional
arguments, init signals, unknown keywords, subclasses with their own ``__init__``) to the
general implementation it is given, so the two can never disagree on an edge case.

The generated ``__init__`` and loader inline the state operations of ``_state`` through its
slot setters (this module and ``_state`` are the only code that writes a document's slots).
``compile_loader`` is the one loader: every stored document becomes an instance through it
(``_from_son``; ``_from_projected_son`` is the same code without the ``enforce_schema``
check). All source is compiled by ``_codegen.compile_function``, under a filename naming the
class (``<asyncodm generated loader blog.Post>``), so tracebacks show the generated line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asyncodm import signals
from asyncodm._codegen import compile_function
from asyncodm._codegen import constant_name as cname
from asyncodm._instance._state import (
    NO_VALUES,
    Stateful,
    keeps_no_values,
    set_dict,
    set_orig,
    set_son,
    set_values,
)
from asyncodm._registry import registry
from asyncodm._types import MISSING
from asyncodm.errors import MigrationError
from asyncodm.fields._base import BaseField
from asyncodm.fields._compound import DictField, DynamicField, ListField
from asyncodm.fields._schemaless import dict_to_mongo

__all__ = [
    "compile_dumper",
    "compile_init",
    "compile_loader",
    "enforce_schema",
]

_new = object.__new__
#: ``object``'s ``__class__`` setter, for an instance whose class has its own ``__setattr__``.
_set_class = object.__dict__["__class__"].__set__
#: The live receiver lists of the init signals: the fast paths test them without a call.
_pre_init_receivers = signals.pre_init._receivers
_post_init_receivers = signals.post_init._receivers


def _hint(kind: str, cls: Any) -> str:
    """The filename hint of a generated function: ``"__init__ blog.Post"``."""
    return f"{kind} {cls.__module__}.{cls.__qualname__}"


def compile_init(cls: Any, general: Callable[..., None]) -> Callable[..., None]:
    """``cls.__init__`` for keyword construction: the keyword dict itself becomes the instance
    ``__dict__`` (CPython always builds a fresh one for ``**kwargs``), values of fields that are
    not plain move to ``_values``, missing defaults are filled and coercions run only where
    the value is not already of the kind they produce."""
    schema = cls._schema
    ns: dict[str, Any] = {
        "cls": cls,
        "general": general,
        "names": schema.field_names.issuperset,
        "pre": _pre_init_receivers,
        "post": _post_init_receivers,
        "set_son": set_son,
        "set_orig": set_orig,
        "set_values": set_values,
        "set_dict": set_dict,
        "M": MISSING,
    }
    defaults = {name: (make, constant) for name, make, constant, _ in schema.default_table}
    body: list[str] = []
    for i, (name, field) in enumerate(schema.fields.items()):
        plain = name in schema.plain_names
        default = defaults.get(name)
        if default is not None:
            ns[cname("default", i)] = default[1] if default[0] is None else default[0]
            make = cname("default", i) if default[0] is None else f"{cname('default', i)}()"
        if plain:
            if field.coerces:
                body += [
                    f"    v = kw.get({name!r})",
                    *_coerce_lines(field, i, ns, target=f"kw[{name!r}]"),
                ]
            if default is not None:
                body.append(f"    if {name!r} not in kw: kw[{name!r}] = {make}")
            continue
        body.append(f"    v = kw.pop({name!r}, M)")
        if default is not None:
            body.append(f"    if v is M: values[{name!r}] = {make}")
            body.append("    else:")
        else:
            body.append("    if v is not M:")
        if field.coerces:
            body += ["    " + line for line in _coerce_lines(field, i, ns, target="v")]
        body.append(f"        values[{name!r}] = v")
    ns["NO_VALUES"] = NO_VALUES
    values_init = "NO_VALUES" if keeps_no_values(schema) else "{}"
    twin = _layout_twin(cls)
    if twin is not None:
        # One setter call turns the instance into the twin, whose slot stores are plain
        # ones (see compile_loader); it gets its class back before any other code runs.
        ns["twin"] = twin
        ns["set_class"] = _set_class
        state = [
            "    set_class(self, twin)",
            "    self._son = None",
            "    self._orig = None",
            f"    values = {values_init}",
            "    self._values = values",
            "    self.__dict__ = kw",
            "    self.__class__ = cls",
        ]
    else:
        state = [
            "    set_son(self, None)",
            "    set_orig(self, None)",
            f"    values = {values_init}",
            "    set_values(self, values)",
            "    set_dict(self, kw)",
        ]
    lines = [
        "def __init__(self, *args, **kw):",
        "    if args or pre or post or type(self) is not cls or not names(kw):",
        "        return general(self, *args, **kw)",
        *state,
        *body,
    ]
    source = "\n".join(lines)
    init: Callable[..., None] = compile_function(source, _hint("__init__", cls), ns)
    init.__doc__ = general.__doc__
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.compiled_init = True  # type: ignore[attr-defined]
    init.source = source  # type: ignore[attr-defined]  # for reading what was generated
    return init


def _coerce_lines(field: BaseField[Any], i: int, ns: dict[str, Any], *, target: str) -> list[str]:
    """Lines that coerce ``v`` into ``target`` unless ``v`` is None or already coerced."""
    coerce, keeps = cname("coerce", i), cname("keeps", i)
    ns[coerce] = field.coerce
    kept = field.coerce_keeps_types()  # the field says which values coerce keeps
    if kept:
        ns[keeps] = kept[0]
        return [f"    if v is not None and type(v) is not {keeps}: {target} = {coerce}(v)"]
    item = field.item_field if field.plain_list else None
    if item is not None:
        items = item.coerce_keeps_types()
        if len(items) == 1:
            # A loop over the items: for the few a document's list holds, cheaper than
            # building the set of their types.
            ns[keeps] = items[0]
            return [
                "    if v is not None:",
                "        if type(v) is not list:",
                f"            {target} = {coerce}(v)",
                "        else:",
                "            for x in v:",
                f"                if type(x) is not {keeps}:",
                f"                    {target} = {coerce}(v)",
                "                    break",
            ]
        if items:
            ns[keeps] = frozenset(items).issuperset
            return [
                f"    if v is not None and not (type(v) is list and {keeps}(map(type, v))): "
                f"{target} = {coerce}(v)"
            ]
    return [f"    if v is not None: {target} = {coerce}(v)"]


def compile_loader(cls: Any, *, projected: bool = False) -> Callable[[dict[str, Any]], Any]:
    """The one load path of ``cls``: raw stored document -> instance (no copy, no conversion
    yet; ``_state.load_into``'s steps inlined for a new instance).

    ``projected``: the loader of documents read with a projection (``only``/``exclude``),
    which ``enforce_schema`` must not reject for the fields left out on purpose."""
    schema = cls._schema
    ns: dict[str, Any] = {
        "cls": cls,
        "schema": schema,
        "new": _new,
        "fast": schema.fast_keys.issuperset,
        "plain_names": schema.plain_names,
        "class_name": schema.class_name,
        "by_class_name": registry.by_class_name,
        "enforce_schema": enforce_schema,
        "set_dict": set_dict,
        "set_son": set_son,
        "set_values": set_values,
        "set_orig": set_orig,
        "post_init": _post_init_receivers,
        "signals": signals,
    }
    lines = ["def load(son):"]
    if schema.stores_cls:
        subclass_loader = "_from_projected_son" if projected else "_from_son"
        lines += [
            "    name = son.get('_cls')",
            "    if name is not None and name != class_name:",
            "        found = by_class_name(name)",
            "        if found is not None and found is not cls and issubclass(found, cls):",
            f"            return found.{subclass_loader}(son)",
        ]
    no_values = keeps_no_values(schema)
    ns["NO_VALUES"] = NO_VALUES
    twin = _layout_twin(cls)
    if twin is not None:
        # Built as the twin (plain slot stores, specialised by the interpreter), then given
        # its class: a third of the cost of four slot-setter calls.
        ns["twin"] = twin
        lines += [
            "    obj = new(twin)",
            "    if fast(son):",
            "        obj.__dict__ = son",
            "    else:",
            "        obj.__dict__ = {k: v for k, v in son.items() if k in plain_names}",
            "    obj._son = son",
            f"    obj._values = {'NO_VALUES' if no_values else '{}'}",
            "    obj._orig = None",
            "    obj.__class__ = cls",
        ]
    else:
        lines += [
            "    obj = new(cls)",
            "    if fast(son):",
            "        set_dict(obj, son)",
            "    else:",
            "        set_dict(obj, {k: v for k, v in son.items() if k in plain_names})",
            "    set_son(obj, son)",
            f"    set_values(obj, {'NO_VALUES' if no_values else '{}'})",
            "    set_orig(obj, None)",
        ]
    if schema.enforce_schema and not projected:
        lines.append("    enforce_schema(schema, son)")
    lines += [
        "    if post_init and signals.post_init.has_receivers_for(cls):",
        "        signals.post_init.send_sync(cls, document=obj)",
        "    return obj",
    ]
    kind = "projected loader" if projected else "loader"
    load: Callable[[dict[str, Any]], Any] = compile_function("\n".join(lines), _hint(kind, cls), ns)
    load.__doc__ = f"Build a {cls.__name__} around a raw stored document (no copy, no conversion)."
    load.__qualname__ = f"{cls.__qualname__}._from_son"
    return load


def _layout_twin(cls: Any) -> type | None:
    """A class with the state slots of ``cls`` and nothing else, no ``__setattr__`` of its own
    (so the generated loader's slot stores are plain ones), whose instances can be given the
    class ``cls`` once built; None if ``cls`` has a layout of its own (its own ``__slots__``)."""
    twin = type(f"{cls.__name__}Loading", (Stateful,), {"__slots__": ()})
    probe: Any = _new(twin)
    try:
        probe.__class__ = cls
    except TypeError:
        return None
    return twin


def enforce_schema(schema: Any, son: Any) -> None:
    """``meta["enforce_schema"]``: a stored document must hold every declared field."""
    missing = [name for name, field in schema.fields.items() if field.db_field not in son]
    if missing:
        raise MigrationError(
            f"{schema.model.__name__} enforces its schema, and a stored document "
            f"(_id={son.get('_id')!r}) lacks the fields {missing}",
            missing=missing,
        )


#: The ``to_mongo`` implementations ``_container_dump`` unrolls. Compared by identity with the
#: field's own method: a subclass that dumps differently (sorted, keyed) keeps its call.
_LIST_DUMP = ListField.to_mongo
_DICT_DUMP = DictField.to_mongo
_DYNAMIC_DUMP = DynamicField.to_mongo


def _container_dump(field: BaseField[Any], i: int, ns: dict[str, Any]) -> str | None:
    """The dump of a list or schemaless dict field, unrolled into the dumper for the common
    shape (a real ``list`` / ``dict``): what ``ListField.to_mongo`` / ``DictField.to_mongo``
    would do, without their call and type tests; any other value takes the field's
    ``to_mongo`` (``dump_<i>``). None when the field is not of such a shape."""
    dumper = cname("dump", i)
    implementation = getattr(type(field), "to_mongo", None)
    item = field.item_field
    if item is None:
        return None
    if implementation is _LIST_DUMP:
        if item.identity_dump:
            return f"list(v) if type(v) is list else {dumper}(v)"
        try:
            doc_type = item.embedded_model if item.dumps_embedded else None
        except Exception:  # a forward reference not defined yet: keep the field's call
            doc_type = None
        if isinstance(doc_type, type):
            ns[cname("E", i)] = doc_type
            ns[cname("item", i)] = item.to_mongo
            # The class's own dumper, bound here (it is set once, when the class is
            # finished); a class still being defined (a tree of itself) looks it up.
            own = doc_type.__dict__.get("_dump")
            call = "c._dump"
            if isinstance(own, staticmethod):
                ns[cname("Edump", i)] = own.__func__
                call = cname("Edump", i)
            return (
                f"[{call}(c) if type(c) is E_{i} else item_{i}(c) for c in v] "
                f"if type(v) is list else {dumper}(v)"
            )
        return None
    if implementation is _DICT_DUMP and getattr(type(item), "to_mongo", None) is _DYNAMIC_DUMP:
        # Each value through dynamic_to_mongo, which keeps None: the dict's own copy.
        ns["dict_to_mongo"] = dict_to_mongo
        return f"dict_to_mongo(v) if type(v) is dict else {dumper}(v)"
    return None


def compile_dumper(cls: Any, general: Callable[[Any], dict[str, Any]]) -> Callable[[Any], Any]:
    """``to_mongo`` as straight-line code. A new document: each field's value is stored as is
    where its ``dump_guard`` holds, converted otherwise. A loaded one (``general``'s rules,
    unrolled): a value read or assigned is dumped like a new one's, an untouched stored value
    is copied as stored, and stored keys the class does not declare follow, so an unchanged
    loaded document costs a dict built from its stored one. Dynamic documents take
    ``general``."""
    schema = cls._schema
    if schema.dynamic:
        return general
    ns: dict[str, Any] = {
        "CN": schema.class_name,
        "M": MISSING,
        "db_fields": schema.db_fields,
        "general": general,
    }
    new: list[str] = []
    loaded: list[str] = []
    cls_after_first = False
    if schema.stores_cls:
        if schema.pk_name is None:
            new.append("    out['_cls'] = CN")
            loaded.append("        out['_cls'] = CN")
        else:
            cls_after_first = True
    for i, (name, db, field, dump, is_plain) in enumerate(schema.dump_table):
        source = "plain" if is_plain else "values"
        if dump is None:
            value = "v"
        else:
            dumper_name = cname("dump", i)
            ns[dumper_name] = dump
            guard = field.dump_guard()
            container = _container_dump(field, i, ns)
            if container is not None:
                value = container
            elif guard is None:
                value = f"{dumper_name}(v)"
            else:
                value = f"v if {guard.inline(str(i), ns)} else {dumper_name}(v)"
        # A required value is read by subscript, cheaper than ``get``; a document missing one
        # is dumped by ``general`` (the KeyError handler below).
        new.append(f"    v = {source}{_read(name, field.required)}")
        written_out = _embedded_list_lines(field, i, ns, db) if dump is not None else None
        if written_out is not None:
            new += written_out
        else:
            new.append(f"    if v is not None: out[{db!r}] = {value}")
        if field.null:
            new.append(f"    elif {name!r} in {source}: out[{db!r}] = None")
        loaded.append(f"        v = {source}.get({name!r}, M)")
        if is_plain:  # in the instance dict (a fast-loaded document's is its stored one)
            if field.null:
                loaded.append(f"        if v is None: out[{db!r}] = None")
                loaded.append(f"        elif v is not M: out[{db!r}] = {value}")
            else:
                loaded.append(f"        if v is not None and v is not M: out[{db!r}] = {value}")
        else:  # untouched: copied as stored
            loaded += [
                "        if v is M:",
                f"            v = son.get({db!r}, M)",
                f"            if v is not M: out[{db!r}] = v",
            ]
            if field.null:
                loaded.append(f"        elif v is None: out[{db!r}] = None")
                loaded.append(f"        else: out[{db!r}] = {value}")
            else:
                loaded.append(f"        elif v is not None: out[{db!r}] = {value}")
        if cls_after_first:
            new.append("    out['_cls'] = CN")
            loaded.append("        out['_cls'] = CN")
            cls_after_first = False
    # A class of plain fields only never reads ``_values`` for a new document.
    new_values = ["    values = doc._values"] if schema.other_fields else []
    lines = [
        "def dump(doc):",
        "    plain = doc.__dict__",
        "    out = {}",
        "    son = doc._son",
        "    if son is not None:",
        "        values = doc._values",
        *loaded,
        "        if len(son) > len(out):",
        "            for key, raw in son.items():",
        "                if (key not in db_fields and key != '_cls' and key not in values",
        "                        and key not in out):",
        "                    out[key] = raw",
        "        return out",
        "    try:",
        *["    " + line for line in (*new_values, *new) or ["    pass"]],
        "    except KeyError:",
        "        return general(doc)",
        "    return out",
    ]
    dumper: Callable[[Any], Any] = compile_function("\n".join(lines), _hint("dumper", cls), ns)
    # Which class it dumps: a dumper of a class holding these documents in a list may write
    # the new-document part out instead of calling it (``_embedded_list_lines``).
    dumper.dumps_class = cls  # type: ignore[attr-defined]
    return dumper


def _read(name: str, required: bool) -> str:
    """How a generated dumper reads a new document's value: ``[name]`` when it is required
    (its absence raises the KeyError that hands the document to the general dump), else
    ``.get(name)``."""
    return f"[{name!r}]" if required else f".get({name!r})"


def _embedded_list_lines(
    field: BaseField[Any], i: int, ns: dict[str, Any], db: str
) -> list[str] | None:
    """The new-document dump of a list of embedded documents whose fields are all plain
    (``comments: [Comment(author, text, created)]``) as statements: each new item of exactly
    the declared class becomes its dict here, as its class's dumper would build it, without a
    call; other items (loaded ones, subclasses, dicts) take the calls of ``_container_dump``'s
    expression. None for any other field."""
    if getattr(type(field), "to_mongo", None) is not _LIST_DUMP:
        return None
    item = field.item_field
    try:
        doc_type = item.embedded_model if item is not None and item.dumps_embedded else None
    except Exception:  # a forward reference not defined yet
        return None
    if not isinstance(doc_type, type) or cname("Edump", i) not in ns:
        return None
    own = ns[cname("Edump", i)]
    schema = doc_type._schema  # type: ignore[attr-defined]
    if getattr(own, "dumps_class", None) is not doc_type or schema.stores_cls:
        return None
    if not all(is_plain for *_, is_plain in schema.dump_table):
        return None
    items, each = cname("items", i), []
    for j, (name, item_db, item_field, dump, _plain) in enumerate(schema.dump_table):
        key = f"{i}_{j}"
        value = "v"
        if dump is not None:
            ns[cname("dump", key)] = dump
            guard = item_field.dump_guard()
            value = f"{cname('dump', key)}(v)"
            if guard is not None:
                value = f"v if {guard.inline(key, ns)} else {value}"
        each += [
            f"                v = p{_read(name, item_field.required)}",
            f"                if v is not None: d[{item_db!r}] = {value}",
        ]
        if item_field.null:
            each.append(f"                elif {name!r} in p: d[{item_db!r}] = None")
    return [
        "    if v is not None:",
        "        if type(v) is list:",
        f"            {items} = []",
        "            for c in v:",
        f"                if type(c) is not E_{i} or c._son is not None:",
        f"                    {items}.append(Edump_{i}(c) if type(c) is E_{i} else item_{i}(c))",
        "                    continue",
        "                p = c.__dict__",
        "                d = {}",
        *each,
        f"                {items}.append(d)",
        f"            out[{db!r}] = {items}",
        "        else:",
        f"            out[{db!r}] = dump_{i}(v)",
    ]
