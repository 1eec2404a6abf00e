"""The owner of a document's state: every write of its four slots goes through here.

Stage: instance (pure, synchronous). After SQLAlchemy's ``orm/state.py``: an instance keeps
its state in four places, and only the named operations below change them (the generated fast
paths in ``_compiled`` inline the same steps through the same setters):

* ``__dict__``: the values of *plain* fields (stored as their own immutable Python value under
  their own name: strings, numbers, booleans, ObjectIds, datetimes), so reading one is a plain
  attribute lookup. A loaded document uses the stored document itself as its ``__dict__``
  (nothing is copied) unless a stored key could shadow something on the class.
* ``_son``: the stored document as loaded or last saved (None for a new document).
* ``_orig``: None, or the stored values of plain fields assigned since (``set_attribute``
  records them before the first change), which is how a save finds what changed; also the
  snapshots of stored lists and dicts handed out without a copy (``fields._snapshots``).
* ``_values``: the converted values of the other fields (containers, embedded documents,
  references...) read or assigned since, and dynamic attributes. They are compared with
  ``_son`` on save.

The operations: ``start_new`` / ``general_init`` / ``assign`` (construction), ``load_into``
(the stored state replaces everything: the loader's steps, for an existing instance),
``set_attribute`` (``__setattr__``: ``record_change`` of a plain field), ``set_value``,
``keep_snapshot``, ``read_missing`` (a default read is written into the baseline),
``mark_saved``, ``mark_unsaved`` (``from_document``: the next save writes it whole),
``set_generated_pk``, ``reload_fields``, ``become_new``; ``state_of`` / ``restore_state``
(pickle and copy: the slots handed over whole).

The one exception lives below this layer: a field descriptor caches the converted value of its
own field in ``_values`` (``fields._base.BaseField.__get__``/``__set__``), on every read of a
field; the fields sit below ``_instance`` and may not import it, and a call here per read
would cost the hot path. ``PlainAccess`` stays with the fields (``fields._access``) for the same reason: the
class-record builder (``_schema``, below this layer) must see through it to collect the
fields a class inherits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from asyncodm import signals
from asyncodm._types import MISSING
from asyncodm.errors import InvalidDocumentError
from asyncodm.fields import _snapshots as snapshots
from asyncodm.fields._base import BaseField

__all__ = [
    "NO_VALUES",
    "NoValues",
    "Stateful",
    "apply_delta",
    "assign",
    "become_new",
    "general_init",
    "is_unsaved",
    "keep_snapshot",
    "keeps_no_values",
    "load_into",
    "mark_saved",
    "mark_unsaved",
    "read_missing",
    "reload_fields",
    "restore_state",
    "set_attribute",
    "set_dict",
    "set_generated_pk",
    "set_orig",
    "set_son",
    "set_value",
    "set_values",
    "start_new",
    "state_of",
]

_IMMUTABLE_DEFAULTS = (str, int, float, bool, bytes, type(None))
#: The live receiver lists of the init signals: construction tests them without a call.
_pre_init_receivers = signals.pre_init._receivers
_post_init_receivers = signals.post_init._receivers


class Stateful:
    """The four slots of a document (``BaseDocument`` derives from this)."""

    __slots__ = ("__dict__", "_values", "_son", "_orig")

    _values: dict[str, Any]
    _son: dict[str, Any] | None
    _orig: dict[str, Any] | None


class NoValues(dict[str, Any]):
    """The ``_values`` of every instance of a class whose fields are all plain (most embedded
    documents: ``Comment(author, text, created)``): such a class never keeps a converted value,
    so its instances share this one empty mapping instead of an empty dict each (64 bytes a
    document, a fifth of what a loaded post keeps beyond its raw dict). Writing to it is a bug,
    and says so."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("a document whose fields are all plain keeps no converted values")

    __setitem__ = __delitem__ = setdefault = update = pop = popitem = clear = _refuse
    __ior__ = _refuse


#: The one shared instance (``values_for_new``).
NO_VALUES = NoValues()


def keeps_no_values(schema: Any) -> bool:
    """True when no instance of the class can ever hold a converted value: every field is
    plain and no attribute is dynamic."""
    return not schema.other_fields and not schema.dynamic


