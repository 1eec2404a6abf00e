"""Test backends: which databases the suite runs on, what each can do, and how to start them.

The ``backend`` fixture (``tests/conftest.py``) runs an integration test once per variant:

==================  ========  =========  ==============================================
variant             driver    server     notes
==================  ========  =========  ==============================================
``mongomock``       mongomock mongomock  mongomock-motor, in process (Motor's API)
``nx-pymongo``      pymongo   nx         nx-27017 wire server, ``AsyncMongoClient``
``nx-motor``        motor     nx         same server, ``AsyncIOMotorClient``
``mongodb-pymongo`` pymongo   mongodb    only when ``ASYNCODM_TEST_MONGODB_URI`` is set
``mongodb-motor``   motor     mongodb    only when ``ASYNCODM_TEST_MONGODB_URI`` is set
==================  ========  =========  ==============================================

No backend but a real MongoDB is faithful (``shared/test-backends/README.md`` has the 137-check
matrix this table is drawn from). A test states what it relies on with
``@pytest.mark.needs("capability", ...)`` and is skipped, with the reason, where that is missing;
a known, specific divergence is ``@pytest.mark.xfail_backend("nx", reason="...",
raises=AssertionError)`` (strict, so a fix upstream shows up; ``raises=`` is required and names
the exception the divergence causes, so any other error still fails the test). The real server has every capability.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Literal, NamedTuple

from pymongo import monitoring

Driver = Literal["pymongo", "motor", "mongomock"]
Server = Literal["mongomock", "nx", "mongodb"]

#: Where a real MongoDB for the test suite lives (never ``MONGODB_URI``: tests drop databases).
REAL_MONGODB_ENV: Final = "ASYNCODM_TEST_MONGODB_URI"

# --------------------------------------------------------------------------------------------
# Capabilities: name -> what a test relying on it expects. Each backend lacks some; the why is
# printed in the skip reason.

CAPABILITIES: Final[Mapping[str, str]] = {
    # connection and server behaviour
    "core_crud": "insert/find/update/delete, upsert, find_one_and_*, $set $unset $inc $min $max "
    "$pull $pop $setOnInsert, counts",
    "command_monitoring": "a pymongo CommandListener sees every command (backend.commands, "
    "backend.query_counter())",
    "network": "a real socket: server selection, pools, timeouts, ServerSelectionTimeoutError",
    "server_errors": "server-side failures raise pymongo's OperationFailure/WriteError classes",
    "error_codes": "MongoDB's exact error codes (2, 9, 14, 27, 40, 48, 66, 121, 40324)",
    "dup_key_details": "DuplicateKeyError.details has keyPattern/keyValue (_id and secondary)",
    "server_version": "client.server_info() reports the server version",
    "sessions": "start_session() and operations with session=",
    "transactions": "start_transaction commit/abort and with_transaction (abort rolls back)",
    "transaction_isolation": "writes inside an open transaction are invisible to others",
    "change_streams": "collection.watch() delivers insert/update/delete events",
    "change_stream_fidelity": "change events keep documentKey types and updateDescription",
    "gridfs_async": "the driver's async GridFS bucket (upload, download, find, delete)",
    "explain": "cursor.explain() returns a query plan",
    "comment": "comment= and max_time_ms= are accepted on queries",
    "hint_validation": "an unknown hint raises OperationFailure",
    "collation": "collation is honoured by queries, sorts and indexes",
    "text_search": "$text queries, textScore sort, text indexes",
    "geo": "$near, $geoWithin, $geoIntersects, $geoNear",
    "capped": "capped collections (size/max options, eviction)",
    "validators": "$jsonSchema validators and collMod",
    "rename_collection": "collection.rename()",
    "list_collections_filter": "list_collection_names(filter=...)",
    "create_collection_async": "db.create_collection() returns an async collection",
    "sql_keyword_collections": "collections named order, group, select, index, exists",
    "to_list_length": "cursor.to_list(length) returns at most length documents",
    "field_order": "documents come back _id first, in stored field order",
    # queries
    "regex_objects": "re.compile / bson.Regex values in filters (also inside $in)",
    "query_not": "the $not operator",
    "array_index_paths": "array index paths such as tags.0 and items.0.name",
    "objectid_equality": "equality on an ObjectId-valued field other than _id ({author: oid})",
    "objectid_array_update": "$push/$pull of ObjectId values keep the array's ObjectIds intact",
    "objectid_count": "count_documents() with ObjectId values in the filter (even _id) counts them",
    "exact_subdoc_match": "equality with a whole embedded document or array",
    "exists_null": "$exists: true matches explicit nulls; $ne: null excludes missing fields",
    "query_type": "$type tells int, long, double and null apart",
    "mod": "the $mod operator",
    "array_dotted_range": "a dotted range (a.b > x, a.b <= y) over an array of subdocuments",
    "dict_id": "documents whose _id is itself a document can be queried",
    "int_id_sort": "sorting on an integer _id is numeric",
    "bson_sort_order": "BSON's cross-type sort order (null < numbers < strings < ...)",
    "distinct_dotted": "distinct() on a dotted path with a filter",
    # projections
    "nested_projection": "nested includes (a.b: 1) come back as nested documents",
    "slice_projection": "the $slice projection",
    "elemmatch_projection": "the $elemMatch projection",
    "positional_projection": "the positional projection arr.$",
    # updates
    "mul": "the $mul update operator",
    "dotted_rename": "$rename with dotted paths",
    "positional_update": "positional $ on subdocument fields and all-positional $[]",
    "array_filters": "filtered positional $[x] with array_filters",
    "push_modifiers": "$push with $each + $sort / $slice / $position",
    "add_to_set_missing": "$addToSet creates a missing array field",
    "add_to_set_each_dedup": "$addToSet with $each drops duplicates inside $each",
    "current_date_timestamp": "$currentDate with {$type: 'timestamp'}",
    "replace_upsert_id": "replace_one(upsert=True) takes _id from the filter",
    "pipeline_update": "pipeline-style updates ([{$set: ...}])",
    "update_conflicts": "conflicting update paths and $set of _id are rejected",
    "bulk_write": "collection.bulk_write() with mixed operations",
    # aggregation
    "aggregation": "$match $project $sort $skip $limit $group $count $unwind and expressions",
    "agg_id_types": "_id types survive $lookup/$unwind/$replaceRoot/$facet/find_one_and_replace",
    "agg_set_stages": "the $set, $unset and $addFields stages",
    "lookup": "$lookup with localField/foreignField",
    "lookup_pipeline": "$lookup with let/pipeline",
    "facet": "$facet output exactly as MongoDB shapes it",
    "replace_root": "$replaceRoot output exactly as MongoDB shapes it",
    "sort_by_count": "the $sortByCount stage",
    # BSON types
    "decimal128": "Decimal128 values round-trip",
    "decimal128_compare": "Decimal128 values compare, sort and $inc",
    "dbref": "DBRef values round-trip",
    "dbref_query": "queries on a DBRef's $id (ref.$id)",
    "regex_storage": "bson.Regex values are stored and come back as Regex",
    "timestamp": "bson.Timestamp values round-trip",
    "code": "bson.Code values come back as Code",
    "minmax_keys": "MinKey/MaxKey values round-trip",
    "float_special": "inf, -inf and NaN round-trip",
    "int64_identity": "Int64 stays Int64 and big ints become Int64",
    "uuid_standard": "uuidRepresentation='standard': UUIDs stored as Binary subtype 4, queryable",
    "binary_subtypes": "Binary subtype 0 decodes to bytes; other subtypes stay Binary",
    # indexes
    "index_unique": "unique indexes reject duplicates (DuplicateKeyError)",
    "index_metadata": "index names (field_1), key directions and options as MongoDB reports them",
    "unique_null": "a missing field collides with null in a non-sparse unique index",
    "sparse_index": "sparse indexes are reported and honoured",
    "partial_index": "partialFilterExpression is reported and enforced",
    "ttl_index": "expireAfterSeconds is reported",
    "special_indexes": "text, hashed, 2d and 2dsphere indexes are listed with their types",
    "unique_build_error": "building a unique index over duplicates raises (code 11000)",
    "index_errors": "dropping an unknown index or conflicting options raise OperationFailure",
}

#: Capability names used in shared/test-backends/README.md, accepted as aliases.
ALIASES: Final[Mapping[str, str]] = {
    "query_regex_objects": "regex_objects",
    "query_array_index_paths": "array_index_paths",
    "query_exact_subdoc_or_array": "exact_subdoc_match",
    "query_exists_null": "exists_null",
    "query_type_numeric": "query_type",
    "projection_nested": "nested_projection",
    "projection_slice": "slice_projection",
    "projection_elemmatch": "elemmatch_projection",
    "projection_positional": "positional_projection",
    "update_positional": "positional_update",
    "update_push_modifiers": "push_modifiers",
    "update_pipeline": "pipeline_update",
    "agg_basic": "aggregation",
    "agg_set_unset_stages": "agg_set_stages",
    "agg_lookup_pipeline": "lookup_pipeline",
    "agg_sortbycount": "sort_by_count",
    "index_names_and_metadata": "index_metadata",
    "index_unique_enforcement": "index_unique",
    "index_unique_null_semantics": "unique_null",
    "index_partial": "partial_index",
    "index_collation": "collation",
    "transactions_commit_abort": "transactions",
    "transactions_isolation": "transaction_isolation",
    "server_error_codes": "error_codes",
    "sql_keyword_collection_names": "sql_keyword_collections",
    "rename": "rename_collection",
}

_NO_TXN = "no sessions or transactions (NotImplementedError)"

#: What each server lacks, and why (from the test-backends matrix, nx-27017 0.8.1 and
#: mongomock-motor 0.0.36 / mongomock 4.3.0). A real MongoDB lacks nothing.
LACKS: Final[Mapping[Server, Mapping[str, str]]] = {
    "mongodb": {},
    "nx": {
        "error_codes": "server error codes mostly differ (unknown update operator -> 8, not 9): "
        "assert the exception class",
        "dup_key_details": "DuplicateKeyError has no keyPattern/keyValue; message names nx's index",
        "server_version": "server_info() has no version (command('buildInfo') has one)",
        "transaction_isolation": "no isolation: uncommitted writes are visible to other sessions",
        "change_stream_fidelity": "documentKey._id is stringified, updateDescription is None",
        "hint_validation": "an unknown hint is silently ignored",
        "collation": "collation is ignored",
        "text_search": "$text needs no index, negation is wrong, text indexes are not listed",
        "geo": "geo operators and $geoNear are not implemented",
        "capped": "capped options are ignored, nothing is evicted",
        "validators": "$jsonSchema validators and collMod are silently ignored",
        "rename_collection": "rename() does nothing and reports no error",
        "list_collections_filter": "list_collection_names(filter=) ignores the filter",
        "sql_keyword_collections": "SQLite syntax error for collections named order, group, ...",
        "regex_objects": "compiled patterns are rejected; only {'$regex': str} works",
        "query_not": "$not is not implemented",
        "array_index_paths": "tags.0 is 'malformed JSON'; items.0.name matches nothing",
        "objectid_equality": "{author: ObjectId(...)} and {$eq: ObjectId} match nothing ($in works); "
        "measured with pymongo 4.20 against nx-27017 0.8.1",
        "objectid_array_update": "$push of an ObjectId turns every ObjectId in the array into a "
        "JSON string ('{\"__neosqlite_objectid__\":true,...}')",
        "objectid_count": "count_documents({'_id': oid}) and {'f': {'$in': [oid]}} return 0",
        "exact_subdoc_match": "equality with a whole subdocument or array errors",
        "exists_null": "$exists: true skips explicit nulls; $ne: null matches missing fields",
        "query_type": "$type cannot tell int, long and double apart",
        "array_dotted_range": "a dotted range over an array of subdocuments matches nothing",
        "dict_id": "a document _id cannot be queried",
        "int_id_sort": "an integer _id sorts lexicographically (1, 10, 2)",
        "bson_sort_order": "MinKey/MaxKey cannot be stored; mixed types sort wrongly",
        "distinct_dotted": "distinct() on a dotted path with a filter returns []",
        "nested_projection": "nested includes come back as flat 'a.b' keys",
        "slice_projection": "the $slice projection errors",
        "elemmatch_projection": "the $elemMatch projection errors",
        "positional_projection": "the positional projection drops the field",
        "positional_update": "'$' works on scalar arrays only; '$[]' is a silent no-op",
        "push_modifiers": "$push ignores $sort and stringifies subdocuments",
        "add_to_set_missing": "$addToSet on a missing field creates nothing",
        "current_date_timestamp": "$currentDate {$type: 'timestamp'} gives a datetime",
        "replace_upsert_id": "replace_one(upsert=True) ignores the filter's _id",
        "pipeline_update": "pipeline-style updates fail (code 8)",
        "update_conflicts": "conflicting paths and $set of _id are accepted",
        "agg_id_types": "integer _ids come back as strings from pipelines and find_one_and_replace",
        "agg_set_stages": "the $set stage is not supported",
        "lookup": "$lookup results are wrong",
        "lookup_pipeline": "$lookup results are wrong",
        "facet": "$facet adds _id: 0",
        "replace_root": "$replaceRoot adds an _id",
        "sort_by_count": "$sortByCount results carry a stringified _id",
        "decimal128": "documents are JSON in SQLite: Decimal128 is rejected (WriteError 8)",
        "decimal128_compare": "Decimal128 is rejected (WriteError 8)",
        "dbref": "documents are JSON in SQLite: DBRef is rejected (WriteError 8)",
        "dbref_query": "DBRef is rejected (WriteError 8)",
        "regex_storage": "bson.Regex is rejected (WriteError 8)",
        "timestamp": "bson.Timestamp is rejected (WriteError 8)",
        "code": "Code comes back as str",
        "minmax_keys": "MinKey/MaxKey are rejected (WriteError 8)",
        "float_special": "inf and NaN are rejected (WriteError 8)",
        "int64_identity": "a small Int64 comes back as int",
        "uuid_standard": "Binary subtype 4 is lost; a UUID cannot be queried back",
        "binary_subtypes": "Binary subtypes other than 0 come back as bytes",
        "index_metadata": "indexes are renamed idx_<collection>_<fields>; directions and options "
        "are lost",
        "unique_null": "a missing field never collides in a unique index",
        "sparse_index": "sparse is not reported",
        "partial_index": "partialFilterExpression is neither reported nor enforced",
        "special_indexes": "text, hashed, 2d, 2dsphere indexes are listed as plain ascending",
        "unique_build_error": "a unique build over duplicates raises without code 11000",
        "index_errors": "unknown drop_index and conflicting options raise nothing",
    },
    "mongomock": {
        "command_monitoring": "in-process fake: there are no wire commands to observe",
        "network": "in-process fake: no connection, pool or server selection",
        "server_errors": "raises NotImplementedError/ValueError/TypeError, not OperationFailure",
        "error_codes": "raises Python exceptions without server codes",
        "dup_key_details": "keyPattern/keyValue only for secondary unique indexes, not _id",
        "sessions": _NO_TXN,
        "transactions": _NO_TXN,
        "transaction_isolation": _NO_TXN,
        "change_streams": "no watch()",
        "change_stream_fidelity": "no watch()",
        "gridfs_async": "no async GridFS bucket (sync gridfs only, via enabled_gridfs_integration)",
        "explain": "cursors have no explain()",
        "comment": "comment= is rejected ('Unrecognized field')",
        "hint_validation": "an unknown hint is silently ignored",
        "collation": "collation is not supported",
        "text_search": "$text is not implemented",
        "geo": "geo operators are not implemented",
        "capped": "create_collection options are not supported",
        "validators": "create_collection options are not supported; collMod cannot be issued",
        "create_collection_async": "create_collection() returns a synchronous mongomock Collection",
        "to_list_length": "to_list(length) ignores length",
        "field_order": "_id comes last; subdocument equality ignores field order",
        "query_type": "$type 'null' and numeric $type codes are not implemented",
        "mod": "$mod is reported as an unknown operator",
        "array_dotted_range": "a dotted range over an array of subdocuments is evaluated wrongly",
        "bson_sort_order": "MinKey and Decimal128 cannot be sorted",
        "slice_projection": "the $slice projection drops the other fields",
        "positional_projection": "the positional projection is not implemented",
        "mul": "$mul is not implemented",
        "dotted_rename": "$rename with dotted paths is not implemented",
        "positional_update": "positional updates are not implemented",
        "array_filters": "array_filters are not implemented",
        "add_to_set_each_dedup": "$addToSet $each keeps duplicates inside $each",
        "pipeline_update": "pipeline updates ($set/$unset stages) are not implemented",
        "update_conflicts": "conflicting paths and $set of _id are accepted",
        "bulk_write": "bulk_write fails on PyMongo 4.20 (UpdateOne passes sort= to mongomock)",
        "agg_set_stages": "the $unset stage is not implemented",
        "lookup_pipeline": "$lookup let/pipeline is not implemented",
        "sort_by_count": "$sortByCount is not implemented",
        "decimal128_compare": "Decimal128 cannot be compared or sorted",
        "dbref_query": "a query on ref.$id matches nothing",
        "regex_storage": "compiled patterns come back as re.Pattern, not Regex",
        "int64_identity": "big ints are not turned into Int64",
        "uuid_standard": "uuidRepresentation='standard' cannot be configured",
        "binary_subtypes": "Binary subtype 0 stays Binary instead of bytes",
        "index_errors": "errors for unknown drop_index / conflicting options carry no code",
    },
}


def canonical_capability(name: str) -> str | None:
    """The table's name for ``name`` (aliases resolved), or None if it is unknown."""
    name = ALIASES.get(name, name)
    return name if name in CAPABILITIES else None


