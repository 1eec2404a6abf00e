"""``async with asyncodm.transaction() as session:``: every ODM operation inside uses the session
without being given it, the block commits on success and aborts on an exception.

A command listener proves the session is used (each command carries the transaction's ``lsid``
and ``txnNumber``); raw reads after the block prove commit and abort. nx-27017 has
transactions but no isolation, so nothing here relies on uncommitted writes being invisible.
mongomock-motor has no sessions: ``transaction()`` raises ``OperationError`` there.
"""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

import pytest

import asyncodm
from asyncodm import OperationError
from asyncodm.testing import assert_num_queries
from tests._backends import Backend, Command
from tests.models.ledger import LedgerAccount, LedgerLine
from tests.models.refs import Author, Bookmark, Post

pytestmark = pytest.mark.usefixtures("seeded")

#: Commands a transaction sends for its own bookkeeping.
_TXN_CONTROL = ("commitTransaction", "abortTransaction")


@pytest.fixture
async def seeded(backend: Backend) -> None:
    """Create the collections before any transaction: nx-27017 cannot use a collection first
    created inside a transaction that was aborted."""
    for name in ("ledger_accounts", "ledger_lines", "author", "post", "bookmark"):
        await backend.db[name].insert_one({"_id": "seed"})
        await backend.db[name].delete_one({"_id": "seed"})


def in_session(commands: list[Command], lsid: Any) -> list[Command]:
    return [c for c in commands if c.doc.get("lsid") == lsid]


def assert_transactional(commands: list[Command], lsid: Any) -> None:
    """Every command ran in one transaction of session ``lsid``; the first one started it."""
    ops = [c for c in commands if c.name not in _TXN_CONTROL]
    assert ops, "no commands recorded"
    for c in ops:
        assert c.doc.get("lsid") == lsid, f"{c.name} ran outside the session"
        assert "txnNumber" in c.doc and c.doc.get("autocommit") is False, c.name
    assert ops[0].doc.get("startTransaction") is True
    assert len({c.doc["txnNumber"] for c in ops}) == 1


@pytest.mark.backend_only("mongomock")
async def test_without_transactions_the_block_raises(backend: Backend) -> None:
    entered = False
    with pytest.raises(OperationError, match="no sessions or transactions") as caught:
        async with asyncodm.transaction():
            entered = True
    assert not entered
    assert "'default'" in str(caught.value)


@pytest.mark.needs("transactions", "command_monitoring")
async def test_every_operation_inside_uses_the_session(backend: Backend) -> None:
    alice = await LedgerAccount(owner="alice", balance=10).save()
    backend.reset_commands()
    async with asyncodm.transaction() as session:
        lsid = session.session_id  # (an ended session can no longer tell)
        bob = await LedgerAccount(owner="bob").save()  # insert
        alice.balance = 5
        await alice.save()  # delta update
        await LedgerAccount.objects(owner="bob").update(inc__balance=5)  # queryset write
        await LedgerAccount.objects.create(owner="carol")
        await LedgerAccount.objects.bulk_create([LedgerAccount(owner="dan")])
        assert await LedgerAccount.objects.count() == 4  # queryset reads
        owners = [a.owner async for a in LedgerAccount.objects.order_by("owner")]
        assert owners == ["alice", "bob", "carol", "dan"]
        totals = [
            row
            async for row in LedgerAccount.objects.aggregate(
                [{"$group": {"_id": None, "t": {"$sum": "$balance"}}}]
            )
        ]
        assert totals[0]["t"] == 10
        await bob.reload()
        await LedgerAccount.objects(owner="dan").delete()  # queryset delete
        carol = await LedgerAccount.objects.get(owner="carol")
        await carol.delete()  # document delete
    commands = backend.commands
    assert [c.name for c in commands if c.name in _TXN_CONTROL] == ["commitTransaction"]
    assert_transactional(commands, lsid)
    stored = {d["owner"]: d["balance"] async for d in backend.db["ledger_accounts"].find({})}
    assert stored == {"alice": 5, "bob": 5}


