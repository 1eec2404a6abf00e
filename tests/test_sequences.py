"""SequenceField on every backend: values from an atomic counter at the first save, unique and
gap-free under concurrency, as an auto-increment primary key, with a formatter, a shared
counter, per-class counters, and MongoEngine's set_next_value / get_next_value."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

import asyncodm
from asyncodm import EmbeddedDocument, InvalidDocumentError, NotUniqueError, SequenceField
from tests._backends import Backend
from tests.models.numbering import (
    COUNTERS,
    DefaultNumbered,
    Entry,
    Invoice,
    Numbered,
    Order,
    Receipt,
    Refund,
    Ticket,
    Voucher,
)


async def in_aborted_transaction(action: Callable[[], Awaitable[Any]]) -> None:
    """Run ``action`` in a transaction that then aborts (the block raises ``Aborted``)."""
    async with asyncodm.transaction():
        await action()
        raise Aborted


class Aborted(Exception):
    pass


async def counter(backend: Backend, key: str, collection: str = COUNTERS) -> Any:
    found = await backend.db[collection].find_one({"_id": key})
    return None if found is None else found["next"]


async def test_first_saves_take_1_2_3(backend: Backend) -> None:
    tickets = [Ticket(code=c) for c in "abc"]
    for ticket in tickets:
        assert ticket.number is None
        await ticket.save()
    assert [t.number for t in tickets] == [1, 2, 3]
    raw = await backend.db["tickets"].find({}).to_list(None)
    assert sorted(d["number"] for d in raw) == [1, 2, 3]
    assert await counter(backend, "tickets.number") == 3


async def test_later_saves_keep_the_value(backend: Backend) -> None:
    ticket = Ticket(code="a")
    await ticket.save()
    ticket.code = "b"
    await ticket.save()
    loaded = await Ticket.objects.get(code="b")
    loaded.code = "c"
    await loaded.save()
    assert loaded.number == 1 and await counter(backend, "tickets.number") == 1
    stored = await backend.db["tickets"].find({}, {"_id": 0}).to_list(None)
    assert [(d["code"], d["number"]) for d in stored] == [("c", 1)]  # one document, still 1


async def test_a_given_value_is_kept(backend: Backend) -> None:
    ticket = Ticket(code="a", number=42)
    await ticket.save()
    assert ticket.number == 42 and await counter(backend, "tickets.number") is None
    stored = await backend.db["tickets"].find_one({"_id": ticket.pk})
    assert stored is not None and stored["number"] == 42  # what was written, not just set


async def test_100_concurrent_first_saves_get_exactly_1_to_100(backend: Backend) -> None:
    tickets = [Ticket(code=f"t{i}") for i in range(100)]
    await asyncio.gather(*(t.save() for t in tickets))
    assert sorted(t.number for t in tickets) == list(range(1, 101))
    raw = await backend.db["tickets"].find({}).to_list(None)
    assert sorted(d["number"] for d in raw) == list(range(1, 101))
    assert await counter(backend, "tickets.number") == 100


async def test_concurrent_first_saves_of_two_models_sharing_a_counter(backend: Backend) -> None:
    """The upsert race with two collections on one counter key, nothing stored before."""
    assert await backend.db[COUNTERS].find({}).to_list(None) == []
    docs = [Order() if i % 2 else Refund() for i in range(100)]
    await asyncio.gather(*(d.save() for d in docs))
    assert sorted(d.number for d in docs) == list(range(1, 101))
    stored = [
        d["number"]
        for name in ("orders", "refunds")
        for d in await backend.db[name].find({}).to_list(None)
    ]
    assert sorted(stored) == list(range(1, 101))
    assert await backend.db[COUNTERS].find({}).to_list(None) == [
        {"_id": "shared.number", "next": 100}
    ]


async def test_an_auto_increment_primary_key(backend: Backend) -> None:
    entries = [Entry(headline=f"h{i}") for i in range(100)]
    await asyncio.gather(*(e.save() for e in entries))
    assert sorted(e.pk for e in entries) == list(range(1, 101))
    assert sorted(d["_id"] for d in await backend.db["entries"].find({}).to_list(None)) == list(
        range(1, 101)
    )
    first = await Entry.objects.get(headline="h0")
    assert isinstance(first.id, int)


async def test_a_generated_primary_key_is_inserted_never_upserted(backend: Backend) -> None:
    first = Entry(headline="first")
    await first.save()
    await Entry.id.set_next_value(0)  # the counter now lags behind the data
    with pytest.raises(NotUniqueError):
        await Entry(headline="intruder").save()
    [stored] = await backend.db["entries"].find({}).to_list(None)
    assert stored == {"_id": 1, "headline": "first"}


async def test_set_and_get_next_value_follow_mongoengine(backend: Backend) -> None:
    assert isinstance(Ticket.number, SequenceField)  # class access gives the field
    assert await Ticket.number.get_next_value() == 1  # a preview writes nothing
    assert await counter(backend, "tickets.number") is None
    assert await Ticket.number.set_next_value(100) == 100
    assert await counter(backend, "tickets.number") == 100
    assert await Ticket.number.get_next_value() == 101
    ticket = Ticket(code="a")
    await ticket.save()
    assert ticket.number == 101 and await Ticket.number.get_next_value() == 102


async def test_value_decorator_formats_the_stored_value(backend: Backend) -> None:
    invoices = [Invoice(), Invoice()]
    for invoice in invoices:
        await invoice.save()
    assert [i.ref for i in invoices] == ["INV-00001", "INV-00002"]
    assert sorted(d["ref"] for d in await backend.db["invoices"].find({}).to_list(None)) == [
        "INV-00001",
        "INV-00002",
    ]
    assert await Invoice.ref.get_next_value() == "INV-00003"
    assert await counter(backend, "invoices.ref") == 2


async def test_sequence_name_shares_one_counter(backend: Backend) -> None:
    order, refund, again = Order(), Refund(), Order()
    for doc in (order, refund, again):
        await doc.save()
    assert (order.number, refund.number, again.number) == (1, 2, 3)
    assert await counter(backend, "shared.number") == 3


async def test_classes_under_an_abstract_base_count_apart(backend: Backend) -> None:
    receipts = [Receipt(), Receipt()]
    voucher = Voucher()
    for doc in (*receipts, voucher):
        await doc.save()
    assert [r.number for r in receipts] == [1, 2] and voucher.number == 1
    assert await counter(backend, "receipts.number") == 2
    with pytest.raises(InvalidDocumentError, match="model=Concrete"):
        await Numbered.number.set_next_value(5)
    await Numbered.number.set_next_value(5, model=Voucher)
    assert await Voucher.number.get_next_value(model=Voucher) == 6


async def test_bulk_create_numbers_every_document(backend: Backend) -> None:
    docs = await Ticket.objects.bulk_create([Ticket(code="a"), Ticket(code="b")], retrieve=True)
    assert [d.number for d in docs] == [1, 2]


async def test_a_failed_save_keeps_its_number_for_the_retry(backend: Backend) -> None:
    await Ticket.ensure_indexes()
    await Ticket(code="taken").save()
    clash = Ticket(code="taken")
    with pytest.raises(NotUniqueError):
        await clash.save()
    assert clash.number == 2
    clash.code = "free"
    await clash.save()
    assert clash.number == 2 and await counter(backend, "tickets.number") == 2
    later = Ticket(code="later")
    await later.save()
    assert later.number == 3  # no gap


@pytest.mark.needs("transactions")
async def test_counters_do_not_roll_back_with_a_transaction(backend: Backend) -> None:
    await Ticket(code="before").save()
    with pytest.raises(Aborted):
        await in_aborted_transaction(Ticket(code="inside").save)
    assert await counter(backend, "tickets.number") == 2  # like a database sequence
    assert [t.code for t in await Ticket.objects.to_list()] == ["before"]


@pytest.mark.xfail_backend(
    "nx",
    reason="nx-27017 rejects collection names containing a dot",
    raises=asyncodm.OperationError,
)
async def test_the_default_counters_collection(backend: Backend) -> None:
    doc = DefaultNumbered()
    await doc.save()
    assert doc.number == 1
    assert await counter(backend, "default_numbered.number", "asyncodm.counters") == 1


def test_a_sequence_in_an_embedded_document_is_refused() -> None:
    # Python before 3.12 wraps an error raised by __set_name__ in a RuntimeError.
    with pytest.raises((InvalidDocumentError, RuntimeError)) as info:

        class Line(EmbeddedDocument):
            number = SequenceField()

    error = info.value if isinstance(info.value, InvalidDocumentError) else info.value.__cause__
    assert isinstance(error, InvalidDocumentError)
    assert "not of an embedded document" in str(error)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(InvalidDocumentError, match="value_decorator must be callable"):
        SequenceField(value_decorator="int")  # type: ignore[arg-type]
    with pytest.raises(InvalidDocumentError, match="counters collection"):
        SequenceField(collection_name="")