def capabilities_of(server: Server) -> frozenset[str]:
    return frozenset(CAPABILITIES) - frozenset(LACKS[server])


# --------------------------------------------------------------------------------------------
# Variants


@dataclass(frozen=True)
class BackendSpec:
    name: str
    driver: Driver
    server: Server

    def matches(self, selector: str) -> bool:
        """Whether a marker selector ("nx", "motor", "nx-pymongo", ...) names this variant."""
        return selector in (self.name, self.driver, self.server)

    def lacks(self, capability: str) -> str | None:
        """Why this variant lacks ``capability`` (canonical name), or None if it has it."""
        return LACKS[self.server].get(capability)


SPECS: Final[Mapping[str, BackendSpec]] = {
    s.name: s
    for s in (
        BackendSpec("mongomock", "mongomock", "mongomock"),
        BackendSpec("nx-pymongo", "pymongo", "nx"),
        BackendSpec("nx-motor", "motor", "nx"),
        BackendSpec("mongodb-pymongo", "pymongo", "mongodb"),
        BackendSpec("mongodb-motor", "motor", "mongodb"),
    )
}


def backend_names() -> list[str]:
    """The variants this session runs: the three local ones, plus real MongoDB if configured."""
    names = ["mongomock", "nx-pymongo", "nx-motor"]
    if os.environ.get(REAL_MONGODB_ENV):
        names += ["mongodb-pymongo", "mongodb-motor"]
    return names


