"""A small blog on asyncodm: users, pages with embedded comments, a dynamic document, and the
errors a user sees when data is wrong.

Run it with ``make demo`` (embedded in-memory database) or ``MONGODB_URI=mongodb://... make demo``.
"""

from __future__ import annotations

import asyncio
import datetime
import os

import asyncodm
from asyncodm import (
    DateTimeField,
    Document,
    DynamicDocument,
    EmailField,
    EmbeddedDocument,
    EmbeddedDocumentField,
    IntField,
    ListField,
    StringField,
    ValidationError,
)


class Comment(EmbeddedDocument):
    author = StringField(required=True)
    content = StringField(required=True, max_length=200)


class User(Document):
    email = EmailField(primary_key=True)
    name = StringField(required=True, max_length=50)


class Page(Document):
    title = StringField(required=True, max_length=200)
    author = StringField()
    created = DateTimeField(default=datetime.datetime.now)
    tags = ListField(StringField(max_length=30))
    comments = ListField(EmbeddedDocumentField(Comment))
    views = IntField(default=0, min_value=0)
    meta = {"collection": "demo_pages", "ordering": ["-created"]}


class Event(DynamicDocument):
    """Anything goes: undeclared attributes are stored too."""

    kind = StringField(required=True)


def say(text: str) -> None:
    print(f"  {text}")


async def main(uri: str | None = None) -> None:
    uri = uri or os.environ.get("MONGODB_URI") or "mongomock://localhost/asyncodm_demo"
    asyncodm.connect(uri)
    print(f"asyncodm demo on {uri.split('@')[-1]}")
    for model in (User, Page, Event):
        await model.drop_collection()

    print("\n1. Documents are saved with await")
    ann = await User(email="ann@example.com", name="Ann").save()
    bob = await User("bob@example.com", "Bob").save()  # positional, in field order
    say(f"saved {ann!r}")
    say(f"saved {bob!r}")

    page = Page(title="Hello, asyncodm", author=ann.email, tags=["intro", "async"])
    page.comments.append(Comment(author=bob.email, content="Nice!"))
    await page.save()
    say(f"page id {page.pk} with {len(page.comments)} comment(s)")
    raw = await Page.get_collection().find_one({"_id": page.pk})
    say(f"stored as {sorted(raw)}")

    print("\n2. Queries are async")
    await Page(title="Second page", author=bob.email, tags=["async"]).save()
    count = await Page.objects(tags="async").count()
    say(f"{count} pages tagged 'async'")
    async for p in Page.objects(title__istartswith="hello"):
        say(f"found {p.title!r} by {p.author}")
    first = await Page.objects.order_by("title").first()
    say(f"first by title: {first.title if first else None!r}")

    print("\n3. A loaded document sends only what changed")
    loaded = await Page.objects.get(pk=page.pk)
    loaded.comments[0].content = "Very nice!"
    loaded.views += 1
    await loaded.save()
    raw = await Page.get_collection().find_one({"_id": page.pk})
    say(f"comment now {raw['comments'][0]['content']!r}, views {raw['views']}")

    print("\n4. Atomic updates")
    await Page.objects(pk=page.pk).update_one(inc__views=10, push__tags="popular")
    await loaded.reload()
    say(f"views {loaded.views}, tags {loaded.tags}")

    print("\n5. Dynamic documents keep whatever you give them")
    event = Event(kind="signup", user=ann.email)
    event.source = "newsletter"
    await event.save()
    again = await Event.objects.get(pk=event.pk)
    say(f"event {again.kind} from {again.source} for {again.user}")

    print("\n6. Bad data is refused with every problem named")
    bad = Page(
        title="x" * 300, tags=["fine", "t" * 40], views=-1, comments=[Comment(author="carl")]
    )
    try:
        await bad.save()
    except ValidationError as exc:
        for path, message in exc.errors.items():
            say(f"{path}: {message}")
    say(f"nothing was written: {await Page.objects.count()} pages")

    print("\n7. Deleting")
    deleted = await Page.objects(author=bob.email).delete()
    say(f"deleted {deleted} page(s); {await Page.objects.count()} left")
    await asyncodm.disconnect_all()
    print("\ndone")


if __name__ == "__main__":
    asyncio.run(main())
