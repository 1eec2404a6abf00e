"""MongoEngine (synchronous) on the ODM benchmark spec tasks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import mongoengine as me

from benchmarks.spec_systems._base import SHAPES, SpecSystem
from benchmarks.systems._raw import CLIENT_OPTIONS

__all__ = ["MongoEngine"]


def _strings(names: list[str]) -> dict[str, Any]:
    return {name: me.StringField(required=True, max_length=100) for name in names}


def _ints(names: list[str]) -> dict[str, Any]:
    return {name: me.IntField(required=True) for name in names}


def _document(name: str, attrs: dict[str, Any]) -> Any:
    meta = {"collection": f"spec_{name.lower()}"}
    return type(name, (me.Document,), {"__module__": __name__, **attrs, "meta": meta})


StringEmbedded: Any = type(
    "SpecStringEmbedded", (me.EmbeddedDocument,),
    {"__module__": __name__, **_strings(["unique_field", *SHAPES["emb_str"]])},
)  # fmt: skip
IntegerEmbedded: Any = type(
    "SpecIntegerEmbedded",
    (me.EmbeddedDocument,),
    {"__module__": __name__, **_ints(SHAPES["emb_int"])},
)
_small = {**_strings(SHAPES["small_str"]), **_ints(SHAPES["small_int"])}
MODELS: dict[str, Any] = {
    "small": _document("SpecSmallFlat", _small),
    "fk_target": _document("SpecForeignKey", _strings(["name"])),
    "small_fk": _document("SpecSmallFlatFk", {**_small, **_strings(["field_fk"])}),
    "large": _document(
        "SpecLargeFlat", {**_strings(SHAPES["large_str"]), **_ints(SHAPES["large_int"])}
    ),
    "nested": _document(
        "SpecLargeNested",
        {
            **{n: me.EmbeddedDocumentField(StringEmbedded) for n in SHAPES["nested_str"]},
            "embedded_str_doc_array": me.ListField(me.EmbeddedDocumentField(StringEmbedded)),
            **{n: me.EmbeddedDocumentField(IntegerEmbedded) for n in SHAPES["nested_int"]},
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


class MongoEngine(SpecSystem):
    async def connect(self, uri: str, db: str) -> None:
        self.client = me.connect(db=db, host=uri, **CLIENT_OPTIONS)
        self.db_name = db

    async def close(self) -> None:
        me.disconnect()

    def collection(self, kind: str) -> Any:
        return _AwaitableIndex(MODELS[kind]._get_collection())

    async def drop(self, kind: str) -> None:
        MODELS[kind].drop_collection()

    async def drop_database(self) -> None:
        self.client.drop_database(self.db_name)

    async def create_each(self, kind: str, docs: Sequence[dict[str, Any]]) -> None:
        for doc in docs:
            build(kind, doc).save()

    async def insert_all(self, kind: str, docs: Sequence[dict[str, Any]]) -> None:
        MODELS[kind].objects.insert([build(kind, doc) for doc in docs], load_bulk=False)

    async def load_all(self, kind: str) -> list[Any]:
        return list(MODELS[kind].objects)

    async def update_each(self, kind: str, objs: Sequence[Any], value: str) -> None:
        if kind == "nested":
            for obj in objs:
                obj.embedded_str_doc_1.field1 = value
                obj.save()
            return
        for obj in objs:
            obj.field1 = value
            obj.save()

    async def find_each(self, kind: str, key: str, values: Sequence[Any]) -> int:
        objects = MODELS[kind].objects
        lookup = "id" if key == "_id" else key.replace(".", "__")
        return sum(len(list(objects(**{lookup: value}))) for value in values)


class _AwaitableIndex:
    """The sync collection's ``create_index`` behind the async setup call."""

    def __init__(self, collection: Any) -> None:
        self._collection = collection

    async def create_index(self, key: str) -> None:
        self._collection.create_index(key)
