"""MongoMotor's document classes: ``Document``, ``DynamicDocument``, ``EmbeddedDocument``,
``DynamicEmbeddedDocument``.

Stage: compat. They are asyncodm's own classes as abstract bases whose querysets are this
dialect's ``QuerySet`` (MongoEngine's ``insert``); every method MongoMotor awaits (``save``,
``delete``, ``reload``, ``update``, ``modify``, ``drop_collection``, ``ensure_indexes``,
``compare_indexes``) is asyncodm's.
"""

from __future__ import annotations

from typing import Any, ClassVar

import asyncodm
from asyncodm.compat.mongomotor.queryset import QuerySet

__all__ = ["Document", "DynamicDocument", "DynamicEmbeddedDocument", "EmbeddedDocument"]


class Document(asyncodm.Document):
    """A MongoMotor ``Document``: an asyncodm document with MongoMotor's queryset."""

    meta: ClassVar[dict[str, Any]] = {"abstract": True, "queryset_class": QuerySet}


class DynamicDocument(asyncodm.DynamicDocument):
    """A MongoMotor ``DynamicDocument``: undeclared attributes are stored too."""

    meta: ClassVar[dict[str, Any]] = {"abstract": True, "queryset_class": QuerySet}


class EmbeddedDocument(asyncodm.EmbeddedDocument):
    """A MongoMotor ``EmbeddedDocument``."""

    meta: ClassVar[dict[str, Any]] = {"abstract": True}


class DynamicEmbeddedDocument(asyncodm.DynamicEmbeddedDocument):
    """A MongoMotor ``DynamicEmbeddedDocument``."""

    meta: ClassVar[dict[str, Any]] = {"abstract": True}
