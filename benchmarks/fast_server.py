"""A near-zero-cost MongoDB wire server for the benchmarks: ``python -m benchmarks.fast_server``.

Why it exists: nx-27017 spends about 0.5-0.7 ms per round trip in pure Python, which hides the
few microseconds an ODM adds per document; the end-to-end ratios then sit near 1x whatever the
ODM does. This server answers the same commands from memory with as little work as possible:
stored documents stay the raw BSON bytes the driver sent (an insert splits the OP_MSG document
sequence and keeps the slices; a find joins them back into the reply without decoding), and
only a filter on a field other than ``_id`` or an update decodes a document.

It speaks OP_MSG (document sequences included, ``moreToCome`` honoured, checksums skipped) and
OP_QUERY for a legacy handshake, reports a standalone 7.0 (``maxWireVersion`` 21) with logical
sessions and no compression, and covers what the benchmark workloads, the spec tasks and GridFS
send: the handshake, ``insert``/``update``/``delete``, ``find``/``getMore``/``killCursors``,
``count``, ``aggregate`` (``$match``, ``$sort``, ``$skip``, ``$limit``, ``$project``,
``$count``, ``$group``), ``findAndModify``, ``distinct``, collection and index admin. Filters:
equality on (dotted) fields, ``$in``/``$nin``/``$eq``/``$ne``/``$gt``/``$gte``/``$lt``/``$lte``/
``$exists``, ``$and``/``$or``/``$nor``. Indexes are recorded, never used or enforced (``_id`` is
unique). It is not a database: no durability, no transactions, no collation; an unknown
command or operator gets MongoDB's error document (``ok: 0``, ``errmsg``, ``code``,
``codeName``).

Usage: ``python -m benchmarks.fast_server [--host 127.0.0.1] [--port 0]``; it prints
``listening on HOST:PORT`` once it accepts connections (port 0 picks a free one).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import itertools
import re
import struct
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import bson
from bson import ObjectId
from bson.codec_options import CodecOptions, DatetimeConversion

__all__ = ["CommandError", "FastServer", "Store", "main", "serve"]

OP_REPLY = 1
OP_QUERY = 2004
OP_COMPRESSED = 2012
OP_MSG = 2013

MAX_BSON = 16 * 1024 * 1024
MAX_MESSAGE = 48_000_000
MAX_WRITE_BATCH = 100_000
#: A reply batch stops growing past this many bytes (MongoDB's 16 MiB rule).
BATCH_BYTES = MAX_BSON
#: The first batch of a find or aggregate without ``batchSize`` (MongoDB's default).
FIRST_BATCH = 101

_HEADER = struct.Struct("<iiii")
_INT32 = struct.Struct("<i")
_INT64 = struct.Struct("<q")
_DOUBLE = struct.Struct("<d")
#: Decode the way a driver does, but never fail on a datetime out of Python's range.
CODEC: CodecOptions[dict[str, Any]] = CodecOptions(
    datetime_conversion=DatetimeConversion.DATETIME_AUTO
)
_OK_TAIL = b"\x01ok\x00" + _DOUBLE.pack(1.0)
#: The stored first element of a document whose ``_id`` is an ObjectId (what drivers send).
_OID_ID = b"\x07_id\x00"


class CommandError(Exception):
    """A command failure, answered as MongoDB's error document."""

    def __init__(self, code: int, code_name: str, errmsg: str) -> None:
        super().__init__(errmsg)
        self.code, self.code_name, self.errmsg = code, code_name, errmsg

    def document(self) -> dict[str, Any]:
        return {"ok": 0.0, "errmsg": self.errmsg, "code": self.code, "codeName": self.code_name}


def _bad_value(msg: str) -> CommandError:
    return CommandError(2, "BadValue", msg)


# --- values: keys, paths, comparisons ---------------------------------------------------------


def _key(value: Any) -> Any:
    """A hashable stand-in for an ``_id`` value: equal for values MongoDB calls equal."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (Mapping, list, tuple)):
        return ("bson", bson.encode({"v": value}))
    return value


def _id_key_of(raw: bytes) -> Any:
    """The key of a stored document's ``_id``, without decoding it when it is an ObjectId first."""
    if raw[4:9] == _OID_ID:
        return ObjectId(raw[9:21])
    doc = bson.decode(raw, CODEC)
    if "_id" not in doc:
        raise KeyError("_id")
    return _key(doc["_id"])


def _with_id(raw: bytes) -> tuple[Any, bytes]:
    """``raw``'s key and bytes, an ObjectId ``_id`` prepended when it has none (as mongod)."""
    try:
        return _id_key_of(raw), raw
    except KeyError:
        oid = ObjectId()
        head = bson.encode({"_id": oid})
        body = head[4:-1] + raw[4:]
        return oid, _INT32.pack(len(body) + 4) + body


_MISSING = object()


def _get_path(doc: Any, path: str) -> Any:
    """The value at a dotted path, ``_MISSING`` if there is none (no array traversal)."""
    value = doc
    for part in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(part, _MISSING)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
        if value is _MISSING:
            return value
    return value


_RANKS: tuple[tuple[type, int], ...] = (
    (bool, 8),
    (int, 2),
    (float, 2),
    (str, 3),
    (Mapping, 4),
    (list, 5),
    (bytes, 6),
    (ObjectId, 7),
    (datetime.datetime, 9),
)


def _rank(value: Any) -> int:
    if value is None or value is _MISSING:
        return 1
    for cls, rank in _RANKS:
        if isinstance(value, cls):
            return rank
    return 10


def _sort_value(value: Any) -> tuple[int, Any]:
    """A key that orders values of different BSON types as MongoDB does (type first)."""
    rank = _rank(value)
    if rank == 1:
        return (1, 0)
    if rank in (4, 5):
        return (rank, bson.encode({"v": value}))
    if rank == 10:
        return (rank, repr(value))
    return (rank, value)


