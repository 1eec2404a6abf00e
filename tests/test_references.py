"""References: storage, awaitable handles, lists and dicts of references, generic references,
select_related without N+1 queries, and queries that take documents."""

from __future__ import annotations

import pytest
from bson import DBRef, ObjectId

import asyncodm
from asyncodm import (
    DictField,
    GenericReferenceField,
    ListField,
    Ref,
    ReferenceField,
    StringField,
    ValidationError,
    no_auto_dereference,
)
from asyncodm.testing import assert_num_queries, capture_commands
from tests._backends import Backend
from tests.models.refs import Author, Like, Post, Reply, Team


async def authors(*names: str) -> list[Author]:
    return [await Author(name=n).save() for n in names]


async def test_reference_is_stored_as_the_pk_and_reads_as_an_awaitable_handle(
    backend: Backend,
) -> None:
    (ann,) = await authors("ann")
    post = await Post(title="t", author=ann).save()
    stored = await backend.db["post"].find_one({"_id": post.pk})
    assert stored is not None and stored["author"] == ann.pk
    loaded = await Post.objects.get(pk=post.pk)
    handle = loaded.author
    assert isinstance(handle, Ref) and handle.pk == ann.pk and not handle.fetched
    assert handle == ann
    fetched = await loaded.author
    assert isinstance(fetched, Author) and fetched.name == "ann"
    assert loaded.author.fetched and loaded.author.name == "ann"  # passes through once fetched


async def test_await_fetches_once_and_pk_needs_no_query(backend: Backend) -> None:
    (ann,) = await authors("ann")
    post = await Post(title="t", author=ann).save()
    loaded = await Post.objects.get(pk=post.pk)
    async with assert_num_queries(0):
        assert loaded.author.pk == ann.pk
    async with assert_num_queries(1) as q:
        await loaded.author
        await loaded.author
    assert q.commands[0][:2] == ("find", "author")


async def test_assign_pk_dbref_or_document_and_unsaved_is_a_validation_error(
    backend: Backend,
) -> None:
    (ann,) = await authors("ann")
    for value in (ann, ann.pk, str(ann.pk), DBRef("author", ann.pk)):
        post = Post(title="t", author=value)
        assert post.author.pk == ann.pk
        await post.save()
        assert (await post.author).name == "ann"
    with pytest.raises(ValidationError) as info:
        await Post(title="t", author=Author(name="unsaved")).save()
    assert "author" in info.value.errors and "unsaved Author" in info.value.errors["author"]


async def test_dangling_reference_names_collection_and_id_or_gives_none(backend: Backend) -> None:
    ghost = ObjectId()
    post = await Post(title="t", author=ghost, editor=ghost).save()
    loaded = await Post.objects.get(pk=post.pk)
    with pytest.raises(Author.DoesNotExist, match=f"Post.author.*{ghost}.*'author'"):
        await loaded.author
    assert await loaded.editor is None  # null=True: a dangling reference reads as None


async def test_list_of_references_fetches_in_one_query_in_order(backend: Backend) -> None:
    a, b, c = await authors("a", "b", "c")
    post = await Post(title="t", author=a, reviewers=[c, a, b, c]).save()
    stored = await backend.db["post"].find_one({"_id": post.pk})
    assert stored is not None and stored["reviewers"] == [c.pk, a.pk, b.pk, c.pk]
    loaded = await Post.objects.get(pk=post.pk)
    async with assert_num_queries(1):
        docs = await loaded.reviewers
    assert [d.name for d in docs] == ["c", "a", "b", "c"]


async def test_a_new_documents_list_of_references_is_awaitable(backend: Backend) -> None:
    team = Team()
    assert await team.members == []  # awaitable before any save or load, like a loaded one


