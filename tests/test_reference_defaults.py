"""The default of a list or dict of references reads as an awaitable ``RefList`` / ``RefDict``
on a new document, as an assigned or loaded value does, however the default is spelt.

``Post.reviewers`` is ``ListField(ReferenceField(Author), default=list)``: a new post's
reviewers could not be awaited before (``TypeError: object list can't be used in 'await'
expression``), only a saved and reloaded post's could."""

from __future__ import annotations

from typing import Any

import pytest
from bson import ObjectId

from asyncodm import Ref, RefDict, RefList, ValidationError
from asyncodm.testing import assert_num_queries
from tests._backends import Backend
from tests.models.ref_defaults import Reading
from tests.models.refs import Author, Post

LISTS = ("spelt_list", "unspelt", "by_callable", "by_constant", "ranked")
DICTS = ("roles", "roles_unspelt", "roles_by_callable")


async def authors(*names: str) -> list[Author]:
    return [await Author(name=n).save() for n in names]


async def test_a_new_posts_reviewers_are_awaitable_and_give_appended_documents_without_a_query(
    backend: Backend,
) -> None:
    ann, bob = await authors("ann", "bob")
    post = Post(title="t", author=ann)
    assert isinstance(post.reviewers, RefList)
    post.reviewers.append(ann)
    post.reviewers.append(bob)
    async with assert_num_queries(0):
        assert await post.reviewers == [ann, bob]
        assert [a.name for a in await post.reviewers] == ["ann", "bob"]
    await post.save()
    stored = await backend.db["post"].find_one({"_id": post.pk})
    assert stored is not None and stored["reviewers"] == [ann.pk, bob.pk]
    loaded = await Post.objects.get(pk=post.pk)
    assert isinstance(loaded.reviewers, RefList)
    assert all(isinstance(r, Ref) and not r.fetched for r in loaded.reviewers)
    async with assert_num_queries(1):
        assert [a.name for a in await loaded.reviewers] == ["ann", "bob"]


async def test_a_new_posts_dict_of_references_is_awaitable_and_saved_as_pks(
    backend: Backend,
) -> None:
    ann, bob = await authors("ann", "bob")
    post = Post(title="t", author=ann)
    assert isinstance(post.by_role, RefDict)
    post.by_role["lead"] = ann
    post.by_role["copy"] = bob
    async with assert_num_queries(0):
        assert {k: v.name for k, v in (await post.by_role).items()} == {
            "lead": "ann",
            "copy": "bob",
        }
    await post.save()
    stored = await backend.db["post"].find_one({"_id": post.pk})
    assert stored is not None and stored["by_role"] == {"lead": ann.pk, "copy": bob.pk}
    loaded = await Post.objects.get(pk=post.pk)
    assert isinstance(loaded.by_role, RefDict)
    async with assert_num_queries(1):
        assert {k: v.name for k, v in (await loaded.by_role).items()} == {
            "lead": "ann",
            "copy": "bob",
        }


@pytest.mark.parametrize("name", LISTS)
async def test_every_spelling_of_a_list_default_reads_as_an_awaitable_list(
    backend: Backend, name: str
) -> None:
    ann, bob = await authors("ann", "bob")
    reading = Reading(title="r")
    value = getattr(reading, name)
    assert type(value) is RefList and value == []
    assert getattr(Reading(title="other"), name) is not value  # never shared between documents
    value.extend([bob, ann])
    async with assert_num_queries(0):
        assert await getattr(reading, name) == [bob, ann]
    await reading.save()
    stored = await backend.db["readings"].find_one({"_id": reading.pk})
    assert stored is not None
    # the sorted list is stored sorted by pk (ann was saved first)
    expected = [ann.pk, bob.pk] if name == "ranked" else [bob.pk, ann.pk]
    assert stored[name] == expected
    loaded = await Reading.objects.get(pk=reading.pk)
    assert type(getattr(loaded, name)) is RefList
    async with assert_num_queries(1):
        assert [a.pk for a in await getattr(loaded, name)] == expected