# --------------------------------------------------------------------------------------------
# Command recording (query counting)

#: Commands the driver sends on its own, never counted by ``query_counter``.
HOUSEKEEPING: Final = frozenset(
    {"endSessions", "hello", "isMaster", "ismaster", "killCursors", "saslStart", "saslContinue"}
)


class Command(NamedTuple):
    """One command a wire client sent: unpacks as ``(name, collection, doc)``."""

    name: str
    collection: str | None
    doc: dict[str, Any]


class CommandRecorder(monitoring.CommandListener):
    """Records every command a client starts.

    Passed to the client at creation, the only time PyMongo and Motor accept listeners. Motor
    calls it from its worker threads, so it only appends.
    """

    def __init__(self) -> None:
        self.commands: list[Command] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        cmd = event.command
        target = cmd.get(event.command_name)
        if event.command_name == "getMore":
            target = cmd.get("collection")
        collection = target if isinstance(target, str) else None
        self.commands.append(Command(event.command_name, collection, dict(cmd)))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


class QueryCounter:
    """Counts the commands sent inside a ``with`` block, MongoEngine's ``query_counter`` style.

    ``q == 1``, ``q < 3``, ``int(q)``, ``q.commands`` and ``q.names`` all work. Housekeeping
    (``endSessions``, ``killCursors``, handshakes) is not counted; ``getMore`` is (a round trip).
    """

    def __init__(self, recorder: CommandRecorder, ignore: frozenset[str]) -> None:
        self._recorder = recorder
        self._ignore = ignore
        self._start = 0
        self._end: int | None = None

    def __enter__(self) -> QueryCounter:
        self._start = len(self._recorder.commands)
        self._end = None
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._end = len(self._recorder.commands)

    async def __aenter__(self) -> QueryCounter:
        return self.__enter__()

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.__exit__(et, e, tb)

    @property
    def commands(self) -> list[Command]:
        seen = self._recorder.commands[self._start : self._end]
        return [c for c in seen if c.name not in self._ignore]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.commands]

    @property
    def count(self) -> int:
        return len(self.commands)

    def __int__(self) -> int:
        return self.count

    def __eq__(self, other: object) -> bool:
        if isinstance(other, int):
            return self.count == other
        return NotImplemented

    def __lt__(self, other: int) -> bool:
        return self.count < other

    def __le__(self, other: int) -> bool:
        return self.count <= other

    def __gt__(self, other: int) -> bool:
        return self.count > other

    def __ge__(self, other: int) -> bool:
        return self.count >= other

    __hash__ = None  # type: ignore[assignment]  # mutable counter: compares like its int

    def __repr__(self) -> str:
        return f"<QueryCounter {self.count}: {self.names}>"