async def stored_refs(backend: Backend) -> dict[str, list[dict[str, Any]]]:
    """The raw authors, posts and bookmarks, read through the driver outside any session."""
    return {
        name: await backend.db[name].find({}).sort("_id").to_list(None)
        for name in ("author", "post", "bookmark")
    }


@pytest.mark.needs("transactions", "command_monitoring")
async def test_dereferencing_and_delete_rules_use_the_session_and_roll_back(
    backend: Backend,
) -> None:
    """A reference awaited, ``select_related`` and a CASCADE delete inside the block all run in
    the transaction (the rule's lookups and its deletes/updates too), and the exception that
    aborts it undoes the whole cascade."""
    ann = await Author(name="ann").save()
    post = await Post(title="t", author=ann).save()
    mark = await Bookmark(post=post, note="n").save()
    loaded = await Post.objects.get(pk=post.pk)  # its author is still an unfetched reference
    before = await stored_refs(backend)
    backend.reset_commands()
    lsid: Any = None

    async def failing() -> None:
        nonlocal lsid
        async with asyncodm.transaction() as session:
            lsid = session.session_id  # (an ended session can no longer tell)
            assert (await loaded.author).name == "ann"  # dereference
            [related] = await Post.objects.select_related("author").to_list()
            async with assert_num_queries(0):
                assert (await related.author).name == "ann"  # already fetched: no query
            await ann.delete()  # cascades to the post, and from it to the bookmark
            assert await Post.objects.count() == 0 and await Bookmark.objects.count() == 0
            raise RuntimeError("roll it back")

    with pytest.raises(RuntimeError, match="roll it back"):
        await failing()
    commands = backend.commands
    assert [c.name for c in commands if c.name in _TXN_CONTROL] == ["abortTransaction"]
    assert_transactional(commands, lsid)
    sent = {(c.name, c.collection) for c in commands}
    assert {("find", "author"), ("find", "post"), ("find", "bookmark")} <= sent  # reads
    assert {("delete", "author"), ("delete", "post"), ("delete", "bookmark")} <= sent  # cascade
    after = await stored_refs(backend)
    assert after == before
    assert [d["_id"] for d in after["bookmark"]] == [mark.pk]


@pytest.mark.needs("transactions", "command_monitoring")
async def test_an_exception_aborts(backend: Backend) -> None:
    alice = await LedgerAccount(owner="alice", balance=10).save()
    backend.reset_commands()

    async def failing() -> None:
        async with asyncodm.transaction():
            alice.balance = 0
            await alice.save()
            await LedgerAccount(owner="mallory", balance=99).save()
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await failing()
    assert [c.name for c in backend.commands if c.name in _TXN_CONTROL] == ["abortTransaction"]
    stored = {d["owner"]: d["balance"] async for d in backend.db["ledger_accounts"].find({})}
    assert stored == {"alice": 10}


@pytest.mark.needs("transactions")
async def test_commit_and_abort_raw(backend: Backend) -> None:
    """The same without a command listener: only the raw outcome."""
    async with asyncodm.transaction():
        await LedgerAccount(owner="kept").save()

    async def failing() -> None:
        async with asyncodm.transaction():
            await LedgerAccount(owner="dropped").save()
            raise ValueError("dropped")

    with pytest.raises(ValueError, match="dropped"):
        await failing()
    owners = [d["owner"] async for d in backend.db["ledger_accounts"].find({})]
    assert owners == ["kept"]


@pytest.mark.needs("transactions", "command_monitoring")
async def test_cancellation_aborts(backend: Backend) -> None:
    inside = asyncio.Event()

    async def work() -> None:
        async with asyncodm.transaction():
            await LedgerAccount(owner="half").save()
            inside.set()
            await asyncio.sleep(10)

    backend.reset_commands()
    task = asyncio.create_task(work())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [c.name for c in backend.commands if c.name in _TXN_CONTROL] == ["abortTransaction"]
    assert await backend.db["ledger_accounts"].count_documents({}) == 0


