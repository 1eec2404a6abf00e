"""``map_driver_errors`` on the error documents a real MongoDB sends (no server needed).

Each exception is built the way PyMongo builds it from the server's reply: a write error of an
``insert``/``update`` command becomes a ``DuplicateKeyError`` whose ``details`` is that write
error, a ``findAndModify`` reply becomes one whose ``details`` is the whole reply, and a bulk
insert's write errors become a ``BulkWriteError``. PyMongo's own helpers turn the documents into
exceptions, so these tests feed asyncodm exactly what the driver would.
"""

from __future__ import annotations

from typing import Any

import pytest
from bson import ObjectId
from pymongo import errors as pm_errors
from pymongo.bulk_shared import _raise_bulk_write_error
from pymongo.helpers_shared import _check_command_response, _check_write_command_response

from asyncodm import errors
from asyncodm._drivers import map_driver_errors
from asyncodm._drivers._errors import ERROR_MAP, ErrorRule

_ERRMSG = 'E11000 duplicate key error collection: db.users index: email_1 dup key: { email: "a@b" }'


def _write_error(**changes: Any) -> dict[str, Any]:
    """One entry of a write command's ``writeErrors``, as MongoDB 7 sends it."""
    return {
        "index": 0,
        "code": 11000,
        "errmsg": _ERRMSG,
        "keyPattern": {"email": 1},
        "keyValue": {"email": "a@b"},
        **changes,
    }


def _raised(fn: Any, *args: Any) -> BaseException:
    """The exception PyMongo's helper raises for a server reply."""
    with pytest.raises(pm_errors.PyMongoError) as caught:
        fn(*args)
    return caught.value


def _translated(exc: BaseException) -> errors.ODMError:
    with pytest.raises(errors.ODMError) as caught, map_driver_errors("main", "save", "db.users"):
        raise exc
    assert caught.value.__cause__ is exc
    return caught.value


def _not_unique(exc: BaseException) -> errors.NotUniqueError:
    err = _translated(exc)
    assert isinstance(err, errors.NotUniqueError)
    assert "'main'" in str(err) and "save" in str(err) and "db.users" in str(err)
    return err


def test_insert_write_error() -> None:
    reply = {"ok": 1, "n": 0, "writeErrors": [_write_error()]}
    exc = _raised(_check_write_command_response, reply)
    assert type(exc) is pm_errors.DuplicateKeyError
    err = _not_unique(exc)
    assert (err.index, err.value) == ("email_1", "a@b")
    assert "'email_1'" in str(err) and "'a@b'" in str(err)
    assert err.instance is None  # the seam knows no document; save() sets it


def test_find_and_modify_reply() -> None:
    reply = {
        "ok": 0,
        "errmsg": _ERRMSG,
        "code": 11000,
        "codeName": "DuplicateKey",
        "keyPattern": {"email": 1},
        "keyValue": {"email": "a@b"},
    }
    exc = _raised(_check_command_response, reply, 25)  # 25: the wire version of MongoDB 8
    assert type(exc) is pm_errors.DuplicateKeyError
    err = _not_unique(exc)
    assert (err.index, err.value) == ("email_1", "a@b")


def test_update_write_error_with_a_custom_index_name_and_compound_key() -> None:
    """Only the errmsg names a custom index; keyValue gives the compound value as a dict."""
    entry = _write_error(
        errmsg="E11000 duplicate key error collection: db.users index: by_team_email dup key: "
        '{ team: "x", email: "a@b" }',
        keyPattern={"team": 1, "email": 1},
        keyValue={"team": "x", "email": "a@b"},
    )
    exc = _raised(_check_write_command_response, {"ok": 1, "n": 0, "writeErrors": [entry]})
    err = _not_unique(exc)
    assert (err.index, err.value) == ("by_team_email", {"team": "x", "email": "a@b"})


def test_bulk_write_error_uses_its_duplicate_write_error() -> None:
    full_result: dict[str, Any] = {
        "writeErrors": [
            _write_error(
                index=1,
                errmsg="E11000 duplicate key error collection: db.users index: _id_ dup key: "
                "{ _id: ObjectId('5f1d7a2c9b1e8a3d4c5b6a79') }",
                keyPattern={"_id": 1},
                keyValue={"_id": ObjectId("5f1d7a2c9b1e8a3d4c5b6a79")},
                op={"_id": ObjectId("5f1d7a2c9b1e8a3d4c5b6a79")},
            )
        ],
        "writeConcernErrors": [],
        "nInserted": 1,
        "nUpserted": 0,
        "nMatched": 0,
        "nModified": 0,
        "nRemoved": 0,
        "upserted": [],
    }
    exc = _raised(_raise_bulk_write_error, full_result)
    assert type(exc) is pm_errors.BulkWriteError
    err = _not_unique(exc)
    assert (err.index, err.value) == ("_id_", ObjectId("5f1d7a2c9b1e8a3d4c5b6a79"))