def _equal(a: Any, b: Any) -> bool:
    if _rank(a) != _rank(b):
        return False
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return list(a.items()) == list(b.items())
    return bool(a == b)


def _matches_value(value: Any, want: Any) -> bool:
    """Equality as a filter means it: an array matches if it or one of its elements equals."""
    if want is None and value is _MISSING:
        return True
    if _equal(value, want):
        return True
    return isinstance(value, list) and any(_equal(v, want) for v in value)


def _compare(value: Any, op: str, want: Any) -> bool:
    candidates = value if isinstance(value, list) else [value]
    for v in candidates:
        if v is _MISSING or _rank(v) != _rank(want):
            continue
        a, b = _sort_value(v), _sort_value(want)
        if (
            (op == "$gt" and a > b)
            or (op == "$gte" and a >= b)
            or (op == "$lt" and a < b)
            or (op == "$lte" and a <= b)
        ):
            return True
    return False


def _field_matches(value: Any, cond: Any) -> bool:
    if not (isinstance(cond, Mapping) and cond and next(iter(cond)).startswith("$")):
        if isinstance(cond, re.Pattern):
            return isinstance(value, str) and cond.search(value) is not None
        return _matches_value(value, cond)
    for op, arg in cond.items():
        if op == "$eq":
            ok = _matches_value(value, arg)
        elif op == "$ne":
            ok = not _matches_value(value, arg)
        elif op == "$in":
            ok = any(_matches_value(value, a) for a in arg)
        elif op == "$nin":
            ok = not any(_matches_value(value, a) for a in arg)
        elif op in ("$gt", "$gte", "$lt", "$lte"):
            ok = _compare(value, op, arg)
        elif op == "$exists":
            ok = (value is not _MISSING) == bool(arg)
        elif op == "$not":
            ok = not _field_matches(value, arg)
        else:
            raise _bad_value(f"unknown operator: {op}")
        if not ok:
            return False
    return True


def matches(doc: Mapping[str, Any], query: Mapping[str, Any]) -> bool:
    """Whether ``doc`` satisfies the filter ``query`` (the subset this server supports)."""
    for name, cond in query.items():
        if name == "$and":
            if not all(matches(doc, q) for q in cond):
                return False
        elif name == "$or":
            if not any(matches(doc, q) for q in cond):
                return False
        elif name == "$nor":
            if any(matches(doc, q) for q in cond):
                return False
        elif name in ("$comment", "$where", "$expr", "$text"):
            if name != "$comment":
                raise _bad_value(f"{name} is not supported by this server")
        elif not _field_matches(_get_path(doc, name), cond):
            return False
    return True


# --- updates ------------------------------------------------------------------------------------


def _parent(doc: dict[str, Any], path: str, create: bool) -> tuple[Any, str]:
    parts = path.split(".")
    node: Any = doc
    for part in parts[:-1]:
        if isinstance(node, list) and part.isdigit():
            index = int(part)
            while create and len(node) <= index:
                node.append(None)
            node = node[index] if index < len(node) else None
        elif isinstance(node, dict):
            if part not in node or node[part] is None:
                if not create:
                    return None, parts[-1]
                node[part] = {}
            node = node[part]
        else:
            return None, parts[-1]
        if node is None:
            return None, parts[-1]
    return node, parts[-1]


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    node, last = _parent(doc, path, create=True)
    if isinstance(node, list) and last.isdigit():
        index = int(last)
        while len(node) <= index:
            node.append(None)
        node[index] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise CommandError(28, "PathNotViable", f"Cannot create field in element for {path!r}")


def _unset(doc: dict[str, Any], path: str) -> None:
    node, last = _parent(doc, path, create=False)
    if isinstance(node, dict):
        node.pop(last, None)
    elif isinstance(node, list) and last.isdigit() and int(last) < len(node):
        node[int(last)] = None


def _number(value: Any, path: str, op: str) -> Any:
    if value is _MISSING:
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CommandError(14, "TypeMismatch", f"Cannot apply {op} to a non-numeric value {path}")
    return value


