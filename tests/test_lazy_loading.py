"""``no_lazy_loading()``, the N+1 guard (API.md §14): inside it a dereference that would query
raises ``LazyLoadError`` and sends nothing (``assert_num_queries`` counts what reaches the
driver); whatever is loaded already reads as usual. Task-local like the other contexts."""

from __future__ import annotations

import asyncio

import pytest
from bson import DBRef, ObjectId

import asyncodm
from asyncodm import LazyLoadError, ListField, ReferenceField, StringField, no_lazy_loading
from asyncodm.testing import assert_num_queries
from tests._backends import Backend
from tests.models.refs import Author, Like, Post, Reply, Team


async def authors(*names: str) -> list[Author]:
    return [await Author(name=n).save() for n in names]


async def test_prefetched_references_read_and_the_others_raise_without_a_query(
    backend: Backend,
) -> None:
    a, b, e = await authors("a", "b", "e")
    await Post(title="1", author=a, editor=e).save()
    await Post(title="2", author=b).save()
    with no_lazy_loading():
        async with assert_num_queries(2):  # the posts, then their authors: one $in
            posts = await Post.objects.select_related("author").order_by("title").to_list()
        async with assert_num_queries(0):
            assert [(await p.author).name for p in posts] == ["a", "b"]  # type: ignore[union-attr]
            with pytest.raises(LazyLoadError) as info:
                await posts[0].editor  # type: ignore[misc]
            assert posts[1].editor is None  # unset: nothing to load, nothing raised
    error = info.value
    assert (error.owner, error.field, error.model, error.pks) == (
        "Post",
        "editor",
        "Author",
        [e.pk],
    )
    assert str(error) == (
        f"awaiting Post.editor would query Author {e.pk!r} inside no_lazy_loading(): load it "
        f'with its documents, Post.objects.select_related("editor"), or await it outside the '
        f"block"
    )
    assert (await posts[0].editor).name == "e"  # type: ignore[union-attr]  # outside: one query


async def test_fetch_of_a_handle_is_guarded_too(backend: Backend) -> None:
    (a,) = await authors("a")
    post = await Post(title="t", author=a).save()
    loaded = await Post.objects.get(pk=post.pk)
    with no_lazy_loading():
        async with assert_num_queries(0):
            with pytest.raises(LazyLoadError, match=r"Post\.author"):
                await loaded.author.fetch()  # type: ignore[union-attr]
    async with assert_num_queries(1):
        assert (await loaded.author).name == "a"  # type: ignore[union-attr]
    with no_lazy_loading():
        async with assert_num_queries(0):
            assert (await loaded.author).name == "a"  # type: ignore[union-attr]  # cached
            with pytest.raises(LazyLoadError):
                await loaded.author.fetch(refresh=True)  # type: ignore[union-attr]


async def test_assigned_documents_need_no_query(backend: Backend) -> None:
    (a,) = await authors("a")
    post = Post(title="t", author=a, reviewers=[a])
    with no_lazy_loading():
        async with assert_num_queries(0):
            assert await post.author is a
            assert await post.reviewers == [a]


async def test_lists_and_dicts_of_references(backend: Backend) -> None:
    a, b = await authors("a", "b")
    post = await Post(title="t", author=a, reviewers=[a, b], by_role={"lead": b}).save()
    loaded = await Post.objects.get(pk=post.pk)
    with no_lazy_loading():
        async with assert_num_queries(0):
            with pytest.raises(
                LazyLoadError, match=r"awaiting Post\.reviewers would query 2 Authors"
            ) as info:
                await loaded.reviewers
            assert info.value.pks == [a.pk, b.pk]
            with pytest.raises(LazyLoadError, match=r'select_related\("by_role"\)'):
                await loaded.by_role
        assert await Team().members == []  # nothing to load
    prefetched = await Post.objects.select_related("reviewers", "by_role").get(pk=post.pk)
    with no_lazy_loading():
        async with assert_num_queries(0):
            assert [x.name for x in await prefetched.reviewers] == ["a", "b"]
            assert {k: x.name for k, x in (await prefetched.by_role).items()} == {"lead": "b"}


async def test_a_reference_inside_an_embedded_document_names_the_path_to_give(
    backend: Backend,
) -> None:
    (a,) = await authors("a")
    post = await Post(title="t", author=a, reply=Reply(text="x", by=a)).save()
    loaded = await Post.objects.get(pk=post.pk)
    with no_lazy_loading(), pytest.raises(LazyLoadError) as info:
        await loaded.reply.by  # type: ignore[union-attr,misc]
    assert (info.value.owner, info.value.field) == ("Reply", "by")
    assert '"__by"' in str(info.value)
    prefetched = await Post.objects.select_related("reply__by").get(pk=post.pk)
    with no_lazy_loading():
        async with assert_num_queries(0):
            assert (await prefetched.reply.by).name == "a"  # type: ignore[union-attr]


