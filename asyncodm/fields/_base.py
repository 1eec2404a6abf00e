"""The field contract: one typed descriptor with four verbs.

Stage: fields. A field converts between the Python value a user works with and the BSON-ready
value MongoDB stores (``to_python`` / ``to_mongo``), checks values (``validate``) and converts
query values (``prepare_query_value``). Signatures are fixed; nothing sniffs them.

Reading a field goes through ``__get__`` on every attribute access, so it is written for speed:
a loaded document keeps the raw document the driver returned and a field converts its raw value
only when it is first read (fields whose stored form *is* their Python form, like strings and
ints, never convert at all).
"""

from __future__ import annotations

import enum
import functools
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import MappingProxyType
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    ForwardRef,
    Generic,
    NamedTuple,
    TypeVar,
    get_args,
    get_origin,
    overload,
)

from typing_extensions import Self

from asyncodm._codegen import compile_function, constant_name
from asyncodm._types import MISSING, DeleteRule, WriteContext
from asyncodm.errors import InvalidDocumentError, ValidationError
from asyncodm.fields._spec import FieldSpec

__all__ = [
    "BaseField",
    "Container",
    "NoPath",
    "PathStep",
    "References",
    "describe",
    "is_position",
    "run_validators",
]

T = TypeVar("T")

Validator = Callable[[Any], Any]


def describe(value: Any, limit: int = 40) -> str:
    """Name a found value for an error message: its type and a short repr."""
    text = repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    kind = type(value).__name__
    if value is None:
        return "None"
    return f"{kind} {text}"


class InlineCheck:
    """A quick predicate that is also a Python expression over ``v``, so the compiled
    validity check of a document can inline it instead of calling it.

    ``expr`` names its constants as format fields (``"type(v) is {T}"``); ``env`` binds them."""

    __slots__ = ("env", "expr", "_fn")

    def __init__(self, expr: str, **env: Any) -> None:
        self.expr = expr
        self.env = env
        self._fn: Callable[[Any], bool] = compile_function(
            f"def check(v):\n    return {expr.format(**{k: k for k in env})}",
            f"check {expr}",
            dict(env),
        )

    def __call__(self, value: Any) -> bool:
        return self._fn(value)

    def inline(self, suffix: str, namespace: dict[str, Any]) -> str:
        """The expression with its constants bound in ``namespace`` under ``constant_name``."""
        names = {k: constant_name(k, suffix) for k in self.env}
        namespace.update({names[k]: v for k, v in self.env.items()})
        return "(" + self.expr.format(**names) + ")"


class TypeIs(InlineCheck):
    """The quick check of fields whose values need nothing but their exact type."""

    __slots__ = ()

    def __init__(self, kind: type) -> None:
        super().__init__("type(v) is {T}", T=kind)


def run_validators(validators: Iterable[Validator], value: Any) -> str | None:
    """Run user validators; the first failure's message, or None.

    A validator may raise ``ValidationError``/``ValueError``/``TypeError`` (Django, PyMODM
    style) or return ``False`` (MongoEngine's ``validation=`` style)."""
    for check in validators:
        try:
            result = check(value)
        except ValidationError as exc:
            if exc.errors:
                return "; ".join(exc.errors.values())
            return exc.message
        except (ValueError, TypeError) as exc:
            return str(exc) or f"failed {getattr(check, '__name__', 'validator')}"
        if result is False:
            return f"expected a value accepted by {getattr(check, '__name__', 'validator')}, found {describe(value)}"
    return None


# --- paths: what a field answers about the inside of its values ------------------------------


class Container(enum.Enum):
    """How a field holds items: not at all, as a list, or as a dict of values by key."""

    NONE = "none"
    LIST = "list"
    DICT = "dict"


_FILTERED_POSITION = re.compile(r"\$\[[A-Za-z_]\w*\]")


def is_position(part: str) -> bool:
    """Whether ``part`` addresses list items rather than names a field.

    A list index (``0``) or a positional update operator (``$``, ``$[]``, ``$[id]``):
    https://www.mongodb.com/docs/manual/reference/operator/update-array/
    """
    return (
        part.isdigit()
        or part == "$"
        or part == "$[]"
        or (part[:2] == "$[" and _FILTERED_POSITION.fullmatch(part) is not None)
    )


