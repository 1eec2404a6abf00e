"""The commands: ``indexes``, ``validators``, ``migrate``, ``shell`` (Click, Rich output).

Stage: integration. Each command imports ``--models``, connects the default alias to
``--uri`` inside its own event loop, does its work through the public API and disconnects.
Output is a Rich table on a terminal and plain lines otherwise (Rich decides from the stream),
so CI logs stay greppable. Exit codes: 0 done or in sync, 1 drift found with ``--check`` or a
failure (one line on stderr naming the command and the cause: the server unreachable, a
backend that cannot run the command, a bad migration), 2 usage errors (Click's own, a module
that does not import, a missing or malformed ``--uri``).
"""

from __future__ import annotations

import asyncio
import code
import importlib
import inspect
import sys
import types
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

import asyncodm
from asyncodm import migrations
from asyncodm.errors import ConfigurationError, ODMError

__all__ = ["app", "run"]

T = TypeVar("T")


@dataclass
class Options:
    """What the group's options resolved to, shared with every command."""

    uri: str | None
    modules: list[types.ModuleType] = field(default_factory=list)
    console: Console = field(default_factory=Console)

    def models(self) -> list[type]:
        """The document classes with a collection defined in the ``--models`` modules."""
        found: list[type] = []
        for module in self.modules:
            for value in vars(module).values():
                if not (isinstance(value, type) and hasattr(value, "_schema")):
                    continue
                try:
                    spec = asyncodm.describe(value)
                except (TypeError, ODMError):
                    continue
                if spec.collection and not spec.abstract and value not in found:
                    found.append(value)
        return found

    def run(self, work: Callable[[], Awaitable[T]]) -> T:
        """Connect, await ``work()``, disconnect, in one event loop."""
        if not self.uri:
            raise click.UsageError("no database: pass --uri or set $MONGODB_URI")
        uri = self.uri

        async def main() -> T:
            try:
                asyncodm.connect(uri)
            except ConfigurationError as exc:  # a URI that names no database, a bad scheme...
                raise click.UsageError(f"--uri: {exc}") from exc
            try:
                return await work()
            finally:
                await asyncodm.disconnect_all()

        return _failures(lambda: asyncio.run(main()))


def _import_models(spec: str | None) -> list[types.ModuleType]:
    modules = []
    for name in filter(None, (part.strip() for part in (spec or "").split(","))):
        try:
            modules.append(importlib.import_module(name))
        except Exception as exc:
            raise click.UsageError(
                f"--models: cannot import {name!r}: {type(exc).__name__}: {exc}"
            ) from exc
    return modules


@click.group()
@click.option("--models", "models", help="Modules defining documents, comma-separated.")
@click.option("--uri", envvar="MONGODB_URI", help="Database URI (default: $MONGODB_URI).")
@click.pass_context
def app(ctx: click.Context, models: str | None, uri: str | None) -> None:
    """asyncodm: indexes, validators, migrations and a shell for your models."""
    sys.path.insert(0, str(Path.cwd()))
    ctx.obj = Options(uri=uri, modules=_import_models(models))


# --- indexes ----------------------------------------------------------------------------------


@app.group()
def indexes() -> None:
    """Compare and create the indexes the models declare."""


async def _index_plan(opts: Options) -> list[tuple[str, str, dict[str, Any]]]:
    rows: list[tuple[str, str, dict[str, Any]]] = []
    for model in opts.models():
        diff = await model.compare_indexes()  # type: ignore[attr-defined]
        rows += [(model.__name__, "create", ix) for ix in diff["missing"]]
        rows += [(model.__name__, "extra", ix) for ix in diff["extra"]]
    return rows


def _show(opts: Options, title: str, rows: list[tuple[str, str, str]]) -> None:
    if not rows:
        opts.console.print(f"{title}: in sync")
        return
    if opts.console.is_terminal:
        table = Table(title=title)
        for header in ("model", "action", "detail"):
            table.add_column(header)
        for row in rows:
            table.add_row(*row)
        opts.console.print(table)
    else:
        for model, action, detail in rows:
            click.echo(f"{model}\t{action}\t{detail}")