async def test_appending_saved_documents_to_a_list_of_references(backend: Backend) -> None:
    a, b = await authors("a", "b")
    team = Team()
    team.members.append(a)  # in place: no assignment, so no coercion on the way in
    await team.save()
    loaded = await Team.objects.get(pk=team.pk)
    loaded.members.append(b)
    await loaded.save()
    stored = await backend.db["team"].find_one({"_id": team.pk})
    assert stored is not None and stored["members"] == [a.pk, b.pk]
    assert [m.name for m in await (await Team.objects.get(pk=team.pk)).members] == ["a", "b"]


async def test_dict_of_references(backend: Backend) -> None:
    a, b = await authors("a", "b")
    post = await Post(title="t", author=a, by_role={"lead": a, "copy": b}).save()
    stored = await backend.db["post"].find_one({"_id": post.pk})
    assert stored is not None and stored["by_role"] == {"lead": a.pk, "copy": b.pk}
    loaded = await Post.objects.get(pk=post.pk)
    docs = await loaded.by_role
    assert {k: v.name for k, v in docs.items()} == {"lead": "a", "copy": "b"}


@pytest.mark.needs("dbref")
async def test_generic_reference_stores_class_and_dbref(backend: Backend) -> None:
    (ann,) = await authors("ann")
    post = await Post(title="t", author=ann).save()
    likes = [await Like(target=ann).save(), await Like(target=post).save()]
    stored = await backend.db["like"].find_one({"_id": likes[1].pk})
    assert stored is not None and stored["target"] == {
        "_cls": "Post",
        "_ref": DBRef("post", post.pk),
    }
    loaded = [await Like.objects.get(pk=like.pk) for like in likes]
    assert isinstance(await loaded[0].target, Author)
    assert isinstance(await loaded[1].target, Post)
    with pytest.raises(ValidationError, match="expected a document of Post, Author"):
        await Like(target=await Like(target=ann).save()).save()


@pytest.mark.needs("dbref")
async def test_dbref_storage(backend: Backend) -> None:
    class Citation(asyncodm.Document):
        source = ReferenceField(Author, dbref=True)

    (ann,) = await authors("ann")
    cite = await Citation(source=ann).save()
    stored = await backend.db["citation"].find_one({"_id": cite.pk})
    assert stored is not None and stored["source"] == DBRef("author", ann.pk)
    loaded = await Citation.objects.get(pk=cite.pk)
    assert (await loaded.source).name == "ann"
    assert await Citation.objects(source=ann).count() == 1


async def test_select_related_makes_one_query_per_collection(backend: Backend) -> None:
    people = await authors(*[f"a{i}" for i in range(10)])
    for i in range(100):
        await Post(
            title=f"p{i}",
            author=people[i % 10],
            reviewers=[people[(i + 1) % 10]],
            reply=Reply(text="r", by=people[(i + 2) % 10]),
        ).save()
    backend.reset_commands()
    async with assert_num_queries(2) as q:
        posts = await Post.objects.select_related("author", "reviewers", "reply__by").to_list()
    assert len(posts) == 100
    # one find on the posts, then one $in on authors for all three paths together
    assert [(c.name, c.collection) for c in q.commands] == [("find", "post"), ("find", "author")]
    assert sorted(q.commands[1].command["filter"]["_id"]["$in"]) == sorted(a.pk for a in people)
    if backend.has("command_monitoring"):  # and on the wire, no further batch either
        assert "getMore" not in [c.name for c in backend.commands]
    async with assert_num_queries(0):
        for post in posts:
            assert (await post.author).name.startswith("a")
            assert (await post.reviewers)[0].name.startswith("a")
            assert (await post.reply.by).name.startswith("a")