class NoPath(Exception):
    """``walk`` found nothing for a part; the message says why (the path resolver in
    ``_schema._paths`` adds the model and the whole path)."""


class PathStep(NamedTuple):
    """What one part of a path leads to from a field (or a document).

    A named tuple: the resolver makes one per part of every query keyword, so it must be
    cheap to build."""

    stored: str
    """The stored segment (a field's ``db_field``, a key or index as written)."""
    field: BaseField[Any] | None
    """The field whose values the part reaches; None: nothing declares them."""
    label: str
    """The Python name (or the part as written), for messages and validation paths."""
    position: bool = False
    """The part is a list index or a positional operator."""
    schemaless: bool = False
    """From here on nothing is declared: the rest of the path is taken as written."""
    opaque: str | None = None
    """Set when the field declares no inner structure at all (a string, a geometry): why a
    query may not walk on, though an index key may still name what is stored there."""


@dataclass(frozen=True, slots=True)
class References:
    """How a field holds references to other documents (``BaseField.references()``)."""

    field: BaseField[Any]
    """The reference field itself (the field, or the item field of a list or dict)."""
    container: Container
    generic: bool
    """A ``GenericReferenceField``: stored as ``{"_cls", "_ref"}``."""
    targets: tuple[str, ...]
    """The registry names of the classes it may refer to; ``("*",)``: any document class."""
    rule: DeleteRule
    """The ``reverse_delete_rule`` the reference field declares."""