def _index_rows(rows: list[tuple[str, str, dict[str, Any]]]) -> list[tuple[str, str, str]]:
    return [(m, a, f"{ix.get('name', '')} {dict(ix['key'])}".strip()) for m, a, ix in rows]


@indexes.command("plan")
@click.option("--check", is_flag=True, help="Exit 1 if the database differs from the models.")
@click.pass_obj
def indexes_plan(opts: Options, check: bool) -> None:
    """What `indexes sync` would do."""
    rows = opts.run(lambda: _index_plan(opts))
    _show(opts, "indexes", _index_rows(rows))
    if check and rows:
        raise SystemExit(1)


@indexes.command("sync")
@click.option("--drop-extra", is_flag=True, help="Also drop indexes no model declares.")
@click.pass_obj
def indexes_sync(opts: Options, drop_extra: bool) -> None:
    """Create missing indexes (and drop extra ones with --drop-extra)."""

    async def work() -> list[str]:
        done: list[str] = []
        models = opts.models()
        with Progress(console=opts.console, disable=not opts.console.is_terminal) as bar:
            task = bar.add_task("indexes", total=len(models))
            for model in models:
                extra = (await model.compare_indexes())["extra"]  # type: ignore[attr-defined]
                names = await model.ensure_indexes()  # type: ignore[attr-defined]
                done += [f"{model.__name__}\tensured\t{n}" for n in names]
                if drop_extra:
                    collection = model.get_collection()  # type: ignore[attr-defined]
                    for ix in extra:
                        await collection.drop_index(ix["name"])
                        done.append(f"{model.__name__}\tdropped\t{ix['name']}")
                bar.advance(task)
                if not opts.console.is_terminal:
                    click.echo(f"{model.__name__}: done")
        return done

    for line in opts.run(work):
        click.echo(line)


# --- validators -------------------------------------------------------------------------------


@app.group()
def validators() -> None:
    """Install the models' $jsonSchema validators."""


@validators.command("plan")
@click.option("--check", is_flag=True, help="Exit 1 if a collection's validator differs.")
@click.pass_obj
def validators_plan(opts: Options, check: bool) -> None:
    """Which collections' validators differ from the models'."""
    from asyncodm._io._validators import collection_root, current_validator

    async def work() -> list[tuple[str, str, str]]:
        rows: list[tuple[str, str, str]] = []
        roots = {collection_root(m) for m in opts.models()}
        for model in sorted(roots, key=lambda m: m.__name__):
            wanted = {"$jsonSchema": model.json_schema()}  # type: ignore[attr-defined]
            if await current_validator(model) != wanted:
                rows.append((model.__name__, "set validator", "$jsonSchema differs"))
        return rows

    rows = opts.run(work)
    _show(opts, "validators", rows)
    if check and rows:
        raise SystemExit(1)


@validators.command("sync")
@click.option("--level", default="strict", type=click.Choice(["off", "strict", "moderate"]))
@click.option("--action", default="error", type=click.Choice(["error", "warn"]))
@click.pass_obj
def validators_sync(opts: Options, level: str, action: str) -> None:
    """Install each collection's validator (collMod, or create) with its model's $jsonSchema."""

    async def work() -> list[str]:
        out = []
        for model in opts.models():
            sent = await model.sync_validator(level=level, action=action)  # type: ignore[attr-defined]
            verb = "collMod" if "collMod" in sent else "create"
            out.append(f"{model.__name__}\t{verb}\t{sent.get(verb)}")
        return out

    for line in opts.run(work):
        click.echo(line)


# --- migrate ----------------------------------------------------------------------------------


_DIR = click.option("--dir", "folder", default="migrations", show_default=True)


@app.group()
def migrate() -> None:
    """Data migrations: modules with `async def up(db)`."""