def test_bulk_write_error_without_a_duplicate_is_an_operation_error() -> None:
    validation = {"index": 0, "code": 121, "errmsg": "Document failed validation"}
    full_result = {"writeErrors": [validation], "writeConcernErrors": [], "nInserted": 0}
    err = _translated(_raised(_raise_bulk_write_error, full_result))
    assert type(err) is errors.OperationError
    assert "BulkWriteError" in str(err)


def test_details_fall_back_to_the_errmsg() -> None:
    """Without keyPattern/keyValue, MongoDB's errmsg text still names index and value."""
    entry = {"index": 0, "code": 11000, "errmsg": _ERRMSG}
    err = _not_unique(_raised(_check_write_command_response, {"ok": 1, "writeErrors": [entry]}))
    assert (err.index, err.value) == ("email_1", "a@b")


def test_key_pattern_names_the_index_when_the_errmsg_does_not() -> None:
    entry = _write_error(errmsg="E11000 duplicate key error")
    err = _not_unique(_raised(_check_write_command_response, {"ok": 1, "writeErrors": [entry]}))
    assert (err.index, err.value) == ("email_1", "a@b")


@pytest.mark.parametrize(
    "errmsg",
    [
        "UNIQUE constraint failed: index 'idx_users_email'",
        "UNIQUE constraint failed: users._id",
    ],
)
def test_a_message_that_is_not_mongodb_s_names_nothing(errmsg: str) -> None:
    """A wire server that words duplicates its own way (SQLite's) still gives NotUniqueError,
    from the code, but the library does not parse its dialect: index and value stay None."""
    entry = {"index": 0, "code": 11000, "errmsg": errmsg, "op": {"_id": 1}}
    err = _not_unique(_raised(_check_write_command_response, {"ok": 1, "writeErrors": [entry]}))
    assert (err.index, err.value) == (None, None)
    assert "a unique index" in str(err)


def test_a_unique_index_build_over_duplicates() -> None:
    """An index build reports the duplicate as a command error: an ``OperationFailure`` with
    code 11000 (what a driver that does not single out DuplicateKeyError would raise)."""
    reply = {
        "ok": 0,
        "errmsg": "Index build failed: 4c0e...: Collection db.users ( 1f2e... ) :: caused by :: "
        "E11000 duplicate key error collection: db.users index: email_1 dup key: { email: null }",
        "code": 11000,
        "codeName": "DuplicateKey",
        "keyPattern": {"email": 1},
        "keyValue": {"email": None},
    }
    exc = pm_errors.OperationFailure(reply["errmsg"], 11000, reply)
    err = _not_unique(exc)
    assert (err.index, err.value) == ("email_1", None)


def test_the_table_is_ordered_subclass_first() -> None:
    """First match wins: no row may be shadowed by an earlier row for one of its bases."""
    rows: list[ErrorRule] = list(ERROR_MAP)
    for i, later in enumerate(rows):
        for earlier in rows[:i]:
            if earlier.when is None:
                assert not issubclass(later.driver_error, earlier.driver_error), (
                    f"{later.driver_error.__name__} is shadowed by {earlier.driver_error.__name__}"
                )
    assert rows[-1].driver_error is pm_errors.PyMongoError  # the catch-all comes last


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (pm_errors.NotPrimaryError("not primary", {"code": 10107}), errors.ConnectionFailure),
        (pm_errors.WaitQueueTimeoutError("pool full"), errors.ConnectionFailure),
        (pm_errors.WriteConcernError("w timeout", 64, {}), errors.OperationError),
        (pm_errors.OperationFailure("denied", 13), errors.OperationError),
        (pm_errors.CursorNotFound("gone", 43), errors.OperationError),
        (pm_errors.CollectionInvalid("exists"), errors.OperationError),
    ],
)
def test_each_row(exc: BaseException, expected: type[errors.ODMError]) -> None:
    err = _translated(exc)
    assert type(err) is expected
    assert "'main'" in str(err) and "save" in str(err)
