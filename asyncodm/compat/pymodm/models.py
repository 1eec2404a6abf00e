"""``MongoModel`` and ``EmbeddedMongoModel``: PyMODM's model base classes over asyncodm's.

Stage: compat. Both are abstract asyncodm documents, so a PyMODM model is an ordinary
asyncodm document (querysets, references and delete rules, indexes, contexts, transactions,
signals); what differs is PyMODM's defaults:

* models are *not* final: documents record their class in ``_cls`` and a subclass of a
  model shares its parent's collection; ``class Meta: final = True`` stores no ``_cls`` and
  forbids subclasses. A class deriving directly from ``MongoModel`` gets its own collection;
* ``Meta`` options: ``connection_alias``, ``collection_name``, ``final``, ``cascade``,
  ``codec_options``, ``read_preference``, ``read_concern``, ``write_concern``, ``indexes``
  (``pymongo.IndexModel`` objects), ``collation`` (the default of every queryset) and
  ``ignore_unknown_fields`` (always true here: stored fields a model does not declare are kept
  and written back, never an error);
* declared ``indexes`` are created on the model's first use (PyMODM created them when the
  class was defined, which would be I/O at import time here); ``await Model.ensure_indexes()``
  or ``await asyncodm.ensure_indexes()`` create them up front;
* the implicit primary key reads as ``doc._id`` as well as ``doc.pk``;
* ``save(cascade=None, full_clean=True, force_insert=False)``, ``delete()``,
  ``refresh_from_db(fields=None)``, ``full_clean(exclude=None)``, ``clean_fields()``,
  ``clean()``, ``is_valid()``, ``to_son()``, ``from_document()`` and
  ``register_delete_rule()`` keep PyMODM's signatures; the ones that touch the database are
  awaited.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import asyncodm
from asyncodm.compat.pymodm.manager import Manager
from asyncodm.compat.pymodm.queryset import QuerySet

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["EmbeddedMongoModel", "MongoModel"]


def _dialect_options(cls: type) -> None:
    """Read the ``Meta`` options asyncodm does not know, before the class is compiled."""
    inner = cls.__dict__.get("Meta")
    if not isinstance(inner, type):
        return
    options = vars(inner)
    if "collation" in options:
        type.__setattr__(cls, "_pymodm_collation", options["collation"])
    if options.get("indexes") and "auto_create_index" not in options:
        meta = dict(cls.__dict__.get("meta") or {})
        meta.setdefault("auto_create_index", True)
        type.__setattr__(cls, "meta", meta)


class MongoModel(asyncodm.Document):
    """Base class of top-level models: each subclass of it has its own collection.

    Example:
        ```python
        class User(MongoModel):
            email = fields.EmailField(primary_key=True)
            first_name = fields.CharField()

            class Meta:
                connection_alias = "my-app"


        await User("user@email.com", "Bob").save()
        ```
    """

    _pymodm_collation: ClassVar[Any] = None
    _pymodm_pk: ClassVar[str | None] = None
    objects: ClassVar[Manager[Self]] = Manager()

    class Meta:
        abstract = True
        allow_inheritance = True
        queryset_class = QuerySet

    def __init_subclass__(cls, **kwargs: Any) -> None:
        _dialect_options(cls)
        super().__init_subclass__(**kwargs)
        for name in dir(cls):
            value = getattr(cls, name, None)
            if isinstance(value, asyncodm.BaseField) and value.primary_key:
                type.__setattr__(cls, "_pymodm_pk", name)

    @property
    def _id(self) -> Any:
        """The primary key, under the name PyMODM gives the implicit one."""
        return self.pk

    @_id.setter
    def _id(self, value: Any) -> None:
        self.pk = value


class EmbeddedMongoModel(asyncodm.EmbeddedDocument):
    """Base class of models stored inside other documents (``EmbeddedDocumentField``).

    Like PyMODM's, embedded models record their class in ``_cls`` unless ``Meta.final``.
    """

    class Meta:
        abstract = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Not final unless told: record _cls. Set on each direct subclass rather than here, so
        # the stored name is "Comment", not "EmbeddedMongoModel.Comment".
        inner = cls.__dict__.get("Meta")
        options = vars(inner) if isinstance(inner, type) else {}
        if EmbeddedMongoModel in cls.__bases__ and not {"final", "allow_inheritance"} & set(
            options
        ):
            meta = dict(cls.__dict__.get("meta") or {})
            meta.setdefault("allow_inheritance", True)
            type.__setattr__(cls, "meta", meta)
        super().__init_subclass__(**kwargs)