# --------------------------------------------------------------------------------------------
# The object a test receives


@dataclass(eq=False)
class Backend:
    """One connected backend for one test: the raw driver objects plus what the server can do.

    ``asyncodm`` is already connected to ``db_name`` under the alias "default".
    """

    name: str
    driver: Driver
    server: Server
    client: Any
    db: Any
    db_name: str
    uri: str | None
    capabilities: frozenset[str]
    recorder: CommandRecorder = field(default_factory=CommandRecorder, repr=False)

    def has(self, capability: str) -> bool:
        canonical = canonical_capability(capability)
        if canonical is None:
            raise KeyError(f"unknown capability {capability!r} (see tests/_backends.py)")
        return canonical in self.capabilities

    @property
    def commands(self) -> list[Command]:
        """Commands sent since the last ``reset_commands()`` (always empty on mongomock)."""
        return self.recorder.commands

    def reset_commands(self) -> None:
        self.recorder.commands.clear()

    def query_counter(self, *, ignore: frozenset[str] = HOUSEKEEPING) -> QueryCounter:
        """Count the commands sent inside ``with backend.query_counter() as q:``.

        Mark such tests ``@pytest.mark.needs("command_monitoring")``: mongomock sends nothing.
        """
        if "command_monitoring" not in self.capabilities:
            raise RuntimeError(
                f"{self.name} records no commands: mark the test "
                '@pytest.mark.needs("command_monitoring")'
            )
        return QueryCounter(self.recorder, ignore)