@pytest.mark.needs("transactions", "command_monitoring")
async def test_an_explicit_session_is_accepted(backend: Backend) -> None:
    """Code that runs outside the block's context (a task started with a fresh context, a
    callback) can still join by passing ``session=``."""
    backend.reset_commands()
    async with asyncodm.transaction() as session:
        lsid = session.session_id  # (an ended session can no longer tell)

        async def elsewhere() -> None:
            doc = await LedgerAccount(owner="explicit").save(session=session)
            await doc.reload(session=session)
            await doc.delete(session=session)
            await LedgerAccount(owner="kept").save(session=session)

        await contextvars.Context().run(asyncio.create_task, elsewhere())
    assert_transactional(backend.commands, lsid)
    assert [d["owner"] async for d in backend.db["ledger_accounts"].find({})] == ["kept"]


@pytest.mark.needs("transactions", "command_monitoring")
async def test_tasks_started_inside_share_it_and_others_do_not(backend: Backend) -> None:
    release = asyncio.Event()

    async def outsider() -> None:
        await release.wait()
        await LedgerAccount(owner="outside").save()

    backend.reset_commands()
    outside = asyncio.create_task(outsider())
    async with asyncodm.transaction() as session:
        lsid = session.session_id  # (an ended session can no longer tell)
        children = [asyncio.create_task(LedgerAccount(owner=f"child{i}").save()) for i in range(3)]
        release.set()
        await asyncio.gather(*children, outside)
    inserts = [c for c in backend.commands if c.name == "insert"]
    owners_in_txn = sorted(
        d["owner"] for c in in_session(inserts, lsid) for d in c.doc["documents"]
    )
    assert owners_in_txn == ["child0", "child1", "child2"]
    [plain] = [c for c in inserts if c.doc.get("lsid") != lsid]
    assert "txnNumber" not in plain.doc and plain.doc["documents"][0]["owner"] == "outside"


@pytest.mark.needs("transactions", "command_monitoring")
async def test_lazy_index_creation_stays_outside_the_transaction(backend: Backend) -> None:
    backend.reset_commands()
    async with asyncodm.transaction() as session:
        lsid = session.session_id  # (an ended session can no longer tell)
        await LedgerLine(memo="first", amount=1).save()
    [create] = [c for c in backend.commands if c.name == "createIndexes"]
    assert "txnNumber" not in create.doc and create.doc.get("lsid") != lsid
    [insert] = [c for c in backend.commands if c.name == "insert"]
    assert insert.doc["lsid"] == lsid and "txnNumber" in insert.doc


@pytest.mark.needs("transactions", "command_monitoring")
async def test_ensure_indexes_inside_a_transaction_runs_outside_it(backend: Backend) -> None:
    backend.reset_commands()
    async with asyncodm.transaction() as session:
        lsid = session.session_id  # (an ended session can no longer tell)
        await LedgerLine.ensure_indexes()
        await LedgerLine(memo="x").save()
    [create] = [c for c in backend.commands if c.name == "createIndexes"]
    assert "txnNumber" not in create.doc
    assert_transactional([c for c in backend.commands if c.name != "createIndexes"], lsid)


@pytest.mark.needs("transactions")
async def test_transactions_do_not_nest(backend: Backend) -> None:
    async with asyncodm.transaction():
        with pytest.raises(OperationError, match="do not nest"):
            async with asyncodm.transaction():
                pass


# --- run_in_transaction: with_transaction's retries, on a server with transactions -----------


async def _transfer(source: LedgerAccount, target: LedgerAccount, amount: int) -> int:
    """The API.md example: move ``amount`` between two accounts; the new source balance."""
    source.balance -= amount
    target.balance += amount
    await source.save()
    await target.save()
    return source.balance


def _lsid(backend: Backend) -> Any:
    return next(c.doc["lsid"] for c in backend.commands if c.name == "update")