async def test_select_related_makes_one_query_per_collection_per_level(backend: Backend) -> None:
    class Blogger(asyncodm.Document):
        name = StringField()
        mentor = ReferenceField("self", null=True)

    class Topic(asyncodm.Document):
        name = StringField()

    class Story(asyncodm.Document):
        title = StringField()
        blogger = ReferenceField(Blogger)
        topic = ReferenceField(Topic)
        editor = ReferenceField(Blogger)

    mentors = [await Blogger(name=f"m{i}").save() for i in range(3)]
    writers = [await Blogger(name=f"w{i}", mentor=mentors[i % 3]).save() for i in range(10)]
    chief = await Blogger(name="chief").save()
    topics = [await Topic(name=f"t{i}").save() for i in range(4)]
    for i in range(100):
        editor = chief if i % 2 else mentors[0]
        await Story(
            title=f"{i}", blogger=writers[i % 10], topic=topics[i % 4], editor=editor
        ).save()
    paths = ("blogger", "topic", "editor", "blogger__mentor")
    async with capture_commands() as q:
        stories = await Story.objects.select_related(*paths).to_list()
    assert len(stories) == 100
    # the stories; then the writers and editors (one query) and the topics; then the mentors
    assert q.names == ["find"] * 4, q.names
    story_find, *first_level, mentor_find = q.commands
    assert story_find.collection == "story" and mentor_find.collection == "blogger"
    wanted = {c.collection: sorted(c.command["filter"]["_id"]["$in"]) for c in first_level}
    assert wanted == {
        "blogger": sorted(b.pk for b in [*writers, chief, mentors[0]]),
        "topic": sorted(t.pk for t in topics),
    }
    # mentor m0 came with the editors: only m1 and m2 are asked for
    assert sorted(mentor_find.command["filter"]["_id"]["$in"]) == sorted(m.pk for m in mentors[1:])
    stories.sort(key=lambda story: int(story.title))
    async with assert_num_queries(0):
        for i, story in enumerate(stories):
            writer = await story.blogger
            assert writer.name == f"w{i % 10}" and (await story.topic).name == f"t{i % 4}"
            assert (await writer.mentor).name == f"m{i % 10 % 3}"
            assert (await story.editor).name == ("chief" if i % 2 else "m0")
    assert stories[0].editor.document is stories[0].blogger.mentor.document  # fetched once