_slots = Stateful.__dict__
#: The slot setters, bound once: the one way to set state without ``__setattr__`` (the
#: generated fast paths receive them too).
set_dict = _slots["__dict__"].__set__
set_son = _slots["_son"].__set__
set_values = _slots["_values"].__set__
set_orig = _slots["_orig"].__set__


# --- construction ---------------------------------------------------------------------------


def start_new(doc: Any) -> dict[str, Any]:
    """A new document: no baseline, no changes; returns its (empty) ``_values``."""
    set_son(doc, None)
    set_orig(doc, None)
    values: dict[str, Any] = {}
    set_values(doc, values)
    return values


def general_init(self: Any, *args: Any, **kwargs: Any) -> None:
    """Build a new document from keyword (and PyMODM positional) arguments."""
    cls = type(self)
    if not cls._instantiable:
        raise InvalidDocumentError(f"{cls.__name__} is abstract and cannot be instantiated")
    schema = cls._schema
    if _pre_init_receivers:
        signals.pre_init.send_sync(cls, document=self, values=kwargs)
    values = start_new(self)
    plain = self.__dict__
    for name, make, constant, is_plain in schema.default_table:
        if name not in kwargs:
            (plain if is_plain else values)[name] = constant if make is None else make()
    if args:
        positional = schema.positional
        if len(args) > len(positional):
            raise TypeError(
                f"{cls.__name__}() takes at most {len(positional)} positional arguments "
                f"({', '.join(positional)}), {len(args)} given"
            )
        for name, value in zip(positional, args, strict=False):
            if name in kwargs:
                raise TypeError(f"{cls.__name__}() got multiple values for field {name!r}")
            kwargs[name] = value
    if kwargs:
        assign(self, kwargs)
    if _post_init_receivers:
        signals.post_init.send_sync(cls, document=self)


def assign(doc: Any, data: Mapping[str, Any]) -> None:
    """Constructor values into a new document (coerced where their field coerces)."""
    schema = doc._schema
    values = doc._values
    plain = doc.__dict__
    if schema.field_names.issuperset(data):
        # The common case: every key is a field name. Copy them in one step, move the
        # values of fields that are not plain out, and adapt the few that coerce.
        plain.update(data)
        for name, coerce in schema.other_fields:
            if name in plain:
                value = plain.pop(name)
                if coerce is not None and value is not None:
                    value = coerce(value)
                values[name] = value
        for name, coerce in schema.plain_coercers:
            if name in data:
                value = plain[name]
                if value is not None:
                    plain[name] = coerce(value)
        return
    fields = schema.fields
    for name, value in data.items():
        field = fields.get(name)
        if field is None:
            field = doc._field_for_key(name)
            if field is None:
                if schema.dynamic and name != "_cls":
                    values[name] = value
                continue
        if value is not None and field.coerces:
            value = field.coerce(value)
        (plain if field.name in schema.plain_names else values)[field.name] = value


# --- loading --------------------------------------------------------------------------------


def load_into(doc: Any, son: dict[str, Any]) -> None:
    """Make ``son`` the document's stored state, dropping every unsaved change (the compiled
    loader of each class inlines these steps for a new instance)."""
    schema = doc._schema
    if schema.fast_keys.issuperset(son):
        set_dict(doc, son)  # the stored document is the instance dict: nothing is copied
    else:
        plain_names = schema.plain_names
        set_dict(doc, {k: v for k, v in son.items() if k in plain_names})
    set_son(doc, son)
    set_values(doc, {})
    set_orig(doc, None)


def reload_fields(doc: Any, raw: Mapping[str, Any], names: Iterable[str]) -> None:
    """Stored values of ``names`` (from ``raw``, a projected read) replace the document's:
    baseline and current value both, as if loaded now."""
    schema = doc._schema
    son = doc._son if doc._son is not None else {}
    plain = doc.__dict__
    orig = doc._orig
    for name in names:
        db = schema.fields[name].db_field if name in schema.fields else name
        if db in raw:
            son[db] = raw[db]
        else:
            son.pop(db, None)
        if name in schema.plain_names:
            if db in raw:
                plain[name] = raw[db]
            else:
                plain.pop(name, None)
            if orig is not None:
                orig.pop(name, None)
        if orig is not None:
            orig.pop(snapshots.key(name), None)
        doc._values.pop(name, None)
    set_son(doc, son)