@pytest.mark.needs("transactions", "command_monitoring")
async def test_run_in_transaction_commits_and_returns_fns_result(backend: Backend) -> None:
    a = await LedgerAccount(owner="a", balance=100).save()
    b = await LedgerAccount(owner="b", balance=0).save()
    backend.reset_commands()
    assert await asyncodm.run_in_transaction(_transfer, a, b, 10) == 90
    assert [c.name for c in backend.commands if c.name in _TXN_CONTROL] == ["commitTransaction"]
    assert_transactional([c for c in backend.commands if c.name == "update"], _lsid(backend))
    stored = {d["owner"]: d["balance"] async for d in backend.db["ledger_accounts"].find({})}
    assert stored == {"a": 90, "b": 10}


@pytest.mark.needs("transactions", "command_monitoring")
async def test_run_in_transaction_reruns_fn_after_a_transient_error(backend: Backend) -> None:
    """The first attempt writes, then fails with the label: it is rolled back, fn reruns."""
    from pymongo.errors import OperationFailure

    runs = 0

    async def record_then_conflict() -> str:
        nonlocal runs
        runs += 1
        await LedgerLine(memo=f"attempt {runs}", amount=runs).save()
        if runs == 1:
            raise OperationFailure(
                "WriteConflict (injected)",
                112,
                {"ok": 0, "code": 112, "errorLabels": ["TransientTransactionError"]},
            )
        return "committed"

    backend.reset_commands()
    assert await asyncodm.run_in_transaction(record_then_conflict) == "committed"
    assert runs == 2
    control = [c.name for c in backend.commands if c.name in _TXN_CONTROL]
    assert control == ["abortTransaction", "commitTransaction"]
    stored = await backend.db["ledger_lines"].find({}, {"_id": 0}).to_list(None)
    assert stored == [{"memo": "attempt 2", "amount": 2}]  # attempt 1 was rolled back


@pytest.mark.needs("transactions", "command_monitoring")
async def test_run_in_transaction_retries_an_unknown_commit_result(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A commit whose outcome is unknown (injected before it reaches the server) is retried;
    fn is not run again, and the retried commit really commits."""
    from pymongo.errors import AutoReconnect

    from asyncodm._drivers import BaseClient, translate

    real_commit = BaseClient.commit_transaction
    failures = [AutoReconnect("connection reset (injected)", errors=None)]
    failures[0]._add_error_label("UnknownTransactionCommitResult")

    async def flaky_commit(self: BaseClient, session: Any) -> None:
        if failures:
            driver = failures.pop()
            raise translate(driver, self.alias, "commit_transaction") from driver
        await real_commit(self, session)

    monkeypatch.setattr(BaseClient, "commit_transaction", flaky_commit)
    runs = 0

    async def write() -> None:
        nonlocal runs
        runs += 1
        await LedgerLine(memo="once", amount=1).save()

    backend.reset_commands()
    await asyncodm.run_in_transaction(write)
    assert runs == 1 and not failures
    assert [c.name for c in backend.commands if c.name in _TXN_CONTROL] == ["commitTransaction"]
    stored = await backend.db["ledger_lines"].find({}, {"_id": 0}).to_list(None)
    assert stored == [{"memo": "once", "amount": 1}]


@pytest.mark.needs("transactions", "command_monitoring")
async def test_run_in_transaction_raises_a_plain_error_at_once(backend: Backend) -> None:
    runs = 0

    async def fail() -> None:
        nonlocal runs
        runs += 1
        await LedgerLine(memo="undone", amount=1).save()
        raise LookupError("not retryable")

    backend.reset_commands()
    with pytest.raises(LookupError, match="not retryable"):
        await asyncodm.run_in_transaction(fail)
    assert runs == 1
    assert [c.name for c in backend.commands if c.name in _TXN_CONTROL] == ["abortTransaction"]
    assert await backend.db["ledger_lines"].count_documents({}) == 0


@pytest.mark.backend_only("mongomock")
async def test_run_in_transaction_without_transactions_raises(backend: Backend) -> None:
    ran = False

    async def fn() -> None:
        nonlocal ran
        ran = True

    with pytest.raises(OperationError, match="no sessions or transactions"):
        await asyncodm.run_in_transaction(fn)
    assert not ran
