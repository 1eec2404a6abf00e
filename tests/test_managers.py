"""Managers on every backend: the default ``objects``, custom querysets and managers,
``@queryset_manager``, forwarding and the ``mongo_<method>`` passthrough."""

from __future__ import annotations

import pytest

from asyncodm import Manager, QuerySet, QuerySetManager
from tests._backends import Backend
from tests.models.library import Book
from tests.models.newsroom import (
    Article,
    ArticleQuerySet,
    Brief,
    Bulletin,
    MemoQuerySet,
    PublishedManager,
)


async def seed() -> None:
    await Article.objects.bulk_create(
        [
            Article(title="a", published=True, words=1500),
            Article(title="b", published=True, words=300),
            Article(title="c", published=False, words=2500),
        ]
    )


def test_objects_is_bound_to_its_class() -> None:
    manager = Book.objects
    assert isinstance(manager, Manager) and isinstance(manager, QuerySetManager)
    assert manager.model is Book and Book.objects is manager  # bound once per class
    assert isinstance(Book.objects(title="x"), QuerySet)
    assert Book.objects(title="x")._query == {"t": "x"}
    assert Book.objects.filter(title="x")._query == {"t": "x"}
    assert Book(title="t").objects.model is Book
    assert "Book.objects" in repr(Book.objects)


def test_unbound_manager_explains_itself() -> None:
    with pytest.raises(TypeError, match="not bound"):
        Manager().get_queryset()


def test_custom_querysets_are_used() -> None:
    assert isinstance(Article.objects.all(), ArticleQuerySet)
    assert Article.objects.published()._query == {"published": True}
    assert Article.objects(words__gt=1).published()._query == {
        "words": {"$gt": 1},
        "published": True,
    }
    assert isinstance(Brief.objects.all(), MemoQuerySet)
    assert Brief.objects.short()._query == {"words": {"$lt": 10}}
    assert Manager.from_queryset(ArticleQuerySet).__name__ == "ManagerFromArticleQuerySet"


async def test_default_manager(backend: Backend) -> None:
    await seed()
    assert await Article.objects.count() == 3
    assert [a.title async for a in Article.objects.order_by("title")] == ["a", "b", "c"]
    assert (await Article.objects.get(title="a")).words == 1500
    assert (await Article.objects.order_by("-words").first()).title == "c"
    created = await Article.objects.create(title="d")
    assert created.pk is not None and await Article.objects.count() == 4
    assert len(await Article.objects.to_list()) == 4
    assert (await Article.objects.order_by("title")[1]).title == "b"


async def test_from_queryset_methods(backend: Backend) -> None:
    await seed()
    assert sorted(a.title for a in await Article.objects.published().to_list()) == ["a", "b"]
    assert await Article.objects.published().total_words() == 1800
    assert await Article.objects.total_words() == 4300


async def test_meta_queryset_class(backend: Backend) -> None:
    await Brief.objects.bulk_create([Brief(title="x", words=3), Brief(title="y", words=30)])
    assert [b.title async for b in Brief.objects.short()] == ["x"]


async def test_subclassed_manager(backend: Backend) -> None:
    await seed()
    assert isinstance(Article.live, PublishedManager)
    assert await Article.live.count() == 2
    assert sorted(a.title for a in await Article.live.to_list()) == ["a", "b"]
    assert await Article.live(words__gt=1000).count() == 1
    assert [a.title async for a in Article.live.order_by("words")] == ["b", "a"]


async def test_queryset_manager_decorator(backend: Backend) -> None:
    await seed()
    assert [a.title for a in await Article.long_reads.to_list()] == ["c", "a"]
    assert await Article.long_reads(published=True).count() == 1
    assert [a.title async for a in Article.drafts] == ["c"]
    assert Article.long_reads.name == "long_reads"


async def test_a_custom_default_filter_does_not_hide_a_document_from_itself(
    backend: Backend,
) -> None:
    draft = Bulletin(title="draft")
    await draft.save()
    assert await Bulletin.objects.count() == 0  # the default manager hides drafts
    assert await draft.update(inc__words=1) == 1
    assert await draft.modify(set__title="draft 2") and draft.title == "draft 2"
    stored = await backend.db["bulletins"].find_one({"_id": draft.pk})
    assert stored is not None and stored["words"] == 1 and stored["title"] == "draft 2"


async def test_mongo_passthrough(backend: Backend) -> None:
    await seed()
    result = await Article.objects.mongo_insert_one({"title": "raw", "words": 1})
    assert result.inserted_id is not None
    assert await Article.objects.mongo_count_documents({}) == 4
    cursor = await Article.objects.mongo_aggregate(
        [{"$group": {"_id": None, "n": {"$sum": "$words"}}}]
    )
    rows = await cursor.to_list(None)
    assert rows[0]["n"] == 4301
    found = await Article.objects.mongo_find_one({"title": "raw"})
    assert found is not None and found["words"] == 1
    with pytest.raises(AttributeError):
        Article.objects.mongo_no_such_method  # noqa: B018


async def test_forwarding_unknown_queryset_methods(backend: Backend) -> None:
    await seed()
    assert await Article.objects.exists()
    assert sorted(await Article.objects.distinct("title")) == ["a", "b", "c"]
    assert await Article.objects.sum("words") == 4300
    with pytest.raises(AttributeError):
        Article.objects.no_such_method  # noqa: B018
