"""MongoKit, awaited: dict documents described by a ``structure``.

Stage: compat. ``from asyncodm.compat.mongokit import Document, OR, NOT, IS, Set, CustomType``
and MongoKit's exceptions (``SchemaTypeError``, ``StructureError``, ``RequireFieldError``...,
all subclasses of ``asyncodm.ValidationError``). A MongoKit document is an asyncodm document:
querysets (``Doc.objects``), indexes, delete rules, contexts and transactions work on it.

Example:
    ```python
    class Account(Document):
        __collection__ = "accounts"
        structure = {"name": str, "balance": {"foo": OR(str, int, float)}}
        required_fields = ["name"]


    acc = Account()
    acc["name"] = "x"
    acc.validate()
    await acc.save()
    await Account.find_one({"name": "x"})
    ```

Not carried over: ``Connection.register`` (connect with ``asyncodm.connect`` instead and name
the collection with ``__collection__``), autorefs, i18n, migrations and GridFS helpers.
"""

from __future__ import annotations

from asyncodm.compat.mongokit._document import Document, StructureField
from asyncodm.compat.mongokit._structure import STRUCTURE_KEYWORDS, DotedDict
from asyncodm.compat.mongokit._types import (
    AUTHORIZED_TYPES,
    IS,
    NOT,
    OR,
    AuthorizedTypeError,
    BadKeyError,
    CustomType,
    DuplicateRequiredError,
    MultipleResultsFound,
    RequireFieldError,
    SchemaOperator,
    SchemaTypeError,
    Set,
    StructureError,
    ValidationError,
)

__all__ = [
    "AUTHORIZED_TYPES",
    "IS",
    "NOT",
    "OR",
    "STRUCTURE_KEYWORDS",
    "AuthorizedTypeError",
    "BadKeyError",
    "CustomType",
    "Document",
    "DotedDict",
    "DuplicateRequiredError",
    "MultipleResultsFound",
    "RequireFieldError",
    "SchemaOperator",
    "SchemaTypeError",
    "Set",
    "StructureError",
    "StructureField",
    "ValidationError",
]
