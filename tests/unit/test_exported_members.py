"""The public surface is pinned (httpx ``tests/test_exported_members.py``): ``asyncodm``
exports exactly these names, each defined, and a new public name is a deliberate edit here."""

from __future__ import annotations

import asyncodm
import asyncodm.testing

EXPORTED = [
    "CASCADE",
    "DENY",
    "DO_NOTHING",
    "MISSING",
    "NULLIFY",
    "PULL",
    "Avg",
    "BaseField",
    "BigIntegerField",
    "BinaryField",
    "BooleanField",
    "CharField",
    "ComplexDateTimeField",
    "ConcurrencyError",
    "ConfigurationError",
    "ConnectionFailure",
    "Count",
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
    "F",
    "FieldDoesNotExist",
    "FieldFile",
    "FieldSpec",
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
    "LazyLoadError",
    "LineStringField",
    "ListField",
    "LongField",
    "LookUpError",
    "Manager",
    "MapField",
    "Max",
    "MigrationError",
    "Min",
    "ModelDoesNotExist",
    "ModelSpec",
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
    "Sum",
    "TimestampField",
    "TypedInit",
    "URLField",
    "UUIDField",
    "ValidationError",
    "collection_options",
    "connect",
    "describe",
    "disconnect",
    "disconnect_all",
    "ensure_indexes",
    "fetch_dbref",
    "get_client",
    "get_db",
    "no_auto_dereference",
    "no_lazy_loading",
    "queryset_manager",
    "run_in_transaction",
    "signals",
    "switch_collection",
    "switch_connection",
    "switch_db",
    "transaction",
]


def test_asyncodm_exports_exactly_the_pinned_names() -> None:
    assert asyncodm.__all__ == EXPORTED


def test_every_exported_name_is_defined() -> None:
    missing = [name for name in asyncodm.__all__ if not hasattr(asyncodm, name)]
    assert not missing


def test_the_model_description_is_public() -> None:
    # API.md §11: describe(), its two records and the MISSING default marker.
    assert {"describe", "FieldSpec", "ModelSpec", "MISSING"} <= set(asyncodm.__all__)
    assert asyncodm.FieldSpec is asyncodm.fields.FieldSpec


def _isort_key(name: str) -> tuple[int, str]:
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[0].isupper() else 2
    return kind, name


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
