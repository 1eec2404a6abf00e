"""Fixtures for the web integrations: the blog examples, loaded fresh, and clients for them.

The examples define ``User``, ``Post`` and ``Comment``, names other suites use too, and a
document class registers its delete rules by name. So the examples are never imported at
collection time: ``blog`` (re)loads them inside a snapshot of the registry, and restores it
afterwards, so their CASCADE and DENY rules exist exactly while a web test runs.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import AsyncIterator, Iterator
from types import ModuleType
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import TestClient, TestServer

from asyncodm._registry import registry
from tests._backends import Backend


def load(name: str) -> ModuleType:
    """Module ``name`` executed afresh (its classes defined, and registered, again)."""
    module = sys.modules.get(name)
    return importlib.reload(module) if module is not None else importlib.import_module(name)


@pytest.fixture
def own_registry() -> Iterator[None]:
    saved = registry.snapshot()
    try:
        yield
    finally:
        registry.restore(saved)


@pytest.fixture
def blog(own_registry: None) -> ModuleType:
    """``examples.blog``, its documents defined for this test."""
    return load("examples.blog")


@pytest.fixture
def fastapi_app(blog: ModuleType) -> ModuleType:
    """``examples.fastapi_app`` built on this test's ``blog`` documents."""
    return load("examples.fastapi_app")


@pytest.fixture
async def api(fastapi_app: ModuleType, backend: Backend) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the FastAPI example, connected to the test's backend through the
    app's own lifespan (which also creates the blog's indexes)."""
    app = fastapi_app.create_app(None, client=backend.client, db=backend.db_name)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://blog") as client:
            yield client


@pytest.fixture
async def aio(blog: ModuleType, backend: Backend) -> AsyncIterator[TestClient[Any, Any]]:
    """A test client (aiohttp's) for the aiohttp example, on the test's backend."""
    module = load("examples.aiohttp_app")
    app = module.create_app(None, client=backend.client, db=backend.db_name)
    async with TestClient(TestServer(app)) as client:
        yield client