# --- changes --------------------------------------------------------------------------------


def set_attribute(self: Any, name: str, value: Any) -> None:
    """``BaseDocument.__setattr__``: a plain field records its baseline value before its first
    change (``record_change``); a field that is not plain goes through its descriptor."""
    # Class attributes read from the class: the instance dict of a loaded document is its
    # stored document, which every attribute read through the instance would search first.
    cls = type(self)
    schema = cls._schema
    if name in schema.plain_names:
        field = schema.fields[name]
        if value is not None and field.coerces:
            value = field.coerce(value)
        plain = self.__dict__
        son = self._son
        if son is not None:
            if plain is son and cls._is_embedded:
                # An embedded document reads its values from its part of the parent's
                # stored document; it copies them before its first change, so that
                # stored document stays the baseline the parent's save compares with.
                plain = son.copy()
                set_dict(self, plain)
            orig = self._orig
            if orig is None:
                set_orig(self, {name: son.get(name, MISSING)})
            elif name not in orig:
                orig[name] = son.get(name, MISSING)
        plain[name] = value
        return
    if name in schema.fields or name[:1] == "_" or hasattr(type(self), name):
        if name not in schema.fields:
            son = self._son
            if son is not None and self.__dict__ is son:
                # Not a field: it must never enter the stored document the instance
                # dict of a loaded document is.
                set_dict(self, son.copy())
        object.__setattr__(self, name, value)
        return
    if schema.dynamic:
        self._set_dynamic(name, value)  # checks the name (``_dynamic._DynamicMixin``)
        return
    raise AttributeError(
        f"{type(self).__name__} has no field {name!r}; declare it, or use a DynamicDocument"
    )


def set_value(doc: Any, name: str, value: Any) -> None:
    """The current value of a field that is not plain, or of a dynamic attribute (compared
    with the baseline on save, so no change record is needed)."""
    doc._values[name] = value


#: Field name -> its snapshot key (``snapshots.key``), made once per name: a first read of a
#: stored container pays a dict lookup for it, not a call and a new string.
_snapshot_keys: dict[str, str] = {}


def keep_snapshot(doc: Any, name: str, data: bytes) -> None:
    """Record the snapshot of a stored container handed out without a copy."""
    orig = doc._orig
    if orig is None:
        orig = {}
        set_orig(doc, orig)
    key = _snapshot_keys.get(name)
    if key is None:
        key = _snapshot_keys[name] = snapshots.key(name)
    orig[key] = data


def read_missing(doc: Any, field: BaseField[Any]) -> Any:
    """A field with no value: its default on a loaded document, else None.

    Reading a default is not a change: a callable or mutable default is remembered (so it
    stays the same object) and written into the baseline, so a save sends it only if it was
    changed afterwards."""
    son = doc._son
    if son is None or not field.has_default:
        return None
    value = field.get_default()
    if value is None or (not callable(field.default) and isinstance(value, _IMMUTABLE_DEFAULTS)):
        return value
    if field.name in doc._schema.plain_names:
        doc.__dict__[field.name] = value  # for a fast-loaded document: also the baseline
        return value
    doc._values[field.name] = value
    son[field.db_field] = field.to_mongo(value)
    return value


# --- saving ---------------------------------------------------------------------------------

#: The ``_orig`` key that marks a document built from a raw document that is not stored as it
#: is (``from_document``): a snapshot key no field can take (field names are never empty), so
#: ``compute_delta`` skips it like the snapshots; ``mark_saved`` and ``load_into`` drop it.
_UNSAVED = snapshots.key("")


def mark_unsaved(doc: Any) -> None:
    """``doc`` holds a raw document as its stored state, but that document is not stored:
    its next save writes it whole (upsert by primary key), as for a new document."""
    orig = doc._orig
    if orig is None:
        orig = {}
        set_orig(doc, orig)
    orig[_UNSAVED] = True


def is_unsaved(doc: Any) -> bool:
    """True for a new document, and for one ``mark_unsaved`` marked and not saved since."""
    if doc._son is None:
        return True
    orig = doc._orig
    return orig is not None and _UNSAVED in orig


