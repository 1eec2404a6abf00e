"""Data migrations: a folder of modules with ``async def up(db)``, applied once each, in name
order (API.md §13).

Stage: integration (above the documents, on the public API and the driver seam). A migration
receives the driver's own database object, with asyncodm connected to the same database as the
default alias, so it may use raw commands or documents. Every module of the folder is imported
*before* any runs: a module that fails to import, or has no ``up``, stops the run with nothing
applied. Each applied migration is recorded in ``asyncodm_migrations`` (``_id`` = name,
``applied_at``, ``duration`` in seconds) after its ``up`` returned; one that raises is not
recorded and stops the run, so fixing it and running again continues from it.

``batches(qs, size=500)`` walks a queryset in ``_id`` order, one page per query from the
last ``_id`` seen, so a long data migration that was interrupted and is rerun over a filter
that excludes finished documents resumes where it stopped, and no cursor outlives a batch.
"""

from __future__ import annotations

import datetime
import importlib.util
import inspect
import re
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from asyncodm import connection
from asyncodm.errors import MigrationError
from asyncodm.queryset import Q, QuerySet

__all__ = [
    "COLLECTION",
    "Migration",
    "applied",
    "batches",
    "discover",
    "new_migration",
    "pending",
    "run",
]

#: Where applied migrations are recorded.
COLLECTION = "asyncodm_migrations"

_TEMPLATE = '''"""{title}."""

from __future__ import annotations

from typing import Any


async def up(db: Any) -> None:
    """``db`` is the driver's database; asyncodm is connected to it too."""
'''


@dataclass(frozen=True)
class Migration:
    """One migration module: its name (the file's stem), path and ``up`` coroutine function."""

    name: str
    path: Path
    up: Callable[[Any], Any]


def _load(path: Path) -> Migration:
    spec = importlib.util.spec_from_file_location(f"asyncodm_migration_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise MigrationError(f"cannot load migration {path}")
    module: ModuleType = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise MigrationError(f"migration {path} failed to import: {exc!r}") from exc
    up = getattr(module, "up", None)
    if not inspect.iscoroutinefunction(up):
        raise MigrationError(f"migration {path} defines no `async def up(db)`")
    return Migration(path.stem, path, up)


def discover(folder: str | Path) -> list[Migration]:
    """Every migration of ``folder`` (``*.py`` not starting with ``_``), in name order, all
    imported first.

    Raises:
        MigrationError: the folder is missing, or a module does not import or lacks ``up``.
    """
    root = Path(folder)
    if not root.is_dir():
        raise MigrationError(f"no migrations folder {root}")
    return [_load(p) for p in sorted(root.glob("*.py")) if not p.name.startswith("_")]


def _records(alias: str) -> Any:
    return connection.get_database(alias).collection(COLLECTION)


async def applied(alias: str = "default") -> list[dict[str, Any]]:
    """The recorded migrations, in name order."""
    cursor = _records(alias).find({}, sort=[("_id", 1)])
    found: list[dict[str, Any]] = await cursor.to_list(None)
    return found


async def pending(folder: str | Path, alias: str = "default") -> list[Migration]:
    """The migrations of ``folder`` not yet recorded, in name order."""
    done = {record["_id"] for record in await applied(alias)}
    return [m for m in discover(folder) if m.name not in done]


async def run(
    folder: str | Path,
    *,
    to: str | None = None,
    alias: str = "default",
    on_applied: Callable[[Migration, float], None] | None = None,
) -> list[str]:
    """Apply the pending migrations of ``folder`` in name order (up to and including ``to``).

    Returns:
        The names applied.

    Raises:
        MigrationError: a module did not load (nothing runs), ``to`` names no migration, or a
            migration raised (it is not recorded; the ones before it are).
    """
    todo = await pending(folder, alias)
    if to is not None:
        names = [m.name for m in discover(folder)]
        if to not in names:
            raise MigrationError(f"no migration named {to!r} in {folder}")
        todo = [m for m in todo if m.name <= to]
    database = connection.get_database(alias)
    done: list[str] = []
    for migration in todo:
        began = time.monotonic()
        try:
            await migration.up(database.raw)
        except Exception as exc:
            raise MigrationError(
                f"migration {migration.name} ({migration.path}) failed: {exc!r}; it was not "
                f"recorded, and the run stopped (applied before it: {done or 'none'})"
            ) from exc
        duration = time.monotonic() - began
        await _records(alias).insert_one(
            {
                "_id": migration.name,
                "applied_at": datetime.datetime.now(datetime.timezone.utc),
                "duration": duration,
            }
        )
        done.append(migration.name)
        if on_applied is not None:
            on_applied(migration, duration)
    return done


def new_migration(name: str, folder: str | Path = "migrations") -> Path:
    """Create ``NNNN_<name>.py`` in ``folder`` (numbered after the last one)."""
    slug = re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()
    if not slug:
        raise MigrationError(f"a migration name needs letters or digits, not {name!r}")
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    numbers = [int(p.name[:4]) for p in root.glob("[0-9][0-9][0-9][0-9]_*.py")]
    path = root / f"{max(numbers, default=0) + 1:04d}_{slug}.py"
    path.write_text(_TEMPLATE.format(title=name.strip() or slug))
    return path


async def batches(qs: QuerySet, size: int = 500) -> AsyncIterator[Sequence[Any]]:
    """Yield ``qs``'s results in lists of at most ``size``, in ``_id`` order, each page a
    fresh query after the last ``_id`` seen (so nothing holds a cursor between batches)."""
    if size < 1:
        raise ValueError("batch size must be at least 1")
    last: Any = None
    ordered = qs.order_by("pk")
    while True:
        page_qs = ordered if last is None else ordered.filter(Q(pk__gt=last))
        page = await page_qs.limit(size).to_list()
        if not page:
            return
        yield page
        last = page[-1].pk
        if len(page) < size:
            return
