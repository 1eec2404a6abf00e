"""The web integrations are optional: ``import asyncodm`` imports none of their libraries, and
each module, imported without its library, says which extra to install.

Each check runs in a fresh interpreter, so modules this test session already imported do not
hide an import.
"""

from __future__ import annotations

import subprocess
import sys

import pytest


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def test_import_asyncodm_imports_no_web_library() -> None:
    result = run(
        "import sys, asyncodm, asyncodm.fields, asyncodm.files, asyncodm.queryset\n"
        "found = {'pydantic', 'fastapi', 'starlette', 'aiohttp'} & set(sys.modules)\n"
        "assert not found, found\n"
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("module", "hidden", "extra"),
    [
        ("asyncodm.pydantic", "pydantic", "fastapi"),
        ("asyncodm.fastapi", "fastapi", "fastapi"),
        ("asyncodm.aiohttp", "aiohttp", "aiohttp"),
    ],
)
def test_a_missing_library_names_the_extra(module: str, hidden: str, extra: str) -> None:
    result = run(
        f"import sys\nsys.modules[{hidden!r}] = None\n"
        f"try:\n    import {module}\n"
        "except ImportError as exc:\n    print(exc)\nelse:\n    raise SystemExit('imported')\n"
    )
    assert result.returncode == 0, result.stderr
    assert f"pip install 'asyncodm[{extra}]'" in result.stdout


@pytest.mark.parametrize("module", ["asyncodm.pydantic", "asyncodm.fastapi", "asyncodm.aiohttp"])
def test_each_module_imports_the_real_library(module: str) -> None:
    # asyncodm/pydantic.py, fastapi.py and aiohttp.py never shadow the libraries they wrap
    result = run(
        f"import {module}, pydantic, fastapi, aiohttp.web\n"
        "assert pydantic.__name__ == 'pydantic' and hasattr(pydantic, 'BaseModel')\n"
        "assert hasattr(fastapi, 'FastAPI') and hasattr(aiohttp, 'web')\n"
    )
    assert result.returncode == 0, result.stderr