@pytest.mark.parametrize("name", DICTS)
async def test_every_spelling_of_a_dict_default_reads_as_an_awaitable_dict(
    backend: Backend, name: str
) -> None:
    (ann,) = await authors("ann")
    reading = Reading(title="r")
    value = getattr(reading, name)
    assert type(value) is RefDict and value == {}
    assert getattr(Reading(title="other"), name) is not value
    value["lead"] = ann
    async with assert_num_queries(0):
        assert await getattr(reading, name) == {"lead": ann}
    await reading.save()
    stored = await backend.db["readings"].find_one({"_id": reading.pk})
    assert stored is not None and stored[name] == {"lead": ann.pk}
    loaded = await Reading.objects.get(pk=reading.pk)
    assert type(getattr(loaded, name)) is RefDict
    async with assert_num_queries(1):
        assert {k: v.name for k, v in (await getattr(loaded, name)).items()} == {"lead": "ann"}


async def test_a_loaded_document_without_the_container_reads_the_default_awaitable_and_saves_nothing(
    backend: Backend,
) -> None:
    pk = ObjectId()
    await backend.db["readings"].insert_one({"_id": pk, "title": "old"})
    loaded = await Reading.objects.get(pk=pk)
    for name in LISTS:
        assert type(getattr(loaded, name)) is RefList
        assert await getattr(loaded, name) == []
    for name in DICTS:
        assert type(getattr(loaded, name)) is RefDict
        assert await getattr(loaded, name) == {}
    loaded.title = "new"
    await loaded.save()  # reading a default is no change: only the title is sent
    assert await backend.db["readings"].find_one({"_id": pk}) == {"_id": pk, "title": "new"}


async def test_documents_assigned_to_a_new_document_are_awaited_without_a_query(
    backend: Backend,
) -> None:
    ann, bob = await authors("ann", "bob")
    post = Post(title="t", author=ann, reviewers=[bob], by_role={"lead": ann})
    post.reviewers.append(ann)
    async with assert_num_queries(0):
        assert await post.reviewers == [bob, ann]
        assert await post.by_role == {"lead": ann}


def test_describe_reports_the_declared_default() -> None:
    fields: dict[str, Any] = Reading._schema.fields
    assert fields["spelt_list"].describe().default is list
    assert fields["roles"].describe().default is dict
    assert fields["unspelt"].describe().default is RefList  # unchanged: what it always said
    callable_default = fields["by_callable"].describe().default
    assert callable(callable_default) and callable_default() == []
    assert fields["by_constant"].describe().default == []


async def test_cascade_saves_documents_appended_to_a_new_documents_containers(
    backend: Backend,
) -> None:
    (ann,) = await authors("ann")
    post = Post(title="t", author=ann)
    post.reviewers.append(Author(name="new"))  # in place: an unsaved document, no handle
    post.by_role["lead"] = Author(name="lead")
    await post.save(cascade=True)
    new = await backend.db["author"].find_one({"name": "new"})
    lead = await backend.db["author"].find_one({"name": "lead"})
    assert new is not None and lead is not None
    stored = await backend.db["post"].find_one({"_id": post.pk})
    assert stored is not None
    assert stored["reviewers"] == [new["_id"]] and stored["by_role"] == {"lead": lead["_id"]}
    assert [a.name for a in await post.reviewers] == ["new"]


async def test_an_appended_unsaved_document_without_cascade_is_a_validation_error(
    backend: Backend,
) -> None:
    (ann,) = await authors("ann")
    post = Post(title="t", author=ann)
    post.reviewers.append(Author(name="new"))
    with pytest.raises(ValidationError) as info:
        await post.save()
    assert "unsaved Author" in info.value.errors["reviewers.0"]
    assert await backend.db["post"].count_documents({}) == 0
    assert await backend.db["author"].count_documents({}) == 1
