"""The ``asyncodm`` command line, through its real entry point.

nx-27017 is reached from a subprocess (``python -m asyncodm`` of this venv, and the
``asyncodm`` console script); mongomock lives in-process only, so there the same entry
function, ``asyncodm.cli.main``, runs in this process on a ``mongomock://`` URI.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from asyncodm.cli import main
from tests._backends import Backend

ROOT = Path(__file__).resolve().parent.parent
MODELS = "tests.models.feeds"


def cli(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m asyncodm ARGS`` in a subprocess, output captured (not a terminal)."""
    full_env = {k: v for k, v in os.environ.items() if k != "MONGODB_URI"}
    full_env.update({"PYTHONPATH": str(ROOT), **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "asyncodm", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def nx_uri(backend: Backend) -> str:
    assert backend.uri is not None
    base, _, query = backend.uri.partition("/?")
    return f"{base}/{backend.db_name}?{query}"


# --- usage errors: no database needed ---------------------------------------------------------


def test_models_that_do_not_import_exit_2_naming_module_and_error() -> None:
    done = cli(
        "--models", "tests.models.nope", "--uri", "mongodb://127.0.0.1:1/x", "indexes", "plan"
    )
    assert done.returncode == 2
    assert "tests.models.nope" in done.stderr and "ModuleNotFoundError" in done.stderr


def test_no_uri_is_a_usage_error() -> None:
    done = cli("--models", MODELS, "indexes", "plan")
    assert done.returncode == 2 and "--uri" in done.stderr


def test_uri_defaults_to_the_environment() -> None:
    # mongomock:// works inside the subprocess (its own in-memory database).
    env = {"MONGODB_URI": "mongomock://localhost/from_env"}
    done = cli("--models", MODELS, "indexes", "plan", "--check", env=env)
    assert done.returncode == 1, done.stderr  # it connected, and found the index missing
    assert "Story\tcreate" in done.stdout


def test_unknown_command_and_help() -> None:
    assert cli("frobnicate").returncode == 2
    script = Path(sys.executable).parent / "asyncodm"
    helped = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=False)
    assert helped.returncode == 0
    for command in ("indexes", "validators", "migrate", "shell"):
        assert command in helped.stdout


def test_a_missing_cli_extra_names_the_pip_install() -> None:
    code = (
        "import sys; sys.modules['click'] = None\n"  # as if Click were not installed
        "from asyncodm.cli import main; main(['--help'])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "pip install 'asyncodm[cli]'" in done.stderr and "Traceback" not in done.stderr


def test_import_asyncodm_does_not_import_click_or_rich() -> None:
    code = "import sys, asyncodm; print('click' in sys.modules, 'rich' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


async def acli(*args: str) -> subprocess.CompletedProcess[str]:
    """``cli`` off the event loop (the server the subprocess talks to may share this one)."""
    return await asyncio.to_thread(cli, *args)


# --- against nx-27017, in a subprocess --------------------------------------------------------


@pytest.mark.backend_only("nx-pymongo")
async def test_indexes_plan_check_sync_and_drop_extra(backend: Backend) -> None:
    uri = nx_uri(backend)
    await backend.db["stories"].insert_one({"t": "x"})
    planned = await acli("--models", MODELS, "--uri", uri, "indexes", "plan", "--check")
    assert planned.returncode == 1, planned.stderr
    assert "Story\tcreate" in planned.stdout and "tags" in planned.stdout
    assert (
        await acli("--models", MODELS, "--uri", uri, "indexes", "plan")
    ).returncode == 0  # no --check
    synced = await acli("--models", MODELS, "--uri", uri, "indexes", "sync")
    assert synced.returncode == 0, synced.stderr
    keys = [dict(ix["key"]) async for ix in await backend.db["stories"].list_indexes()]
    assert {"tags": 1} in keys
    await backend.db["stories"].create_index("views")
    assert (
        await acli("--models", MODELS, "--uri", uri, "indexes", "plan", "--check")
    ).returncode == 1
    dropped = await acli("--models", MODELS, "--uri", uri, "indexes", "sync", "--drop-extra")
    assert dropped.returncode == 0, dropped.stderr
    assert "dropped" in dropped.stdout
    keys = [dict(ix["key"]) async for ix in await backend.db["stories"].list_indexes()]
    assert {"views": 1} not in keys
    assert (
        await acli("--models", MODELS, "--uri", uri, "indexes", "plan", "--check")
    ).returncode == 0


@pytest.mark.backend_only("nx-pymongo")
async def test_validators_sync_sends_collmod(backend: Backend) -> None:
    uri = nx_uri(backend)
    done = await acli("--models", MODELS, "--uri", uri, "validators", "sync", "--level", "moderate")
    assert done.returncode == 0, done.stderr
    assert "Story\tcreate\tstories" in done.stdout
    again = await acli("--models", MODELS, "--uri", uri, "validators", "sync")
    assert "Story\tcollMod\tstories" in again.stdout
    assert (
        await acli("--models", MODELS, "--uri", uri, "validators", "sync", "--level", "x")
    ).returncode == 2


@pytest.mark.backend_only("nx-pymongo")
@pytest.mark.xfail_backend(
    "nx", reason="listCollections reports no validator options", raises=AssertionError
)
async def test_validators_plan_check_is_clean_after_sync(backend: Backend) -> None:
    uri = nx_uri(backend)
    assert (
        await acli("--models", MODELS, "--uri", uri, "validators", "plan", "--check")
    ).returncode == 1
    assert (await acli("--models", MODELS, "--uri", uri, "validators", "sync")).returncode == 0
    assert (
        await acli("--models", MODELS, "--uri", uri, "validators", "plan", "--check")
    ).returncode == 0


@pytest.mark.backend_only("nx-pymongo")
async def test_migrate_new_up_status(backend: Backend, tmp_path: Path) -> None:
    uri = nx_uri(backend)
    folder = str(tmp_path / "migrations")
    created = await acli("--uri", uri, "migrate", "new", "seed stories", "--dir", folder)
    assert created.returncode == 0, created.stderr
    path = Path(created.stdout.strip())
    assert path.name == "0001_seed_stories.py"
    await asyncio.to_thread(
        path.write_text, "async def up(db):\n    await db['stories'].insert_one({'t': 'seeded'})\n"
    )
    broken = tmp_path / "migrations" / "0002_broken.py"
    await asyncio.to_thread(broken.write_text, "def up(db):\n    pass\n")
    bad = await acli("--uri", uri, "migrate", "up", "--dir", folder)
    assert bad.returncode == 1 and "0002_broken.py defines no `async def up(db)`" in bad.stderr
    assert await backend.db["stories"].count_documents({}) == 0  # nothing partially applied
    await asyncio.to_thread(broken.unlink)
    status = await acli("--uri", uri, "migrate", "status", "--dir", folder)
    assert "0001_seed_stories\tpending" in status.stdout
    up = await acli("--uri", uri, "migrate", "up", "--dir", folder)
    assert up.returncode == 0, up.stderr
    assert "applied 0001_seed_stories" in up.stdout
    assert await backend.db["stories"].count_documents({"t": "seeded"}) == 1
    status = await acli("--uri", uri, "migrate", "status", "--dir", folder)
    assert "0001_seed_stories\tapplied" in status.stdout
    assert "nothing to apply" in (await acli("--uri", uri, "migrate", "up", "--dir", folder)).stdout


@pytest.mark.backend_only("nx-pymongo")
async def test_shell_has_models_and_connection(backend: Backend) -> None:
    await backend.db["stories"].insert_many([{"t": "a"}, {"t": "b"}])
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "asyncodm", "--models", MODELS, "--uri", nx_uri(backend), "shell"],
        input="n = await Story.objects.count()\nprint('count', n)\n",
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "count 2" in done.stdout
    assert "models: Story" in done.stderr  # the banner


# --- mongomock: the same entry function, in process ------------------------------------------


def run_main(*args: str) -> int:
    try:
        main(list(args))
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


def test_mongomock_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    uri = f"mongomock://localhost/cli_{uuid.uuid4().hex[:8]}"
    assert run_main("--models", MODELS, "--uri", uri, "indexes", "plan", "--check") == 1
    assert "Story\tcreate" in capsys.readouterr().out
    assert run_main("--models", MODELS, "--uri", uri, "indexes", "sync") == 0
    out = capsys.readouterr().out
    assert "Story\tensured" in out
    # A mongomock:// URI is a new in-memory database per connection: the plan starts over.
    assert run_main("--models", MODELS, "--uri", uri, "indexes", "plan", "--check") == 1


# --- failures: one line naming the command and the cause, never a traceback -------------------

UNREACHABLE = "mongodb://127.0.0.1:1/cli?serverSelectionTimeoutMS=200"
#: Every command that talks to the database, as typed after the group options.
DATABASE_COMMANDS = [
    ("indexes", "plan"),
    ("indexes", "plan", "--check"),
    ("indexes", "sync"),
    ("indexes", "sync", "--drop-extra"),
    ("validators", "plan"),
    ("validators", "plan", "--check"),
    ("validators", "sync"),
    ("migrate", "status"),
    ("migrate", "up"),
]


def one_error_line(err: str, command: tuple[str, ...]) -> str:
    """The single ``Error: asyncodm <command>: ...`` line ``err`` must be."""
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    asked = " ".join(c for c in command if not c.startswith("-"))
    assert lines[0].startswith(f"Error: asyncodm {asked}: "), err
    return lines[0]


def with_dir(command: tuple[str, ...], folder: Path) -> tuple[str, ...]:
    return (*command, "--dir", str(folder)) if command[0] == "migrate" else command


@pytest.mark.parametrize("command", [("validators", "plan"), ("validators", "plan", "--check")])
def test_validators_plan_on_mongomock_says_the_backend_cannot_list_validators(
    command: tuple[str, ...],
) -> None:
    """The reported crash, through the real entry point: ``NotImplementedError`` from
    mongomock became a traceback."""
    done = cli("--models", MODELS, "--uri", "mongomock://localhost/cli", *command)
    assert done.returncode == 1 and done.stdout == ""
    line = one_error_line(done.stderr, command)
    assert "'listCollections'" in line and "mongomock-motor does not implement it" in line


def test_validators_sync_on_mongomock_says_the_backend_cannot_install_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    uri = f"mongomock://localhost/cli_{uuid.uuid4().hex[:8]}"
    assert run_main("--models", MODELS, "--uri", uri, "validators", "sync") == 1
    line = one_error_line(capsys.readouterr().err, ("validators", "sync"))
    assert "'create'" in line and "mongomock-motor does not implement it" in line


@pytest.mark.parametrize("command", DATABASE_COMMANDS, ids=" ".join)
def test_every_database_command_on_mongomock_succeeds_or_fails_in_one_line(
    command: tuple[str, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    uri = f"mongomock://localhost/cli_{uuid.uuid4().hex[:8]}"
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "0001_seed.py").write_text("async def up(db):\n    pass\n")
    code = run_main("--models", MODELS, "--uri", uri, *with_dir(command, tmp_path / "migrations"))
    out, err = capsys.readouterr()
    if command[0] == "validators":  # mongomock-motor has neither listCollections nor create
        assert code == 1 and "mongomock-motor does not implement it" in one_error_line(err, command)
        return
    assert code == (1 if command == ("indexes", "plan", "--check") else 0), err
    assert err == ""
    expected = {"indexes": "Story\t", "migrate": "0001_seed"}[command[0]]
    assert expected in out


@pytest.mark.parametrize("command", DATABASE_COMMANDS, ids=" ".join)
def test_every_database_command_on_an_unreachable_server_fails_in_one_line(
    command: tuple[str, ...], tmp_path: Path
) -> None:
    # In a subprocess: PyMongo's monitor may leave its refused socket to the garbage
    # collector once the command's event loop is gone (a ResourceWarning pytest would raise).
    (tmp_path / "migrations").mkdir()
    args = with_dir(command, tmp_path / "migrations")
    done = cli("--models", MODELS, "--uri", UNREACHABLE, *args)
    assert done.returncode == 1 and done.stdout == ""
    line = one_error_line(done.stderr, command)
    assert "MongoDB unreachable" in line and "127.0.0.1:1" in line


@pytest.mark.parametrize(
    ("uri", "says"),
    [
        ("foo://x/db", "is not a mongodb://, mongodb+srv:// or mongomock:// URI"),
        ("mongodb://127.0.0.1:1", "no database name"),
    ],
)
@pytest.mark.parametrize("command", [*DATABASE_COMMANDS, ("shell",)], ids=" ".join)
def test_a_malformed_uri_is_a_usage_error_for_every_command(
    command: tuple[str, ...], uri: str, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_main("--models", MODELS, "--uri", uri, *command) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    [line] = [x for x in err.splitlines() if x.startswith("Error:")]
    assert line.startswith("Error: --uri: ") and says in line


def test_migrate_new_into_a_file_fails_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    assert run_main("migrate", "new", "seed", "--dir", str(not_a_folder)) == 1
    line = one_error_line(capsys.readouterr().err, ("migrate", "new"))
    assert str(not_a_folder) in line and "exists" in line


def test_the_shell_on_mongomock_runs_awaited_code() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "asyncodm",
            "--models",
            MODELS,
            "--uri",
            "mongomock://h/sh",
            "shell",
        ],
        input="await Story(title='t').save()\nprint('count', await Story.objects.count())\n",
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "count 1" in done.stdout and "Traceback" not in done.stderr
