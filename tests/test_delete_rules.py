"""Reverse delete rules, checked on the raw stored documents after each delete."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from asyncodm import (
    CASCADE,
    DENY,
    NULLIFY,
    PULL,
    DictField,
    Document,
    EmbeddedDocument,
    GenericReferenceField,
    InvalidDocumentError,
    ListField,
    MapField,
    OperationError,
    ReferenceField,
    StringField,
)
from asyncodm._io._delete_rules import plan_delete
from asyncodm._registry import registry
from asyncodm.connection import get_client_adapter
from asyncodm.errors import DeleteDenied
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
    assert (
        await count(backend, "post") == 1 and await count(backend, "post", {"_id": other.pk}) == 1
    )
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


async def test_a_deny_names_its_rule_on_the_error(backend: Backend) -> None:
    b = await Author(name="b").save()
    await Blocker(author=b).save()
    with pytest.raises(DeleteDenied) as refused:
        await b.delete()
    assert (refused.value.referrer, refused.value.field) == ("Blocker", "author")
    assert isinstance(refused.value, OperationError)  # what callers catching it already use
    assert await count(backend, "author") == 1


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
    assert updates["Team"] == (
        {"members": {"$in": [a.pk]}},
        {"$pull": {"members": {"$in": [a.pk]}}},
    )
    assert await count(backend, "post") == 1 and await count(backend, "bookmark") == 1


@pytest.mark.needs("transactions")
@pytest.mark.xfail_backend(
    "nx",
    reason="nx runs transactions but reports a Standalone server, where MongoDB has none, so "
    "the cascade (rightly, for what it reports) runs without one",
    raises=AssertionError,
)
async def test_cascade_runs_in_one_transaction_where_supported(backend: Backend) -> None:
    a = await Author(name="a").save()
    await Post(title="t", author=a).save()
    backend.reset_commands()
    await a.delete()
    writes = [c for c in backend.commands if c.name in ("delete", "update")]
    assert writes and all("txnNumber" in c.doc for c in writes)
    assert any(c.name == "commitTransaction" for c in backend.commands)


@pytest.mark.needs("transactions", "command_monitoring")
async def test_each_delete_asks_whether_transactions_run(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing is remembered: a "no" (a replica set between primaries, say) holds for that one
    delete, and the next delete asks the adapter again."""
    answers = iter([False, True])
    asked: list[str] = []

    async def answer(self: Any) -> bool:
        asked.append(self.alias)
        return next(answers)

    monkeypatch.setattr(type(get_client_adapter("default")), "supports_transactions", answer)
    for in_transaction in (False, True):
        a = await Author(name="a").save()
        await Post(title="t", author=a).save()
        backend.reset_commands()
        await a.delete()
        writes = [c for c in backend.commands if c.name in ("delete", "update")]
        assert writes and all(("txnNumber" in c.doc) is in_transaction for c in writes)
    assert len(asked) == 2


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


# --- classes defined by the tests below: the registry is put back afterwards -----------------


@pytest.fixture
def own_models() -> Iterator[None]:
    """Models defined inside a test (and their rules) leave the registry when it ends."""
    saved = registry.snapshot()
    try:
        yield
    finally:
        registry.restore(saved)


async def stored(model: Any, flt: dict | None = None) -> list[dict]:
    """The raw stored documents, read through the driver."""
    return await model.get_collection().find(flt or {}).to_list(None)


def define(name: str, fields: dict[str, Any], base: type = Document) -> Any:
    """A document class whose fields are declared in the order given."""
    return type(name, (base,), {"__module__": __name__, **fields})