def new_db_name() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


def make_client(spec: BackendSpec, uri: str | None, recorder: CommandRecorder) -> Any:
    """The raw driver client for the running event loop."""
    if spec.driver == "mongomock":
        from mongomock_motor import AsyncMongoMockClient

        return AsyncMongoMockClient()
    assert uri is not None
    if spec.driver == "pymongo":
        from pymongo import AsyncMongoClient

        return AsyncMongoClient(uri, uuidRepresentation="standard", event_listeners=[recorder])
    from motor.motor_asyncio import AsyncIOMotorClient

    return AsyncIOMotorClient(uri, uuidRepresentation="standard", event_listeners=[recorder])


async def maybe_await(value: Any) -> Any:
    """mongomock-motor makes some client methods coroutines and leaves others plain."""
    if inspect.isawaitable(value):
        return await value
    return value


async def close_client(client: Any) -> None:
    # PyMongo's async close() is a coroutine; Motor's and mongomock's are plain calls.
    await maybe_await(client.close())


async def drop_database(backend: Backend) -> None:
    """Drop the test's database, with a fresh client if teardown already closed the old one."""
    from pymongo.errors import InvalidOperation

    try:
        await maybe_await(backend.client.drop_database(backend.db_name))
    except InvalidOperation:  # the client was closed (e.g. by disconnect_all)
        spec = SPECS[backend.name]
        client = make_client(spec, backend.uri, CommandRecorder())
        try:
            await maybe_await(client.drop_database(backend.db_name))
        finally:
            await close_client(client)


