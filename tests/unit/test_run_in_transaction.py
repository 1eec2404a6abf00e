"""``asyncodm.run_in_transaction``'s retry rules, against a scripted client adapter.

The fake stands in for the seam's ``ClientAdapter``: it records every session call and raises
the asyncodm errors the real adapters raise, translated (``translate``) from PyMongo errors that
carry the server's labels, exactly as ``map_driver_errors`` would hand them up. The clock, the
jitter and the backoff sleeps are module attributes of ``_transactions`` and are patched, so the
120-second limit is tested without waiting. Each rule mirrors PyMongo's
``AsyncClientSession.with_transaction``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import pytest
from pymongo import errors as pm_errors

import asyncodm
from asyncodm import errors
from asyncodm._context import current_session
from asyncodm._drivers import has_error_label, translate
from asyncodm._io import _transactions

TRANSIENT = "TransientTransactionError"
UNKNOWN = "UnknownTransactionCommitResult"


def labelled(
    *labels: str, code: int = 112, operation: str = "commit_transaction"
) -> errors.ODMError:
    """The asyncodm error an adapter raises for a server error carrying ``labels``."""
    driver = pm_errors.OperationFailure(
        "injected", code, {"ok": 0, "code": code, "errmsg": "injected", "errorLabels": list(labels)}
    )
    odm = translate(driver, "default", operation)
    odm.__cause__ = driver
    return odm


class FakeClient:
    """A ``ClientAdapter`` whose commits fail as scripted; it records the calls in order."""

    supports_sessions = True
    kind = "pymongo"

    def __init__(self, commit_errors: list[BaseException] | None = None) -> None:
        self.calls: list[str] = []
        self.commit_errors = list(commit_errors or [])
        self.session = object()

    async def start_session(self, **options: Any) -> Any:
        self.calls.append("start_session")
        return self.session

    async def start_transaction(self, session: Any, **options: Any) -> None:
        assert session is self.session
        self.calls.append(f"start_transaction{sorted(options)}" if options else "start_transaction")

    async def commit_transaction(self, session: Any) -> None:
        self.calls.append("commit")
        if self.commit_errors:
            raise self.commit_errors.pop(0)

    async def abort_transaction(self, session: Any) -> None:
        self.calls.append("abort")

    async def end_session(self, session: Any) -> None:
        self.calls.append("end_session")


class Clock:
    """``time.monotonic`` under the test's control; each backoff ``sleep`` advances it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(_transactions, "_monotonic", c)
    monkeypatch.setattr(_transactions, "_sleep", c.sleep)
    monkeypatch.setattr(_transactions, "_jitter", lambda: 1.0)
    return c


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Callable[..., FakeClient]:
    def make(cls: type[FakeClient] = FakeClient, **kwargs: Any) -> FakeClient:
        fake = cls(**kwargs)
        monkeypatch.setattr(_transactions, "get_client_adapter", lambda alias: fake)
        return fake

    return make


def test_labels_are_read_through_the_seam() -> None:
    err = labelled(TRANSIENT)
    assert isinstance(err, errors.OperationError)
    assert err.has_error_label(TRANSIENT) and not err.has_error_label(UNKNOWN)
    assert has_error_label(err, TRANSIENT)
    assert has_error_label(err.__cause__, TRANSIENT)  # the driver's own error answers too
    assert not errors.OperationError("raised by asyncodm itself").has_error_label(TRANSIENT)
    assert not has_error_label(ValueError("not a driver error"), TRANSIENT)


async def test_returns_fns_result_and_commits_once(client: Any, clock: Clock) -> None:
    fake = client()
    seen: list[Any] = []

    async def fn(a: int, b: int, *, scale: int) -> int:
        seen.append(current_session("default"))
        return (a + b) * scale

    assert await asyncodm.run_in_transaction(fn, 1, 2, scale=10) == 30
    assert seen == [fake.session]  # fn's ODM calls run in the transaction
    assert fake.calls == ["start_session", "start_transaction", "commit", "end_session"]
    assert current_session("default") is None
    assert clock.slept == []