async def test_a_loaded_generic_reference_is_guarded_on_every_backend(backend: Backend) -> None:
    # Built from its stored form rather than saved: nx cannot store the DBRef inside it.
    (a,) = await authors("a")
    like = Like._from_son(
        {"_id": ObjectId(), "target": {"_cls": "Author", "_ref": DBRef("author", a.pk)}}
    )
    with no_lazy_loading():
        async with assert_num_queries(0):
            with pytest.raises(LazyLoadError) as info:
                await like.target  # type: ignore[misc]
    assert (info.value.owner, info.value.field, info.value.model) == ("Like", "target", "Author")
    async with assert_num_queries(1):
        assert (await like.target).name == "a"  # type: ignore[union-attr]


@pytest.mark.needs("dbref")
async def test_generic_references(backend: Backend) -> None:
    (a,) = await authors("a")
    like = await Like(target=a).save()
    loaded = await Like.objects.get(pk=like.pk)
    with no_lazy_loading():
        async with assert_num_queries(0):
            with pytest.raises(LazyLoadError, match=r"Like\.target would query Author"):
                await loaded.target  # type: ignore[misc]
    prefetched = await Like.objects.select_related("target").get(pk=like.pk)
    with no_lazy_loading():
        async with assert_num_queries(0):
            assert (await prefetched.target).name == "a"  # type: ignore[union-attr]


async def test_fetch_dbref_is_a_lazy_load(backend: Backend) -> None:
    (a,) = await authors("a")
    ref = DBRef("author", a.pk)
    with no_lazy_loading():
        async with assert_num_queries(0):
            with pytest.raises(LazyLoadError, match=r"fetch_dbref\(DBRef\('author'"):
                await asyncodm.fetch_dbref(ref)
    assert (await asyncodm.fetch_dbref(ref)).name == "a"


async def test_a_prefetched_dangling_reference_raises_what_it_always_did_without_a_query(
    backend: Backend,
) -> None:
    ghost = ObjectId()
    await Post(title="t", author=ghost, editor=ghost).save()
    [post] = await Post.objects.select_related("author", "editor").to_list()
    with no_lazy_loading():
        async with assert_num_queries(0):
            assert await post.editor is None  # null=True: reads as None
            with pytest.raises(Author.DoesNotExist, match="dangling"):
                await post.author
    assert post.author.dangling and not post.author.fetched  # type: ignore[union-attr]


async def test_explicit_queries_run_inside_the_guard(backend: Backend) -> None:
    (a,) = await authors("a")
    with no_lazy_loading():
        async with assert_num_queries(2):
            assert (await Author.objects.get(pk=a.pk)).name == "a"
            await Post(title="t", author=a).save()


async def test_async_with_nesting_and_restoring(backend: Backend) -> None:
    (a,) = await authors("a")
    post = await Post(title="t", author=a, editor=a).save()
    loaded = await Post.objects.get(pk=post.pk)
    guard = no_lazy_loading()
    async with guard:
        with guard, no_lazy_loading():  # the same guard again, and another: nested
            pass
        with pytest.raises(LazyLoadError):  # still active after the inner blocks
            await loaded.author
    assert (await loaded.author).name == "a"  # type: ignore[union-attr]
    with pytest.raises(RuntimeError, match="boom"), no_lazy_loading():
        raise RuntimeError("boom")
    assert (await loaded.editor).name == "a"  # type: ignore[union-attr]  # restored on error


async def test_concurrent_tasks_do_not_see_each_others_guard(backend: Backend) -> None:
    class Memo(asyncodm.Document):
        text = StringField()
        by = ReferenceField(Author)
        seen = ListField(ReferenceField(Author))

    (a,) = await authors("a")
    memo = await Memo(text="m", by=a, seen=[a]).save()
    inside_started, outside_done = asyncio.Event(), asyncio.Event()

    async def guarded() -> str:
        loaded = await Memo.objects.get(pk=memo.pk)
        with no_lazy_loading():
            inside_started.set()
            await outside_done.wait()  # the other task reads while this guard is active
            try:
                await loaded.by
            except LazyLoadError as exc:
                return str(exc)
            return "no error"

    async def unguarded() -> str:
        await inside_started.wait()
        loaded = await Memo.objects.get(pk=memo.pk)
        names = [x.name for x in await loaded.seen]
        author = await loaded.by
        outside_done.set()
        assert author is not None
        return f"{author.name} {names}"

    inside, outside = await asyncio.gather(guarded(), unguarded())
    assert outside == "a ['a']"
    assert inside.startswith("awaiting Memo.by would query Author")


async def test_a_task_started_inside_the_block_inherits_it(backend: Backend) -> None:
    (a,) = await authors("a")
    loaded = await Post.objects.get(pk=(await Post(title="t", author=a).save()).pk)

    async def deref() -> None:
        await loaded.author

    with no_lazy_loading():
        task = asyncio.create_task(deref())
    with pytest.raises(LazyLoadError):
        await task
    await asyncio.create_task(deref())  # started outside: fine
