"""``asyncodm.migrations``: a folder of ``async def up(db)`` modules applied once each, in name
order, recorded in ``asyncodm_migrations``; ``batches()`` walks a queryset in ``_id`` order."""

from __future__ import annotations

from pathlib import Path

import pytest

from asyncodm import MigrationError, migrations
from tests._backends import Backend
from tests.models.feeds import Story


def write(folder: Path, name: str, body: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.py").write_text(body)


UP_RAW = """
async def up(db):
    await db["stories"].insert_one({"t": "from migration", "views": 1})
"""
UP_DOCS = """
from tests.models.feeds import Story

async def up(db):
    await Story.objects(views=1).update(inc__views=10)
"""
UP_FAILS = """
async def up(db):
    await db["stories"].insert_one({"t": "partial"})
    raise RuntimeError("boom")
"""


async def test_applied_in_name_order_and_recorded_once(backend: Backend, tmp_path: Path) -> None:
    write(tmp_path, "0002_bump", UP_DOCS)
    write(tmp_path, "0001_seed", UP_RAW)
    write(tmp_path, "_helpers", "x = 1\n")  # not a migration
    assert await migrations.run(tmp_path) == ["0001_seed", "0002_bump"]
    assert await migrations.run(tmp_path) == []  # a rerun applies nothing
    raw = await backend.db["stories"].find_one({"t": "from migration"})
    assert raw is not None and raw["views"] == 11
    records = await backend.db[migrations.COLLECTION].find({}).sort("_id", 1).to_list(None)
    assert [r["_id"] for r in records] == ["0001_seed", "0002_bump"]
    assert all(r["duration"] >= 0 and r["applied_at"] is not None for r in records)


async def test_to_stops_after_the_named_migration(backend: Backend, tmp_path: Path) -> None:
    write(tmp_path, "0001_seed", UP_RAW)
    write(tmp_path, "0002_bump", UP_DOCS)
    assert await migrations.run(tmp_path, to="0001_seed") == ["0001_seed"]
    assert [m.name for m in await migrations.pending(tmp_path)] == ["0002_bump"]
    with pytest.raises(MigrationError, match="no migration named 'nope'"):
        await migrations.run(tmp_path, to="nope")


async def test_a_failing_migration_is_not_recorded_and_stops(
    backend: Backend, tmp_path: Path
) -> None:
    write(tmp_path, "0001_seed", UP_RAW)
    write(tmp_path, "0002_fails", UP_FAILS)
    write(tmp_path, "0003_bump", UP_DOCS)
    with pytest.raises(MigrationError, match=r"0002_fails .*boom.*not recorded") as info:
        await migrations.run(tmp_path)
    assert isinstance(info.value.__cause__, RuntimeError)
    records = await backend.db[migrations.COLLECTION].find({}).to_list(None)
    assert [r["_id"] for r in records] == ["0001_seed"]
    raw = await backend.db["stories"].find_one({"t": "from migration"})
    assert raw is not None and raw["views"] == 1  # 0003 never ran


async def test_a_module_without_up_stops_everything_before_it_runs(
    backend: Backend, tmp_path: Path
) -> None:
    write(tmp_path, "0001_seed", UP_RAW)
    write(tmp_path, "0002_typo", "async def upp(db):\n    pass\n")
    with pytest.raises(MigrationError, match=r"0002_typo\.py defines no `async def up\(db\)`"):
        await migrations.run(tmp_path)
    assert await backend.db["stories"].count_documents({}) == 0
    assert await backend.db[migrations.COLLECTION].count_documents({}) == 0


def test_new_numbers_after_the_last(tmp_path: Path) -> None:
    first = migrations.new_migration("Add views", tmp_path)
    second = migrations.new_migration("backfill tags!", tmp_path)
    assert (first.name, second.name) == ("0001_add_views.py", "0002_backfill_tags.py")
    assert [m.name for m in migrations.discover(tmp_path)] == [
        "0001_add_views",
        "0002_backfill_tags",
    ]


async def test_batches_walk_id_order_and_resume(backend: Backend) -> None:
    for i in range(7):
        await Story(title=f"s{i}", views=i).save()
    sizes, seen = [], []
    async for batch in migrations.batches(Story.objects, size=3):
        sizes.append(len(batch))
        seen += [s.title for s in batch]
    assert sizes == [3, 3, 1] and seen == [f"s{i}" for i in range(7)]
    # An interrupted run: the first batch was migrated, then the process stopped.
    async for batch in migrations.batches(Story.objects(views__lt=100), size=3):
        for story in batch:
            await story.update(inc__views=100)
        break
    rest = [s.title async for b in migrations.batches(Story.objects(views__lt=100), 3) for s in b]
    assert rest == [f"s{i}" for i in range(3, 7)]