async def test_transaction_options_go_to_the_driver_not_to_fn(client: Any, clock: Clock) -> None:
    fake = client()
    got: dict[str, Any] = {}

    async def fn(**kwargs: Any) -> None:
        got.update(kwargs)

    await asyncodm.run_in_transaction(fn, max_commit_time_ms=500, read_concern="rc", note="x")
    assert got == {"note": "x"}
    assert fake.calls[1] == "start_transaction['max_commit_time_ms', 'read_concern']"


async def test_transient_error_in_fn_reruns_it_in_a_new_transaction(
    client: Any, clock: Clock
) -> None:
    fake = client()
    attempts: list[int] = []

    async def fn() -> str:
        attempts.append(len(attempts) + 1)
        if len(attempts) < 3:
            raise labelled(TRANSIENT, code=112, operation="update_one")
        return "done"

    assert await asyncodm.run_in_transaction(fn) == "done"
    assert attempts == [1, 2, 3]
    assert fake.calls == [
        "start_session",
        *["start_transaction", "abort"] * 2,
        "start_transaction",
        "commit",
        "end_session",
    ]
    # PyMongo's backoff before each rerun: jitter * min(5 ms * 1.5**retry, 500 ms)
    assert clock.slept == pytest.approx([0.005 * 1.5, 0.005 * 1.5**2])


async def test_a_driver_error_raised_by_fn_itself_is_retried_too(client: Any, clock: Clock) -> None:
    """The function may call the driver directly; PyMongo's own labelled error counts like ours."""
    fake = client()
    runs = 0

    async def fn() -> None:
        nonlocal runs
        runs += 1
        if runs == 1:
            raise pm_errors.PyMongoError("write conflict", error_labels=[TRANSIENT])

    await asyncodm.run_in_transaction(fn)
    assert runs == 2 and fake.calls.count("commit") == 1


async def test_unknown_commit_result_retries_only_the_commit(client: Any, clock: Clock) -> None:
    fake = client(commit_errors=[labelled(UNKNOWN, code=91), labelled(UNKNOWN, code=189)])
    runs = 0

    async def fn() -> int:
        nonlocal runs
        runs += 1
        return 7

    assert await asyncodm.run_in_transaction(fn) == 7
    assert runs == 1
    assert fake.calls == [
        "start_session",
        "start_transaction",
        "commit",
        "commit",
        "commit",
        "end_session",
    ]


async def test_unknown_commit_result_after_max_time_expired_is_not_retried(
    client: Any, clock: Clock
) -> None:
    expired = labelled(UNKNOWN, code=50)  # MaxTimeMSExpired
    fake = client(commit_errors=[expired])

    async def fn() -> None:
        pass

    with pytest.raises(errors.OperationError) as caught:
        await asyncodm.run_in_transaction(fn)
    assert caught.value is expired
    assert fake.calls.count("commit") == 1 and fake.calls[-1] == "end_session"


async def test_transient_commit_error_reruns_fn(client: Any, clock: Clock) -> None:
    fake = client(commit_errors=[labelled(TRANSIENT, code=251)])
    runs = 0

    async def fn() -> None:
        nonlocal runs
        runs += 1

    await asyncodm.run_in_transaction(fn)
    assert runs == 2
    assert fake.calls == [
        "start_session",
        "start_transaction",
        "commit",
        "start_transaction",
        "commit",
        "end_session",
    ]


async def test_a_non_retryable_error_propagates_at_once(client: Any, clock: Clock) -> None:
    fake = client()
    runs = 0
    boom = labelled(code=2, operation="update_one")  # no labels

    async def fn() -> None:
        nonlocal runs
        runs += 1
        raise boom

    with pytest.raises(errors.OperationError) as caught:
        await asyncodm.run_in_transaction(fn)
    assert caught.value is boom and runs == 1
    assert fake.calls == ["start_session", "start_transaction", "abort", "end_session"]
    assert clock.slept == []


