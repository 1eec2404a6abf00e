"""Custom managers and querysets: every way the older ODMs let you change ``Model.objects``."""

from __future__ import annotations

from typing import Any

from asyncodm import (
    BooleanField,
    Document,
    IntField,
    Manager,
    QuerySet,
    StringField,
    queryset_manager,
)


class ArticleQuerySet(QuerySet):
    def published(self) -> ArticleQuerySet:
        return self.filter(published=True)

    async def total_words(self) -> int:
        total: int = await self.sum("words")
        return total


class PublishedManager(Manager):
    def get_queryset(self) -> QuerySet:
        return super().get_queryset().filter(published=True)


class Article(Document):
    title = StringField()
    published = BooleanField(default=False)
    words = IntField(default=0)

    objects = Manager.from_queryset(ArticleQuerySet)()
    live = PublishedManager()

    @queryset_manager
    def long_reads(doc_cls: Any, queryset: QuerySet) -> QuerySet:  # noqa: N805 - MongoEngine's signature
        return queryset.filter(words__gte=1000).order_by("-words")

    @queryset_manager
    def drafts(queryset: QuerySet) -> QuerySet:  # noqa: N805 - the one-argument form
        return queryset.filter(published=False)

    meta = {"collection": "articles"}


class MemoQuerySet(QuerySet):
    def short(self) -> MemoQuerySet:
        return self.filter(words__lt=10)


class Brief(Document):
    title = StringField()
    words = IntField()
    meta = {"collection": "briefs", "queryset_class": MemoQuerySet}


class Bulletin(Document):
    """Its default manager hides drafts: ``doc.update()`` must still reach a draft."""

    title = StringField()
    published = BooleanField(default=False)
    words = IntField(default=0)

    objects = PublishedManager()
    meta = {"collection": "bulletins"}
