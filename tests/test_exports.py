"""The public surface is explicit: ``asyncodm.__all__`` and ``asyncodm.testing.__all__`` are pinned.

Adding or removing a public name is a deliberate change to this list (httpx pins its exports
the same way). The order is ruff's isort-style sort (RUF022): constants, then classes, then
functions, each alphabetical.
"""

from __future__ import annotations

import asyncodm
import asyncodm.testing

EXPORTS = [
    "CASCADE",
    "DENY",
    "DO_NOTHING",
    "NULLIFY",
    "PULL",
    "BaseField",
    "BigIntegerField",
    "BinaryField",
    "BooleanField",
    "CharField",
    "ComplexDateTimeField",
    "ConcurrencyError",
    "ConfigurationError",
    "ConnectionFailure",
    "DateField",
    "DateTimeField",
    "DecimalField",
    "DeleteRule",
    "DictField",
    "Document",
    "DoesNotExist",
    "DynamicDocument",
    "DynamicEmbeddedDocument",
    "DynamicField",
    "EmailField",
    "EmbeddedDocument",
    "EmbeddedDocumentField",
    "EmbeddedDocumentListField",
    "EnumField",
    "FieldDoesNotExist",
    "FieldFile",
    "File",
    "FileField",
    "FloatField",
    "GenericEmbeddedDocumentField",
    "GenericIPAddressField",
    "GenericReferenceField",
    "GeoPointField",
    "GeometryCollectionField",
    "GridFSStorage",
    "ImageField",
    "IntField",
    "IntegerField",
    "InvalidDocumentError",
    "InvalidModel",
    "JavaScriptField",
    "LineStringField",
    "ListField",
    "LongField",
    "LookUpError",
    "Manager",
    "MapField",
    "MigrationError",
    "ModelDoesNotExist",
    "MultiLineStringField",
    "MultiPointField",
    "MultiPolygonField",
    "MultipleObjectsReturned",
    "NotRegistered",
    "NotUniqueError",
    "ODMError",
    "ObjectIdField",
    "OperationError",
    "OrderedDictField",
    "PointField",
    "PolygonField",
    "Q",
    "QuerySet",
    "QuerySetManager",
    "Ref",
    "RefDict",
    "RefList",
    "ReferenceField",
    "RegularExpressionField",
    "SequenceField",
    "SortedListField",
    "Storage",
    "StringField",
    "TimestampField",
    "URLField",
    "UUIDField",
    "ValidationError",
    "collection_options",
    "connect",
    "disconnect",
    "disconnect_all",
    "ensure_indexes",
    "fetch_dbref",
    "get_client",
    "get_db",
    "no_auto_dereference",
    "queryset_manager",
    "run_in_transaction",
    "signals",
    "switch_collection",
    "switch_connection",
    "switch_db",
    "transaction",
]


def _isort_key(name: str) -> tuple[int, str]:
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[0].isupper() else 2
    return kind, name


def test_the_exports_are_pinned() -> None:
    assert asyncodm.__all__ == EXPORTS


def test_the_exports_are_sorted_and_resolve() -> None:
    assert asyncodm.__all__ == sorted(asyncodm.__all__, key=_isort_key)
    assert [n for n in asyncodm.__all__ if not hasattr(asyncodm, n)] == []


def test_run_in_transaction_is_exported() -> None:
    from asyncodm._io._transactions import run_in_transaction

    assert asyncodm.run_in_transaction is run_in_transaction


def test_the_testing_kit_exports() -> None:
    assert asyncodm.testing.__all__ == [
        "CommandLog",
        "SentCommand",
        "assert_num_queries",
        "asyncodm_db",
        "capture_commands",
    ]
    assert [n for n in asyncodm.testing.__all__ if not hasattr(asyncodm.testing, n)] == []