@pytest.mark.parametrize("order", ["cascade_first", "deny_first"])
async def test_deny_does_not_depend_on_field_order(
    backend: Backend, own_models: None, order: str
) -> None:
    user = define("OrdUser", {"name": StringField()})
    fields = {
        "author": ReferenceField(user, reverse_delete_rule=CASCADE),
        "editor": ReferenceField(user, reverse_delete_rule=DENY, null=True),
    }
    post = define("OrdPost", dict(sorted(fields.items(), reverse=order == "deny_first")))
    assert list(post._schema.fields)[-2:] == (
        ["author", "editor"] if order == "cascade_first" else ["editor", "author"]
    )

    # The post that protects u is itself deleted by u's CASCADE: it does not block.
    u = await user(name="u").save()
    await post(author=u, editor=u).save()
    await u.delete()
    assert await stored(user) == [] and await stored(post) == []

    # A post the delete keeps does block, and nothing at all is deleted.
    v = await user(name="v").save()
    w = await user(name="w").save()
    await post(author=v, editor=v).save()  # would be cascaded ...
    kept = await post(author=w, editor=v).save()  # ... but this one stays and protects v
    with pytest.raises(OperationError, match=r"1 OrdPost document .*OrdPost\.editor.*DENY"):
        await v.delete()
    assert len(await stored(user)) == 2 and len(await stored(post)) == 2
    with pytest.raises(OperationError, match=str(kept.pk)):
        await user.objects(pk=v.pk).delete()
    assert len(await stored(post)) == 2


@pytest.mark.parametrize("entry_fields", ["deny_first", "cascade_first"])
@pytest.mark.parametrize("classes", ["blog_first", "entry_first"])
async def test_deny_through_a_cascade_to_another_model(
    backend: Backend, own_models: None, entry_fields: str, classes: str
) -> None:
    user = define("XUser", {"name": StringField()})

    def define_blog() -> Any:
        return define("XBlog", {"owner": ReferenceField(user, reverse_delete_rule=CASCADE)})

    def define_entry() -> Any:
        fields = {
            "writer": ReferenceField(user, reverse_delete_rule=DENY),
            "blog": ReferenceField("XBlog", reverse_delete_rule=CASCADE),
        }
        return define("XEntry", dict(sorted(fields.items(), reverse=entry_fields == "deny_first")))

    if classes == "blog_first":
        blog, entry = define_blog(), define_entry()
    else:
        entry, blog = define_entry(), define_blog()

    # u's blog is deleted with u, and with it u's entry in that blog: nothing is left to block.
    u = await user(name="u").save()
    b = await blog(owner=u).save()
    await entry(writer=u, blog=b).save()
    await u.delete()
    assert await stored(user) == [] and await stored(blog) == [] and await stored(entry) == []

    # An entry by v in w's blog survives v's delete, so its DENY refuses it: nothing changes.
    v = await user(name="v").save()
    w = await user(name="w").save()
    vb = await blog(owner=v).save()
    await entry(writer=v, blog=vb).save()
    await entry(writer=v, blog=await blog(owner=w).save()).save()
    with pytest.raises(OperationError, match=r"1 XEntry document .*XEntry\.writer"):
        await v.delete()
    assert len(await stored(user)) == 2
    assert len(await stored(blog)) == 2 and len(await stored(entry)) == 2


async def test_deny_names_model_field_and_count(backend: Backend, own_models: None) -> None:
    user = define("CntUser", {"name": StringField()})
    invoice = define("CntInvoice", {"payer": ReferenceField(user, reverse_delete_rule=DENY)})
    u = await user(name="u").save()
    await invoice(payer=u).save()
    await invoice(payer=u).save()
    with pytest.raises(OperationError) as info:
        await u.delete()
    message = str(info.value)
    assert "CntUser" in message and "2 CntInvoice documents" in message
    assert "CntInvoice.payer (reverse_delete_rule=DENY)" in message
    assert len(await stored(user)) == 1


async def test_rules_on_a_dict_of_references(backend: Backend, own_models: None) -> None:
    user = define("DUser", {"name": StringField()})
    board = define(
        "DBoard", {"roles": DictField(ReferenceField(user, reverse_delete_rule=NULLIFY))}
    )
    squad = define(
        "DSquad", {"members": MapField(ReferenceField(user, reverse_delete_rule=CASCADE))}
    )
    vault = define("DVault", {"keys": DictField(ReferenceField(user, reverse_delete_rule=DENY))})
    a = await user(name="a").save()
    b = await user(name="b").save()
    kept_board = await board(roles={"lead": a, "copy": b, "spare": a}).save()
    other_board = await board(roles={"lead": b}).save()
    await squad(members={"x": a, "y": b}).save()
    kept_squad = await squad(members={"y": b}).save()
    await board.get_collection().insert_one({"note": "no roles"})  # a missing dict is no match

    await a.delete()
    raw = await board.get_collection().find_one({"_id": kept_board.pk})
    assert raw["roles"] == {"copy": b.pk}  # NULLIFY: the keys holding a are gone
    raw = await board.get_collection().find_one({"_id": other_board.pk})
    assert raw["roles"] == {"lead": b.pk}
    assert [d["_id"] for d in await stored(squad)] == [kept_squad.pk]  # CASCADE

    await vault(keys={"k": b}).save()
    with pytest.raises(OperationError, match=r"DVault\.keys.*DENY"):
        await b.delete()
    assert len(await stored(user)) == 1 and len(await stored(squad)) == 1
    raw = await board.get_collection().find_one({"_id": kept_board.pk})
    assert raw["roles"] == {"copy": b.pk}