def apply_update(doc: dict[str, Any], update: Mapping[str, Any], inserting: bool) -> None:
    """Apply update operators to ``doc`` in place (``$setOnInsert`` only when inserting)."""
    for op, fields in update.items():
        for path, arg in fields.items():
            if path == "_id" and op not in ("$setOnInsert",) and not inserting:
                if op == "$set" and _equal(doc.get("_id"), arg):
                    continue
                raise CommandError(66, "ImmutableField", "Performing an update on the path '_id' "
                                   "would modify the immutable field '_id'")  # fmt: skip
            current = _get_path(doc, path)
            if op == "$set" or (op == "$setOnInsert" and inserting):
                _set(doc, path, arg)
            elif op == "$setOnInsert":
                continue
            elif op == "$unset":
                _unset(doc, path)
            elif op == "$inc":
                _set(doc, path, _number(current, path, op) + arg)
            elif op == "$mul":
                _set(doc, path, _number(current, path, op) * arg)
            elif op in ("$min", "$max"):
                if current is _MISSING or (
                    _sort_value(arg) < _sort_value(current)
                    if op == "$min"
                    else _sort_value(arg) > _sort_value(current)
                ):
                    _set(doc, path, arg)
            elif op == "$currentDate":
                now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
                _set(doc, path, now.replace(microsecond=now.microsecond // 1000 * 1000))
            elif op == "$rename":
                if current is not _MISSING:
                    _unset(doc, path)
                    _set(doc, arg, current)
            elif op in ("$push", "$addToSet", "$pull", "$pullAll", "$pop"):
                _array_op(doc, op, path, current, arg)
            else:
                raise CommandError(9, "FailedToParse", f"Unknown modifier: {op}")


def _array_op(doc: dict[str, Any], op: str, path: str, current: Any, arg: Any) -> None:
    if current is _MISSING:
        current = []
        if op in ("$push", "$addToSet"):
            _set(doc, path, current)
        else:
            return
    if not isinstance(current, list):
        raise CommandError(2, "BadValue", f"The field '{path}' must be an array")
    if op in ("$push", "$addToSet"):
        items = arg["$each"] if isinstance(arg, Mapping) and "$each" in arg else [arg]
        for item in items:
            if op == "$push" or not any(_equal(item, v) for v in current):
                current.append(item)
    elif op == "$pop":
        if current:
            current.pop(0 if arg == -1 else -1)
    else:
        drop = arg if op == "$pullAll" else [arg]
        current[:] = [
            v
            for v in current
            if not any(
                (isinstance(d, Mapping) and isinstance(v, Mapping) and matches(v, d))
                or _field_matches(v, d)
                for d in drop
            )
        ]


def _is_operator_update(update: Mapping[str, Any]) -> bool:
    return bool(update) and next(iter(update)).startswith("$")


def _equality_fields(query: Mapping[str, Any]) -> dict[str, Any]:
    """What an upsert copies from its filter: the top-level equalities (``$and`` included)."""
    out: dict[str, Any] = {}
    for name, cond in query.items():
        if name == "$and":
            for q in cond:
                out.update(_equality_fields(q))
        elif name.startswith("$"):
            continue
        elif isinstance(cond, Mapping) and cond and next(iter(cond)).startswith("$"):
            if "$eq" in cond:
                out[name] = cond["$eq"]
        else:
            out[name] = cond
    return out


def project(doc: dict[str, Any], projection: Mapping[str, Any] | None) -> dict[str, Any]:
    """A top-level inclusion or exclusion projection (nested paths act on their first part)."""
    if not projection:
        return doc
    spec = {k.split(".")[0]: v for k, v in projection.items()}
    include_id = bool(spec.pop("_id", True))
    if not spec:
        return {"_id": doc["_id"]} if include_id and "_id" in doc else {}
    if all(not v for v in spec.values() if not isinstance(v, Mapping)):
        return {k: v for k, v in doc.items() if k not in spec and (include_id or k != "_id")}
    out = {"_id": doc["_id"]} if include_id and "_id" in doc else {}
    out.update((k, doc[k]) for k in spec if k in doc and k != "_id")
    return out


# --- storage ------------------------------------------------------------------------------------


class Collection:
    """Raw documents by ``_id`` key in insertion order, decoded copies cached for filters."""

    __slots__ = ("decoded", "docs", "indexes", "options")

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        self.docs: dict[Any, bytes] = {}
        self.decoded: dict[Any, dict[str, Any]] = {}
        self.indexes: list[dict[str, Any]] = [{"v": 2, "key": {"_id": 1}, "name": "_id_"}]
        self.options = dict(options or {})

    def doc(self, key: Any) -> dict[str, Any]:
        """The decoded document (shared: callers must not change it)."""
        found = self.decoded.get(key)
        if found is None:
            found = self.decoded[key] = bson.decode(self.docs[key], CODEC)
        return found

    def put(self, key: Any, raw: bytes) -> None:
        self.docs[key] = raw
        self.decoded.pop(key, None)

    def remove(self, key: Any) -> None:
        del self.docs[key]
        self.decoded.pop(key, None)

    def select(self, query: Mapping[str, Any] | None) -> list[Any]:
        """The keys of the documents matching ``query``, in natural order."""
        if not query:
            return list(self.docs)
        if len(query) == 1 and "_id" in query:
            want = query["_id"]
            if not (isinstance(want, Mapping) and want and next(iter(want)).startswith("$")):
                key = _key(want)
                return [key] if key in self.docs else []
            if len(want) == 1 and "$in" in want:
                keys = dict.fromkeys(_key(v) for v in want["$in"])
                return [k for k in self.docs if k in keys] if len(keys) > 8 else [
                    k for k in keys if k in self.docs
                ]  # fmt: skip
        return [k for k in self.docs if matches(self.doc(k), query)]

    def sort(self, keys: list[Any], spec: Mapping[str, Any] | None) -> list[Any]:
        if not spec:
            return keys
        items = list(spec.items())
        if items == [("_id", 1)] or items == [("_id", -1)]:
            ids = [(self.doc(k)["_id"] if isinstance(k, tuple) else k, k) for k in keys]
            ids.sort(key=lambda pair: _sort_value(pair[0]), reverse=items[0][1] == -1)
            return [k for _, k in ids]
        for field, direction in reversed(items):
            if isinstance(direction, Mapping):  # {$meta: ...}: not supported, keep the order
                continue
            keys = sorted(
                keys,
                key=lambda k, f=field: _sort_value(_get_path(self.doc(k), f)),
                reverse=direction == -1,
            )
        return keys


class Cursor:
    __slots__ = ("docs", "ns", "pos")

    def __init__(self, ns: str, docs: list[bytes]) -> None:
        self.ns, self.docs, self.pos = ns, docs, 0


class Store:
    """Databases of collections, plus the open cursors: everything the server remembers."""

    def __init__(self) -> None:
        self.dbs: dict[str, dict[str, Collection]] = {}
        self.cursors: dict[int, Cursor] = {}
        self._cursor_ids = itertools.count(7_000_000_001)

    def coll(self, db: str, name: str, create: bool = False) -> Collection | None:
        colls = self.dbs.get(db)
        if colls is None:
            if not create:
                return None
            colls = self.dbs[db] = {}
        found = colls.get(name)
        if found is None and create:
            found = colls[name] = Collection()
        return found

    def new_cursor(self, ns: str, docs: list[bytes]) -> int:
        cid = next(self._cursor_ids)
        self.cursors[cid] = Cursor(ns, docs)
        return cid


# --- replies ------------------------------------------------------------------------------------


def _cstring_element(kind: bytes, name: str) -> bytes:
    return kind + name.encode() + b"\x00"


def _batch(docs: list[bytes], start: int, count: int | None) -> tuple[list[bytes], int]:
    """Up to ``count`` documents from ``start`` within ``BATCH_BYTES`` (at least one)."""
    end = len(docs) if count is None else min(len(docs), start + count)
    size = 0
    stop = start
    while stop < end:
        size += len(docs[stop])
        if size > BATCH_BYTES and stop > start:
            break
        stop += 1
    return docs[start:stop], stop


def cursor_reply(cid: int, ns: str, docs: list[bytes], first: bool) -> bytes:
    """``{cursor: {firstBatch|nextBatch: docs, id, ns}, ok: 1}`` built from the raw documents."""
    parts = []
    for i, raw in enumerate(docs):
        parts.append(b"\x03%d\x00" % i)
        parts.append(raw)
    array = b"".join(parts)
    ns_bytes = ns.encode()
    cursor = b"".join(
        (
            _cstring_element(b"\x04", "firstBatch" if first else "nextBatch"),
            _INT32.pack(len(array) + 5),
            array,
            b"\x00\x12id\x00",
            _INT64.pack(cid),
            b"\x02ns\x00",
            _INT32.pack(len(ns_bytes) + 1),
            ns_bytes,
            b"\x00",
        )
    )
    body = b"\x03cursor\x00" + _INT32.pack(len(cursor) + 5) + cursor + b"\x00" + _OK_TAIL
    return _INT32.pack(len(body) + 5) + body + b"\x00"


# --- the server ---------------------------------------------------------------------------------

Handler = Callable[["FastServer", str, dict[str, Any]], "dict[str, Any] | bytes"]
_COMMANDS: dict[str, Handler] = {}


def _command(*names: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for name in names:
            _COMMANDS[name.lower()] = fn
        return fn

    return register


class FastServer:
    """The command logic over one ``Store``; ``serve()`` puts it behind a socket."""

    def __init__(self) -> None:
        self.store = Store()
        self._request_ids = itertools.count(1)
        self.connections = itertools.count(1)

    # --- wire level ---

    def handle_message(self, msg: bytes, connection_id: int) -> bytes | None:
        """One whole wire message in, the reply message out (None for ``moreToCome``)."""
        _, request_id, _, op = _HEADER.unpack_from(msg)
        if op == OP_MSG:
            flags = _INT32.unpack_from(msg, 16)[0]
            end = len(msg) - 4 if flags & 1 else len(msg)
            cmd, sequences = self._sections(msg, 20, end)
            reply = self.run(cmd, sequences, connection_id)
            if flags & 2:
                return None
            payload = b"\x00\x00\x00\x00\x00" + reply
            return _HEADER.pack(16 + len(payload), next(self._request_ids), request_id, OP_MSG) + (
                payload
            )
        if op == OP_QUERY:
            return self._op_query(msg, request_id, connection_id)
        doc = CommandError(
            352, "UnsupportedOpQueryCommand", f"unsupported opcode {op}"
        ).document()  # e.g. OP_COMPRESSED: compression is never advertised
        payload = b"\x00\x00\x00\x00\x00" + bson.encode(doc)
        return _HEADER.pack(16 + len(payload), next(self._request_ids), request_id, OP_MSG) + (
            payload
        )

    @staticmethod
    def _sections(msg: bytes, pos: int, end: int) -> tuple[dict[str, Any], dict[str, list[bytes]]]:
        cmd: dict[str, Any] = {}
        sequences: dict[str, list[bytes]] = {}
        while pos < end:
            kind = msg[pos]
            pos += 1
            if kind == 0:
                size = _INT32.unpack_from(msg, pos)[0]
                cmd = bson.decode(msg[pos : pos + size], CODEC)
                pos += size
            else:
                size = _INT32.unpack_from(msg, pos)[0]
                stop = pos + size
                nul = msg.index(b"\x00", pos + 4)
                name = msg[pos + 4 : nul].decode()
                docs = sequences.setdefault(name, [])
                p = nul + 1
                while p < stop:
                    n = _INT32.unpack_from(msg, p)[0]
                    docs.append(msg[p : p + n])
                    p += n
                pos = stop
        return cmd, sequences

    def _op_query(self, msg: bytes, request_id: int, connection_id: int) -> bytes:
        nul = msg.index(b"\x00", 20)
        namespace = msg[20:nul].decode()
        pos = nul + 1 + 8  # numberToSkip, numberToReturn
        size = _INT32.unpack_from(msg, pos)[0]
        query = bson.decode(msg[pos : pos + size], CODEC)
        if "$query" in query:
            query = query["$query"]
        db = namespace.split(".", 1)[0]
        if not namespace.endswith(".$cmd"):
            doc = CommandError(352, "UnsupportedOpQueryCommand", "OP_QUERY finds are not "
                               "supported; use OP_MSG").document()  # fmt: skip
            reply = bson.encode(doc)
        else:
            reply = self.run({**query, "$db": db}, {}, connection_id)
        payload = struct.pack("<iqii", 0, 0, 0, 1) + reply
        return _HEADER.pack(16 + len(payload), next(self._request_ids), request_id, OP_REPLY) + (
            payload
        )

    def run(self, cmd: dict[str, Any], sequences: dict[str, list[bytes]], conn: int) -> bytes:
        """One command's reply document, as BSON; every failure becomes an error document."""
        if not cmd:
            return bson.encode(CommandError(9, "FailedToParse", "empty command").document())
        name = next(iter(cmd))
        handler = _COMMANDS.get(name.lower())
        try:
            if handler is None:
                raise CommandError(59, "CommandNotFound", f"no such command: '{name}'")
            cmd.update(sequences)
            cmd["$conn"] = conn
            reply = handler(self, cmd.get("$db", "test"), cmd)
        except CommandError as e:
            return bson.encode(e.document())
        except Exception as e:  # a bug here must answer, not hang the client
            doc = {"ok": 0.0, "errmsg": f"{type(e).__name__}: {e}", "code": 1,
                   "codeName": "InternalError"}  # fmt: skip
            return bson.encode(doc)
        return reply if isinstance(reply, bytes) else bson.encode(reply)

    # --- helpers ---

    def _coll(self, db: str, name: Any, create: bool = False) -> Collection | None:
        if not isinstance(name, str):
            raise CommandError(
                73, "InvalidNamespace", f"collection name must be a string: {name!r}"
            )
        return self.store.coll(db, name, create)

    def _cursor(
        self, ns: str, docs: list[bytes], batch_size: int | None, single: bool = False
    ) -> bytes:
        first, stop = _batch(docs, 0, FIRST_BATCH if batch_size is None else batch_size)
        cid = 0
        if stop < len(docs) and not single:
            cid = self.store.new_cursor(ns, docs)
            self.store.cursors[cid].pos = stop
        return cursor_reply(cid, ns, first, first=True)


def _decode_each(docs: Iterable[Any]) -> list[dict[str, Any]]:
    """Statements from a document sequence (bytes) or the command body (dicts)."""
    return [bson.decode(d, CODEC) if isinstance(d, bytes) else d for d in docs]


def _hello(server: FastServer, cmd: dict[str, Any], legacy: bool) -> dict[str, Any]:
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    reply: dict[str, Any] = {"ismaster": True} if legacy else {"isWritablePrimary": True}
    if cmd.get("helloOk"):
        reply["helloOk"] = True
    reply.update(
        {
            "maxBsonObjectSize": MAX_BSON,
            "maxMessageSizeBytes": MAX_MESSAGE,
            "maxWriteBatchSize": MAX_WRITE_BATCH,
            "localTime": now.replace(microsecond=now.microsecond // 1000 * 1000),
            "logicalSessionTimeoutMinutes": 30,
            "connectionId": cmd["$conn"],
            "minWireVersion": 0,
            "maxWireVersion": 21,
            "readOnly": False,
            "ok": 1.0,
        }
    )
    return reply


@_command("hello")
def _cmd_hello(server: FastServer, db: str, cmd: dict[str, Any]) -> dict[str, Any]:
    return _hello(server, cmd, legacy=False)


@_command("isMaster")
def _cmd_is_master(server: FastServer, db: str, cmd: dict[str, Any]) -> dict[str, Any]:
    return _hello(server, cmd, legacy=True)


_OK = bson.encode({"ok": 1.0})


@_command("ping", "endSessions", "refreshSessions", "killSessions", "killAllSessions")
def _cmd_ok(server: FastServer, db: str, cmd: dict[str, Any]) -> bytes:
    return _OK


@_command("buildInfo")
def _cmd_build_info(server: FastServer, db: str, cmd: dict[str, Any]) -> dict[str, Any]:
    return {"version": "7.0.0", "versionArray": [7, 0, 0, 0], "gitVersion": "benchmarks-fast",
            "bits": 64, "maxBsonObjectSize": MAX_BSON, "storageEngines": ["memory"],
            "modules": [], "ok": 1.0}  # fmt: skip


@_command("getLastError")
def _cmd_get_last_error(server: FastServer, db: str, cmd: dict[str, Any]) -> dict[str, Any]:
    return {"n": 0, "err": None, "ok": 1.0}


@_command("whatsmyuri")
def _cmd_whatsmyuri(server: FastServer, db: str, cmd: dict[str, Any]) -> dict[str, Any]:
    return {"you": "127.0.0.1:0", "ok": 1.0}


@_command("connectionStatus")
def _cmd_connection_status(server: FastServer, db: str, cmd: dict[str, Any]) -> dict[str, Any]:
    return {"authInfo": {"authenticatedUsers": [], "authenticatedUserRoles": []}, "ok": 1.0}


@_command("serverStatus", "hostInfo", "getCmdLineOpts", "getParameter")
def _cmd_status(server: FastServer, db: str, cmd: dict[str, Any]) -> dict[str, Any]:
    return {"host": "127.0.0.1", "version": "7.0.0", "process": "benchmarks.fast_server",
            "ok": 1.0}  # fmt: skip


@_command("listDatabases")
def _cmd_list_databases(server: FastServer, db: str, cmd: dict[str, Any]) -> dict[str, Any]:
    dbs = [{"name": n, "sizeOnDisk": 0, "empty": not c} for n, c in server.store.dbs.items()]
    if cmd.get("nameOnly"):
        dbs = [{"name": d["name"]} for d in dbs]
    return {"databases": dbs, "totalSize": 0, "ok": 1.0}


@_command("insert")
def _cmd_insert(server: FastServer, db: str, cmd: dict[str, Any]) -> dict[str, Any]:
    coll = server._coll(db, cmd["insert"], create=True)
    assert coll is not None
    docs = cmd.get("documents", [])
    ordered = cmd.get("ordered", True)
    stored = coll.docs
    decoded = coll.decoded
    errors: list[dict[str, Any]] = []
    n = 0
    for index, doc in enumerate(docs):
        raw = doc if isinstance(doc, bytes) else bson.encode(doc)
        key, raw = _with_id(raw)
        if key in stored:
            errors.append({
                "index": index, "code": 11000,
                "errmsg": f"E11000 duplicate key error collection: {db}.{cmd['insert']} index: "
                          f"_id_ dup key: {{ _id: {key!r} }}",
                "keyPattern": {"_id": 1}, "keyValue": {"_id": bson.decode(raw, CODEC)["_id"]},
            })  # fmt: skip
            if ordered:
                break
            continue
        stored[key] = raw
        decoded.pop(key, None)
        n += 1
    reply: dict[str, Any] = {"n": n, "ok": 1.0}
    if errors:
        reply["writeErrors"] = errors
    return reply


def _new_doc_for_upsert(query: Mapping[str, Any], update: Any) -> dict[str, Any]:
    base = {k: v for k, v in _equality_fields(query).items() if "." not in k}
    doc: dict[str, Any] = {}
    if isinstance(update, Mapping) and _is_operator_update(update):
        if "_id" in base:
            doc["_id"] = base["_id"]
        for k, v in _equality_fields(query).items():
            _set(doc, k, v)
        apply_update(doc, update, inserting=True)
    else:
        doc = dict(update)
        if "_id" not in doc and "_id" in base:
            doc = {"_id": base["_id"], **doc}
    if "_id" not in doc:
        doc = {"_id": ObjectId(), **doc}
    elif next(iter(doc)) != "_id":
        doc = {"_id": doc["_id"], **{k: v for k, v in doc.items() if k != "_id"}}
    return doc


def _updated(coll: Collection, key: Any, update: Any) -> dict[str, Any]:
    """The document ``key`` after ``update`` (operators or a replacement); not yet stored."""
    current = bson.decode(coll.docs[key], CODEC)
    if isinstance(update, list):
        raise CommandError(9, "FailedToParse", "pipeline updates are not supported")
    if _is_operator_update(update):
        apply_update(current, update, inserting=False)
        return current
    if "_id" in update and not _equal(update["_id"], current["_id"]):
        raise CommandError(66, "ImmutableField", "the (immutable) field '_id' was found to have "
                           "been altered")  # fmt: skip
    return {"_id": current["_id"], **{k: v for k, v in update.items() if k != "_id"}}


@_command("update")
def _cmd_update(server: FastServer, db: str, cmd: dict[str, Any]) -> dict[str, Any]:
    coll = server._coll(db, cmd["update"], create=True)
    assert coll is not None
    n = modified = 0
    upserted: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for index, stmt in enumerate(_decode_each(cmd.get("updates", []))):
        query, update = stmt.get("q", {}), stmt.get("u", {})
        try:
            keys = coll.select(query)
            if not stmt.get("multi"):
                keys = keys[:1]
            if not keys:
                if stmt.get("upsert"):
                    doc = _new_doc_for_upsert(query, update)
                    raw = bson.encode(doc)
                    key = _id_key_of(raw)
                    coll.put(key, raw)
                    n += 1
                    upserted.append({"index": index, "_id": doc["_id"]})
                continue
            for key in keys:
                raw = bson.encode(_updated(coll, key, update))
                n += 1
                if raw != coll.docs[key]:
                    coll.put(key, raw)
                    modified += 1
        except CommandError as e:
            errors.append({"index": index, "code": e.code, "errmsg": e.errmsg})
            if cmd.get("ordered", True):
                break
    reply: dict[str, Any] = {"n": n, "nModified": modified, "ok": 1.0}
    if upserted:
        reply["upserted"] = upserted
    if errors:
        reply["writeErrors"] = errors
    return reply


@_command("delete")
def _cmd_delete(server: FastServer, db: str, cmd: dict[str, Any]) -> dict[str, Any]:
    coll = server._coll(db, cmd["delete"])
    n = 0
    for stmt in _decode_each(cmd.get("deletes", [])):
        if coll is None:
            break
        keys = coll.select(stmt.get("q", {}))
        if stmt.get("limit", 0) == 1:
            keys = keys[:1]
        for key in keys:
            coll.remove(key)
        n += len(keys)
    return {"n": n, "ok": 1.0}


def _selected(
    coll: Collection | None, cmd: Mapping[str, Any], query_field: str = "filter"
) -> list[Any]:
    if coll is None:
        return []
    keys = coll.sort(coll.select(cmd.get(query_field)), cmd.get("sort"))
    skip = int(cmd.get("skip") or 0)
    limit = abs(int(cmd.get("limit") or 0))
    if skip:
        keys = keys[skip:]
    if limit:
        keys = keys[:limit]
    return keys


@_command("find")
def _cmd_find(server: FastServer, db: str, cmd: dict[str, Any]) -> bytes:
    name = cmd["find"]
    coll = server._coll(db, name)
    keys = _selected(coll, cmd)
    projection = cmd.get("projection")
    if coll is None:
        docs: list[bytes] = []
    elif projection:
        docs = [bson.encode(project(coll.doc(k), projection)) for k in keys]
    else:
        stored = coll.docs
        docs = [stored[k] for k in keys]
    single = bool(cmd.get("singleBatch")) or int(cmd.get("limit") or 0) < 0
    batch_size = cmd.get("batchSize")
    return server._cursor(f"{db}.{name}", docs, batch_size, single)


@_command("getMore")
def _cmd_get_more(server: FastServer, db: str, cmd: dict[str, Any]) -> bytes:
    cid = int(cmd["getMore"])
    cursor = server.store.cursors.get(cid)
    if cursor is None:
        raise CommandError(43, "CursorNotFound", f"cursor id {cid} not found")
    batch, stop = _batch(cursor.docs, cursor.pos, cmd.get("batchSize"))
    cursor.pos = stop
    if stop >= len(cursor.docs):
        del server.store.cursors[cid]
        cid = 0
    return cursor_reply(cid, cursor.ns, batch, first=False)


@_command("killCursors")
def _cmd_kill_cursors(server: FastServer, db: str, cmd: dict[str, Any]) -> dict[str, Any]:
    killed, missing = [], []
    for cid in cmd.get("cursors", []):
        (killed if server.store.cursors.pop(int(cid), None) else missing).append(cid)
    return {"cursorsKilled": killed, "cursorsNotFound": missing, "cursorsAlive": [],
            "cursorsUnknown": [], "ok": 1.0}  # fmt: skip


@_command("count")
def _cmd_count(server: FastServer, db: str, cmd: dict[str, Any]) -> dict[str, Any]:
    coll = server._coll(db, cmd["count"])
    return {"n": len(_selected(coll, cmd, "query")), "ok": 1.0}


@_command("distinct")
def _cmd_distinct(server: FastServer, db: str, cmd: dict[str, Any]) -> dict[str, Any]:
    coll = server._coll(db, cmd["distinct"])
    values: list[Any] = []
    seen: set[Any] = set()
    for key in coll.select(cmd.get("query")) if coll is not None else []:
        value = _get_path(coll.doc(key), cmd["key"])  # type: ignore[union-attr]
        for v in value if isinstance(value, list) else [value]:
            if v is not _MISSING and _key(v) not in seen:
                seen.add(_key(v))
                values.append(v)
    return {"values": values, "ok": 1.0}


def _group(docs: list[dict[str, Any]], spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    def value(doc: dict[str, Any], expr: Any) -> Any:
        if isinstance(expr, str) and expr.startswith("$"):
            found = _get_path(doc, expr[1:])
            return None if found is _MISSING else found
        return expr

    groups: dict[Any, dict[str, Any]] = {}
    for doc in docs:
        gid = value(doc, spec["_id"])
        out = groups.setdefault(_key(gid), {"_id": gid})
        for field, acc in spec.items():
            if field == "_id":
                continue
            (op, expr), = acc.items()  # fmt: skip
            v = value(doc, expr)
            if op == "$sum":
                out[field] = out.get(field, 0) + (v if isinstance(v, (int, float)) else 0)
            elif op in ("$max", "$min"):
                old = out.get(field, _MISSING)
                if old is _MISSING or (v > old if op == "$max" else v < old):
                    out[field] = v
            elif op == "$first":
                out.setdefault(field, v)
            elif op == "$last":
                out[field] = v
            elif op == "$push":
                out.setdefault(field, []).append(v)
            else:
                raise CommandError(15952, "Location15952", f"unknown group operator '{op}'")
    return list(groups.values())


def _is_count_group(stage: Mapping[str, Any]) -> bool:
    """``{$group: {_id: <constant>, n: {$sum: 1}}}``: what ``count_documents`` sends."""
    group = stage.get("$group")
    if not isinstance(group, Mapping) or len(group) != 2 or "_id" not in group:
        return False
    gid = group["_id"]
    return not (
        isinstance(gid, (str, Mapping)) and (not isinstance(gid, str) or gid[:1] == "$")
    ) and ([v for k, v in group.items() if k != "_id"] == [{"$sum": 1}])


def _run_stages(docs: list[dict[str, Any]], pipeline: list[Any]) -> list[dict[str, Any]]:
    for stage in pipeline:
        op, arg = next(iter(stage.items()))
        if op == "$match":
            docs = [d for d in docs if matches(d, arg)]
        elif op == "$sort":
            for field, direction in reversed(list(arg.items())):
                docs.sort(key=lambda d, f=field: _sort_value(_get_path(d, f)),
                          reverse=direction == -1)  # fmt: skip
        elif op == "$skip":
            docs = docs[int(arg) :]
        elif op == "$limit":
            docs = docs[: int(arg)]
        elif op == "$project":
            docs = [project(d, arg) for d in docs]
        elif op == "$count":
            docs = [{arg: len(docs)}] if docs else []
        elif op == "$group":
            docs = _group(docs, arg)
        else:
            raise CommandError(40324, "Location40324", f"Unrecognized pipeline stage name: "
                               f"'{op}' (not supported by this server)")  # fmt: skip
    return docs


@_command("aggregate")
def _cmd_aggregate(server: FastServer, db: str, cmd: dict[str, Any]) -> bytes:
    name = cmd["aggregate"]
    if not isinstance(name, str):
        raise CommandError(73, "InvalidNamespace", "database-level aggregate is not supported")
    coll = server._coll(db, name)
    pipeline = list(cmd.get("pipeline", []))
    batch_size = (cmd.get("cursor") or {}).get("batchSize")
    ns = f"{db}.{name}"
    if coll is None:
        return server._cursor(ns, [], batch_size)
    # Leading $match/$sort/$skip/$limit work on keys over the raw documents; a count at the end
    # (count_documents, $count) never decodes a document.
    keys = coll.select(pipeline.pop(0)["$match"] if pipeline and "$match" in pipeline[0] else None)
    while pipeline and next(iter(pipeline[0])) in ("$sort", "$skip", "$limit"):
        op, arg = next(iter(pipeline.pop(0).items()))
        if op == "$sort":
            keys = coll.sort(keys, arg)
        elif op == "$skip":
            keys = keys[int(arg) :]
        else:
            keys = keys[: int(arg)]
    if not pipeline:
        raws = [coll.docs[k] for k in keys]
    elif len(pipeline) == 1 and "$count" in pipeline[0]:
        raws = [bson.encode({pipeline[0]["$count"]: len(keys)})] if keys else []
    elif len(pipeline) == 1 and _is_count_group(pipeline[0]):
        group = pipeline[0]["$group"]
        field = next(k for k in group if k != "_id")
        raws = [bson.encode({"_id": group["_id"], field: len(keys)})] if keys else []
    else:
        docs = [bson.decode(coll.docs[k], CODEC) for k in keys]
        raws = [bson.encode(d) for d in _run_stages(docs, pipeline)]
    return server._cursor(ns, raws, batch_size)


@_command("findAndModify")
def _cmd_find_and_modify(server: FastServer, db: str, cmd: dict[str, Any]) -> dict[str, Any]:
    name = cmd["findAndModify"]
    coll = server._coll(db, name, create=True)
    assert coll is not None
    query = cmd.get("query") or {}
    keys = coll.sort(coll.select(query), cmd.get("sort"))[:1]
    fields = cmd.get("fields")
    last: dict[str, Any] = {"n": 0}
    value: dict[str, Any] | None = None
    if cmd.get("remove"):
        if keys:
            value = dict(coll.doc(keys[0]))
            coll.remove(keys[0])
            last["n"] = 1
    elif keys:
        before = bson.decode(coll.docs[keys[0]], CODEC)
        after = _updated(coll, keys[0], cmd.get("update") or {})
        coll.put(keys[0], bson.encode(after))
        value = after if cmd.get("new") else before
        last.update(n=1, updatedExisting=True)
    elif cmd.get("upsert"):
        doc = _new_doc_for_upsert(query, cmd.get("update") or {})
        raw = bson.encode(doc)
        coll.put(_id_key_of(raw), raw)
        value = doc if cmd.get("new") else None
        last.update(n=1, updatedExisting=False, upserted=doc["_id"])
    return {
        "lastErrorObject": last,
        "value": None if value is None else project(value, fields),
        "ok": 1.0,
    }


@_command("create")
def _cmd_create(server: FastServer, db: str, cmd: dict[str, Any]) -> dict[str, Any]:
    name = cmd["create"]
    if server._coll(db, name) is not None:
        raise CommandError(48, "NamespaceExists", f"Collection {db}.{name} already exists.")
    options = {k: v for k, v in cmd.items() if k not in ("create", "$db", "lsid", "$conn")}
    server.store.dbs.setdefault(db, {})[name] = Collection(options)
    return {"ok": 1.0}


@_command("drop")
def _cmd_drop(server: FastServer, db: str, cmd: dict[str, Any]) -> dict[str, Any]:
    dropped = server.store.dbs.get(db, {}).pop(cmd["drop"], None)
    indexes = len(dropped.indexes) if dropped is not None else 0
    return {"ns": f"{db}.{cmd['drop']}", "nIndexesWas": indexes, "ok": 1.0}


@_command("dropDatabase")
def _cmd_drop_database(server: FastServer, db: str, cmd: dict[str, Any]) -> dict[str, Any]:
    server.store.dbs.pop(db, None)
    return {"dropped": db, "ok": 1.0}


@_command("listCollections")
def _cmd_list_collections(server: FastServer, db: str, cmd: dict[str, Any]) -> bytes:
    infos = []
    for name, coll in server.store.dbs.get(db, {}).items():
        info: dict[str, Any] = {"name": name, "type": "collection"}
        if not cmd.get("nameOnly"):
            info.update(options=coll.options, info={"readOnly": False},
                        idIndex={"v": 2, "key": {"_id": 1}, "name": "_id_"})  # fmt: skip
        if matches(info, cmd.get("filter") or {}):
            infos.append(bson.encode(info))
    batch_size = (cmd.get("cursor") or {}).get("batchSize")
    return server._cursor(f"{db}.$cmd.listCollections", infos, batch_size)


@_command("listIndexes")
def _cmd_list_indexes(server: FastServer, db: str, cmd: dict[str, Any]) -> bytes:
    coll = server._coll(db, cmd["listIndexes"])
    if coll is None:
        raise CommandError(26, "NamespaceNotFound", f"ns does not exist: {db}.{cmd['listIndexes']}")
    batch_size = (cmd.get("cursor") or {}).get("batchSize")
    docs = [bson.encode(spec) for spec in coll.indexes]
    return server._cursor(f"{db}.{cmd['listIndexes']}", docs, batch_size)


@_command("createIndexes")
def _cmd_create_indexes(server: FastServer, db: str, cmd: dict[str, Any]) -> dict[str, Any]:
    existed = server._coll(db, cmd["createIndexes"]) is not None
    coll = server._coll(db, cmd["createIndexes"], create=True)
    assert coll is not None
    before = len(coll.indexes)
    names = {spec["name"] for spec in coll.indexes}
    for spec in _decode_each(cmd.get("indexes", [])):
        if spec.get("name") not in names:
            coll.indexes.append({"v": 2, **spec})
            names.add(spec.get("name"))
    return {"createdCollectionAutomatically": not existed, "numIndexesBefore": before,
            "numIndexesAfter": len(coll.indexes), "ok": 1.0}  # fmt: skip


@_command("dropIndexes")
def _cmd_drop_indexes(server: FastServer, db: str, cmd: dict[str, Any]) -> dict[str, Any]:
    coll = server._coll(db, cmd["dropIndexes"])
    if coll is None:
        raise CommandError(26, "NamespaceNotFound", f"ns not found {db}.{cmd['dropIndexes']}")
    before = len(coll.indexes)
    which = cmd.get("index")
    if which == "*":
        coll.indexes = coll.indexes[:1]
    else:
        names = which if isinstance(which, list) else [which]
        kept = [
            s for s in coll.indexes
            if s["name"] == "_id_" or (s["name"] not in names and s["key"] != which)
        ]  # fmt: skip
        if len(kept) == before:
            raise CommandError(27, "IndexNotFound", f"index not found with name [{which}]")
        coll.indexes = kept
    return {"nIndexesWas": before, "ok": 1.0}


# --- the socket ---------------------------------------------------------------------------------


class _Connection(asyncio.Protocol):
    """One client connection: whole messages are cut from the stream and answered in order."""

    def __init__(self, server: FastServer) -> None:
        self.server = server
        self.id = next(server.connections)
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        if not buffer and len(data) >= 4 and _INT32.unpack_from(data)[0] == len(data):
            self._answer(data)  # the usual case: exactly one request, nothing to copy
            return
        buffer += data
        while len(buffer) >= 4:
            size = _INT32.unpack_from(buffer)[0]
            if len(buffer) < size:
                return
            msg = bytes(buffer[:size])
            del buffer[:size]
            self._answer(msg)

    def _answer(self, msg: bytes) -> None:
        reply = self.server.handle_message(msg, self.id)
        if reply is not None and self.transport is not None:
            self.transport.write(reply)


async def serve(host: str, port: int, server: FastServer | None = None) -> asyncio.Server:
    """Listen on ``host:port`` (0: a free port) in the running loop."""
    logic = server or FastServer()
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: _Connection(logic), host, port, reuse_address=True)


async def _main(host: str, port: int) -> None:
    listener = await serve(host, port)
    bound = listener.sockets[0].getsockname()[1]
    print(f"listening on {host}:{bound}", flush=True)
    async with listener:
        await listener.serve_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fast_server", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--host", default="127.0.0.1", help="loopback by default: never expose it")
    parser.add_argument("--port", type=int, default=0, help="0 (default): a free port")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(args.host, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
