"""Writing through QuerySets on every backend: create, bulk_create, update operators, modify,
delete. Every outcome is checked on the raw stored documents."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from bson import ObjectId

import asyncodm
from asyncodm import Document, IntField, OperationError, StringField, ValidationError, signals
from asyncodm.testing import assert_num_queries, capture_commands
from tests._backends import Backend
from tests.models.library import Book, Ebook, Media, Review, Writer


async def stored(backend: Backend, title: str) -> dict[str, Any]:
    doc: dict[str, Any] | None = await backend.db["books"].find_one({"t": title})
    assert doc is not None, f"no stored book {title!r}"
    return doc


async def make(**values: Any) -> Book:
    book = Book(**values)
    await book.save()
    return book


# --------------------------------------------------------------------------------------------
# create / bulk_create


async def test_create(backend: Backend) -> None:
    book = await Book.objects.create(title="Dune", pages=412)
    assert isinstance(book.pk, ObjectId)
    raw = await stored(backend, "Dune")
    assert raw["_id"] == book.pk and raw["pages"] == 412


async def test_create_validates(backend: Backend) -> None:
    with pytest.raises(ValidationError) as info:
        await Book.objects.create(title="x", pages=-1)
    assert "pages" in info.value.errors
    assert await backend.db["books"].count_documents({}) == 0


async def test_bulk_create_returns_ids_or_documents(backend: Backend) -> None:
    ids = await Book.objects.bulk_create([Book(title="a"), Book(title="b")])
    assert len(ids) == 2 and all(isinstance(i, ObjectId) for i in ids)
    docs = await Book.objects.bulk_create([Book(title="c")], retrieve=True)
    assert isinstance(docs[0], Book) and docs[0].pk is not None
    assert sorted(d["t"] for d in await backend.db["books"].find({}).to_list(None)) == [
        "a",
        "b",
        "c",
    ]
    assert await Book.objects.bulk_create([]) == []


async def test_insert_is_bulk_create(backend: Backend) -> None:
    docs = await Book.objects.insert([Book(title="a"), Book(title="b")])
    assert [d.title for d in docs] == ["a", "b"] and all(d.pk for d in docs)
    one = await Book.objects.insert(Book(title="c"))
    assert isinstance(one, Book) and one.pk is not None
    ids = await Book.objects.insert([Book(title="d")], load_bulk=False)
    assert isinstance(ids[0], ObjectId)
    assert await Book.objects.count() == 4


async def test_bulk_create_validates_every_document_first(backend: Backend) -> None:
    with pytest.raises(ValidationError) as info:
        await Book.objects.bulk_create([Book(title="ok"), Book(pages=3), Book(title="y", pages=-2)])
    assert set(info.value.errors) == {"1.title", "2.pages"}
    assert await backend.db["books"].count_documents({}) == 0
    with pytest.raises(OperationError):
        await Book.objects.bulk_create([Writer(name="not a book")])


class CleanShelf(asyncodm.Document):
    """Its clean() objects across fields: only a full clean sees it."""

    label = StringField(required=True)
    low = IntField()
    high = IntField()
    meta = {"collection": "shelves"}

    def clean(self) -> None:
        if self.label == "reserved":
            raise ValidationError(errors={"label": "the label 'reserved' is taken"})
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValidationError("low must not exceed high")


async def test_bulk_create_full_clean_runs_each_clean_and_inserts_nothing(
    backend: Backend,
) -> None:
    shelves = [
        CleanShelf(label="a", low=1, high=2),
        CleanShelf(label="b", low=5, high=1),
        CleanShelf(label="reserved"),
        CleanShelf(label="c", low="x"),
    ]
    with pytest.raises(ValidationError) as info:
        await CleanShelf.objects.bulk_create(shelves, full_clean=True)
    assert info.value.errors == {
        "1.__all__": "low must not exceed high",
        "2.label": "the label 'reserved' is taken",
        "3.low": info.value.errors["3.low"],
    }
    assert "expected" in info.value.errors["3.low"]
    assert await backend.db["shelves"].count_documents({}) == 0
    assert all(s.pk is None and s._son is None for s in shelves)  # none is marked saved

    # Without full_clean only the fields are checked: clean() is not run.
    ids = await CleanShelf.objects.bulk_create([CleanShelf(label="b", low=5, high=1)])
    raw = await backend.db["shelves"].find_one({"_id": ids[0]})
    assert raw is not None and (raw["low"], raw["high"]) == (5, 1)

    # Every clean() passing: all are inserted.
    good = await CleanShelf.objects.bulk_create(
        [CleanShelf(label="x", low=1, high=1), CleanShelf(label="y")],
        full_clean=True,
        retrieve=True,
    )
    assert [g.label for g in good] == ["x", "y"]
    assert sorted(d["label"] for d in await backend.db["shelves"].find({}).to_list(None)) == [
        "b", "x", "y",
    ]  # fmt: skip


async def test_bulk_created_documents_are_saved(backend: Backend) -> None:
    books = await Book.objects.bulk_create(
        [Book(title="a", pages=1), Book(title="b")], retrieve=True
    )
    first = books[0]
    assert first._son is not None and first._son["_id"] == first.pk
    first.pages = 2
    await first.save()
    assert (await stored(backend, "a"))["pages"] == 2
    assert await backend.db["books"].count_documents({}) == 2


async def test_bulk_create_is_one_insert_and_later_saves_are_deltas(backend: Backend) -> None:
    books = [Book(title=f"t{i}", pages=i) for i in range(50)]
    async with capture_commands() as q:
        await Book.objects.bulk_create(books)
    assert q.names == ["insert"] and len(q.commands[0].command["documents"]) == 50
    books[3].pages = 99
    async with capture_commands() as q:
        await books[3].save()
    assert q.names == ["update"]
    assert q.commands[0].command["updates"][0]["u"] == {"$set": {"pages": 99}}
    assert await backend.db["books"].count_documents({}) == 50
    assert (await stored(backend, "t3"))["pages"] == 99


async def test_bulk_create_inheritance_and_signals(backend: Backend) -> None:
    seen: list[str] = []

    def before(sender: type, documents: list[Any], **kw: Any) -> None:
        seen.append(f"pre {len(documents)}")

    def after(sender: type, documents: list[Any], **kw: Any) -> None:
        seen.append(f"post {len(documents)} {kw.get('loaded')}")

    with (
        signals.pre_bulk_insert.connected_to(before, sender=Ebook),
        signals.post_bulk_insert.connected_to(after, sender=Ebook),
    ):
        await Ebook.objects.bulk_create([Ebook(name="e", fmt="pdf"), Ebook(name="f")])
    assert seen == ["pre 2", "post 2 True"]
    raw = await backend.db["media"].find({}).to_list(None)
    assert {d["_cls"] for d in raw} == {"Media.Ebook"}
    assert [type(m) for m in await Media.objects.to_list()] == [Ebook, Ebook]


# --------------------------------------------------------------------------------------------
# update operators


async def test_update_returns_matched_count(backend: Backend) -> None:
    await Book.objects.bulk_create(
        [Book(title="a", pages=1), Book(title="b", pages=2), Book(title="c")]
    )
    assert await Book.objects(pages__exists=True).update(inc__pages=10) == 2
    assert sorted(
        d.get("pages") or 0 for d in await backend.db["books"].find({}).to_list(None)
    ) == [0, 11, 12]
    assert await Book.objects(title="zzz").update(set__pages=1) == 0
    assert await Book.objects.update_one(set__price=1.0) == 1
    assert await backend.db["books"].count_documents({"price": 1.0}) == 1


_NX_ARRAY_INDEX = pytest.mark.xfail_backend(
    "nx",
    reason="$set on an array index path (reviews.0.stars) changes nothing",
    raises=AssertionError,
)
_NX_PUSH_SUBDOC = pytest.mark.xfail_backend(
    "nx",
    reason="$push onto an array of subdocuments stores them as JSON strings",
    raises=AssertionError,
)

#: (ops, what the stored document holds after them); it starts as pages=10, price=2.5,
#: tags=["a", "b"], reviews=[ann: 4].
UPDATE_CASES: list[Any] = [
    ({"set__pages": 7}, {"pages": 7}),
    ({"pages": 8}, {"pages": 8}),
    ({"unset__price": True}, {"price": None}),
    ({"set__price": None}, {"price": None}),
    ({"inc__pages": 5}, {"pages": 15}),
    ({"dec__pages": 3}, {"pages": 7}),
    ({"max__pages": 50, "min__price": 1.5}, {"pages": 50, "price": 1.5}),
    ({"max__pages": 5, "min__price": 5.0}, {"pages": 10, "price": 2.5}),
    ({"set__publisher__city": "Rome"}, {"publisher": {"city": "Rome"}}),
    pytest.param(
        {"set__reviews__0__stars": 1},
        {"reviews": [{"author": "ann", "stars": 1}]},
        marks=_NX_ARRAY_INDEX,
        id="set__reviews__0__stars",
    ),
    ({"push__tags": "c"}, {"tags": ["a", "b", "c"]}),
    ({"push__tags": ["c", "d"]}, {"tags": ["a", "b", "c", "d"]}),
    ({"push_all__tags": ["c", "d"]}, {"tags": ["a", "b", "c", "d"]}),
    ({"pull__tags": "a"}, {"tags": ["b"]}),
    ({"pull__tags": ["a", "b"]}, {"tags": []}),
    ({"pull_all__tags": ["a"]}, {"tags": ["b"]}),
    ({"add_to_set__tags": "a"}, {"tags": ["a", "b"]}),
    ({"add_to_set__tags": ["b", "z"]}, {"tags": ["a", "b", "z"]}),
    ({"pop__tags": 1}, {"tags": ["a"]}),
    ({"pop__tags": -1}, {"tags": ["b"]}),
    pytest.param(
        {"push__reviews": Review(author="bob", stars=2)},
        {"reviews": [{"author": "ann", "stars": 4}, {"author": "bob", "stars": 2}]},
        marks=_NX_PUSH_SUBDOC,
        id="push__reviews",
    ),
    ({"pull__reviews": {"author": "ann"}}, {"reviews": []}),
]


@pytest.mark.parametrize(
    ("ops", "expected"),
    [
        c
        if type(c) is not tuple
        else pytest.param(*c, id="+".join(f"{k}={v}" for k, v in c[0].items()))
        for c in UPDATE_CASES
    ],
)
async def test_update_operators(
    backend: Backend, ops: dict[str, Any], expected: dict[str, Any]
) -> None:
    await make(
        title="t", pages=10, price=2.5, tags=["a", "b"], reviews=[Review(author="ann", stars=4)]
    )
    assert await Book.objects(title="t").update_one(**ops) == 1
    raw = await stored(backend, "t")
    for key, value in expected.items():
        assert raw.get(key) == value, (key, raw)


@pytest.mark.needs("mul")
async def test_mul(backend: Backend) -> None:
    await make(title="t", price=2.5)
    await Book.objects(title="t").update(mul__price=2)
    assert (await stored(backend, "t"))["price"] == 5.0


async def test_rename(backend: Backend) -> None:
    await make(title="t", price=2.5)
    await Book.objects(title="t").update(rename__price="cost")
    raw = await stored(backend, "t")
    assert "price" not in raw and raw["cost"] == 2.5


@pytest.mark.needs("push_modifiers")
async def test_push_at_a_position(backend: Backend) -> None:
    await make(title="t", tags=["a", "b"])
    await Book.objects(title="t").update(push__tags__0="first")
    assert (await stored(backend, "t"))["tags"] == ["first", "a", "b"]


@pytest.mark.needs("positional_update")
async def test_positional_update(backend: Backend) -> None:
    await make(title="t", reviews=[Review(author="ann", stars=1), Review(author="bob", stars=1)])
    await Book.objects(title="t", reviews__author="bob").update(set__reviews__S__stars=5)
    assert [r["stars"] for r in (await stored(backend, "t"))["reviews"]] == [1, 5]


async def test_set_on_insert_and_upsert(backend: Backend) -> None:
    assert (
        await Book.objects(title="new").update(upsert=True, set__price=3.0, set_on_insert__pages=1)
        == 1
    )
    raw = await stored(backend, "new")
    assert raw["price"] == 3.0 and raw["pages"] == 1
    assert (
        await Book.objects(title="new").update(upsert=True, set__price=4.0, set_on_insert__pages=9)
        == 1
    )
    raw = await stored(backend, "new")
    assert raw["price"] == 4.0 and raw["pages"] == 1
    assert await backend.db["books"].count_documents({}) == 1


async def test_upsert_into_a_hierarchy_stores_the_class(backend: Backend) -> None:
    await Ebook.objects(name="e").update_one(upsert=True, set__fmt="epub")
    raw = await backend.db["media"].find_one({"name": "e"})
    assert raw is not None and raw["_cls"] == "Media.Ebook" and raw["fmt"] == "epub"
    assert isinstance(await Media.objects.first(), Ebook)


async def test_current_date(backend: Backend) -> None:
    await make(title="t")
    before = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(
        seconds=5
    )
    await Book.objects(title="t").update(current_date__published=True)
    raw = await stored(backend, "t")
    assert isinstance(raw["published"], datetime.datetime) and raw["published"] >= before


async def test_raw_update_document(backend: Backend) -> None:
    await make(title="t", pages=1)
    assert await Book.objects(title="t").update({"$set": {"price": 2.0}, "$inc": {"pages": 1}}) == 1
    raw = await stored(backend, "t")
    assert raw["price"] == 2.0 and raw["pages"] == 2
    assert await Book.objects(title="u").update({"$set": {"pages": 5}}, upsert=True) == 1
    assert (await stored(backend, "u"))["pages"] == 5
    await Book.objects(title="t").update({"$set": {"price": 3.0}}, inc__pages=1)
    raw = await stored(backend, "t")
    assert raw["price"] == 3.0 and raw["pages"] == 3
    with pytest.raises(OperationError):
        await Book.objects(title="t").update({"price": 9.0})


async def test_update_validates_before_sending(backend: Backend) -> None:
    await make(title="t", pages=1)
    with pytest.raises(ValidationError) as info:
        await Book.objects(title="t").update(set__pages="x")
    assert list(info.value.errors) == ["pages"]
    with pytest.raises(ValidationError):
        await Book.objects(title="t").update(push__tags=5)
    assert (await stored(backend, "t"))["pages"] == 1


async def test_invalid_update_sends_nothing(backend: Backend) -> None:
    async with assert_num_queries(0):
        with pytest.raises(ValidationError):
            await Book.objects(title="t").update(set__pages="x", push__tags="ok")


async def test_document_update_and_modify_use_the_queryset(backend: Backend) -> None:
    book = await make(title="t", pages=1, tags=["a"])
    assert await book.update(inc__pages=1, push__tags="b") == 1
    raw = await stored(backend, "t")
    assert raw["pages"] == 2 and raw["tags"] == ["a", "b"]
    assert await book.modify(set__price=9.0)
    assert book.price == 9.0 and book.pages == 2


# --------------------------------------------------------------------------------------------
# modify / upsert_one


async def test_modify(backend: Backend) -> None:
    await Book.objects.bulk_create([Book(title="a", pages=1), Book(title="b", pages=2)])
    old = await Book.objects.order_by("pages").modify(inc__pages=10)
    assert old.title == "a" and old.pages == 1
    new = await Book.objects(title="b").modify(new=True, set__pages=20)
    assert new.pages == 20 and (await stored(backend, "b"))["pages"] == 20
    assert await Book.objects(title="zzz").modify(set__pages=1) is None
    created = await Book.objects(title="c").modify(upsert=True, new=True, set__pages=3)
    assert created.title == "c" and created.pages == 3
    removed = await Book.objects(title="a").modify(remove=True)
    assert removed.title == "a" and await Book.objects(title="a").count() == 0


async def test_modify_respects_only(backend: Backend) -> None:
    await make(title="a", pages=1, price=2.0)
    doc = await Book.objects(title="a").only("pages").modify(new=True, inc__pages=1)
    assert doc.pages == 2 and doc.price is None


async def test_upsert_one(backend: Backend) -> None:
    doc = await Book.objects(title="u").upsert_one(set__pages=1)
    assert isinstance(doc, Book) and doc.title == "u" and doc.pages == 1
    again = await Book.objects(title="u").upsert_one(set__pages=2)
    assert again.pk == doc.pk and again.pages == 2
    assert await Book.objects.count() == 1


# --------------------------------------------------------------------------------------------
# delete


async def test_delete_returns_count(backend: Backend) -> None:
    await Book.objects.bulk_create([Book(title=t, pages=i) for i, t in enumerate("abcde")])
    assert await Book.objects(pages__lt=2).delete() == 2
    assert await Book.objects(title="zzz").delete() == 0
    assert sorted(d["t"] for d in await backend.db["books"].find({}).to_list(None)) == [
        "c",
        "d",
        "e",
    ]


async def test_delete_honours_skip_and_limit(backend: Backend) -> None:
    await Book.objects.bulk_create([Book(title=t, pages=i) for i, t in enumerate("abcde")])
    assert await Book.objects.order_by("pages").skip(1).limit(2).delete() == 2
    assert sorted(d["t"] for d in await backend.db["books"].find({}).to_list(None)) == [
        "a",
        "d",
        "e",
    ]


async def test_delete_on_a_subclass_keeps_the_others(backend: Backend) -> None:
    await Media(name="m").save()
    await Ebook(name="e").save()
    assert await Ebook.objects.delete() == 1
    assert [m.name for m in await Media.objects.to_list()] == ["m"]


class NotesDeletes(StringField):
    """A field with delete-time work (as FileField has): it notes each deleted document."""

    has_delete_work = True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.calls: list[Any] = []

    async def after_delete(self, doc: Any, context: Any, token: Any) -> None:
        self.calls.append(doc.title)


class NotedBook(Document):
    title = StringField(db_field="t")
    note = NotesDeletes()
    meta = {"collection": "noted_books"}


@pytest.fixture
def noted() -> Iterator[list[Any]]:
    calls = NotedBook.note.calls  # type: ignore[attr-defined]
    calls.clear()
    yield calls
    calls.clear()


async def test_delete_without_rules_or_field_work_keeps_the_others(backend: Backend) -> None:
    await Book.objects.bulk_create([Book(title="a"), Book(title="b")])
    assert await Book.objects(title="a").delete() == 1
    assert [d["t"] for d in await backend.db["books"].find({}).to_list(None)] == ["b"]


async def test_delete_goes_one_by_one_with_delete_work(backend: Backend, noted: list[Any]) -> None:
    await NotedBook.objects.bulk_create(
        [NotedBook(title="a"), NotedBook(title="b"), NotedBook(title="c")]
    )
    assert await NotedBook.objects(title__in=["a", "b"]).only("note").delete() == 2
    assert sorted(noted) == ["a", "b"]
    assert [d["t"] for d in await backend.db["noted_books"].find({}).to_list(None)] == ["c"]


async def test_delete_sends_delete_signals(backend: Backend) -> None:
    seen: list[str] = []

    async def on_delete(sender: type, document: Any, **kw: Any) -> None:
        seen.append(document.title)

    await Book.objects.bulk_create([Book(title="a"), Book(title="b")])
    with signals.post_delete.connected_to(on_delete, sender=Book):
        assert await Book.objects.delete() == 2
    assert sorted(seen) == ["a", "b"]


async def test_delete_work_of_other_models_keeps_one_delete_many(
    backend: Backend, noted: list[Any]
) -> None:
    await Book.objects.bulk_create([Book(title="a"), Book(title="b")])
    async with capture_commands() as q:
        assert await Book.objects.delete() == 2
    assert q.names == ["delete"] and noted == []
    await NotedBook.objects.bulk_create([NotedBook(title="w")])
    assert await NotedBook.objects.delete() == 1
    assert noted == ["w"]