@pytest.mark.needs("dbref")
async def test_rules_on_generic_references(backend: Backend, own_models: None) -> None:
    book = define("GBook", {"title": StringField()})
    paper = define("GPaper", {"title": StringField()})
    like = define("GLike", {"target": GenericReferenceField(reverse_delete_rule=DENY)})
    pin = define(
        "GPin", {"target": GenericReferenceField(choices=[book], reverse_delete_rule=NULLIFY)}
    )
    shelf = define("GShelf", {"items": ListField(GenericReferenceField(reverse_delete_rule=PULL))})
    review = define("GReview", {"of": GenericReferenceField(on_delete=CASCADE, choices=[paper])})

    liked = await book(title="liked").save()
    await like(target=liked).save()
    with pytest.raises(OperationError, match=r"GLike\.target.*DENY"):
        await liked.delete()
    assert len(await stored(book)) == 1

    # Matched by class name and id: a paper with the same id as a pinned book is another document.
    pinned = await book(title="pinned").save()
    twin = await paper(id=pinned.pk, title="twin").save()
    p = await pin(target=pinned).save()
    s = await shelf(items=[pinned, twin, liked]).save()
    await review(of=twin).save()
    await twin.delete()
    assert await stored(review) == []  # CASCADE
    assert (await pin.get_collection().find_one({"_id": p.pk}))["target"]["_cls"] == "GBook"
    raw = await shelf.get_collection().find_one({"_id": s.pk})
    assert [item["_cls"] for item in raw["items"]] == ["GBook", "GBook"]  # PULL: only the paper

    await pinned.delete()
    assert "target" not in await pin.get_collection().find_one({"_id": p.pk})  # NULLIFY
    raw = await shelf.get_collection().find_one({"_id": s.pk})
    assert [item["_ref"].id for item in raw["items"]] == [liked.pk]


def test_rules_that_cannot_apply_are_refused_at_class_definition(own_models: None) -> None:
    user = define("RUser", {"name": StringField()})
    with pytest.raises(InvalidDocumentError, match=r"RNote\.by: .*EmbeddedDocument"):
        define("RNote", {"by": ReferenceField(user, reverse_delete_rule=CASCADE)}, EmbeddedDocument)
    with pytest.raises(InvalidDocumentError, match=r"RTags\.people: .*EmbeddedDocument"):
        define(
            "RTags",
            {"people": ListField(ReferenceField(user, reverse_delete_rule=PULL))},
            EmbeddedDocument,
        )
    with pytest.raises(InvalidDocumentError, match=r"RGrid\.rows: .*nested"):
        define(
            "RGrid",
            {"rows": ListField(ListField(ReferenceField(user, reverse_delete_rule=NULLIFY)))},
        )
    with pytest.raises(InvalidDocumentError, match=r"RDict\.roles: .*DictField holds no list"):
        define("RDict", {"roles": DictField(ReferenceField(user, reverse_delete_rule=PULL))})
    with pytest.raises(InvalidDocumentError, match=r"RLike\.target: .*use NULLIFY"):
        define("RLike", {"target": GenericReferenceField(reverse_delete_rule=PULL)})
    plain = define("RPlain", {"name": StringField()})
    with pytest.raises(InvalidDocumentError, match=r"RPlain\.name holds no references"):
        user.register_delete_rule(plain, "name", CASCADE)
    # Without a rule, references in embedded documents and nested lists are fine.
    define("ROk", {"by": ReferenceField(user)}, EmbeddedDocument)
    define("RRows", {"rows": ListField(ListField(ReferenceField(user)))})