async def test_select_related_splits_a_huge_in_list(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = await authors(*[f"a{i}" for i in range(10)])
    await Post(title="t", author=people[0], reviewers=people).save()
    monkeypatch.setattr(asyncodm._io._deref, "MAX_IN", 4)
    async with capture_commands() as q:
        (post,) = await Post.objects.select_related("author", "reviewers").to_list()
    assert [c.collection for c in q.commands] == ["post", "author", "author", "author"]
    asked = [len(c.command["filter"]["_id"]["$in"]) for c in q.commands[1:]]
    assert asked == [4, 4, 2]
    assert [r.document.name for r in post.reviewers] == [p.name for p in people]


async def test_select_related_shares_documents_and_leaves_dangling_references_as_before(
    backend: Backend,
) -> None:
    a, b = await authors("a", "b")
    ghost = ObjectId()
    await Post(title="1", author=a, reviewers=[b, a], reply=Reply(by=b)).save()
    await Post(title="2", author=ghost, editor=ghost, reviewers=[ghost, b]).save()
    posts = {
        p.title: p
        for p in await Post.objects.select_related(
            "author", "editor", "reviewers", "reply__by"
        ).to_list()
    }
    first, second = posts["1"], posts["2"]
    assert first.author.fetched and all(r.fetched for r in first.reviewers)
    assert first.reply.by.document is first.reviewers[0].document  # one fetch, one instance
    assert second.reviewers[1].fetched and not second.reviewers[0].fetched
    assert not second.author.fetched and not second.editor.fetched
    with pytest.raises(Author.DoesNotExist, match=f"Post.author.*{ghost}.*'author'"):
        await second.author
    assert await second.editor is None  # null=True: a dangling reference reads as None


@pytest.mark.needs("dbref")
async def test_select_related_groups_generic_references_by_class(backend: Backend) -> None:
    class Pin(asyncodm.Document):
        target = GenericReferenceField()
        owner = ReferenceField(Author)

    a, b = await authors("a", "b")
    post = await Post(title="t", author=a).save()
    await Pin(target=post, owner=a).save()
    await Pin(target=b, owner=a).save()
    pins = await Pin.objects.select_related("target", "owner", "target__author").to_list()
    targets = [pin.target.document for pin in pins]
    assert [type(t).__name__ for t in targets] == ["Post", "Author"]
    assert targets[0].title == "t" and targets[0].author.document.name == "a"
    assert targets[1].name == "b" and all(pin.owner.document.name == "a" for pin in pins)


async def test_no_auto_dereference_gives_raw_ids(backend: Backend) -> None:
    a, b = await authors("a", "b")
    post = await Post(title="t", author=a, reviewers=[b]).save()
    loaded = await Post.objects.get(pk=post.pk)
    with no_auto_dereference(Post):
        assert loaded.author == a.pk and not isinstance(loaded.author, Ref)
    assert isinstance(loaded.author, Ref)
    raw_loaded = await Post.objects.no_dereference().get(pk=post.pk)
    assert raw_loaded.author == a.pk and raw_loaded.reviewers == [b.pk]


async def test_no_auto_dereference_covers_lists_and_dicts_of_references(backend: Backend) -> None:
    a, b = await authors("a", "b")
    post = await Post(title="t", author=a, reviewers=[b, a], by_role={"lead": a, "copy": b}).save()
    before = await Post.get_collection().find_one({"_id": post.pk})
    read_before = await Post.objects.get(pk=post.pk)
    assert isinstance(read_before.reviewers[0], Ref)  # handles, kept on the document
    read_inside = await Post.objects.get(pk=post.pk)
    with no_auto_dereference(Post):
        for loaded in (read_before, read_inside):
            assert loaded.author == a.pk
            assert loaded.reviewers == [b.pk, a.pk] and type(loaded.reviewers) is list
            assert not any(isinstance(r, Ref) for r in loaded.reviewers)
            assert loaded.by_role == {"lead": a.pk, "copy": b.pk}
            assert not isinstance(loaded.by_role["lead"], Ref)
        read_inside.title = "renamed inside the block"
        await read_inside.save()
    for loaded in (read_before, read_inside):  # handles again: nothing raw was kept
        assert isinstance(loaded.reviewers[1], Ref) and loaded.reviewers[1].pk == a.pk
        assert isinstance(loaded.by_role["copy"], Ref) and loaded.by_role["copy"].pk == b.pk
        assert [d.name for d in await loaded.reviewers] == ["b", "a"]
    after = await Post.get_collection().find_one({"_id": post.pk})
    assert after == {**before, "title": "renamed inside the block"}
    await read_before.save()
    assert await Post.get_collection().find_one({"_id": post.pk}) == after


@pytest.mark.needs("dbref")
async def test_no_auto_dereference_lists_of_dbrefs_and_generic_references(backend: Backend) -> None:
    class Shelf(asyncodm.Document):
        books = ListField(ReferenceField(Author, dbref=True))
        picks = DictField(GenericReferenceField())

    (ann,) = await authors("ann")
    post = await Post(title="t", author=ann).save()
    shelf = await Shelf(books=[ann], picks={"p": post}).save()
    loaded = await Shelf.objects.get(pk=shelf.pk)
    with no_auto_dereference(Shelf):
        assert loaded.books == [DBRef("author", ann.pk)]
        assert loaded.picks == {"p": {"_cls": "Post", "_ref": DBRef("post", post.pk)}}
    assert isinstance(loaded.books[0], Ref) and isinstance(loaded.picks["p"], Ref)


async def test_values_list_and_distinct_without_dereferencing(backend: Backend) -> None:
    a, b = await authors("a", "b")
    await Post(title="t", author=a, reviewers=[b, a], by_role={"lead": b}).save()

    def ids(values: list) -> list:
        assert not any(isinstance(v, Ref) for v in values), values  # a Ref equals its pk
        return values

    raw = Post.objects.no_dereference()
    assert ids(await raw.values_list("author", flat=True).to_list()) == [a.pk]
    [(reviewers, by_role)] = await raw.values_list("reviewers", "by_role").to_list()
    assert ids(reviewers) == [b.pk, a.pk] and ids(list(by_role.values())) == [b.pk]
    assert ids(await raw.distinct("author")) == [a.pk]
    with no_auto_dereference(Post):
        assert ids(await Post.objects.values_list("author", flat=True).to_list()) == [a.pk]
    handles = await Post.objects.values_list("author", flat=True).to_list()
    assert isinstance(handles[0], Ref) and handles[0].pk == a.pk


def test_document_values_compile_to_stored_references() -> None:
    a, b = Author(name="a", id=ObjectId()), Author(name="b", id=ObjectId())
    assert Post.objects(author=a)._query == {"author": a.pk}
    assert Post.objects(author__in=[a, b])._query == {"author": {"$in": [a.pk, b.pk]}}
    assert Post.objects(reviewers=b)._query == {"reviewers": b.pk}
    assert Post.objects(reviewers__all=[a, b])._query == {"reviewers": {"$all": [a.pk, b.pk]}}


@pytest.mark.needs("objectid_equality")
async def test_queries_take_documents(backend: Backend) -> None:
    a, b = await authors("a", "b")
    await Post(title="1", author=a, reviewers=[a, b]).save()
    await Post(title="2", author=b, reviewers=[b]).save()
    assert [p.title for p in await Post.objects(author=a).to_list()] == ["1"]
    assert await Post.objects(author__in=[a, b]).count() == 2
    assert await Post.objects(reviewers=b).count() == 2
    assert await Post.objects(reviewers__in=[a]).count() == 1
    assert await Post.objects(reviewers__all=[a, b]).count() == 1


@pytest.mark.needs("objectid_array_update")
async def test_updates_take_documents(backend: Backend) -> None:
    a, b, c = await authors("a", "b", "c")
    p1 = await Post(title="1", author=a, reviewers=[a, b]).save()
    await Post.objects(pk=p1.pk).update_one(push__reviewers=c)
    stored = await backend.db["post"].find_one({"_id": p1.pk})
    assert stored is not None and stored["reviewers"] == [a.pk, b.pk, c.pk]
    await Post.objects(pk=p1.pk).update_one(pull__reviewers=b)
    stored = await backend.db["post"].find_one({"_id": p1.pk})
    assert stored is not None and stored["reviewers"] == [a.pk, c.pk]
    await Post.objects(pk=p1.pk).update_one(set__author=c)
    stored = await backend.db["post"].find_one({"_id": p1.pk})
    assert stored is not None and stored["author"] == c.pk


async def test_cascade_save_saves_changed_referenced_documents(backend: Backend) -> None:
    (ann,) = await authors("ann")
    post = await Post(title="t", author=ann).save()
    loaded = await Post.objects.get(pk=post.pk)
    author = await loaded.author
    author.name = "ann renamed"
    new_editor = Author(name="fresh")
    loaded.editor = new_editor
    await loaded.save(cascade=True)
    stored = await backend.db["author"].find_one({"_id": ann.pk})
    assert stored is not None and stored["name"] == "ann renamed"
    assert new_editor.pk is not None
    stored_post = await backend.db["post"].find_one({"_id": post.pk})
    assert stored_post is not None and stored_post["editor"] == new_editor.pk


async def test_to_dbref_and_fetch_dbref(backend: Backend) -> None:
    (ann,) = await authors("ann")
    ref = ann.to_dbref()
    assert ref == DBRef("author", ann.pk)
    again = await asyncodm.fetch_dbref(ref)
    assert isinstance(again, Author) and again.pk == ann.pk
