"""Beanie on the ODM benchmark spec tasks (models declared with ``type()`` from the shapes)."""

from collections.abc import Sequence
from typing import Annotated, Any

from beanie import Document, init_beanie
from pydantic import BaseModel, Field
from pymongo import AsyncMongoClient

from benchmarks.spec_systems._base import SHAPES, SpecSystem
from benchmarks.systems._raw import CLIENT_OPTIONS

__all__ = ["Beanie"]

Str100 = Annotated[str, Field(max_length=100)]


def _model(
    name: str, base: type, annotations: dict[str, Any], collection: str | None = None
) -> Any:
    namespace: dict[str, Any] = {
        "__module__": __name__,
        "__qualname__": name,
        "__annotations__": annotations,
    }
    if collection is not None:
        # Nested as a class body would nest it, so pydantic does not take it for a field.
        namespace["Settings"] = type(
            "Settings", (), {"name": collection, "__qualname__": f"{name}.Settings"}
        )
    return type(name, (base,), namespace)


StringEmbedded = _model(
    "SpecStringEmbedded", BaseModel, dict.fromkeys(["unique_field", *SHAPES["emb_str"]], Str100)
)
IntegerEmbedded = _model("SpecIntegerEmbedded", BaseModel, dict.fromkeys(SHAPES["emb_int"], int))
_small = {**dict.fromkeys(SHAPES["small_str"], Str100), **dict.fromkeys(SHAPES["small_int"], int)}
MODELS: dict[str, Any] = {
    "small": _model("SpecSmallFlat", Document, _small, "spec_small"),
    "fk_target": _model("SpecForeignKey", Document, {"name": Str100}, "spec_fk_target"),
    "small_fk": _model("SpecSmallFlatFk", Document, {**_small, "field_fk": Str100}, "spec_small_fk"),
    "large": _model(
        "SpecLargeFlat", Document,
        {**dict.fromkeys(SHAPES["large_str"], Str100), **dict.fromkeys(SHAPES["large_int"], int)},
        "spec_large",
    ),
    "nested": _model(
        "SpecLargeNested", Document,
        {
            **dict.fromkeys(SHAPES["nested_str"], StringEmbedded),
            "embedded_str_doc_array": list[StringEmbedded],  # type: ignore[valid-type]
            **dict.fromkeys(SHAPES["nested_int"], IntegerEmbedded),
        },
        "spec_nested",
    ),
}  # fmt: skip


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


class Beanie(SpecSystem):
    async def connect(self, uri: str, db: str) -> None:
        self.client: Any = AsyncMongoClient(uri, **CLIENT_OPTIONS)
        self.db_name = db
        await init_beanie(database=self.client[db], document_models=list(MODELS.values()))

    async def close(self) -> None:
        await self.client.close()

    def collection(self, kind: str) -> Any:
        return MODELS[kind].get_pymongo_collection()

    async def drop(self, kind: str) -> None:
        await MODELS[kind].get_pymongo_collection().drop()

    async def drop_database(self) -> None:
        await self.client.drop_database(self.db_name)

    async def create_each(self, kind: str, docs: Sequence[dict[str, Any]]) -> None:
        for doc in docs:
            await build(kind, doc).insert()

    async def insert_all(self, kind: str, docs: Sequence[dict[str, Any]]) -> None:
        await MODELS[kind].insert_many([build(kind, doc) for doc in docs])

    async def load_all(self, kind: str) -> list[Any]:
        return await MODELS[kind].find_all().to_list()

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
        model = MODELS[kind]
        found = 0
        for value in values:
            found += len(await model.find({key: value}).to_list())
        return found
