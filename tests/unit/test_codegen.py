"""Generated code is readable by tracebacks and ``inspect``: each generated function is
compiled under a filename naming its class (``_codegen.compile_function``), with its source
in ``linecache``."""

from __future__ import annotations

import inspect
import linecache
import traceback
from collections.abc import Callable
from typing import Any

import pytest

from asyncodm import Document, MigrationError, StringField
from asyncodm._codegen import compile_function, constant_name
from asyncodm.fields._base import BaseField


class Boom(Exception):
    pass


class ExplodingField(BaseField[Any]):
    """Raises from whichever verb a test switches on, inside the generated code."""

    coerces = True

    def __init__(self, *, on: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.on = on

    def coerce(self, value: Any) -> Any:
        if self.on == "coerce":
            raise Boom("coerce")
        return value

    def to_mongo(self, value: Any) -> Any:
        if self.on == "dump":
            raise Boom("dump")
        return value

    def quick_check(self) -> Callable[[Any], bool] | None:
        def check(value: Any) -> bool:
            if self.on == "check":
                raise Boom("check")
            return True

        return check


def _generated_frames(exc: BaseException) -> list[traceback.FrameSummary]:
    return [
        f for f in traceback.extract_tb(exc.__traceback__) if "asyncodm generated" in f.filename
    ]


def test_generated_init_names_its_class_and_shows_its_line() -> None:
    class Gadget(Document):
        part = ExplodingField(on="coerce")

    with pytest.raises(Boom) as info:
        Gadget(part=1)
    (frame,) = _generated_frames(info.value)
    assert frame.filename.startswith("<asyncodm generated __init__ ")
    assert "Gadget" in frame.filename
    assert "coerce_" in (frame.line or "")
    try:
        Gadget(part=1)
    except Boom:
        shown = traceback.format_exc()
    assert "Gadget>" in shown and "coerce_" in shown


def test_generated_loader_names_its_class() -> None:
    class Strict(Document):
        name = StringField()
        meta = {"enforce_schema": True}

    with pytest.raises(MigrationError) as info:
        Strict._from_son({"_id": 1})
    (frame,) = _generated_frames(info.value)
    assert frame.filename.startswith("<asyncodm generated loader ") and "Strict" in frame.filename
    assert frame.line == "enforce_schema(schema, son)"


def test_generated_dumper_names_its_class() -> None:
    class Dumped(Document):
        part = ExplodingField(on="dump")

    with pytest.raises(Boom) as info:
        Dumped(part=1).to_mongo()
    (frame,) = _generated_frames(info.value)
    assert frame.filename.startswith("<asyncodm generated dumper ") and "Dumped" in frame.filename
    assert "dump_" in (frame.line or "")


def test_generated_quick_check_names_its_class() -> None:
    class Checked(Document):
        part = ExplodingField(on="check")

    with pytest.raises(Boom) as info:
        Checked(part=1).validate()
    (frame,) = _generated_frames(info.value)
    assert "quick check" in frame.filename and "Checked" in frame.filename
    assert "quick_" in (frame.line or "")


def test_inspect_reads_generated_source() -> None:
    class Readable(Document):
        name = StringField(default="x")

    source = inspect.getsource(Readable.__init__)
    assert source.startswith("def __init__(self, *args, **kw):")
    assert "def load(son):" in inspect.getsource(Readable._from_son)
    assert "def dump(doc):" in inspect.getsource(Readable._dump)


def test_a_class_defined_again_keeps_each_source() -> None:
    first = compile_function("def f():\n    return 1\n", "test f", {})
    second = compile_function("def f():\n    return 2\n", "test f", {})
    assert first.__code__.co_filename != second.__code__.co_filename
    assert linecache.getline(first.__code__.co_filename, 2).strip() == "return 1"
    assert linecache.getline(second.__code__.co_filename, 2).strip() == "return 2"
    assert constant_name("coerce", 3) == "coerce_3"
