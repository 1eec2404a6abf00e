"""The floor designs of ``benchmarks/floor.py`` really do what the floor table says they do.

The floors are an argument ("even this much less than an ODM costs more than the target"), so
a design that skipped a check it claims to make would prove nothing: every checking design
must refuse each kind of bad value asyncodm's ``validate()`` refuses, and accept the
benchmark's own data; the dumps must send what the driver needs and keep the baseline they
say they keep.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Callable
from typing import Any

import bson
import pytest
from bson import ObjectId

from asyncodm.errors import FieldDoesNotExist, ValidationError
from benchmarks import floor
from benchmarks._data import PostData, make_posts

_CHECKING = ("checks_only", "lazy_checks", "asyncodm")


def _post() -> PostData:
    return copy.deepcopy(make_posts(1)[0])


def _breakers() -> dict[str, Callable[[Any], None]]:
    """Each edit makes the post invalid for asyncodm's Post (benchmarks/systems/_asyncodm)."""

    def set_key(key: str, value: Any) -> Callable[[Any], None]:
        return lambda p: p.__setitem__(key, value)

    def comment(key: str, value: Any) -> Callable[[Any], None]:
        return lambda p: p["comments"][1].__setitem__(key, value)

    return {
        "title too long": set_key("title", "x" * 201),
        "title not a string": set_key("title", 5),
        "author not an ObjectId": set_key("author", 12),
        "created not a datetime": set_key("created", 7),
        "negative views": set_key("views", -1),
        "views above int64": set_key("views", 2**63),
        "rating above 5": set_key("rating", 5.5),
        "published not a bool": set_key("published", 1),
        "a tag too long": lambda p: p["tags"].append("t" * 51),
        "a tag not a string": lambda p: p["tags"].append(3),
        "comment text too long": comment("text", "x" * 1001),
        "comment author not a string": comment("author", None),
        "comment created not a datetime": comment("created", "yesterday"),
        "a $ key in extra": lambda p: p["extra"].__setitem__("$set", 1),
        "a dotted key deep in extra": lambda p: p["extra"]["seo"].__setitem__("a.b", 1),
        "an int64 overflow in an extra list": lambda p: p["extra"]["flags"].append(2**64),
        "an unencodable value in extra": lambda p: p["extra"].__setitem__("s", object()),
    }


@pytest.mark.parametrize("design", _CHECKING)
def test_checking_designs_accept_the_benchmark_data(design: str) -> None:
    make = floor.DESIGNS[design]
    for p in make_posts(50):
        doc = make(p)
        assert doc.title == p["title"]
        assert [c.text for c in doc.comments] == [c["text"] for c in p["comments"]]


@pytest.mark.parametrize("design", _CHECKING)
@pytest.mark.parametrize("breaker", sorted(_breakers()))
def test_checking_designs_refuse_what_asyncodm_refuses(design: str, breaker: str) -> None:
    p = _post()
    _breakers()[breaker](p)
    with pytest.raises((ValueError, ValidationError)):
        floor.DESIGNS[design](p)


def test_an_unknown_keyword_is_refused_at_construction() -> None:
    """The one contract check ``checks_only`` keeps in its constructor (FieldDoesNotExist in
    asyncodm), before any value is looked at."""
    when = datetime.datetime(2024, 1, 1)
    with pytest.raises(TypeError):
        floor._CheckedComment(author="a", text="b", created=when, extra=1)
    from benchmarks.systems._asyncodm import Comment

    with pytest.raises(FieldDoesNotExist):
        Comment(author="a", text="b", created=when, extra=1)


def test_the_dumps_send_what_the_driver_needs_and_keep_their_baseline() -> None:
    p = _post()
    doc = floor.DESIGNS["checks_only"](p)
    shallow = floor._DUMPS["checks_only"](doc)
    assert shallow["comments"][0] is doc.comments[0].__dict__  # shared: no baseline kept
    assert shallow is not doc.__dict__  # the driver adds _id to the dict it is given

    kept = floor._DUMPS["checks_only+baseline"](doc)
    assert doc._baseline is kept
    doc.tags.append("new")
    doc.comments[0].text = "changed"
    doc.extra["seo"]["slug"] = "changed"
    assert "new" not in kept["tags"]
    assert kept["comments"][0]["text"] == p["comments"][0]["text"]
    assert kept["extra"]["seo"]["slug"] == f"post-{0}"

    doc = floor.DESIGNS["checks_only"](_post())
    raw = floor._DUMPS["checks_only+bytes"](doc)
    assert doc._baseline is raw
    decoded = bson.decode(raw.raw)
    assert type(decoded["_id"]) is ObjectId
    assert decoded["comments"][2] == _post()["comments"][2]
    doc.tags.append("later")
    assert "later" not in bson.decode(raw.raw)["tags"]  # bytes: the baseline cannot move


def test_the_floor_runs_end_to_end_on_the_fast_server(capsys: pytest.CaptureFixture[str]) -> None:
    assert floor.main(["--n", "60", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    for name in (*floor.DESIGNS, "checks_only+baseline", "checks_only+bytes"):
        assert f"| {name} |" in out