class BaseField(Generic[T]):
    """A typed descriptor declared on a document class.

    Args:
        db_field: The key in the stored document (``mongo_name`` is PyMODM's name for it).
        required: A value must be present (``None`` is not a value).
        default: A value, or a callable returning one, used when none is given.
        unique / unique_with: Recorded for the index builder (one unique index, maybe compound).
        primary_key: Store this field as ``_id``.
        choices: Allowed values, flat or ``(value, label)`` pairs.
        validation / validators: Callables that reject bad values.
        null: Store an explicit ``None`` instead of leaving the key out.
        blank: Allow empty values (``""``, ``[]``, ``{}``) once set.
        verbose_name / help_text: For admins and forms.
        **metadata: Anything else, kept on ``field.metadata`` and readable as an attribute
            (``Page.title.widget``); a keyword naming an attribute of the field is a
            ``TypeError``.
    """

    #: Stored values are already the Python value and immutable: read them raw, never convert.
    identity_load: ClassVar[bool] = False
    #: ``coerce`` does something on assignment (e.g. dicts become embedded documents).
    coerces: bool = False
    #: What ``validate`` says is expected, for messages ("a string", "an integer" ...).
    expected: ClassVar[str] = "a value"
    #: ``to_mongo`` returns the (immutable) value itself: ``to_son`` need not call it.
    identity_dump: ClassVar[bool] = False
    #: Holds embedded documents, which containers dump through each class's compiled dumper.
    dumps_embedded: ClassVar[bool] = False

    #: Work to do around a save (``before_write`` / ``after_write``): the class record lists
    #: only such fields, so a model without them pays nothing for their existence.
    has_save_work: bool = False
    #: Work to do around a delete (``before_delete`` / ``after_delete``).
    has_delete_work: bool = False
    #: Where the save-time work runs among the class's fields (sequences before uploads).
    save_order: ClassVar[int] = 0
    #: A primary key of this kind is generated by ``save()`` when missing (not required).
    generates_id: ClassVar[bool] = False
    #: Types whose values ``coerce`` returns unchanged, so generated code may skip the call.
    #: Keyed on the class that defines ``coerce`` (see ``coerce_keeps_types``).
    coerce_keeps: ClassVar[type | None] = None

    name: str
    db_field: str
    owner: type | None

    def __init__(
        self,
        db_field: str | None = None,
        *,
        mongo_name: str | None = None,
        required: bool = False,
        default: Any = MISSING,
        unique: bool = False,
        unique_with: str | Iterable[str] | None = None,
        primary_key: bool = False,
        choices: Iterable[Any] | None = None,
        validation: Validator | None = None,
        validators: Iterable[Validator] | None = None,
        null: bool = False,
        blank: bool = True,
        verbose_name: str | None = None,
        help_text: str | None = None,
        name: str | None = None,
        **metadata: Any,
    ) -> None:
        if db_field is not None and mongo_name is not None and db_field != mongo_name:
            raise InvalidDocumentError(
                f"give db_field or mongo_name, not both ({db_field!r} != {mongo_name!r})"
            )
        self._explicit_db_field = db_field if db_field is not None else mongo_name
        if self._explicit_db_field is not None:
            _check_db_name(self._explicit_db_field)
        self.name = name or ""
        self.db_field = self._explicit_db_field or self.name
        self.owner = None
        self.required = required or primary_key
        self.default = default
        self.unique = unique or False
        if isinstance(unique_with, str):
            unique_with = [unique_with]
        self.unique_with: tuple[str, ...] = tuple(unique_with or ())
        if self.unique_with:
            self.unique = True
        self.primary_key = primary_key
        given = None if choices is None else tuple(choices)
        self.choices = self._normalise_choices(given)
        self._choices_given = given  # with their labels, for describe()
        checks: list[Validator] = []
        if validation is not None:
            checks.append(validation)
        if validators is not None:
            checks.extend(validators)
        self.validators: tuple[Validator, ...] = tuple(checks)
        self.null = null
        self.blank = blank
        self.verbose_name = verbose_name
        self.help_text = help_text
        for key in metadata:
            if hasattr(type(self), key) or key in self.__dict__:
                raise TypeError(
                    f"{type(self).__name__}() got the keyword {key!r}, which is the name of one "
                    f"of its attributes; extra keywords are kept as metadata readable as "
                    f"attributes, so they may not shadow one"
                )
        self.metadata: dict[str, Any] = metadata

    if not TYPE_CHECKING:  # type checkers keep catching misspelt field attributes

        def __getattr__(self, name: str) -> Any:
            """Extra keywords read as attributes (``Page.title.widget``), as in MongoEngine.

            Only called when normal lookup fails, so it costs nothing on any other attribute."""
            metadata = self.__dict__.get("metadata")
            if metadata is not None and not name.startswith("__") and name in metadata:
                return metadata[name]
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    # --- declaration ------------------------------------------------------------------------

    def __set_name__(self, owner: type, name: str) -> None:
        self.bind(owner, name)

    def bind(self, owner: type | None, name: str) -> None:
        """Attach the field to its class attribute (also used for fields inside containers)."""
        self.__dict__.pop("member_step", None)
        self.owner = owner
        if not self.name or self.name != name:
            self.name = name
        if self._explicit_db_field is None:
            self.db_field = "_id" if self.primary_key else name
        elif self.primary_key and self._explicit_db_field != "_id":
            # A primary key is always stored as _id; an explicit name is kept only for docs.
            self.db_field = "_id"

    @staticmethod
    def _normalise_choices(choices: Iterable[Any] | None) -> tuple[Any, ...] | None:
        if choices is None:
            return None
        values = []
        for choice in choices:
            if isinstance(choice, (tuple, list)) and len(choice) == 2:
                values.append(choice[0])
            else:
                values.append(choice)
        return tuple(values)

    # --- descriptor -------------------------------------------------------------------------

    @overload
    def __get__(self, instance: None, owner: type) -> Self: ...

    @overload
    def __get__(self, instance: object, owner: type) -> T | None: ...

    def __get__(self, instance: object | None, owner: type) -> Self | T | None:
        if instance is None:
            return self
        values: dict[str, Any] = instance._values  # type: ignore[attr-defined]
        value = values.get(self.name, MISSING)
        if value is not MISSING:
            return value  # type: ignore[no-any-return]
        son: dict[str, Any] | None = instance._son  # type: ignore[attr-defined]
        if son is not None:
            raw = son.get(self.db_field, MISSING)
            if raw is not MISSING:
                if self.identity_load or raw is None:
                    return raw  # type: ignore[no-any-return]
                if self.shares_stored and instance._schema.is_document:  # type: ignore[attr-defined]
                    data = self.stored_snapshot(raw)
                    if data is not None:
                        # Handed out as stored, no copy: the snapshot keeps the baseline.
                        instance._keep_snapshot(self.name, data)  # type: ignore[attr-defined]
                        values[self.name] = raw
                        return raw  # type: ignore[no-any-return]
                value = self.to_python(raw)
                values[self.name] = value
                return value  # type: ignore[no-any-return]
        return instance._read_missing(self)  # type: ignore[attr-defined,no-any-return]

    def __set__(self, instance: object, value: T | None) -> None:
        if self.coerces and value is not None:
            value = self.coerce(value)
        instance._values[self.name] = value  # type: ignore[attr-defined]

    def __delete__(self, instance: object) -> None:
        instance._values[self.name] = None  # type: ignore[attr-defined]

    # --- the four verbs ---------------------------------------------------------------------

    def to_python(self, value: Any) -> Any:
        """Convert a stored (BSON) value into the Python value users see."""
        return value

    def to_mongo(self, value: Any) -> Any:
        """Convert a Python value into the BSON-ready value to store.

        Must return a new object for mutable values: the document compares it later against
        what it loaded to find what changed."""
        return value

    def coerce(self, value: Any) -> Any:
        """Adapt an assigned value (only called when ``coerces`` is set)."""
        return value

    def check(self, value: Any) -> str | None:
        """Type and range checks of a non-None value: an error message, or None if fine."""
        return None

    def validate(self, value: Any, path: str, errors: dict[str, str]) -> None:
        """Record in ``errors`` every problem of ``value`` at ``path`` (and nested paths)."""
        if value is None:
            if self.required:
                errors[path] = f"expected {self.expected}, found None (the field is required)"
            return
        message = self.check(value)
        if message is None and not self.blank and self.is_blank(value):
            message = f"expected a non-empty value, found {describe(value)}"
        if message is None and self.choices is not None:
            message = self._check_choices(value)
        if message is None and self.validators:
            message = run_validators(self.validators, value)
        if message is not None:
            errors[path] = message

    def item_loader(self) -> Callable[[dict[str, Any]], Any] | None:
        """For fields holding documents: the class's loader for a raw stored ``dict`` item, so
        containers can load their items without a call through ``to_python``."""
        return None

    def quick_check(self) -> Callable[[Any], bool] | None:
        """A cheap predicate, True only for values ``check`` accepts (the common case), so
        validation can skip the full check; None when there is none. Called once per class."""
        return None

    #: A top-level document may hand out this field's stored container itself (no copy),
    #: keeping a snapshot for change tracking instead (see ``asyncodm.fields._snapshots``).
    shares_stored: bool = False

    def stored_snapshot(self, raw: Any) -> bytes | None:
        """The snapshot of ``raw`` when it can be handed out as stored; None: convert a copy."""
        return None

    def dump_guard(self) -> InlineCheck | None:
        """An expression over ``v`` that is True when ``to_mongo(v)`` is ``v`` itself, so a
        compiled dumper stores such values without the call (None: always call)."""
        return None

    def fast_validator(self) -> Callable[[Any], bool] | None:
        """``quick_check`` when no choices, validators or blank rule could still object."""
        if self.choices is not None or self.validators or not self.blank:
            return None
        return self.quick_check()

    def prepare_query_value(self, op: str | None, value: Any) -> Any:
        """Convert a value used in a query with operator ``op`` into what is stored."""
        if value is None:
            return None
        return self.to_mongo(value)

    # --- self-description: containers and paths (``_schema._paths`` walks these) --------------

    #: How the value holds items (lists and dicts of an item field).
    container: ClassVar[Container] = Container.NONE
    #: Nothing is declared inside the value (dynamic values, generic embedded documents).
    is_schemaless: ClassVar[bool] = False
    #: The value is a list that item operators address (``push``, ``pull``, ``$elemMatch``).
    accepts_item_values: ClassVar[bool] = False
    #: Only whole numbers are stored (``inc`` by ``1.5`` would store a float).
    integer_only: ClassVar[bool] = False
    #: The value is a plain ``list`` of ``item_field`` values (not a handle list like RefList).
    plain_list: bool = False

    @property
    def item_field(self) -> BaseField[Any] | None:
        """The field of each item of a list or dict field; None for other fields."""
        return None

    @functools.cached_property
    def member_step(self) -> PathStep:
        """The step that reaches this field from its document: stored under its db name
        (made once: every query keyword takes one; ``bind`` forgets it)."""
        return PathStep(self.db_field, self, self.name)

    @property
    def embedded_model(self) -> type | None:
        """The embedded document class of a field holding one; None for other fields."""
        return None

    def walk(self, part: str) -> PathStep:
        """What ``part`` of a path leads to inside this field's value.

        Raises:
            NoPath: the part names nothing that can be stored there.
        """
        if self.is_schemaless:
            return PathStep(part, None, part, schemaless=True)
        return PathStep(
            part, None, part, schemaless=True, opaque=f"{self.name!r} has no inner fields"
        )

    # --- what the field says about itself (asked instead of isinstance) ----------------------

    def references(self) -> References | None:
        """How this field holds references to other documents; None: it holds none."""
        return None

    def coerce_keeps_types(self) -> tuple[type, ...]:
        """Types whose values ``coerce`` returns unchanged (generated code skips the call).

        ``coerce_keeps`` counts only on the class that defines ``coerce``: a subclass that
        overrides ``coerce`` never inherits a promise its own method does not keep."""
        kept = self.coerce_keeps
        if kept is None:
            return ()
        for klass in type(self).__mro__:
            if "coerce" in klass.__dict__:
                return (kept,) if "coerce_keeps" in klass.__dict__ else ()
        return ()

    # --- save-time work (Django's ``Field.pre_save``); only when ``has_save_work`` ------------

    async def before_write(self, doc: Any, context: WriteContext) -> Any:
        """Before a validated document is written: returns a token for ``after_write``."""
        return None

    async def after_write(self, doc: Any, context: WriteContext, token: Any, *, ok: bool) -> None:
        """After the write succeeded (``ok``) or failed; ``token`` is ``before_write``'s."""

    async def before_delete(self, doc: Any, context: WriteContext) -> Any:
        """Before a document is deleted (after its delete rules allowed it): a token."""
        return None

    async def after_delete(self, doc: Any, context: WriteContext, token: Any) -> None:
        """After the document was deleted; ``token`` is ``before_delete``'s."""

    # --- helpers ----------------------------------------------------------------------------

    def is_blank(self, value: Any) -> bool:
        return bool(value == "" or value == [] or value == {})

    def _check_choices(self, value: Any) -> str | None:
        assert self.choices is not None
        if value in self.choices:
            return None
        return f"expected one of {list(self.choices)!r}, found {describe(value)}"

    def get_default(self) -> Any:
        """The default value (called fresh each time when the default is callable)."""
        default = self.default
        if default is MISSING:
            return None
        return default() if callable(default) else default

    @property
    def has_default(self) -> bool:
        return self.default is not MISSING

    def validate_value(self, value: Any, path: str | None = None) -> None:
        """Validate one value and raise ``ValidationError`` at once (for update operators)."""
        errors: dict[str, str] = {}
        if self.coerces and value is not None:
            value = self.coerce(value)
        self.validate(value, path or self.name, errors)
        if errors:
            raise ValidationError(errors=errors)

    def error(self, message: str) -> ValidationError:
        """A ``ValidationError`` for this field (MongoEngine's helper, kept for custom fields)."""
        return ValidationError(errors={self.name or "value": message})

    def __repr__(self) -> str:
        owner = self.owner.__name__ + "." if self.owner is not None else ""
        return f"<{type(self).__name__} {owner}{self.name or '?'}>"

    # --- self-description (API.md §11) ------------------------------------------------------

    #: What the field describes itself as (``FieldSpec.kind``). It is an ordinary class
    #: attribute, so a subclass that declares none inherits its parent's: a dialect's
    #: ``CharField`` or a user's ``UpperField(StringField)`` stores and validates as a string
    #: and integrations treat it as one. A class with no built-in ancestor that declares no
    #: kind describes as its class name. To say more, override ``describe()``:
    #: ``dataclasses.replace(super().describe(), kind="upper")``.
    kind: ClassVar[str | None] = None

    def describe(self) -> FieldSpec:
        """This field's ``FieldSpec``: what integrations read instead of asking its class.

        Computed when first asked (never on the load/save paths) and kept once the field is
        bound to its class and names no class by a string that a redefinition could change
        (see ``_describe_stable``). Fields contribute their part through ``_describe``."""
        spec: FieldSpec | None = self.__dict__.get("_spec")
        if spec is None:
            spec = FieldSpec(**self._describe())
            if self.owner is not None and self._describe_stable():
                self.__dict__["_spec"] = spec
        return spec

    def _describe(self) -> dict[str, Any]:
        """The ``FieldSpec`` keywords this class knows; subclasses extend ``super()``'s."""
        given = self._choices_given
        labels = None
        if given is not None:
            labels = tuple(
                (c[0], str(c[1])) if isinstance(c, (tuple, list)) and len(c) == 2 else (c, str(c))
                for c in given
            )
        texts = {"verbose_name": self.verbose_name, "help_text": self.help_text}
        metadata = {k: v for k, v in texts.items() if v is not None} | self.metadata
        return {
            "name": self.name,
            "db_field": self.db_field,
            "kind": type(self).kind or type(self).__name__,
            "python_type": _value_type(type(self)),
            "required": self.required,
            "primary_key": self.primary_key,
            "unique": self.unique,
            "unique_with": self.unique_with,
            "sparse": bool(self.metadata.get("sparse", False)),
            "default": self.default,
            "choices": self.choices,
            "choice_labels": labels,
            "null": self.null,
            "blank": self.blank,
            "metadata": MappingProxyType(metadata),
        }

    def _describe_stable(self) -> bool:
        """Whether the spec may be kept: not while it depends on a class named by a string
        (a class redefined under that name must be seen by the next ``describe()``)."""
        return True