# --------------------------------------------------------------------------------------------
# The nx-27017 server, one per test session (per xdist worker)


class NxServerError(RuntimeError):
    """nx-27017 failed to start or died; the message carries the tail of its log."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def nx_executable() -> Path:
    """The nx-27017 console script of the venv running the tests."""
    exe = Path(sys.executable).parent / "nx-27017"
    if not exe.exists():
        raise NxServerError(
            f"{exe} not found: install the test extra into this venv (pip install -e '.[test]')"
        )
    return exe


class NxServer:
    """An nx-27017 process, owned through its Popen handle only (never pkill, never -d)."""

    #: How many servers this process has started; the self-test checks it stays at one.
    launches: int = 0

    def __init__(self, workdir: Path, *, attempts: int = 3, ready_timeout: float = 20.0) -> None:
        self.workdir = workdir
        self.attempts = attempts
        self.ready_timeout = ready_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.output = workdir / "nx.out"  # stdout + stderr: every command is logged at INFO
        self.startup_seconds = 0.0

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?serverSelectionTimeoutMS=5000"

    def start(self) -> NxServer:
        exe = nx_executable()
        errors: list[str] = []
        for attempt in range(1, self.attempts + 1):
            began = time.monotonic()
            try:
                self._spawn(exe, attempt)
                self._wait_ready()
            except NxServerError as exc:
                errors.append(f"attempt {attempt}: {exc}")
                self._kill()
                continue
            self.startup_seconds = time.monotonic() - began
            type(self).launches += 1
            return self
        raise NxServerError("nx-27017 did not start:\n" + "\n".join(errors))

    def _spawn(self, exe: Path, attempt: int) -> None:
        self.port = free_port()
        run = self.workdir / f"run{attempt}"
        run.mkdir(parents=True, exist_ok=True)
        self.output = run / "nx.out"
        args = [
            str(exe), "--db", "memory", "--host", "127.0.0.1", "-p", str(self.port),
            "--pid-file", str(run / "nx.pid"), "--log-file", str(run / "nx.log"),
        ]  # fmt: skip
        with self.output.open("wb") as out:
            self.proc = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
            )

    def _wait_ready(self) -> None:
        from pymongo import MongoClient
        from pymongo.errors import PyMongoError

        deadline = time.monotonic() + self.ready_timeout
        while True:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise NxServerError(f"exited with {self.proc.returncode}\n{self.log_tail()}")
            client: MongoClient[dict[str, Any]] = MongoClient(
                f"mongodb://127.0.0.1:{self.port}/",
                serverSelectionTimeoutMS=200,
                connectTimeoutMS=200,
            )
            try:
                client.admin.command("ping")
                return
            except PyMongoError:
                if time.monotonic() > deadline:
                    raise NxServerError(
                        f"no answer on port {self.port} after {self.ready_timeout:.0f}s\n"
                        + self.log_tail()
                    ) from None
            finally:
                client.close()
            time.sleep(0.05)

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.output.read_text(errors="replace")
        except OSError:
            return "(no nx-27017 output)"
        tail = text.splitlines()[-lines:]
        return f"--- last {len(tail)} lines of {self.output} ---\n" + "\n".join(tail)

    def check_alive(self) -> None:
        """Fail loudly, with the log, if the server died under the tests."""
        if self.proc is None or self.proc.poll() is not None:
            code = None if self.proc is None else self.proc.returncode
            raise NxServerError(f"nx-27017 is not running (exit code {code})\n{self.log_tail()}")

    def stop(self) -> None:
        """Stop the server; raises NxServerError if it had already died."""
        if self.proc is None:
            return
        died = self.proc.poll() is not None
        self._kill()
        if died:
            raise NxServerError(
                f"nx-27017 died during the session (exit code {self.proc.returncode})\n"
                + self.log_tail()
            )

    def _kill(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def running_nx(workdir: Path) -> Iterator[NxServer]:
    server = NxServer(workdir).start()
    try:
        yield server
    finally:
        server.stop()
