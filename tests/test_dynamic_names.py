"""Names MongoDB would not read as plain keys (``$where``, ``a.b``, NUL) never reach the
server from a dynamic attribute, a constructor keyword or a query path: each is refused with
an asyncodm error naming it. Names a stored document already holds are data: they load, read
and save back as they are."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from bson import ObjectId

from asyncodm import FieldDoesNotExist, LookUpError, Q, ValidationError
from asyncodm.testing import capture_commands
from tests._backends import Backend
from tests.models.library import Book, Memo
from tests.models.survey import FieldNote, Survey

#: Names refused as dynamic attributes, with the words the error uses for each.
BAD_NAMES = {
    "$where": "not starting with '$'",
    "$set": "not starting with '$'",
    "$": "not starting with '$'",
    "a.b": "without '.'",
    ".hidden": "without '.'",
    "a\x00b": "without NUL characters",
}


def _refused(info: pytest.ExceptionInfo[FieldDoesNotExist], model: str, name: str) -> None:
    error = info.value
    assert error.field == name
    assert str(error).startswith(f"{model}: {name!r} cannot be a dynamic attribute: expected ")
    assert BAD_NAMES[name] in str(error) and str(error).endswith(f"found {name!r}")


@pytest.mark.parametrize("name", BAD_NAMES)
async def test_a_dynamic_keyword_that_is_no_plain_key_is_refused_and_nothing_is_sent(
    backend: Backend, name: str
) -> None:
    with pytest.raises(FieldDoesNotExist) as info:
        Memo(title="t", **{name: 1})
    _refused(info, "Memo", name)
    async with capture_commands() as log:
        with pytest.raises(FieldDoesNotExist):
            await Memo.objects.create(title="t", **{name: 1})
    assert len(log) == 0
    assert await backend.db["memos"].count_documents({}) == 0


@pytest.mark.parametrize("name", BAD_NAMES)
async def test_assigning_such_a_dynamic_attribute_is_refused_on_new_and_loaded_documents(
    backend: Backend, name: str
) -> None:
    new = Memo(title="t")
    with pytest.raises(FieldDoesNotExist) as info:
        setattr(new, name, 1)
    _refused(info, "Memo", name)
    with pytest.raises(FieldDoesNotExist):
        new[name] = 1
    await new.save()
    assert await backend.db["memos"].find_one({"_id": new.pk}) == {"_id": new.pk, "title": "t"}
    loaded = await Memo.objects.get(pk=new.pk)
    with pytest.raises(FieldDoesNotExist):
        setattr(loaded, name, {"$ne": None})
    loaded.mood = "fine"  # a plain name still works
    await loaded.save()
    stored = await backend.db["memos"].find_one({"_id": new.pk})
    assert stored == {"_id": new.pk, "title": "t", "mood": "fine"}


async def test_a_dynamic_embedded_document_refuses_them_too(backend: Backend) -> None:
    with pytest.raises(FieldDoesNotExist) as info:
        FieldNote(text="x", **{"$where": "1"})
    _refused(info, "FieldNote", "$where")
    survey = await Survey(title="s", note=FieldNote(text="x", depth=3)).save()
    loaded = await Survey.objects.get(pk=survey.pk)
    assert loaded.note is not None
    with pytest.raises(FieldDoesNotExist):
        loaded.note["a.b"] = 1
    loaded.note.depth = 4
    await loaded.save()
    stored = await backend.db["surveys"].find_one({"_id": survey.pk})
    assert stored is not None and stored["nt"] == {"t": "x", "depth": 4}


@pytest.mark.parametrize("name", ["$where", "a.b", "nope"])
def test_a_document_refuses_any_undeclared_keyword_naming_it(name: str) -> None:
    with pytest.raises(FieldDoesNotExist, match="Book has no field") as info:
        Book(title="t", **{name: "1"})
    assert info.value.field == name and repr(name) in str(info.value)


#: Each use of a path on a dynamic document, with a '$' part that is no positional operator.
QUERIES: dict[str, Callable[[], Coroutine[Any, Any, Any]]] = {
    "keyword": lambda: Memo.objects(**{"$where": "1"}).to_list(),
    "keyword after a name": lambda: Memo.objects(**{"mood__$where": "1"}).to_list(),
    "dotted keyword": lambda: Memo.objects(**{"mood.$gt": 1}).to_list(),
    "Q": lambda: Memo.objects(Q(title="t") | Q(**{"$where": "1"})).to_list(),
    "count": lambda: Memo.objects(**{"$expr": 1}).count(),
    "only": lambda: Memo.objects.only("$where").to_list(),
    "exclude": lambda: Memo.objects.exclude("mood.$x").to_list(),
    "values_list": lambda: Memo.objects.values_list("$where", flat=True).to_list(),
    "distinct": lambda: Memo.objects.distinct("mood.$where"),
    "update": lambda: Memo.objects.update(**{"set__$where": 1}),
    "update inside": lambda: Memo.objects.update(**{"set__mood__$inc": 1}),
}


@pytest.mark.parametrize("use", QUERIES)
async def test_a_dollar_path_on_a_dynamic_document_is_a_lookup_error_and_nothing_is_sent(
    backend: Backend, use: str
) -> None:
    memo = await Memo(title="t", mood="calm").save()
    async with capture_commands() as log:
        with pytest.raises(LookUpError, match=r"'\$"):
            await QUERIES[use]()
    assert len(log) == 0
    stored = await backend.db["memos"].find_one({"_id": memo.pk})
    assert stored == {"_id": memo.pk, "title": "t", "mood": "calm"}


# --------------------------------------------------------------------------------------------
# Stored names are data

#: A stored document with keys no new value may take: dotted at the top and inside a
#: sub-document, and a '$' key inside one (a top-level '$' key no server stores).
ODD = {"title": "t", "a.b": 1, "n": {"x.y": 3, "$z": 4, "k": 5}}


async def _stored_memo(backend: Backend) -> ObjectId:
    pk = ObjectId()
    await backend.db["memos"].insert_one({"_id": pk, **ODD})
    return pk


async def test_stored_odd_names_load_read_and_save_back_untouched(backend: Backend) -> None:
    pk = await _stored_memo(backend)
    memo = await Memo.objects.get(pk=pk)
    assert getattr(memo, "a.b") == 1 and memo["a.b"] == 1
    assert memo.n == {"x.y": 3, "$z": 4, "k": 5}
    assert list(memo) == ["id", "title", "a.b", "n"]
    assert memo.to_mongo() == {"_id": pk, **ODD}
    memo.title = "u"
    memo.validate()  # read back as stored: nothing to object to
    await memo.save()
    assert await backend.db["memos"].find_one({"_id": pk}) == {"_id": pk, **ODD, "title": "u"}
    await memo.reload()
    assert getattr(memo, "a.b") == 1 and memo.n == ODD["n"]


async def test_replacing_a_sub_document_with_odd_stored_keys_sets_it_whole(
    backend: Backend,
) -> None:
    pk = await _stored_memo(backend)
    memo = await Memo.objects.get(pk=pk)
    memo.n = {"k": 6}
    await memo.save()  # never '$unset n.x.y' (the path x -> y) nor 'n.$z' (an operator)
    assert await backend.db["memos"].find_one({"_id": pk}) == {"_id": pk, **ODD, "n": {"k": 6}}


async def test_changing_a_value_that_keeps_odd_stored_keys_is_refused_naming_them(
    backend: Backend,
) -> None:
    pk = await _stored_memo(backend)
    memo = await Memo.objects.get(pk=pk)
    memo.n["k"] = 7
    with pytest.raises(ValidationError) as info:
        await memo.save()
    assert set(info.value.errors) == {"n.x.y", "n.$z"}
    assert "expected a key without '.'" in info.value.errors["n.x.y"]
    assert await backend.db["memos"].find_one({"_id": pk}) == {"_id": pk, **ODD}


async def test_a_document_keeps_unknown_stored_keys(backend: Backend) -> None:
    pk = ObjectId()
    await backend.db["books"].insert_one({"_id": pk, "t": "t", "a.b": 1, "n": {"$z": 1}})
    book = await Book.objects.get(pk=pk)
    book.pages = 3
    await book.save()
    stored = await backend.db["books"].find_one({"_id": pk})
    assert stored == {"_id": pk, "t": "t", "a.b": 1, "n": {"$z": 1}, "pages": 3}