@migrate.command("status")
@_DIR
@click.pass_obj
def migrate_status(opts: Options, folder: str) -> None:
    """Applied and pending migrations."""

    async def work() -> list[str]:
        done = {r["_id"]: r for r in await migrations.applied()}
        lines = [
            f"{name}\tapplied\t{r['applied_at']:%Y-%m-%d %H:%M:%S}" for name, r in done.items()
        ]
        lines += [f"{m.name}\tpending" for m in migrations.discover(folder) if m.name not in done]
        return lines

    for line in opts.run(work):
        click.echo(line)


@migrate.command("up")
@_DIR
@click.option("--to", default=None, help="Stop after this migration.")
@click.pass_obj
def migrate_up(opts: Options, folder: str, to: str | None) -> None:
    """Apply the pending migrations in name order."""

    async def work() -> list[str]:
        total = len(await migrations.pending(folder))
        with Progress(console=opts.console, disable=not opts.console.is_terminal) as bar:
            task = bar.add_task("migrations", total=total)

            def report(migration: migrations.Migration, seconds: float) -> None:
                bar.advance(task)
                click.echo(f"applied {migration.name} in {seconds:.3f}s")

            return await migrations.run(folder, to=to, on_applied=report)

    names = opts.run(work)
    if not names:
        click.echo("nothing to apply")


@migrate.command("new")
@click.argument("name")
@_DIR
def migrate_new(name: str, folder: str) -> None:
    """Create a numbered migration module."""
    click.echo(str(_failures(lambda: migrations.new_migration(name, folder))))


def _failures(call: Callable[[], T]) -> T:
    """``call()``, its failure as one line on stderr naming the command (exit 1), not a
    traceback: an asyncodm error (the server unreachable or refusing, a bad migration), a
    file system error (``--dir``), or a backend lacking what the command needs."""
    try:
        return call()
    except ODMError as exc:
        raise click.ClickException(f"{_asked()}: {exc}") from exc
    except OSError as exc:  # a --dir that is a file, a folder it may not write to...
        raise click.ClickException(f"{_asked()}: {exc}") from exc
    except NotImplementedError as exc:
        raise click.ClickException(
            f"{_asked()}: the database backend does not implement what this needs"
            f"{f' ({exc})' if str(exc) else ''}; run it against a MongoDB server"
        ) from exc


def _asked() -> str:
    """The command being run, as typed (``asyncodm validators plan``)."""
    ctx = click.get_current_context(silent=True)
    return ctx.command_path if ctx is not None else "asyncodm"


# --- shell ------------------------------------------------------------------------------------


class _AsyncConsole(code.InteractiveConsole):
    """A REPL that accepts top-level ``await`` and runs it on one event loop."""

    def __init__(self, namespace: dict[str, Any], loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(namespace)
        self.compile.compiler.flags |= 0x2000  # ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
        self.loop = loop

    def runcode(self, code_object: types.CodeType) -> None:
        try:
            result = types.FunctionType(code_object, self.locals)()
            if inspect.iscoroutine(result):
                self.loop.run_until_complete(result)
        except SystemExit:
            raise
        except BaseException:
            self.showtraceback()


@app.command()
@click.pass_obj
def shell(opts: Options) -> None:
    """An asyncio REPL with the models imported and the connection made."""
    if not opts.uri:
        raise click.UsageError("no database: pass --uri or set $MONGODB_URI")
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    namespace: dict[str, Any] = {"asyncodm": asyncodm, "asyncio": asyncio}
    namespace.update({m.__name__: m for m in opts.models()})
    try:
        loop.run_until_complete(_connect(opts.uri))
    except ConfigurationError as exc:
        loop.close()
        raise click.UsageError(f"--uri: {exc}") from exc
    names = ", ".join(m.__name__ for m in opts.models()) or "none"
    try:
        _AsyncConsole(namespace, loop).interact(
            banner=f"asyncodm shell; models: {names}; use await", exitmsg=""
        )
    finally:
        loop.run_until_complete(asyncodm.disconnect_all())
        loop.close()


async def _connect(uri: str) -> None:
    asyncodm.connect(uri)


def run(argv: Sequence[str] | None = None) -> None:
    """Click's standalone mode: it exits with the code (2 on usage errors)."""
    app.main(args=list(argv) if argv is not None else None, prog_name="asyncodm")
