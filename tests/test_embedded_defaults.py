"""A document given as a field default is copied for every instance, as list and dict
defaults are: editing one document's default never shows in another, nor in what either
stores (read raw through the driver), nor in the declared default itself."""

from __future__ import annotations

from typing import Any

from bson import ObjectId

import asyncodm as odm
from tests._backends import Backend


class DefaultInner(odm.EmbeddedDocument):
    x = odm.IntField()


DECLARED_ONE = DefaultInner(x=1)
DECLARED_LIST = [DefaultInner(x=1)]
DECLARED_DICT = {"k": DefaultInner(x=1)}


class DefaultOuter(odm.Document):
    title = odm.StringField()
    inner = odm.EmbeddedDocumentField(DefaultInner, default=DECLARED_ONE)
    inners = odm.EmbeddedDocumentListField(DefaultInner, default=DECLARED_LIST)
    by_key = odm.MapField(odm.EmbeddedDocumentField(DefaultInner), default=DECLARED_DICT)
    meta = {"collection": "embedded_defaults"}


async def _raw(backend: Backend, pk: ObjectId) -> dict[str, Any]:
    stored: dict[str, Any] | None = await backend.db["embedded_defaults"].find_one({"_id": pk})
    assert stored is not None
    return stored


def _assert_declared_untouched() -> None:
    assert DECLARED_ONE.x == 1 and DECLARED_LIST[0].x == 1 and DECLARED_DICT["k"].x == 1
    assert len(DECLARED_LIST) == 1


async def test_two_new_documents_never_share_a_document_default(backend: Backend) -> None:
    a, b = DefaultOuter(title="a"), DefaultOuter(title="b")
    assert a.inner is not b.inner and a.inners[0] is not b.inners[0]
    a.inner.x = 5
    a.inners[0].x = 6
    a.inners.append(DefaultInner(x=7))
    a.by_key["k"].x = 8
    assert (b.inner.x, [i.x for i in b.inners], b.by_key["k"].x) == (1, [1], 1)
    _assert_declared_untouched()
    await a.save()
    await b.save()
    assert await _raw(backend, a.pk) == {
        "_id": a.pk,
        "title": "a",
        "inner": {"x": 5},
        "inners": [{"x": 6}, {"x": 7}],
        "by_key": {"k": {"x": 8}},
    }
    assert await _raw(backend, b.pk) == {
        "_id": b.pk,
        "title": "b",
        "inner": {"x": 1},
        "inners": [{"x": 1}],
        "by_key": {"k": {"x": 1}},
    }
    assert DefaultOuter().inner.x == 1  # a third one still gets the declared default


async def test_a_loaded_document_reading_a_missing_default_gets_its_own_copy(
    backend: Backend,
) -> None:
    pk, other = ObjectId(), ObjectId()
    await backend.db["embedded_defaults"].insert_many([{"_id": pk}, {"_id": other}])
    first = await DefaultOuter.objects.get(id=pk)
    second = await DefaultOuter.objects.get(id=other)
    first.inner.x = 9
    first.inners[0].x = 9
    assert second.inner.x == 1 and second.inners[0].x == 1
    _assert_declared_untouched()
    await first.save()
    await second.save()
    assert (await _raw(backend, pk))["inner"] == {"x": 9}
    assert await _raw(backend, other) == {"_id": other}  # reading a default is not a change