def mark_saved(doc: Any, son: dict[str, Any]) -> None:
    """``son`` was written: it is the new baseline; current values stay as they are."""
    set_son(doc, son)
    set_orig(doc, None)


def set_generated_pk(doc: Any, value: Any) -> None:
    """The primary key ``save()`` generated, set only once the document is stored (so a
    retried save inserts again)."""
    doc._values[doc._schema.pk_name] = value


def apply_delta(son: dict[str, Any], new_values: Mapping[str, Any]) -> None:
    """A delta update was written: its stored values become the baseline's."""
    for key, value in new_values.items():
        if value is MISSING:
            son.pop(key, None)
        else:
            son[key] = value


def become_new(doc: Any) -> None:
    """Turn a document built from raw data into a new, unsaved one holding the same values."""
    son = doc._son or {}
    schema = doc._schema
    plain_names = schema.plain_names
    for name, field in schema.fields.items():
        if name in plain_names:
            if field.db_field in son:
                doc.__dict__[name] = son[field.db_field]
            continue
        getattr(doc, name)
        if name not in doc._values and field.db_field in son:
            doc._values[name] = son[field.db_field]
    for name in doc._dynamic_names():
        doc._values[name] = getattr(doc, name)
    if doc.__dict__ is son:
        set_dict(doc, dict(son))
    set_son(doc, None)
    set_orig(doc, None)


# --- pickling and copying -------------------------------------------------------------------

#: Class -> the slots its own layout adds beyond the four (a compatibility layer's flags).
_extra_slots: dict[type, tuple[str, ...]] = {}


def _slots_beyond_state(cls: type) -> tuple[str, ...]:
    names = _extra_slots.get(cls)
    if names is None:
        found: list[str] = []
        for klass in cls.__mro__:
            if klass is Stateful:
                break
            declared = klass.__dict__.get("__slots__", ())
            for name in (declared,) if isinstance(declared, str) else declared:
                if name in ("__dict__", "__weakref__"):
                    continue
                if name.startswith("__") and not name.endswith("__"):
                    name = f"_{klass.__name__.lstrip('_')}{name}"  # as Python mangles it
                found.append(name)
        names = _extra_slots[cls] = tuple(found)
    return names


def state_of(doc: Any) -> tuple[Any, ...]:
    """The four slots as ``pickle`` and ``copy`` carry them (``BaseDocument.__getstate__``),
    and the slots a subclass adds (when set) as a fifth item.

    They are handed over as they are, so the sharing between them survives: pickle's memo
    and deepcopy's keep a loaded document's instance dict the very stored document, an
    embedded document's values its part of the parent's, and a container handed out without
    a copy the stored one its snapshot in ``_orig`` describes. The baseline, the changes not
    saved yet, the unknown stored keys and ``_version`` (all in ``_son``/``_orig``) come
    along; the shared ``NO_VALUES`` travels as None."""
    values = doc._values
    state = (doc.__dict__, doc._son, None if values is NO_VALUES else values, doc._orig)
    names = _slots_beyond_state(type(doc))
    if names:
        extra = {name: getattr(doc, name) for name in names if hasattr(doc, name)}
        if extra:
            return (*state, extra)
    return state


def restore_state(doc: Any, state: Any) -> None:
    """Put the slots ``state_of`` gave back into a bare instance (``__setstate__``): through
    the slot setters, never ``__setattr__`` (which reads the state it is restoring)."""
    if type(state) is not tuple or len(state) not in (4, 5):
        raise TypeError(
            f"{type(doc).__name__}: expected the state a pickled asyncodm document carries "
            f"(a tuple of 4 or 5, made by the same asyncodm version), found {state!r:.80}"
        )
    plain, son, values, orig = state[:4]
    if values is None:
        values = NO_VALUES if keeps_no_values(doc._schema) else {}
    set_dict(doc, plain)
    set_son(doc, son)
    set_values(doc, values)
    set_orig(doc, orig)
    if len(state) == 5:
        for name, value in state[4].items():
            object.__setattr__(doc, name, value)  # a slot of the subclass's own layout
