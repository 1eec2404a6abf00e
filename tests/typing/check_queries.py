"""Checked by mypy and pyright (``make lint``), not run by pytest: what loading gives.

Every ``assert_type`` below is a promise about the public API: a query's documents are typed
as the model, never ``Any``, so an editor completes ``post.title`` and a checker catches a typo
on anything loaded. No line here needs a ``cast``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from typing_extensions import Self, assert_type

import asyncodm as odm
from asyncodm.queryset import GroupedQuerySet, Manager, QuerySet, queryset_manager


class User(odm.Document):
    name = odm.StringField(required=True)


class PostQuerySet(QuerySet["Post"]):
    """A custom queryset: its own methods keep the model type."""

    def published(self) -> Self:
        return self.filter(published=True)


class PublishedManager(Manager["Post"]):
    def get_queryset(self) -> QuerySet[Post]:
        return super().get_queryset().filter(published=True)


class PostManager(Manager["Post"]):
    """Custom queryset methods typed through a manager: annotate what get_queryset returns."""

    def get_queryset(self) -> PostQuerySet:
        return PostQuerySet(Post)


class Post(odm.Document):
    title = odm.StringField(required=True)
    views = odm.IntField()
    published = odm.BooleanField(default=False)

    live = PublishedManager()
    custom = PostManager()
    by_class = Manager.from_queryset(PostQuerySet)()
    typed_by_class: ClassVar[Manager[Post]] = Manager.from_queryset(PostQuerySet)()
    meta: ClassVar[dict[str, Any]] = {"queryset_class": PostQuerySet}

    @queryset_manager
    def recent(doc_cls: object, queryset: QuerySet[Post]) -> QuerySet[Post]:  # noqa: N805 - MongoEngine's signature
        return queryset.order_by("-views")


class Page(odm.Document):
    """A default manager declared again: still ``Manager[Page]``."""

    objects = Manager()


async def managers() -> None:
    assert_type(Post.objects, Manager[Post])
    assert_type(User.objects, Manager[User])
    assert_type(Page.objects, Manager[Page])
    assert_type(Post.live, PublishedManager)
    assert_type(Post.by_class, Manager[Post])
    assert_type(Post.typed_by_class, Manager[Post])
    assert_type(Post.recent, Manager[Post])
    assert_type(Post.objects(views__gte=1), QuerySet[Post])
    assert_type(Post.objects.get_queryset(), QuerySet[Post])


async def terminals() -> None:
    p = await Post.objects.get(title="x")
    assert_type(p, Post)
    assert_type(p.title, str | None)
    assert_type(await Post.objects(views__gte=1).to_list(), list[Post])
    assert_type(await Post.objects.to_list(), list[Post])
    async for q in Post.objects.order_by("-views"):
        assert_type(q, Post)
    async for q in Post.objects:
        assert_type(q, Post)
    assert_type(await Post.objects.first(), Post | None)
    assert_type(await Post.objects.filter(views=1).first(), Post | None)
    assert_type(await Post.objects(views__gte=1).get(), Post)
    assert_type(await Post.objects.count(), int)
    assert_type(await Post.objects(views=1).count(), int)
    assert_type(await Post.objects.exists(), bool)
    assert_type(await Post.objects(views=1).delete(), int)
    assert_type(await Post.objects.create(title="t"), Post)
    assert_type(await Post.objects[0], Post)
    assert_type(Post.objects[1:3], QuerySet[Post])
    assert_type(await Post.objects.order_by("-views")[0], Post)
    assert_type(await Post.objects.in_bulk([1]), dict[Any, Post])
    assert_type(await Post.objects(views=1).modify(set__views=2, new=True), Post | None)
    assert_type(await Post.objects(views=1), list[Post])
    assert_type(await Post.objects.modify(set__views=2, new=True), Post | None)
    assert_type(await Post.objects.upsert_one(set__views=2), Post)
    assert_type(await Post.objects.in_bulk([1]), dict[Any, Post])
    assert_type(await Post.objects.distinct("title"), list[Any])
    assert_type(await Post.objects.exists(), bool)
    assert_type(Post.objects.only("title").hint("title").batch_size(10), QuerySet[Post])
    assert_type(await Post.objects.update(set__views=1), Any)


async def grouping() -> None:
    grouped = Post.objects.values("title").annotate(n=odm.Count(), total=odm.Sum("views"))
    assert_type(grouped, GroupedQuerySet)
    assert_type(grouped.filter(n__gte=2).order_by("-total").limit(3), GroupedQuerySet)
    assert_type(await grouped.to_list(), list[dict[str, Any]])
    assert_type(await grouped, list[dict[str, Any]])
    assert_type(await grouped.first(), dict[str, Any] | None)
    async for row in grouped:
        assert_type(row, dict[str, Any])
    assert_type(await Post.objects.aggregate_values(top=odm.Max("views")), dict[str, Any])
    assert_type(await Post.objects(views=1).aggregate_values(a=odm.Avg("views")), dict[str, Any])
    assert_type(await Post.objects(views__gt=odm.F("views") * 2).count(), int)
    odm.Sum(odm.F("views") + 1)
    odm.Count("title", distinct=True)
    odm.Min("title")
    wrong = odm.F("views") + "x"  # type: ignore[operator]  # pyright: ignore[reportOperatorIssue, reportUnknownVariableType]
    del wrong


async def chains() -> None:
    qs = Post.objects(views__gte=1)
    assert_type(qs.filter(title="x"), QuerySet[Post])
    assert_type(qs.order_by("-views").skip(1).limit(2), QuerySet[Post])
    assert_type(qs.only("title").exclude("views").select_related().no_dereference(), QuerySet[Post])
    assert_type(qs.none().all().clone().using("other"), QuerySet[Post])
    assert_type(Post.objects.raw({"views": 1}), QuerySet[Post])
    assert_type(Post.objects.none(), QuerySet[Post])


async def plain_data() -> None:
    async for row in Post.objects.values("title"):
        assert_type(row, dict[str, Any])
    async for raw in Post.objects.as_pymongo():
        assert_type(raw, dict[str, Any])
    async for pair in Post.objects.values_list("title", "views"):
        assert_type(pair, tuple[Any, ...])
    async for value in Post.objects.values_list("title", flat=True):
        assert_type(value, Any)
    rows = await Post.objects(views=1).values("title").to_list()
    assert_type(rows, list[dict[str, Any]])
    assert_type(Post.objects.values("title").order_by("title"), QuerySet[Post, dict[str, Any]])


async def custom_querysets() -> None:
    assert_type(Post.custom.get_queryset().published(), PostQuerySet)
    assert_type(await Post.custom.get_queryset().published().first(), Post | None)
    pqs = PostQuerySet(Post)
    assert_type(pqs.published().order_by("-views"), PostQuerySet)
    assert_type(await pqs.published().first(), Post | None)
    async for p in pqs.published():
        assert_type(p, Post)


async def typos_on_loaded_documents() -> None:
    """Each line is an error both checkers must report (see check_constructors.py)."""
    p = await Post.objects.get(title="x")
    print(p.titel)  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownArgumentType]
    user: User = await Post.objects.get(title="x")  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    first = await Post.objects.first()
    print(first.title)  # type: ignore[union-attr]  # pyright: ignore[reportOptionalMemberAccess]
    async for q in Post.objects(views__gte=1):
        q.views.bit_length()  # type: ignore[union-attr]  # pyright: ignore[reportOptionalMemberAccess]
    del user
