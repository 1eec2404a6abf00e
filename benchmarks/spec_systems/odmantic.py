"""ODMantic on the ODM benchmark spec tasks (models declared with ``type()`` from the shapes)."""

from collections.abc import Sequence
from functools import reduce
from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient
from odmantic import AIOEngine, EmbeddedModel, Field, Model

from benchmarks.spec_systems._base import SHAPES, SpecSystem
from benchmarks.systems._raw import CLIENT_OPTIONS

__all__ = ["Odmantic"]


def _model(
    name: str, base: type, strings: list[str], ints: list[str], others: dict[str, Any] | None = None,
    collection: str | None = None,
) -> Any:  # fmt: skip
    annotations: dict[str, Any] = dict.fromkeys(strings, str)
    annotations.update(dict.fromkeys(ints, int))
    annotations.update(others or {})
    namespace: dict[str, Any] = {"__module__": __name__, "__annotations__": annotations}
    namespace.update({n: Field(max_length=100) for n in strings})
    if collection is not None:
        namespace["model_config"] = {"collection": collection}
    return type(name, (base,), namespace)


StringEmbedded = _model(
    "SpecStringEmbedded", EmbeddedModel, ["unique_field", *SHAPES["emb_str"]], []
)
IntegerEmbedded = _model("SpecIntegerEmbedded", EmbeddedModel, [], SHAPES["emb_int"])
MODELS: dict[str, Any] = {
    "small": _model(
        "SpecSmallFlat", Model, SHAPES["small_str"], SHAPES["small_int"], collection="spec_small"
    ),
    "fk_target": _model("SpecForeignKey", Model, ["name"], [], collection="spec_fk_target"),
    "small_fk": _model(
        "SpecSmallFlatFk", Model, [*SHAPES["small_str"], "field_fk"], SHAPES["small_int"],
        collection="spec_small_fk",
    ),
    "large": _model(
        "SpecLargeFlat", Model, SHAPES["large_str"], SHAPES["large_int"], collection="spec_large"
    ),
    "nested": _model(
        "SpecLargeNested", Model, [], [],
        {
            **dict.fromkeys(SHAPES["nested_str"], StringEmbedded),
            "embedded_str_doc_array": list[StringEmbedded],  # type: ignore[valid-type]
            **dict.fromkeys(SHAPES["nested_int"], IntegerEmbedded),
        },
        collection="spec_nested",
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


class Odmantic(SpecSystem):
    notes = (
        *SpecSystem.notes,
        "ODMantic has no bulk insert: setup uses engine.save_all (not timed)",
        "ODMantic's engine.find runs an aggregation ($match), and nx-27017 matches no ObjectId "
        "in an aggregation: its find by _id finds nothing on nx (an error here, not on MongoDB)",
    )

    async def connect(self, uri: str, db: str) -> None:
        self.client: Any = AsyncIOMotorClient(uri, **CLIENT_OPTIONS)
        self.db_name = db
        self.engine = AIOEngine(client=self.client, database=db)

    async def close(self) -> None:
        self.client.close()

    def collection(self, kind: str) -> Any:
        return self.engine.get_collection(MODELS[kind])

    async def drop(self, kind: str) -> None:
        await self.engine.get_collection(MODELS[kind]).drop()

    async def drop_database(self) -> None:
        await self.client.drop_database(self.db_name)

    async def create_each(self, kind: str, docs: Sequence[dict[str, Any]]) -> None:
        for doc in docs:
            await self.engine.save(build(kind, doc))

    async def insert_all(self, kind: str, docs: Sequence[dict[str, Any]]) -> None:
        await self.engine.save_all([build(kind, doc) for doc in docs])

    async def load_all(self, kind: str) -> list[Any]:
        return list(await self.engine.find(MODELS[kind]))

    async def update_each(self, kind: str, objs: Sequence[Any], value: str) -> None:
        if kind == "nested":
            for obj in objs:
                obj.embedded_str_doc_1.field1 = value
                await self.engine.save(obj)
            return
        for obj in objs:
            obj.field1 = value
            await self.engine.save(obj)

    async def find_each(self, kind: str, key: str, values: Sequence[Any]) -> int:
        model = MODELS[kind]
        attr = reduce(getattr, ("id" if key == "_id" else key).split("."), model)
        found = 0
        for value in values:
            found += len(await self.engine.find(model, attr == value))
        return found
