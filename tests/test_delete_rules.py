"""Reverse delete rules, checked on the raw stored documents after each delete."""

from __future__ import annotations

import pytest

from asyncodm import CASCADE, NULLIFY, Document, OperationError, ReferenceField, StringField
from asyncodm._delete_rules import plan_delete
from asyncodm._registry import registry
from asyncodm.connection import get_client_adapter
from tests._backends import Backend
from tests.models.refs import Author, Blocker, Bookmark, Car, Chicken, Egg, Post, Team


async def count(backend: Backend, collection: str, flt: dict | None = None) -> int:
    # find, not count_documents: nx's count ignores ObjectId filters (see objectid_count)
    return len(await backend.db[collection].find(flt or {}).to_list(None))


async def test_cascade_chain_across_three_models(backend: Backend) -> None:
    ann = await Author(name="ann").save()
    bob = await Author(name="bob").save()
    post = await Post(title="t", author=ann).save()
    other = await Post(title="u", author=bob).save()
    await Bookmark(post=post, note="mine").save()
    await Bookmark(post=other, note="theirs").save()
    await ann.delete()
    assert await count(backend, "author") == 1
    assert await count(backend, "post") == 1 and await count(backend, "post", {"_id": other.pk}) == 1
    assert await count(backend, "bookmark") == 1
    assert (await backend.db["bookmark"].find_one({}))["note"] == "theirs"


async def test_cycle_is_deleted_once(backend: Backend) -> None:
    hen = await Chicken(name="hen").save()
    egg = await Egg(name="egg", chicken=hen).save()
    hen.egg = egg
    await hen.save()
    await egg.delete()
    assert await count(backend, "chicken") == 0 and await count(backend, "egg") == 0


async def test_deny_blocks_a_queryset_delete_with_nothing_deleted(backend: Backend) -> None:
    a = await Author(name="a").save()
    b = await Author(name="b").save()
    await Post(title="p", author=a).save()
    await Blocker(author=b).save()
    with pytest.raises(OperationError, match=r"Blocker\.author.*DENY"):
        await Author.objects.delete()
    assert await count(backend, "author") == 2
    assert await count(backend, "post") == 1  # a's CASCADE was not applied either
    with pytest.raises(OperationError):
        await b.delete()
    assert await count(backend, "author") == 2


@pytest.mark.needs("objectid_array_update")
async def test_pull_removes_the_deleted_document_from_lists(backend: Backend) -> None:
    a = await Author(name="a").save()
    b = await Author(name="b").save()
    team = await Team(members=[a, b]).save()
    await a.delete()
    stored = await backend.db["team"].find_one({"_id": team.pk})
    assert stored is not None and stored["members"] == [b.pk]


async def test_nullify_unsets_the_reference(backend: Backend) -> None:
    a = await Author(name="a").save()
    keep = await Author(name="keep").save()
    post = await Post(title="t", author=keep, editor=a).save()
    await a.delete()
    stored = await backend.db["post"].find_one({"_id": post.pk})
    assert stored is not None and "editor" not in stored and stored["author"] == keep.pk


async def test_rule_declared_on_an_abstract_parent(backend: Backend) -> None:
    a = await Author(name="a").save()
    car = await Car(model="mini", owner=a).save()
    await a.delete()
    stored = await backend.db["car"].find_one({"_id": car.pk})
    assert stored is not None and "owner" not in stored and stored["model"] == "mini"


async def test_class_defined_after_its_target_and_register_delete_rule(backend: Backend) -> None:
    class Review(Document):
        author = ReferenceField(Author)  # no rule declared
        text = StringField()

    Author.register_delete_rule(Review, "author", CASCADE)
    a = await Author(name="a").save()
    await Review(author=a, text="x").save()
    await Author.objects(pk=a.pk).delete()
    assert await count(backend, "review") == 0


async def test_plan_is_read_only_and_lists_everything(backend: Backend) -> None:
    a = await Author(name="a").save()
    post = await Post(title="t", author=a, editor=a).save()
    await Bookmark(post=post).save()
    plan = await plan_delete([a])
    assert {type(d).__name__ for d in plan.cascade} == {"Post", "Bookmark"}
    updates = {model.__name__: (flt, update) for model, flt, update in plan.updates}
    assert updates["Post"] == ({"editor": {"$in": [a.pk]}}, {"$unset": {"editor": ""}})
    assert updates["Team"] == ({"members": {"$in": [a.pk]}}, {"$pull": {"members": {"$in": [a.pk]}}})
    assert await count(backend, "post") == 1 and await count(backend, "bookmark") == 1


@pytest.mark.needs("transactions")
async def test_cascade_runs_in_one_transaction_where_supported(backend: Backend) -> None:
    # nx runs transactions but reports itself standalone, where MongoDB has none: say so.
    get_client_adapter("default").transactions_ok = True
    a = await Author(name="a").save()
    await Post(title="t", author=a).save()
    backend.reset_commands()
    await a.delete()
    writes = [c for c in backend.commands if c.name in ("delete", "update")]
    assert writes and all("txnNumber" in c.doc for c in writes)
    assert any(c.name == "commitTransaction" for c in backend.commands)


def test_rules_are_in_the_registry() -> None:
    described = {(r.referrer.__name__, r.field, r.rule) for r in registry.rules_for(Author)}
    assert ("Post", "author", CASCADE) in described
    assert ("Post", "editor", NULLIFY) in described
    assert ("Car", "owner", NULLIFY) in described
    assert not any(r[0] == "Owned" for r in described)  # abstract: applied through Car


@pytest.mark.backend_only("nx")
async def test_a_standalone_server_gets_no_transaction(backend: Backend) -> None:
    a = await Author(name="a").save()
    await Post(title="t", author=a).save()
    backend.reset_commands()
    await a.delete()
    assert not any("txnNumber" in c.doc for c in backend.commands)
    assert await count(backend, "post") == 0