async def test_a_non_retryable_commit_error_propagates_at_once(client: Any, clock: Clock) -> None:
    refused = labelled(code=8000)
    fake = client(commit_errors=[refused])

    async def fn() -> None:
        pass

    with pytest.raises(errors.OperationError) as caught:
        await asyncodm.run_in_transaction(fn)
    assert caught.value is refused
    assert fake.calls == ["start_session", "start_transaction", "commit", "end_session"]


async def test_an_application_error_propagates_unretried(client: Any, clock: Clock) -> None:
    fake = client()

    async def fn() -> None:
        raise KeyError("not a database error")

    with pytest.raises(KeyError):
        await asyncodm.run_in_transaction(fn)
    assert fake.calls == ["start_session", "start_transaction", "abort", "end_session"]


async def test_transient_errors_stop_after_120_seconds(client: Any, clock: Clock) -> None:
    fake = client()
    runs = 0

    async def fn() -> None:
        nonlocal runs
        runs += 1
        clock.now += 50.0  # each attempt takes 50 s
        raise labelled(TRANSIENT, operation="insert_one")

    with pytest.raises(errors.OperationError) as caught:
        await asyncodm.run_in_transaction(fn)
    # attempts end at 50 s and 100 s (within the limit: rerun), then at 150 s: give up
    assert runs == 3
    assert caught.value.has_error_label(TRANSIENT)
    assert fake.calls.count("abort") == 3 and fake.calls[-1] == "end_session"
    if sys.version_info >= (3, 11):
        assert any("stopped retrying after 120 s" in n for n in caught.value.__notes__)


async def test_unknown_commit_results_stop_after_120_seconds(client: Any, clock: Clock) -> None:
    class SlowCommit(FakeClient):
        async def commit_transaction(self, session: Any) -> None:
            clock.now += 31.0
            await super().commit_transaction(session)

    fake = client(SlowCommit, commit_errors=[labelled(UNKNOWN, code=91) for _ in range(10)])

    async def fn() -> None:
        pass

    with pytest.raises(errors.OperationError) as caught:
        await asyncodm.run_in_transaction(fn)
    assert caught.value.has_error_label(UNKNOWN)
    assert fake.calls.count("commit") == 4  # at 31, 62, 93 s retried; at 124 s given up


async def test_the_backoff_never_runs_past_the_limit(client: Any, clock: Clock) -> None:
    """PyMongo checks the limit *including* the coming backoff before sleeping."""
    fake = client()
    runs = 0

    async def fn() -> None:
        nonlocal runs
        runs += 1
        clock.now = 1000.0 + 119.999  # the rerun is allowed, its backoff would cross 120 s
        raise labelled(TRANSIENT, operation="insert_one")

    with pytest.raises(errors.OperationError):
        await asyncodm.run_in_transaction(fn)
    assert runs == 1 and clock.slept == []
    assert fake.calls == ["start_session", "start_transaction", "abort", "end_session"]


async def test_nesting_is_refused_before_any_session(client: Any, clock: Clock) -> None:
    fake = client()

    async def inner() -> None:
        pass

    async def outer() -> None:
        await asyncodm.run_in_transaction(inner)

    with pytest.raises(errors.OperationError, match="already open in this task"):
        await asyncodm.run_in_transaction(outer)
    assert fake.calls.count("start_session") == 1


async def test_a_backend_without_sessions_is_refused(client: Any, clock: Clock) -> None:
    fake = client()
    fake.supports_sessions = False
    fake.kind = "mongomock"
    ran = False

    async def fn() -> None:
        nonlocal ran
        ran = True

    with pytest.raises(errors.OperationError, match="no sessions or transactions"):
        await asyncodm.run_in_transaction(fn)
    assert not ran and fake.calls == []