def _value_type(cls: type) -> Any:
    """The Python type a field class reads as, from its ``BaseField[T]`` parameter: the
    nearest concrete one in its MRO (``list`` for ``list[T]``); ``object`` when any value fits."""
    for klass in cls.__mro__:
        for base in klass.__dict__.get("__orig_bases__", ()):
            origin = get_origin(base)
            if not (isinstance(origin, type) and issubclass(origin, BaseField)):
                continue
            arg = get_args(base)[0]
            if isinstance(arg, TypeVar) or arg is Any:
                continue
            if isinstance(arg, ForwardRef):  # "Ref[Document]": a name of the field's module
                head = arg.__forward_arg__.partition("[")[0]
                arg = vars(sys.modules[klass.__module__]).get(head, object)
            found = get_origin(arg) or arg
            return found if isinstance(found, type) else object
    return object


def _check_db_name(name: str) -> None:
    if not name or name.startswith("$") or "." in name or "\x00" in name:
        raise InvalidDocumentError(
            f"db_field {name!r} is not a valid MongoDB key: it must be non-empty, "
            "must not start with '$' and must not contain '.' or NUL"
        )


class PlainAccess:
    """Stands in, on the class, for a *plain* field: one whose stored value is its immutable
    Python value, stored under its own name.

    Such values live in the instance ``__dict__`` (for a loaded document, the ``__dict__`` is
    the stored document itself), so reading them is an ordinary attribute lookup at C speed.
    This object has no ``__set__``, so the instance dict wins; it is consulted only when the
    value is absent (then the default applies: ``_instance._state.read_missing``), and on the
    class it gives the field back.

    It lives here, not with the state owner (``_instance._state``), because the class-record
    builder (``_schema``, a layer below ``_instance``) must see through it (``unwrap_field``)
    to collect the fields a class inherits."""

    __slots__ = ("field",)

    def __init__(self, field: BaseField[Any]) -> None:
        self.field = field

    def __get__(self, instance: Any, owner: type) -> Any:
        if instance is None:
            return self.field
        return instance._read_missing(self.field)

    def __repr__(self) -> str:
        return f"<plain {self.field!r}>"


def unwrap_field(value: Any) -> BaseField[Any] | None:
    """The field a class attribute stands for (a field, or a ``PlainAccess``), else None."""
    if isinstance(value, BaseField):
        return value
    if isinstance(value, PlainAccess):
        return value.field
    return None
