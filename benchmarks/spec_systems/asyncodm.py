"""asyncodm on the ODM benchmark spec tasks (``PyMongo`` and ``Motor`` differ in driver only).

The 250-field model is declared with ``type()`` from the shapes, which is how a class body
with 250 assignments compiles anyway: same ``__init_subclass__``, same Schema.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import asyncodm
from asyncodm import (
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    IntField,
    ListField,
    StringField,
)
from benchmarks.spec_systems._base import SHAPES, SpecSystem

__all__ = ["MODELS", "Motor", "PyMongo"]


def _strings(names: list[str]) -> dict[str, Any]:
    return {name: StringField(required=True, max_length=100) for name in names}


def _ints(names: list[str]) -> dict[str, Any]:
    return {name: IntField(required=True) for name in names}


def _document(name: str, attrs: dict[str, Any]) -> type[Document]:
    meta = {"collection": f"spec_{name.lower()}"}
    return type(name, (Document,), {"__module__": __name__, **attrs, "meta": meta})


StringEmbedded = type(
    "SpecStringEmbedded", (EmbeddedDocument,),
    {"__module__": __name__, **_strings(["unique_field", *SHAPES["emb_str"]])},
)  # fmt: skip
IntegerEmbedded = type(
    "SpecIntegerEmbedded", (EmbeddedDocument,), {"__module__": __name__, **_ints(SHAPES["emb_int"])}
)
_small = {**_strings(SHAPES["small_str"]), **_ints(SHAPES["small_int"])}
MODELS: dict[str, type[Document]] = {
    "small": _document("SpecSmallFlat", _small),
    "fk_target": _document("SpecForeignKey", _strings(["name"])),
    "small_fk": _document("SpecSmallFlatFk", {**_small, **_strings(["field_fk"])}),
    "large": _document(
        "SpecLargeFlat", {**_strings(SHAPES["large_str"]), **_ints(SHAPES["large_int"])}
    ),
    "nested": _document(
        "SpecLargeNested",
        {
            **{n: EmbeddedDocumentField(StringEmbedded) for n in SHAPES["nested_str"]},
            "embedded_str_doc_array": ListField(EmbeddedDocumentField(StringEmbedded)),
            **{n: EmbeddedDocumentField(IntegerEmbedded) for n in SHAPES["nested_int"]},
        },
    ),
}


def build(kind: str, doc: dict[str, Any]) -> Any:
    values = {("id" if k == "_id" else k): v for k, v in doc.items()}
    if kind == "nested":
        for name in SHAPES["nested_str"]:
            values[name] = StringEmbedded(**values[name])
        values["embedded_str_doc_array"] = [
            StringEmbedded(**item) for item in values["embedded_str_doc_array"]
        ]
        for name in SHAPES["nested_int"]:
            values[name] = IntegerEmbedded(**values[name])
    return MODELS[kind](**values)


class _Asyncodm(SpecSystem):
    driver: ClassVar[str]

    async def connect(self, uri: str, db: str) -> None:
        asyncodm.connect(uri, db=db, driver=self.driver)

    async def close(self) -> None:
        await asyncodm.disconnect_all()

    async def drop(self, kind: str) -> None:
        await MODELS[kind].drop_collection()

    def collection(self, kind: str) -> Any:
        return MODELS[kind].get_collection()

    async def drop_database(self) -> None:
        await asyncodm.get_client().drop_database(asyncodm.get_db().name)

    async def create_each(self, kind: str, docs: Sequence[dict[str, Any]]) -> None:
        for doc in docs:
            await build(kind, doc).save()

    async def insert_all(self, kind: str, docs: Sequence[dict[str, Any]]) -> None:
        await MODELS[kind].objects.bulk_create([build(kind, doc) for doc in docs])

    async def load_all(self, kind: str) -> list[Any]:
        return await MODELS[kind].objects().to_list()

    async def update_each(self, kind: str, objs: Sequence[Any], value: str) -> None:
        if kind == "nested":
            for obj in objs:
                obj.embedded_str_doc_1.field1 = value
                await obj.save()
            return
        for obj in objs:
            obj.field1 = value
            await obj.save()

    async def find_each(self, kind: str, key: str, values: Sequence[Any]) -> int:
        objects = MODELS[kind].objects
        lookup = "id" if key == "_id" else key.replace(".", "__")
        found = 0
        for value in values:
            found += len(await objects(**{lookup: value}).to_list())
        return found


class PyMongo(_Asyncodm):
    driver = "pymongo"


class Motor(_Asyncodm):
    driver = "motor"
